"""Equal-weight buy-and-hold of the whole universe: what a strategy must beat to be more than
the market's drift.

It is the genome `true` (hold everything that has a price) in an account with one slot per
symbol: each symbol is bought with an equal share of equity when it first has a bar in the
window (at the next open, with the same costs and settlement as any strategy) and never sold or
rebalanced.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from configs import BacktestConfig
from fitness.panel import Panel
from fitness.score import Scored, WindowScorer
from fitness.windows import Window
from genome.text import parse

__all__ = ["BUY_AND_HOLD", "beyond", "buy_and_hold"]

BUY_AND_HOLD = "true"


def buy_and_hold(panel: Panel, window: Window, rules: BacktestConfig) -> Scored:
    """Equal-weight buy-and-hold of every symbol of `panel` on `window` under `rules`' costs."""
    everyone = dataclasses.replace(rules, max_positions=panel.n_symbols)
    return WindowScorer(panel, window, everyone).score(parse(BUY_AND_HOLD))


def beyond(returns: np.ndarray, market: np.ndarray) -> tuple[float, np.ndarray]:
    """(beta, excess): the least-squares beta of daily `returns` on buy-and-hold's daily
    `market` returns (same days), and what is left beyond it, `returns - beta x market` (exact
    zeros when that is only rounding: `returns` a multiple of `market`)."""
    spread = float(np.var(market, ddof=1)) if len(market) > 1 else 0.0
    beta = float(np.cov(returns, market, ddof=1)[0, 1]) / spread if spread > 0 else 0.0
    excess = returns - beta * market
    if np.max(np.abs(excess), initial=0.0) <= 1e-12 * np.max(np.abs(returns), initial=0.0):
        return beta, np.zeros_like(excess)
    return beta, excess
