"""The page's charts: drawn by the command line's own functions, sized for a phone.

A chart is an SVG 480 px wide whose text is SVG text (not glyph outlines) of at least 10 pt,
10 px or more on a 390 px screen where it is drawn 370 px wide, and whose curves keep at most
`POINTS` points: in each slice of the days, the lowest and highest value of each curve (the
outline the eye sees, drawdowns included). That keeps each chart under `MAX_BYTES`.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Sequence
from typing import IO, Any

import matplotlib
import numpy as np

from evolve.status import History

__all__ = ["EVENT_SLICES", "MAX_BYTES", "POINTS", "TALL", "WIDE", "svg", "thin", "thin_history"]

POINTS = 400
EVENT_SLICES = 100  # at most one inject and one restart drawn in each 1/100 of the x axis
MAX_BYTES = 60_000
WIDE = (5.0, 4.2)  # inches: equity and drawdown
TALL = (5.0, 6.0)  # the lineage's three panels
_STYLE: dict[Any, Any] = {
    "svg.fonttype": "none",
    "svg.hashsalt": "gplab",  # the same chart, the same bytes
    "font.sans-serif": ["DejaVu Sans"],  # one name in each text's style, not eleven
    "font.size": 12,
    "axes.titlesize": 11,
    "legend.fontsize": 10,
    "xtick.labelsize": 10,
    "ytick.labelsize": 10,
}


def svg(draw: Callable[[IO[bytes]], Any]) -> bytes:
    """The SVG that `draw(stream)` writes, in the page's style, its paths' coordinates rounded
    to 0.1 pt (a seventh of a pixel)."""
    image = io.BytesIO()
    with matplotlib.rc_context(_STYLE):
        draw(image)
    text = image.getvalue().decode()
    return _PATH.sub(lambda m: _DECIMALS.sub(r"\1", m.group(0)), text).encode()


_PATH = re.compile(r' (?:d|x|y)="[^"]*"')
_DECIMALS = re.compile(r"(\.\d)\d+")


def thin(series: Sequence[Sequence[float] | np.ndarray], points: int = POINTS) -> np.ndarray:
    """The indices of the points to draw of curves that share their x: all of them when there
    are at most `points`, else the first and last and, in each of `points / (2 x curves)`
    slices, where each curve is lowest and highest (NaN ignored)."""
    values = [np.asarray(s, dtype=np.float64) for s in series]
    n = len(values[0])
    if n <= points:
        return np.arange(n)
    keep = {0, n - 1}
    slices = max(1, points // (2 * len(values)))
    for start, stop in zip(*_bounds(n, slices), strict=True):
        for curve in values:
            part = curve[start:stop]
            if np.isfinite(part).any():
                keep.add(start + int(np.nanargmin(part)))
                keep.add(start + int(np.nanargmax(part)))
    return np.array(sorted(keep))


def _bounds(n: int, slices: int) -> tuple[np.ndarray, np.ndarray]:
    edges = np.linspace(0, n, slices + 1).astype(int)
    return edges[:-1], edges[1:]


def thin_history(history: History, points: int = POINTS) -> History:
    """`history` with at most about `points` generations (`thin`), and of its stagnation events
    the first of each kind in each of `EVENT_SLICES` slices of the generations."""
    keep = thin([history.best, history.median, history.diversity, history.archive], points)
    first, last = history.number[0], history.number[-1]
    width = max(1, last - first + 1) / EVENT_SLICES
    events: dict[tuple[int, str], tuple[int, str]] = {}
    for number, action in history.events:
        events.setdefault((int((number - first) // width), action), (number, action))
    return History(
        number=[history.number[i] for i in keep],
        best=[history.best[i] for i in keep],
        median=[history.median[i] for i in keep],
        diversity=[history.diversity[i] for i in keep],
        archive=[history.archive[i] for i in keep],
        events=list(events.values()),
    )
