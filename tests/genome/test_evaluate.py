"""Evaluation: each function against a plain reference, the NaN rules, no look-ahead (per
function and for random trees), and the subtree cache."""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from configs import load_config
from genome import kernels_nb as k
from genome.evaluate import Evaluator, SubtreeCache, evaluate
from genome.generate import half_and_half
from genome.grammar import FUNCTIONS, WINDOWS
from genome.text import parse
from market.index_nb import market_nb
from market.panel import Panel
from market.sources import load_panel
from tests.builders.panels import sample

Array = np.ndarray


def ema_reference(x: Array, w: int) -> Array:
    out = np.full_like(x, np.nan)
    alpha = 2 / (w + 1)
    for j in range(x.shape[1]):
        run: list[float] = []
        value = np.nan
        for t, v in enumerate(x[:, j]):
            if np.isnan(v):
                run, value = [], np.nan
                continue
            run.append(v)
            if len(run) == w:
                value = sum(run) / w
            elif len(run) > w:
                value = alpha * v + (1 - alpha) * value
            out[t, j] = value if len(run) >= w else np.nan
    return out


def rsi_reference(x: Array, w: int) -> Array:
    diff = pd.DataFrame(x).diff()
    gains = diff.clip(lower=0).rolling(w).sum()
    losses = (-diff).clip(lower=0).rolling(w).sum()
    total = gains + losses
    rsi = (100 * gains / total.where(total > 0)).where(total > 0, 50.0)
    return rsi.where(total.notna()).to_numpy()


def rank_reference(x: Array) -> Array:
    frame = pd.DataFrame(x)
    ranks = frame.rank(axis=1, method="average")
    count = frame.notna().sum(axis=1)
    pct = ranks.sub(1).div((count - 1).where(count > 1), axis=0)
    return pct.where(~((count == 1).to_numpy()[:, None] & frame.notna().to_numpy()), 0.5).to_numpy()


def window_std(x: Array, w: int) -> Array:
    """Exact two-pass sample standard deviation of each window (pandas' running one is not
    exactly 0 on flat windows)."""
    from numpy.lib.stride_tricks import sliding_window_view

    out = np.full_like(x, np.nan)
    out[w - 1 :] = sliding_window_view(x, w, axis=0).std(axis=-1, ddof=1)
    return out


def finite(a: pd.DataFrame | Array) -> Array:
    out = np.asarray(a, dtype=float)
    return np.where(np.isfinite(out), out, np.nan)


ROLLING_REFERENCE: dict[str, Callable[[Array, int], Array]] = {
    "sma": lambda x, w: pd.DataFrame(x).rolling(w).mean().to_numpy(),
    "std": window_std,
    "min": lambda x, w: pd.DataFrame(x).rolling(w).min().to_numpy(),
    "max": lambda x, w: pd.DataFrame(x).rolling(w).max().to_numpy(),
    "lag": lambda x, w: pd.DataFrame(x).shift(w).to_numpy(),
    "change": lambda x, w: finite(
        pd.DataFrame(x) / pd.DataFrame(x).shift(w).replace(0, np.nan) - 1
    ),
    "zscore": lambda x, w: finite(
        (x - pd.DataFrame(x).rolling(w).mean().to_numpy())
        / np.where(window_std(x, w) == 0, np.nan, window_std(x, w))
    ),
    "ema": ema_reference,
    "rsi": rsi_reference,
}


@pytest.mark.parametrize("name", sorted(ROLLING_REFERENCE))
@pytest.mark.parametrize("w", [2, 3, 5, 14, 20])
def test_rolling_functions_match_a_plain_reference(name: str, w: int) -> None:
    for seed in range(5):
        x = sample(seed)
        out = np.empty_like(x)
        getattr(k, f"{name}_nb")(x, w, out)
        expected = ROLLING_REFERENCE[name](x, w)
        np.testing.assert_array_equal(np.isnan(out), np.isnan(expected), err_msg=f"{name} {w}")
        np.testing.assert_allclose(out, expected, rtol=1e-7, atol=1e-9, equal_nan=True)


