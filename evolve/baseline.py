"""The baseline report: what buy-and-hold and a simple moving-average rule earn in each window.

Every strategy the lab breeds should beat these on the same window and costs.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from configs import BacktestConfig
from fitness.backtest import backtest
from fitness.metrics import Metrics, compute_metrics
from fitness.panel import Panel
from fitness.windows import Window

__all__ = ["SMA_DAYS", "baseline_report"]

SMA_DAYS = 200


def baseline_report(
    panel: Panel, windows: dict[str, Window], rules: BacktestConfig
) -> list[tuple[Window, str, Metrics]]:
    """Per window: equal-weight buy-and-hold of the universe (one slot per symbol, entered when
    a symbol has data, never rebalanced), and `close > sma(close, 200)` with the configured
    `max_positions`."""
    everyone = dataclasses.replace(rules, max_positions=panel.n_symbols)
    rows: list[tuple[Window, str, Metrics]] = []
    for window in windows.values():
        data = window.panel(panel)
        has_data = np.isfinite(data.close)
        sma = pd.DataFrame(data.close).rolling(SMA_DAYS, min_periods=SMA_DAYS).mean().to_numpy()
        above = has_data & (data.close > np.nan_to_num(sma, nan=np.inf))
        for name, signal, account in (
            (f"buy-and-hold ({panel.n_symbols} slots)", has_data, everyone),
            (f"close > sma({SMA_DAYS}) ({rules.max_positions} slots)", above, rules),
        ):
            result = backtest(data, signal, account, start=window.warmup_days)
            rows.append((window, name, compute_metrics(result)))
    return rows
