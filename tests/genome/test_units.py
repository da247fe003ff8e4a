"""Scale-free genomes: the rule of units refuses what reads price or volume levels, and every
genome it accepts gives the same signals, cell by cell, when each symbol's prices are
multiplied by a power of two and its volume by another (in the style of the look-ahead test:
every function, then random genomes on the real data)."""

from __future__ import annotations

import random

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from configs import load_config
from evolve.variation import Breeder, child_of
from genome.evaluate import evaluate
from genome.generate import half_and_half
from genome.grammar import FUNCTIONS, SERIES, Function
from genome.sense import scale_problem
from genome.text import parse
from market.index_nb import market_nb
from market.panel import Panel
from market.sources import load_panel
from tests.builders.panels import rescaled, sample

REFUSED = {
    # The artefact riders and the generator's old escapes.
    "gt(rank(close), 0.5)": "rank(close) ranks a price across symbols",
    "lt(mul(close, rank(high)), 0.58)": "rank(high) ranks a price across symbols",
    "lt(mul(low, zscore(benchmark, 50)), 30)": "compares a price with a constant",
    "gt(rank(div(rank(change(lag(ema(open, 252), 200), 200)), high)), 0.778)": (
        "ranks a value in 1 / price across symbols"
    ),
    "gt(close, 30)": "gt(close, 30) compares a price with a constant",
    "gt(close, benchmark)": "compares a price with a benchmark price",
    "gt(volume, close)": "compares a volume with a price",
    "gt(add(close, 1), open)": "add(close, 1) adds a constant to a price",
    "gt(log(close), open)": "log(close) takes the log of a price",
    "gt(mul(close, close), dollar_volume)": (
        "compares a value in price^2 with a value in price x volume"
    ),
}
ACCEPTED = [
    "gt(close, sma(close, 50))",
    "gt(div(close, sma(close, 50)), 1.02)",
    "gt(rank(change(close, 20)), 0.8)",
    "gt(zscore(volume, 20), 2)",
    "gt(dollar_volume, mul(close, volume))",
    "gt(mul(close, volume), mul(sma(dollar_volume, 20), 1.5))",
    "lt(std(ret, 20), std(ret, 100))",
    "gt(benchmark, ema(benchmark, 200))",
    "gt(log(div(close, open)), 0)",
    "and(gt(market, 1.5), lt(rsi(close, 14), 30))",
]


@pytest.mark.parametrize(("text", "why"), REFUSED.items())
def test_a_genome_that_reads_levels_is_refused_with_the_node_named(text: str, why: str) -> None:
    found = scale_problem(parse(text))
    assert found is not None and why in found


@pytest.mark.parametrize("text", ACCEPTED)
def test_ratios_of_a_symbols_own_series_are_scale_free(text: str) -> None:
    assert scale_problem(parse(text)) is None


def test_the_market_index_is_the_same_on_rescaled_prices() -> None:
    config = load_config()
    whole = load_panel(config.data, config.alpaca)[0]
    close = np.ascontiguousarray(rescaled(whole, 3).close)
    level = np.empty(whole.n_days)
    market_nb(close, level)
    assert whole.market is not None
    np.testing.assert_array_equal(level, whole.market)


def _argument(kind: str, pure: bool) -> str:
    # A series of a unit (a price) or a pure number; a signal; a lookback; a constant.
    return {
        "Series": "div(close, open)" if pure else "close",
        "Signal": "gt(close, open)",
        "Lookback": "3",
        "Const": "0.5",
    }[kind]


def genome_with(function: Function) -> str:
    """A scale-free genome around `function`: a price where the rule allows one, else a ratio;
    a series result compared with its own lag."""
    for pure in (False, True):
        inner = f"{function.name}({', '.join(_argument(a.__name__, pure) for a in function.args)})"
        text = inner if function.ret.__name__ == "Signal" else f"gt({inner}, lag({inner}, 1))"
        if scale_problem(parse(text)) is None:
            return text
    raise AssertionError(f"no scale-free genome with {function.key}")


@pytest.fixture(scope="module")
def awkward() -> Panel:
    close, opens = sample(11, 120, 6), sample(12, 120, 6)
    volume = np.abs(sample(13, 120, 6)) * 1000
    return Panel(
        np.datetime64("2020-01-01") + np.arange(120),
        ("A", "B", "C", "D", "E", "SPY"),
        opens,
        np.fmax(opens, close),
        np.fmin(opens, close),
        close,
        volume,
        np.isfinite(close),
        benchmark_symbol="SPY",
    )


@pytest.mark.parametrize("key", [f.key for f in FUNCTIONS] + list(SERIES))
def test_every_primitive_gives_the_same_signals_on_rescaled_prices(
    awkward: Panel, key: str
) -> None:
    function = next((f for f in FUNCTIONS if f.key == key), None)
    text = f"gt({key}, sma({key}, 3))" if function is None else genome_with(function)
    tree = parse(text)
    hold = evaluate(tree, awkward)
    for seed in range(5):
        np.testing.assert_array_equal(evaluate(tree, rescaled(awkward, seed)), hold, text)


@pytest.fixture(scope="module")
def real() -> Panel:
    config = load_config()
    return load_panel(config.data, config.alpaca)[0].days(2500, 3300)


@settings(max_examples=150, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(0, 10**6))
def test_random_genomes_are_scale_free_and_see_the_same_market(
    real: Panel, seed: int, scaling: int
) -> None:
    tree = half_and_half(random.Random(seed), 2, 6)
    assert scale_problem(tree) is None
    np.testing.assert_array_equal(evaluate(tree, rescaled(real, scaling)), evaluate(tree, real))


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_bred_children_are_scale_free(seed: int) -> None:
    config = load_config().evolve
    breeder = Breeder(
        config.crossover,
        1.0,  # every child mutated
        (config.init_min_height, config.init_max_height),
        config.max_height,
        config.max_size,
    )
    rng = random.Random(seed)
    first, second = breeder.fresh(rng), breeder.fresh(rng)
    for _ in range(5):
        first, second = breeder.children(rng, first, second)
        assert scale_problem(first.tree) is None and scale_problem(second.tree) is None


def test_a_stored_genome_keeps_its_id_whether_or_not_it_is_scale_free() -> None:
    old = child_of(parse("gt(rank(close), 0.5)"), "random")
    assert old.id == child_of(parse(old.text), "random").id  # the parser still reads it
    assert scale_problem(old.tree) is not None
