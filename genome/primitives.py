"""The registry of the grammar: one row per function and per series leaf, holding all the lab
knows of it.

A function's row gives its types (DEAP's primitive set, the parser), its meaning in words (the
review and `promote show`), its unit rule (scale-free genomes: `genome.units`), its meaning
scale (sensible comparisons and constants: `genome.scales`), its kernel (`kernel(*args, out)`
writes the result into `out`: `genome.evaluate`), whether its results are worth the subtree
cache, whether it looks across symbols (a market-wide series makes it constant), and whether
the random generator and mutation draw it. Adding a function is adding a row here, its kernel
and its tests. A row with `drawn=False` can be written and bred from by users, never drawn at
random: how a new function starts, until the power benchmark says it helps the search.

`key` is unique (DEAP's name); `name` is what users write, shared by overloads (`gt` of two
series and `gt` of a series and a constant), resolved by argument type when parsing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from genome import kernels_nb as k
from genome import scales as sc
from genome import units as u
from genome.types import Const, Lookback, Series, Signal

__all__ = ["FUNCTIONS", "SERIES", "Function", "Leaf", "function_of"]


@dataclass(frozen=True)
class Function:
    """A function of the grammar (see the module's docstring)."""

    key: str
    name: str
    args: tuple[type, ...]
    ret: type
    meaning: str
    unit: u.UnitRule
    scale: sc.ScaleRule
    kernel: Callable[..., Any]
    cached: bool = False
    across_symbols: bool = False
    drawn: bool = True


@dataclass(frozen=True)
class Leaf:
    """A series every genome can read: its words, unit and meaning scale."""

    name: str
    meaning: str
    unit: u.Unit
    scale: str


S, B, W, C = Series, Signal, Lookback, Const
_COMPARES = u.same("compares {} with {}")
_WITH_CONSTANT = u.pure_only("compares {} with a constant")


def _rolling(
    key: str, meaning: str, unit: u.UnitRule, scale: sc.ScaleRule, kernel: Callable[..., Any]
) -> Function:
    # A function of a series' last w values: far dearer to compute than to keep, so cached.
    return Function(key, key, (S, W), S, meaning, unit, scale, kernel, cached=True)


# One row a function, kept as short as it reads.
# fmt: off
FUNCTIONS: tuple[Function, ...] = (
    Function("add", "add", (S, S), S, "x + y", u.same("adds {} to {}"), sc.total, k.add_nb),
    Function("sub", "sub", (S, S), S, "x - y", u.same("subtracts {1} from {0}"), sc.difference,
             k.sub_nb),
    Function("mul", "mul", (S, S), S, "x * y", u.MULTIPLY, sc.product, k.mul_nb),
    Function("add_const", "add", (S, C), S, "x + c", u.pure_only("adds a constant to {}"),
             sc.of_first, k.add_const_nb),
    Function("mul_const", "mul", (S, C), S, "x * c", u.KEEP, sc.of_first, k.mul_const_nb),
    Function("div", "div", (S, S), S, "x / y; NaN where y is 0", u.DIVIDE, sc.ratio, k.div_nb),
    Function("neg", "neg", (S,), S, "-x", u.KEEP, sc.of_first, np.negative),
    Function("abs", "abs", (S,), S, "|x|", u.KEEP, sc.absolute, np.abs),
    Function("log", "log", (S,), S, "natural log of x; NaN where x <= 0",
             u.pure_only("takes the log of {}"), sc.unknown, k.log_nb, cached=True),
    _rolling("sma", "mean of the last w values", u.KEEP, sc.of_first, k.sma_nb),
    _rolling("ema", "exponential mean, alpha 2/(w+1), seeded with the mean of the first w values",
             u.KEEP, sc.of_first, k.ema_nb),
    _rolling("std", "sample standard deviation of the last w values", u.KEEP, sc.spread, k.std_nb),
    _rolling("min", "lowest of the last w values", u.KEEP, sc.of_first, k.min_nb),
    _rolling("max", "highest of the last w values", u.KEEP, sc.of_first, k.max_nb),
    _rolling("lag", "the value w sessions ago", u.KEEP, sc.of_first, k.lag_nb),
    Function("lag_signal", "lag", (B, W), B,
             "the signal w sessions ago (false before the first day)", u.SIGNALS, sc.unknown,
             k.lag_signal_nb, cached=True),
    _rolling("change", "x / (x w sessions ago) - 1", u.TO_PURE, sc.fixed("return"), k.change_nb),
    _rolling("zscore", "(x - sma(x, w)) / std(x, w)", u.TO_PURE, sc.fixed("z"), k.zscore_nb),
    _rolling("rsi", "100 x gains / (gains + losses) over the last w changes (50 when flat)",
             u.TO_PURE, sc.fixed("percent"), k.rsi_nb),
    Function("rank", "rank", (S,), S,
             "percentile of x among the symbols that day, in [0, 1] (ties share a rank)",
             u.pure_only("ranks {} across symbols"), sc.fixed("unit"), k.rank, cached=True,
             across_symbols=True),
    Function("demean", "demean", (S,), S,
             "x minus its mean over the symbols with a value that day",
             u.pure_only("demeans {} across symbols"),
             lambda scales: scales[0] if scales[0] in ("return", "z") else None,
             k.demean_nb, across_symbols=True, drawn=False),
    Function("gt", "gt", (S, S), B, "x > y", _COMPARES, sc.unknown, np.greater),
    Function("lt", "lt", (S, S), B, "x < y", _COMPARES, sc.unknown, np.less),
    Function("gt_const", "gt", (S, C), B, "x > c", _WITH_CONSTANT, sc.unknown, np.greater),
    Function("lt_const", "lt", (S, C), B, "x < c", _WITH_CONSTANT, sc.unknown, np.less),
    Function("and", "and", (B, B), B, "both", u.SIGNALS, sc.unknown, np.logical_and),
    Function("or", "or", (B, B), B, "either", u.SIGNALS, sc.unknown, np.logical_or),
    Function("not", "not", (B,), B, "the opposite", u.SIGNALS, sc.unknown, np.logical_not),
)
# fmt: on
_BY_KEY = {f.key: f for f in FUNCTIONS}

SERIES: dict[str, Leaf] = {
    leaf.name: leaf
    for leaf in (
        Leaf("open", "the session's opening price", u.PRICE, "price"),
        Leaf("high", "the session's high", u.PRICE, "price"),
        Leaf("low", "the session's low", u.PRICE, "price"),
        Leaf("close", "the session's closing price", u.PRICE, "price"),
        Leaf("volume", "shares traded in the session", u.VOLUME, "volume"),
        Leaf("ret", "daily close-to-close return: close / previous close - 1", u.PURE, "return"),
        Leaf("dollar_volume", "close x volume", (1, 1, 0), "dollars"),
        Leaf(
            "market",
            "the equal-weight market of the universe: an index that starts at 1 on the first "
            "day of the data and moves each day by the average return of the symbols with a "
            "return that day (the same value for every symbol)",
            u.PURE,
            "index",
        ),
        Leaf(
            "benchmark",
            "the close of the benchmark symbol (data.benchmark, SPY by default; NaN where the "
            "data has none), the same value for every symbol",
            u.BENCHMARK,
            "price",
        ),
    )
}


def function_of(key: str) -> Function:
    """The grammar's function with this key (e.g. `gt_const`)."""
    return _BY_KEY[key]
