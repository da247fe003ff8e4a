"""No look-ahead in live trading: the signals a session is planned from use the bars up to the
close before it, whether computed on the day (a real account) or read from a replay."""

from __future__ import annotations

import numpy as np
import pytest

from live.signals import ReplaySignals, market_at, signals_at_close
from market.panel import Panel

GENOMES = {
    "trend": "gt(ema(close, 20), sma(close, 100))",  # ema: memory of the whole history
    "dip": "lt(rsi(close, 14), 30)",
    "rank": "gt(rank(change(close, 20)), 0.8)",
}


@pytest.mark.parametrize("back", [1, 2, 17, 250, 1000])
def test_the_replay_sees_what_the_day_saw(panel: Panel, back: int) -> None:
    replay = ReplaySignals(panel, GENOMES)
    day = panel.n_days - back
    on_the_day = signals_at_close(panel.days(0, day + 1), GENOMES)
    for gid, signal in replay.at(day).items():
        assert np.array_equal(signal, on_the_day[gid]), gid


def test_later_bars_never_change_a_days_signal(panel: Panel) -> None:
    day = panel.n_days - 300
    before = signals_at_close(panel.days(0, day + 1), GENOMES)
    # Wreck every bar after `day`: the signals at `day` cannot move.
    later = np.arange(panel.n_days)[:, None] > day

    def wreck(array: np.ndarray) -> np.ndarray:
        return np.where(later, array * 3.0, array)

    wrecked = Panel(
        panel.dates,
        panel.symbols,
        open=wreck(panel.open),
        high=wreck(panel.high),
        low=wreck(panel.low),
        close=wreck(panel.close),
        volume=wreck(panel.volume),
        tradable=panel.tradable,
    )
    after = ReplaySignals(wrecked, GENOMES).at(day)
    for gid in GENOMES:
        assert np.array_equal(before[gid], after[gid]), gid


def test_the_market_of_a_day(panel: Panel) -> None:
    day = panel.n_days - 1
    market = market_at(panel, day)
    assert str(market.day) == str(panel.dates[day])
    traded = panel.tradable[day]
    assert np.array_equal(market.has_bar, traded)
    assert np.allclose(market.close[traded], panel.close[day][traded])
    # A symbol without a bar that day keeps its latest close.
    for j in np.flatnonzero(~traded & np.isfinite(panel.close[:day]).any(axis=0)):
        seen = np.flatnonzero(np.isfinite(panel.close[: day + 1, j]))
        assert market.close[j] == panel.close[seen[-1], j]
    assert (market.dollar_volume >= 0).all()