def test_rank_matches_a_plain_reference_with_ties_and_gaps() -> None:
    for seed in range(5):
        x = sample(seed, n_symbols=7)
        x[5, :] = np.nan
        x[6, 1:] = np.nan  # one symbol alone that day: 0.5
        out = np.empty_like(x)
        k.rank(x, out)
        np.testing.assert_allclose(out, rank_reference(x), equal_nan=True)
        assert np.nanmin(out) >= 0 and np.nanmax(out) <= 1
        assert out[6, 0] == 0.5


def test_demean_matches_a_plain_reference_with_gaps() -> None:
    for seed in range(5):
        x = sample(seed, n_symbols=7)
        x[5, :] = np.nan  # nobody that day
        x[6, 1:] = np.nan  # one symbol alone: 0
        out = np.empty_like(x)
        k.demean_nb(x, out)
        frame = pd.DataFrame(x)
        np.testing.assert_allclose(out, frame.sub(frame.mean(axis=1), axis=0), equal_nan=True)
        assert out[6, 0] == 0 and np.isnan(out[5]).all()
        np.testing.assert_allclose(np.nansum(out, axis=1), 0, atol=1e-9)


def test_arithmetic_never_leaves_infinities() -> None:
    x = np.array([[1e300, 4.0, -2.0, 0.0, np.nan]])
    y = np.array([[1e300, 0.0, 2.0, 0.0, 1.0]])
    out = np.empty_like(x)
    k.mul_nb(x, y, out)
    assert np.isnan(out[0, 0]) and out[0, 1] == 0 and out[0, 2] == -4
    k.div_nb(x, y, out)
    assert out[0, 0] == 1 and np.isnan(out[0, 1]) and np.isnan(out[0, 3]) and np.isnan(out[0, 4])
    k.log_nb(x, out)
    assert np.isnan(out[0, 2]) and np.isnan(out[0, 3]) and out[0, 1] == np.log(4.0)
    k.add_nb(np.array([[1.7e308]]), np.array([[1.7e308]]), out[:, :1])
    assert np.isnan(out[0, 0])


# --- on the real panel ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def panel() -> Panel:
    config = load_config()
    return load_panel(config.data, config.alpaca)[0]


def test_nan_rules_on_real_data(panel: Panel) -> None:
    spy = panel.symbols.index("SPY")
    first = int(np.flatnonzero(np.isfinite(panel.close[:, spy]))[0])
    sma = np.empty(panel.close.shape)
    k.sma_nb(np.array(panel.close), 50, sma)
    assert np.isnan(sma[first + 48, spy]) and np.isfinite(sma[first + 49, spy])
    # Before SPY's first bar nothing is held, even by a genome that is true without data.
    hold = evaluate(parse("not(gt(close, sma(close, 50)))"), panel)
    assert not hold[:first, spy].any() and hold[first : first + 49, spy].all()
    assert evaluate(parse("true"), panel).sum() == np.isfinite(panel.close).sum()
    assert not evaluate(parse("false"), panel).any()


@pytest.mark.parametrize("key", [f.key for f in FUNCTIONS])
def test_every_function_runs_on_awkward_data_without_warnings(key: str) -> None:
    function = next(f for f in FUNCTIONS if f.key == key)
    args = {"Series": "close", "Signal": "gt(close, open)", "Lookback": "2", "Const": "0"}
    inner = f"{function.name}({', '.join(args[a.__name__] for a in function.args)})"
    text = inner if function.ret.__name__ == "Signal" else f"gt({inner}, 0)"
    close = sample(1, 40, 4)
    opens = sample(2, 40, 4)
    n = close.shape
    awkward = Panel(
        np.datetime64("2020-01-01") + np.arange(n[0]),
        ("A", "B", "C", "D"),
        opens,
        np.fmax(opens, close),
        np.fmin(opens, close),
        close,
        np.abs(close),
        np.isfinite(close),
    )
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        hold = evaluate(parse(text), awkward)
    assert hold.dtype == bool and hold.shape == n


