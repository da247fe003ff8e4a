"""Equal-weight buy-and-hold of the whole universe: what a strategy must beat to be more than
the market's drift.

It is the genome `true` (hold everything that has a price) in an account with one slot per
symbol: each symbol is bought with an equal share of equity when it first has a bar in the
window (at the next open, with the same costs and settlement as any strategy) and never sold or
rebalanced.
"""

from __future__ import annotations

import dataclasses

from configs import BacktestConfig
from fitness.panel import Panel
from fitness.score import Scored, WindowScorer
from fitness.windows import Window
from genome.text import parse

__all__ = ["BUY_AND_HOLD", "buy_and_hold"]

BUY_AND_HOLD = "true"


def buy_and_hold(panel: Panel, window: Window, rules: BacktestConfig) -> Scored:
    """Equal-weight buy-and-hold of every symbol of `panel` on `window` under `rules`' costs."""
    everyone = dataclasses.replace(rules, max_positions=panel.n_symbols)
    return WindowScorer(panel, window, everyone).score(parse(BUY_AND_HOLD))
