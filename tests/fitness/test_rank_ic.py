"""The rank IC of a hold signal (fitness.rank_ic): Spearman's correlation of the signal with
the next open-to-open return across symbols, zero for a rule that does not choose symbols, and
the rank-IC score of the fitness."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from configs import load_config
from evolve.evaluations import Record
from fitness.assess import assess_texts
from fitness.portfolio import WORST_FITNESS
from fitness.rank_ic import MIN_SYMBOLS, ForwardRanks
from fitness.windows import build_windows
from market.panel import Panel
from market.sources import load_panel
from tests.builders.panels import make_panel


def _random_panel(seed: int, n_days: int, n_symbols: int) -> Panel:
    rng = np.random.default_rng(seed)
    opens = 50 * np.exp(np.cumsum(rng.normal(0, 0.02, (n_days, n_symbols)), axis=0))
    opens[rng.random(opens.shape) < 0.1] = np.nan  # days without a bar
    opens[:, 0] = np.round(opens[:, 0])  # ties
    return make_panel({f"S{j:02d}": list(opens[:, j]) for j in range(n_symbols)})


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    n_symbols=st.integers(2, 12),
    start=st.integers(0, 6),
    share_on=st.floats(0.0, 1.0),
)
def test_each_day_is_spearmans_correlation_of_the_signal_with_the_next_open_to_open_return(
    seed: int, n_symbols: int, start: int, share_on: float
) -> None:
    panel = _random_panel(seed, 30, n_symbols)
    signal = np.random.default_rng(seed + 1).random((30, n_symbols)) < share_on
    forward = ForwardRanks(panel, start)
    daily = forward.daily(signal)
    first = max(start - 1, 0)
    assert len(daily) == 30 - 2 - first
    opens = np.where(panel.tradable, panel.open, np.nan)
    for k, t in enumerate(range(first, 28)):
        returns = opens[t + 2] / opens[t + 1] - 1
        ok = np.isfinite(returns) & panel.tradable[t]
        on = signal[t, ok]
        if ok.sum() < MIN_SYMBOLS or on.all() or not on.any() or np.ptp(returns[ok]) == 0:
            assert daily[k] == 0.0
        else:
            expected = pd.Series(on.astype(float)).corr(pd.Series(returns[ok]), method="spearman")
            assert daily[k] == pytest.approx(expected, abs=1e-12)


def test_a_day_is_judged_by_the_two_opens_after_its_close_and_nothing_later() -> None:
    panel = _random_panel(3, 40, 8)
    signal = np.random.default_rng(4).random((40, 8)) < 0.4
    before = ForwardRanks(panel, 5).daily(signal)
    later = panel.open.copy()
    later[25:] *= np.random.default_rng(5).uniform(0.5, 2.0, later[25:].shape)  # days 25 on
    changed = dataclasses.replace(panel, open=later, high=np.fmax(later, panel.close))
    after = ForwardRanks(changed, 5).daily(signal)
    # Decision t reads the opens of t+1 and t+2: decisions up to day 22 are as they were.
    days = np.arange(4, 38)
    assert np.array_equal(before[days <= 22], after[days <= 22])
    assert not np.array_equal(before[days >= 23], after[days >= 23])


def test_a_rule_that_does_not_choose_among_symbols_scores_zero() -> None:
    panel = _random_panel(7, 60, 10)
    forward = ForwardRanks(panel, 10)
    timing = np.zeros((60, 10), dtype=bool)
    timing[::3] = True  # the same signal for every symbol: market timing
    assert not forward.daily(timing).any()
    assert forward.of(timing).mean == 0.0 and forward.of(timing).ir == 0.0
    assert forward.of(np.ones((60, 10), dtype=bool)).ir == 0.0


def test_holding_the_symbols_that_rise_next_scores_high_and_the_opposite_low() -> None:
    panel = _random_panel(11, 50, 9)
    opens = np.where(panel.tradable, panel.open, np.nan)
    ahead = np.full(opens.shape, np.nan)
    ahead[:-2] = np.where(panel.tradable[:-2], opens[2:] / opens[1:-1] - 1, np.nan)
    # On each day, on = the symbols whose return ahead beats the day's median: the IC is the
    # correlation of a step of the ranks, high but below 1 (ranks are not two-valued).
    ahead = ahead[:-2]  # the last two days have no return ahead
    median = np.nanmedian(ahead, axis=1, keepdims=True)
    foresight = np.zeros(opens.shape, dtype=bool)
    foresight[:-2] = np.nan_to_num(ahead) > median
    forward = ForwardRanks(panel, 1)
    good, bad = forward.of(foresight), forward.of(~foresight)
    assert good.mean > 0.8 and good.ir > 10
    assert bad.mean < -0.8 and bad.ir < -10


def test_the_rank_ic_score_on_real_data() -> None:
    config = load_config()
    panel, _ = load_panel(config.data, config.alpaca)
    window = build_windows(panel, config.windows, config.backtest)["train"]
    texts = ["true", "gt(benchmark, sma(benchmark, 50))", "lt(rank(change(close, 5)), 0.3)"]
    found = assess_texts(window.panel(panel), window, config.backtest, texts)
    evolve = dataclasses.replace(config.evolve, fitness_score="rank_ic")
    scores = {}
    for a in found:
        assert a.metrics is not None and a.rank_ic is not None
        record = Record(
            "",
            window.id,
            a.metrics.sharpe,
            a.metrics.n_trades,
            a.stored_metrics(),
            a.returns,
            a.descriptor,
            a.reason,
        )
        scores[a.text] = record.score(3, evolve)
        assert record.metrics["rank_ic_ir"] == a.rank_ic.ir
    # Always on, or timing the market with the benchmark: no choice among symbols, score 0
    # less parsimony (the always-on rule trades too little and scores as the worst).
    assert scores["true"] == WORST_FITNESS
    assert scores["gt(benchmark, sma(benchmark, 50))"] == pytest.approx(-3 * evolve.parsimony)
    short_reversal = found[2].rank_ic
    assert short_reversal is not None and math.isfinite(short_reversal.ir)
    assert short_reversal.ir != 0.0
    assert scores[texts[2]] == pytest.approx(short_reversal.ir - 3 * evolve.parsimony)
    # An evaluation stored before the rank IC was measured has none: it scores as failed.
    old = Record("", window.id, 1.0, 50, {"sharpe": 1.0}, None, None, None)
    assert old.score(3, evolve) == WORST_FITNESS