# --- no look-ahead ----------------------------------------------------------------------------


def apply(key: str, x: Array, y: Array, w: int) -> Array:
    """One function on arrays, as the evaluator applies it."""
    function = next(f for f in FUNCTIONS if f.key == key)
    names = [a.__name__ for a in function.args]
    out = np.empty(x.shape, dtype=bool if function.ret.__name__ == "Signal" else float)
    args: list[object] = []
    for i, name in enumerate(names):
        args.append(
            {
                "Series": x if i == 0 else y,
                "Signal": x > y if i == 0 else y > 0,
                "Lookback": w,
                "Const": 0.5,
            }[name]
        )
    function.kernel(*args, out)
    return out


@settings(max_examples=400, deadline=None)
@given(
    st.sampled_from([f.key for f in FUNCTIONS]),
    st.integers(0, 10**6),
    st.sampled_from(WINDOWS[:6]),
    st.data(),
)
def test_no_function_looks_ahead(key: str, seed: int, w: int, data: st.DataObject) -> None:
    x, y = sample(seed, 60, 4), sample(seed + 1, 60, 4)
    t = data.draw(st.integers(0, 59))
    full = apply(key, x, y, w)
    truncated = apply(key, x[: t + 1].copy(), y[: t + 1].copy(), w)
    np.testing.assert_array_equal(full[: t + 1], truncated)


@settings(max_examples=150, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(300, 1200))
def test_no_genome_looks_ahead(panel: Panel, seed: int, t: int) -> None:
    tree = half_and_half(random.Random(seed), 2, 6)
    recent = panel.days(2500, 3800)
    full = evaluate(tree, recent)
    truncated = evaluate(tree, recent.days(0, t + 1))
    np.testing.assert_array_equal(full[: t + 1], truncated)


def test_the_market_is_the_equal_weight_index_the_same_for_every_symbol() -> None:
    close = sample(7, 60, 4)
    close[close <= 0] = np.nan
    out = np.empty(60)
    market_nb(close, out)
    returns = pd.DataFrame(close).pct_change(fill_method=None).to_numpy()
    seen = np.isfinite(returns)
    daily = np.where(seen, returns, 0).sum(axis=1) / np.maximum(seen.sum(axis=1), 1)
    np.testing.assert_allclose(out, np.cumprod(1 + daily), rtol=1e-12)
    # no look-ahead: the index on data cut after day t is the same up to t
    for t in (0, 1, 17, 59):
        part = np.empty(t + 1)
        market_nb(close[: t + 1].copy(), part)
        np.testing.assert_array_equal(part, out[: t + 1])


def test_a_window_sees_the_market_levels_of_the_whole_data(panel: Panel) -> None:
    # The index starts at 1 on the data's first day, not on a window's: `gt(market, 1.5)`
    # means the same in train, validation and live trading.
    window = panel.days(2000, 2600)
    assert window.market is not None and panel.market is not None
    np.testing.assert_array_equal(window.market, panel.market[2000:2600])
    hold = evaluate(parse("gt(market, 1.5)"), window)
    full = evaluate(parse("gt(market, 1.5)"), panel)[2000:2600]
    np.testing.assert_array_equal(hold, full)


