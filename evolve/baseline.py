"""The baseline report: what buy-and-hold and a simple moving-average rule earn in each window.

Every strategy the lab breeds should beat these on the same window and costs. Both are
genomes, scored exactly as bred ones are.
"""

from __future__ import annotations

from configs import BacktestConfig
from fitness.buy_and_hold import BUY_AND_HOLD, buy_and_hold
from fitness.metrics import Metrics
from fitness.score import WindowScorer
from fitness.windows import Window
from genome.text import parse
from market.panel import Panel

__all__ = ["BUY_AND_HOLD", "SMA_RULE", "baseline_report"]

SMA_RULE = "gt(close, sma(close, 200))"


def baseline_report(
    panel: Panel, windows: dict[str, Window], rules: BacktestConfig
) -> list[tuple[Window, str, Metrics]]:
    """Per window: equal-weight buy-and-hold of the universe (one slot per symbol, entered when
    a symbol has data, never rebalanced), and `close > sma(close, 200)` with the configured
    `max_positions`."""
    rows: list[tuple[Window, str, Metrics]] = []
    for window in windows.values():
        held = buy_and_hold(panel, window, rules)
        rows.append((window, f"buy-and-hold ({panel.n_symbols} slots)", held.metrics))
        scored = WindowScorer(panel, window, rules).score(parse(SMA_RULE))
        rows.append((window, f"{SMA_RULE} ({rules.max_positions} slots)", scored.metrics))
    return rows
