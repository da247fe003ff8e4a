"""What the account holds anyway: the passive portfolios a strategy must beat to be more than
the market's drift or its own slot rule's tilt.

- **Equal-weight buy-and-hold of the universe**: the genome `true` (hold everything that has a
  price) in an account with one slot per symbol: each symbol is bought with an equal share of
  equity when it first has a bar in the window (at the next open, with the same costs and
  settlement as any strategy) and never sold or rebalanced.
- **Buy-and-hold in the account's slots**: the same always-on genome with the account's own
  `max_positions`, priority and costs. A rule that is on almost always holds what this holds
  (the most liquid names first), so alpha beyond the universe alone would pay it for that size
  tilt; alpha beyond both pays only for what the rule chooses.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from configs import BacktestConfig
from fitness.score import Scored, WindowScorer
from fitness.windows import Window
from genome.text import parse
from market.panel import Panel

__all__ = ["BUY_AND_HOLD", "beyond", "buy_and_hold", "held_anyway", "in_slots", "tilt_unpaid"]

BUY_AND_HOLD = "true"


def buy_and_hold(panel: Panel, window: Window, rules: BacktestConfig) -> Scored:
    """Equal-weight buy-and-hold of every symbol of `panel` on `window` under `rules`' costs."""
    everyone = dataclasses.replace(rules, max_positions=panel.n_symbols)
    return WindowScorer(panel, window, everyone).score(parse(BUY_AND_HOLD))


def in_slots(panel: Panel, window: Window, rules: BacktestConfig) -> Scored:
    """The always-on rule in the account's own slots, priority and costs (`rules`)."""
    return WindowScorer(panel, window, rules).score(parse(BUY_AND_HOLD))


def held_anyway(panel: Panel, window: Window, rules: BacktestConfig) -> np.ndarray:
    """Daily returns (days x 2) on `window`'s days of buy-and-hold of the universe and of
    buy-and-hold in the account's slots."""
    universe = buy_and_hold(panel, window, rules).result.returns
    slots = in_slots(panel, window, rules).result.returns
    return np.column_stack([universe, slots])


def beyond(returns: np.ndarray, held: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(betas, excess): the least-squares betas (with an intercept) of daily `returns` on the
    daily returns of what is held anyway (`held`: days, or days x portfolios, same days), and
    what is left beyond them, `returns - held @ betas`: the intercept (alpha) plus noise. Exact
    zeros when that is only rounding (`returns` a combination of the held portfolios)."""
    x = np.asarray(held, dtype=np.float64)
    x = x.reshape(len(x), -1)
    r = np.asarray(returns, dtype=np.float64)
    betas = np.zeros(x.shape[1])
    if len(r) > 1:
        centred = x - x.mean(axis=0)
        if np.any(centred):
            betas = np.linalg.lstsq(centred, r - r.mean(), rcond=None)[0]
    excess = r - x @ betas
    if np.max(np.abs(excess), initial=0.0) <= 1e-12 * np.max(np.abs(r), initial=0.0):
        return betas, np.zeros_like(excess)
    return betas, excess


def tilt_unpaid(returns: np.ndarray, held: np.ndarray, blocks: int) -> np.ndarray:
    """Daily `returns` beyond buy-and-hold of the universe (`held[:, 0]`), less what their
    loading on the slot rule's tilt (buy-and-hold in the slots, `held[:, 1]`, beyond the
    universe) earned on average in each of `blocks` equal blocks: the tilt's payoff is not paid
    for, but its day-to-day moves stay in the returns (regressing them out as well makes every
    rule that holds the slots' names look steadier than it is). The always-on rule is left with
    a mean of 0 in every block."""
    _, own = beyond(returns, held[:, 0])
    _, tilt = beyond(held[:, 1], held[:, 0])
    spread = float(np.var(tilt, ddof=1)) if len(tilt) > 1 else 0.0
    loading = float(np.cov(own, tilt, ddof=1)[0, 1]) / spread if spread > 0 else 0.0
    payoff = np.concatenate([np.full(len(p), p.mean()) for p in np.array_split(tilt, blocks)])
    return own - loading * payoff
