"""The typed grammar of genomes: value types, terminals, functions and the DEAP primitive set.

Types: `Series` (float, days x symbols), `Signal` (bool, days x symbols), `Lookback` (an integer
lookback from `WINDOWS`) and `Const` (a bounded decimal). A genome's root is a `Signal`: the hold
decision at each close. The user-facing names (`FUNCTIONS`, `SERIES`, `true`/`false`) are part of
the interface; `gt` and `lt` are overloaded (series vs series, series vs constant) and resolved
by argument type when parsing.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from deap import gp

__all__ = [
    "CONSTANTS",
    "CONST_LIMIT",
    "FUNCTIONS",
    "PSET",
    "SERIES",
    "SIGNALS",
    "WINDOWS",
    "Const",
    "Constant",
    "Function",
    "Lookback",
    "Series",
    "Signal",
    "function_of",
    "window_of",
]


class Series:
    """Type marker: a float array (days x symbols); NaN where undefined."""


class Signal:
    """Type marker: a bool array (days x symbols)."""


class Lookback:
    """Type marker: an integer lookback in sessions, one of `WINDOWS`."""


class Const:
    """Type marker: a decimal constant with |value| <= `CONST_LIMIT`."""


WINDOWS = (1, 2, 3, 4, 5, 10, 14, 20, 50, 100, 200, 252)
CONST_LIMIT = 1e6
# Constants random generation and DEAP's node replacement draw from: the scales of returns,
# ranks (0..1), z-scores and RSI (0..100).
CONSTANTS = (
    -2.0,
    -1.0,
    -0.5,
    -0.1,
    -0.05,
    -0.02,
    -0.01,
    0.0,
    0.01,
    0.02,
    0.03,
    0.05,
    0.1,
    0.2,
    0.3,
    0.5,
    0.8,
    0.9,
    0.95,
    0.98,
    1.0,
    1.02,
    1.05,
    1.1,
    1.5,
    2.0,
    20.0,
    30.0,
    50.0,
    70.0,
    80.0,
)

SERIES = {
    "open": "the session's opening price",
    "high": "the session's high",
    "low": "the session's low",
    "close": "the session's closing price",
    "volume": "shares traded in the session",
    "ret": "daily close-to-close return: close / previous close - 1",
    "dollar_volume": "close x volume",
    "market": "the equal-weight market of the universe: an index that starts at 1 on the first "
    "day of the data and moves each day by the average return of the symbols with a return that "
    "day (the same value for every symbol)",
    "benchmark": "the close of the benchmark symbol (data.benchmark, SPY by default; NaN where "
    "the data has none), the same value for every symbol",
}
SIGNALS = {"true": "hold everything that has a price", "false": "hold nothing"}


@dataclass(frozen=True)
class Function:
    """A function of the grammar. `key` is its unique name in the DEAP primitive set; `name`
    is what users write (shared by overloads)."""

    key: str
    name: str
    args: tuple[type, ...]
    ret: type
    meaning: str


S, B, W, C = Series, Signal, Lookback, Const
FUNCTIONS: tuple[Function, ...] = (
    Function("add", "add", (S, S), S, "x + y"),
    Function("sub", "sub", (S, S), S, "x - y"),
    Function("mul", "mul", (S, S), S, "x * y"),
    Function("add_const", "add", (S, C), S, "x + c"),
    Function("mul_const", "mul", (S, C), S, "x * c"),
    Function("div", "div", (S, S), S, "x / y; NaN where y is 0"),
    Function("neg", "neg", (S,), S, "-x"),
    Function("abs", "abs", (S,), S, "|x|"),
    Function("log", "log", (S,), S, "natural log of x; NaN where x <= 0"),
    Function("sma", "sma", (S, W), S, "mean of the last w values"),
    Function(
        "ema",
        "ema",
        (S, W),
        S,
        "exponential mean, alpha 2/(w+1), seeded with the mean of the first w values",
    ),
    Function("std", "std", (S, W), S, "sample standard deviation of the last w values"),
    Function("min", "min", (S, W), S, "lowest of the last w values"),
    Function("max", "max", (S, W), S, "highest of the last w values"),
    Function("lag", "lag", (S, W), S, "the value w sessions ago"),
    Function(
        "lag_signal", "lag", (B, W), B, "the signal w sessions ago (false before the first day)"
    ),
    Function("change", "change", (S, W), S, "x / (x w sessions ago) - 1"),
    Function("zscore", "zscore", (S, W), S, "(x - sma(x, w)) / std(x, w)"),
    Function(
        "rsi",
        "rsi",
        (S, W),
        S,
        "100 x gains / (gains + losses) over the last w changes (50 when flat)",
    ),
    Function(
        "rank",
        "rank",
        (S,),
        S,
        "percentile of x among the symbols that day, in [0, 1] (ties share a rank)",
    ),
    Function("gt", "gt", (S, S), B, "x > y"),
    Function("lt", "lt", (S, S), B, "x < y"),
    Function("gt_const", "gt", (S, C), B, "x > c"),
    Function("lt_const", "lt", (S, C), B, "x < c"),
    Function("and", "and", (B, B), B, "both"),
    Function("or", "or", (B, B), B, "either"),
    Function("not", "not", (B,), B, "the opposite"),
)
_BY_KEY = {f.key: f for f in FUNCTIONS}


def function_of(key: str) -> Function:
    """The grammar's function with this key (e.g. `gt_series_const`)."""
    return _BY_KEY[key]


def window_of(node: gp.Terminal) -> int:
    """The lookback of a `Lookback` leaf (DEAP keeps a named terminal's value in the context)."""
    value: int = PSET.context[node.name]
    return value


class Constant(gp.Terminal):
    """A `Const` leaf. Equal when the values are equal (-0.0 is stored as 0.0)."""

    __slots__ = ()

    def __init__(self, value: float) -> None:
        value = float(value) + 0.0  # -0.0 -> 0.0
        if not math.isfinite(value) or abs(value) > CONST_LIMIT:
            raise ValueError(f"constant {value} is not finite or beyond +-{CONST_LIMIT:g}")
        super().__init__(value, False, Const)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Constant) and other.value == self.value

    def __hash__(self) -> int:
        return hash(("Constant", self.value))

    def __deepcopy__(self, memo: dict[int, Any]) -> Constant:
        return self  # immutable


def _primitive_set() -> gp.PrimitiveSetTyped:
    # The callables are never called (genomes are interpreted, never compiled); DEAP needs one
    # per primitive, so each gets a function that names the interpreter.
    pset = gp.PrimitiveSetTyped("genome", [], Signal)
    for function in FUNCTIONS:
        pset.addPrimitive(
            _interpreted(function.key), list(function.args), function.ret, name=function.key
        )
    for name in SERIES:
        pset.addTerminal(name, Series, name=name)
    for name, truth in (("true", True), ("false", False)):
        pset.addTerminal(truth, Signal, name=name)
    for w in WINDOWS:
        pset.addTerminal(w, Lookback, name=f"w{w}")
    for value in CONSTANTS:
        pset.terminals[Const].append(Constant(value))
        pset.terms_count += 1
    return pset


def _interpreted(key: str) -> Any:
    def primitive(*args: Any) -> Any:
        raise TypeError(f"genome primitive {key!r} is evaluated by genome.evaluate, not called")

    primitive.__name__ = key
    return primitive


PSET = _primitive_set()