def test_the_benchmark_is_the_chosen_symbols_close_or_nan(panel: Panel) -> None:
    assert panel.benchmark_symbol == "SPY"
    spy = panel.symbols.index("SPY")
    above = evaluate(parse("gt(close, benchmark)"), panel)
    has = np.isfinite(panel.close[:, spy])
    with np.errstate(invalid="ignore"):
        expected = (panel.close > panel.close[:, [spy]]) & has[:, None]
    np.testing.assert_array_equal(above, expected & np.isfinite(panel.close))
    # Without the symbol, `benchmark` is NaN: a comparison with it is false.
    elsewhere = dataclasses.replace(panel, benchmark_symbol="NOPE")
    assert not evaluate(parse("gt(close, benchmark)"), elsewhere).any()
    assert elsewhere.fingerprint != panel.fingerprint


def test_a_lagged_signal_is_false_before_the_first_day() -> None:
    signal = sample(3, 10, 2) > 50
    out = np.empty_like(signal)
    k.lag_signal_nb(signal, 4, out)
    assert not out[:4].any()
    np.testing.assert_array_equal(out[4:], signal[:-4])


# --- cache and buffers ------------------------------------------------------------------------


def test_the_cache_changes_nothing_but_time(panel: Panel) -> None:
    recent = panel.days(3000, 4000)
    rng = random.Random(4)
    parents = [half_and_half(rng, 3, 5) for _ in range(10)]
    # A bred population shares subtrees: wrap parents' subtrees in new roots.
    population = [*parents]
    for i in range(40):
        a, b = parents[i % 10], parents[(i * 3 + 1) % 10]
        population.append(parse(f"and({_text(a)}, {_text(b)})"))
    plain = Evaluator(recent)
    cached = Evaluator(recent, cache_bytes=64 * 2**20)
    for tree in population:
        np.testing.assert_array_equal(plain.signal(tree), cached.signal(tree))
    assert cached.cache is not None
    assert cached.cache.stats.hit_rate > 0.3
    assert cached.cache.bytes <= 64 * 2**20


def _text(tree: object) -> str:
    from genome.text import to_text

    return to_text(tree)


def test_cache_is_bounded_and_evicts_the_least_recently_used() -> None:
    cache = SubtreeCache(max_bytes=3 * 800)
    arrays = {name: np.zeros(100) for name in "abcd"}  # 800 bytes each
    for name in "abc":
        cache.put(name, arrays[name])
    assert cache.get("a") is not None  # a is now the most recent
    cache.put("d", arrays["d"])
    assert cache.get("b") is None and cache.get("a") is not None and len(cache) == 3
    assert cache.bytes == 2400
    assert not cache.put("huge", np.zeros(1000))
    assert not arrays["a"].flags.writeable  # cached arrays cannot be changed by a consumer


def test_reused_buffers_give_the_same_signals_as_fresh_evaluators(panel: Panel) -> None:
    recent = panel.days(3500, 4000)
    rng = random.Random(11)
    trees = [half_and_half(rng, 2, 6) for _ in range(60)]
    shared = Evaluator(recent)
    for tree in trees:
        np.testing.assert_array_equal(shared.signal(tree), Evaluator(recent).signal(tree))


@pytest.mark.parametrize(
    ("text", "low", "high"),
    [
        ("gt(close, sma(close, 50))", 0.4, 0.7),  # above trend about half the time
        ("and(gt(rsi(close, 14), 30), lt(zscore(volume, 20), 2))", 0.5, 0.95),
        ("lt(rank(change(close, 20)), 0.2)", 0.15, 0.25),  # the bottom fifth by momentum
        ("gt(ema(close, 10), ema(close, 50))", 0.4, 0.7),
        ("not(gt(std(ret, 20), 0.03))", 0.6, 0.95),
        ("gt(market, sma(market, 50))", 0.5, 0.8),  # the market is above its average
        ("gt(close, mul(max(close, 252), 0.9))", 0.3, 0.7),  # within 10 % of a one-year high
    ],
)
def test_the_documented_examples_evaluate_to_sensible_signals(
    panel: Panel, text: str, low: float, high: float
) -> None:
    hold = evaluate(parse(text), panel)
    share = hold.sum() / np.isfinite(panel.close).sum()
    assert low < share < high
