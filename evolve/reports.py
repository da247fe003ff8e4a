"""Text the `evolve` commands print: data summaries and metric tables."""

from __future__ import annotations

import math

from configs import BacktestConfig
from fitness.metrics import Metrics
from fitness.windows import Window
from market.exchange import TRADING_DAYS
from market.panel import Panel
from market.problems import DataReport

__all__ = ["costs_line", "data_summary", "metrics_table"]


def data_summary(panel: Panel, report: DataReport, examples: int | None) -> str:
    """Source, shape, dates, fingerprint, notes and problems; `examples` findings per check
    (None: all of them, 0: counts only)."""
    lines = [
        f"source: {report.source}",
        f"rows: {report.rows}  symbols: {panel.n_symbols}  sessions: {panel.n_days}  "
        f"dates: {panel.dates[0]}..{panel.dates[-1]}",
        f"fingerprint: {panel.fingerprint}",
    ]
    lines += [f"note: {note}" for note in report.notes]
    lines += [f"dropped: {symbol} ({why})" for symbol, why in sorted(report.dropped.items())]
    for severity in ("error", "warning"):
        found = report.errors if severity == "error" else report.warnings
        if not found:
            continue
        lines.append(f"{severity}s: {len(found)}")
        lines += [f"  {line}" for line in report.summary_lines(severity, examples=examples)]
    return "\n".join(lines)


_COLUMNS = (
    ("sharpe", "sharpe", "{:.2f}"),
    ("sortino", "sortino", "{:.2f}"),
    ("cagr", "cagr", "{:.1%}"),
    ("max_dd", "max_drawdown", "{:.1%}"),
    ("calmar", "calmar", "{:.2f}"),
    ("trades", "n_trades", "{:d}"),
    ("win", "win_rate", "{:.0%}"),
    ("hold_d", "avg_holding_days", "{:.0f}"),
    ("turnover", "turnover", "{:.2f}"),
    ("exposure", "exposure", "{:.0%}"),
)


def costs_line(rules: BacktestConfig) -> str:
    """The costs and account rules behind every figure, as one line."""
    shares = "fractional" if rules.fractional else "whole"
    return (
        f"costs: {rules.costs_text()}; {shares} shares; {rules.max_positions} slots; initial "
        f"cash {rules.initial_cash:,.0f}; metrics after costs, annualised over {TRADING_DAYS} days"
    )


def metrics_table(rows: list[tuple[Window, str, Metrics]]) -> str:
    """Metrics grouped by window, each window named with its dates, length and id."""
    width = max(len(label) for _, label, _ in rows)
    header = f"  {'strategy':<{width}}" + "".join(f" {name:>9}" for name, _, _ in _COLUMNS)
    lines: list[str] = []
    current = None
    for window, label, metrics in rows:
        if window is not current:
            current = window
            lines += ["", f"window {window.describe()}", header]
        values = metrics.as_dict()
        cells = "".join(f" {_cell(fmt, values[key]):>9}" for _, key, fmt in _COLUMNS)
        lines.append(f"  {label:<{width}}{cells}")
    return "\n".join(lines)


def _cell(fmt: str, value: float | int) -> str:
    if isinstance(value, float) and math.isinf(value):
        return "inf"
    return fmt.format(value)
