"""The rank information coefficient (rank IC) of a hold signal: does it pick, among the symbols
that trade, those that do better the next day?

For the decision at the close of day t the backtest fills at the open of t+1, so the return a
decision is answerable for is the one from the open of t+1 to the open of t+2. On each
decision day the rank IC is the Spearman correlation across symbols of the signal (on = 1, off
= 0) with those returns, among the symbols with a bar at the close of t and at both opens:

    IC_t = corr(signal_t, rank of (open_{t+2} / open_{t+1} - 1))     (ties: average ranks)

A day on which the signal does not tell symbols apart (every one on or every one off, or fewer
than MIN_SYMBOLS with a return) is a day without a cross-sectional bet: IC_t = 0. A rule that
only times the market (the same signal for every symbol) therefore has IC 0 every day, whatever
the market did; a rule is scored on choosing symbols, not on the period's direction or on the
names the slot rule fills first (`fitness.buy_and_hold`).

The rank IC reads prices of day t+2 to judge the decision of day t: it measures a decision
after the fact, as a backtest's returns do. The signal itself never sees them.

Figures: the mean daily IC, and its information ratio annualised like a Sharpe ratio (mean /
sample standard deviation x sqrt(252); 0 when the IC never varies).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from fitness.rank_ic_nb import daily_rank_ic_nb
from market.exchange import TRADING_DAYS
from market.panel import Panel

__all__ = ["MIN_SYMBOLS", "ForwardRanks", "RankIC"]

# Fewer symbols with a return than this on a day: no cross-sectional bet is measured.
MIN_SYMBOLS = 5


@dataclass(frozen=True)
class RankIC:
    """A signal's rank IC over a window's decision days."""

    mean: float  # mean daily IC
    ir: float  # annualised information ratio of the daily IC

    def as_dict(self) -> dict[str, float]:
        """The figures as research.db keeps them beside an evaluation's metrics."""
        return {"rank_ic": self.mean, "rank_ic_ir": self.ir}


class ForwardRanks:
    """The next-day return ranks of one window's data, computed once and shared by every
    genome scored on it.

    `start` is the window's first counted day: decisions from the close of `start - 1` on
    count, as in the backtest, up to the last one whose two opens are in the data.
    """

    def __init__(self, panel: Panel, start: int) -> None:
        if not 0 <= start <= panel.n_days:
            raise ValueError(f"start {start} is outside the panel's {panel.n_days} days")
        opens = np.where(panel.tradable, panel.open, np.nan)
        forward = np.full(opens.shape, np.nan)
        # Decision t, among the symbols with a bar at its close: open t+1 -> open t+2.
        forward[:-2] = np.where(panel.tradable[:-2], opens[2:] / opens[1:-1] - 1.0, np.nan)
        first = max(start - 1, 0)
        decisions = slice(first, max(first, panel.n_days - 2))
        ranks = pd.DataFrame(forward[decisions]).rank(axis=1, method="average").to_numpy()
        self.valid = np.isfinite(ranks)
        self.count = self.valid.sum(axis=1)
        enough = self.count >= MIN_SYMBOLS
        self.valid &= enough[:, None]
        self.count = np.where(enough, self.count, 0)
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = np.where(self.valid, ranks, 0.0).sum(axis=1) / self.count
        self.centred = np.where(self.valid, ranks - mean[:, None], 0.0)
        self.spread = np.sqrt((self.centred**2).sum(axis=1))
        self.decisions = decisions

    def daily(self, signal: np.ndarray) -> np.ndarray:
        """IC_t of each decision day for a (days x symbols) bool `signal` of the same data."""
        return daily_rank_ic_nb(
            np.ascontiguousarray(signal[self.decisions]),
            self.valid,
            self.centred,
            self.count,
            self.spread,
        )

    def of(self, signal: np.ndarray) -> RankIC:
        """The signal's mean rank IC and its annualised information ratio."""
        ic = self.daily(signal)
        if len(ic) < 2:
            return RankIC(0.0, 0.0)
        spread = float(np.std(ic, ddof=1))
        mean = float(np.mean(ic))
        ir = mean / spread * math.sqrt(TRADING_DAYS) if spread > 1e-12 else 0.0
        return RankIC(mean, ir)
