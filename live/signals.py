"""Today's signals of the strategies, the market they were computed on, and their volatility
on the validation window (for inverse-volatility weights).

A signal for session s is computed from the bars up to the close before s only. Genome
evaluation is causal (a signal for day t uses data up to t; tests/genome prove it), so the
signals of a replay may be computed once over its whole data and read day by day:
`ReplaySignals.at(t)` equals `signals_at_close` on the data cut after day t, and a test holds
the two to it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import numpy as np

from configs import BacktestConfig, WindowsConfig
from genome.errors import GenomeError
from genome.evaluate import Evaluator
from genome.text import parse
from live.books import Market
from market.panel import Panel

__all__ = ["ReplaySignals", "market_at", "signals_at_close", "validation_volatility"]


def signals_at_close(panel: Panel, texts: dict[str, str]) -> dict[str, np.ndarray]:
    """Each strategy's signal (bool, (N,)) at the panel's last close, from its whole history."""
    evaluator = Evaluator(panel)
    return {gid: evaluator.signal(parse(text))[-1].copy() for gid, text in texts.items()}


class ReplaySignals:
    """The signals of every day of `panel`, computed once (for replaying it day by day)."""

    def __init__(self, panel: Panel, texts: dict[str, str]) -> None:
        evaluator = Evaluator(panel)
        self._signals = {gid: evaluator.signal(parse(text)) for gid, text in texts.items()}

    def at(self, day: int) -> dict[str, np.ndarray]:
        """Each strategy's signal, bool (symbols,), on `day`."""
        return {gid: signal[day] for gid, signal in self._signals.items()}

    def through(self, gid: str, day: int) -> np.ndarray:
        """Strategy `gid`'s signals of days 0..day, (day + 1, N)."""
        return self._signals[gid][: day + 1]


def market_at(
    panel: Panel, day: int, whole: Callable[[str], bool] = lambda symbol: False
) -> Market:
    """The market at the close of panel day `day`: latest closes, bars and dollar volume."""
    close = panel.close[: day + 1]
    seen = np.isfinite(close)
    # Each symbol's latest close up to `day` (NaN if it never had one).
    last = np.where(seen.any(axis=0), seen.shape[0] - 1 - np.argmax(seen[::-1], axis=0), -1)
    latest = np.where(last >= 0, close[np.maximum(last, 0), np.arange(close.shape[1])], np.nan)
    today = panel.close[day] * panel.volume[day]
    return Market(
        day=dt.date.fromisoformat(str(panel.dates[day])),
        symbols=panel.symbols,
        close=latest,
        has_bar=panel.tradable[day].copy(),
        dollar_volume=np.where(np.isfinite(today), today, 0.0),
        whole=whole,
    )


def validation_volatility(
    panel: Panel, windows: WindowsConfig, rules: BacktestConfig, texts: dict[str, str]
) -> dict[str, float]:
    """Each strategy's standard deviation of daily returns on the validation window (NaN for
    one that cannot be evaluated), for inverse-volatility weights."""
    from fitness.score import WindowScorer
    from fitness.windows import build_windows

    scorer = WindowScorer(panel, build_windows(panel, windows, rules)["validation"], rules)
    found: dict[str, float] = {}
    for gid, text in texts.items():
        try:
            returns = scorer.score(parse(text)).result.returns
            found[gid] = float(np.std(returns, ddof=1))
        except (GenomeError, ValueError, TypeError):
            found[gid] = float("nan")
    return found
