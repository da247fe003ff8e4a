"""The review chart: a candidate's equity and drawdown against equal-weight buy-and-hold of the
universe, on the validation window (matplotlib, no display needed)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import IO

import numpy as np

__all__ = ["MARKET", "drawdown", "review_chart"]

MARKET = "buy-and-hold of the universe"


def drawdown(equity: np.ndarray) -> np.ndarray:
    """The fall from the running peak at each day (0.1 = 10 % below the peak)."""
    return 1.0 - equity / np.maximum.accumulate(equity)


def review_chart(
    path: Path | IO[bytes],
    title: str,
    dates: np.ndarray,
    curves: Sequence[tuple[str, np.ndarray]],
    window_text: str,
    image_format: str | None = None,
    size: tuple[float, float] = (9, 6),
) -> Path | IO[bytes]:
    """Write the chart to `path` (a file, whose suffix names the format, or a binary stream
    with `image_format`, e.g. "svg" for the dashboard), `size` inches wide and tall. `curves`
    are (name, equity) on `dates`: the strategy or account first (its drawdown shaded), then
    buy-and-hold of the universe, then any other benchmark; each scaled to start at 1."""
    from matplotlib.dates import AutoDateLocator, ConciseDateFormatter
    from matplotlib.figure import Figure  # no pyplot: no global state, safe in threads

    days = dates.astype("datetime64[D]").astype(object)
    (label, equity), (market_label, benchmark), *more = curves
    strategy, market = equity / equity[0], benchmark / benchmark[0]
    figure = Figure(figsize=size)
    top, bottom = figure.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": [2, 1]})
    top.plot(days, strategy, label=label, color="tab:blue")
    top.plot(days, market, label=market_label, color="tab:gray")
    for name, values in more:
        top.plot(days, values / values[0], label=name, color="tab:orange", linewidth=0.9)
    top.set_ylabel("equity (start = 1)")
    top.legend(loc="upper left")
    top.set_title(title, fontsize=10, wrap=True)
    bottom.fill_between(days, -100 * drawdown(strategy), color="tab:blue", alpha=0.4)
    bottom.plot(days, -100 * drawdown(market), color="tab:gray", linewidth=0.8)
    bottom.set_ylabel("drawdown (%)")
    bottom.set_xlabel(f"{window_text}; after costs").set_wrap(True)
    locator = AutoDateLocator(maxticks=7)
    bottom.xaxis.set_major_locator(locator)
    bottom.xaxis.set_major_formatter(ConciseDateFormatter(locator))
    figure.tight_layout()
    if isinstance(path, Path):
        path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=100, format=image_format)
    return path
