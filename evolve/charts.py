"""`evolve report`: the lineage as a PNG (matplotlib, no display needed)."""

from __future__ import annotations

from pathlib import Path
from typing import IO

from evolve.status import History
from fitness.portfolio import WORST_FITNESS

__all__ = ["lineage_chart"]

_EVENT_LINES = 30  # more stagnation events than this are drawn as ticks, not lines


def lineage_chart(
    history: History,
    path: Path | IO[bytes],
    image_format: str | None = None,
    size: tuple[float, float] = (9, 8),
) -> Path | IO[bytes]:
    """Best and median fitness, diversity and archive size per generation, with stagnation
    events marked (inject dashed, restart solid). Fitness at the floor (no feasible genome) is
    drawn as a gap. Written to `path` (a file, whose suffix names the format, or a binary
    stream with `image_format`, e.g. "svg" for the dashboard), `size` inches wide and tall."""
    from matplotlib.figure import Figure  # no pyplot: no global state, safe in threads

    def floor_gap(values: list[float]) -> list[float]:
        return [v if v > WORST_FITNESS else float("nan") for v in values]

    figure = Figure(figsize=size)
    top, middle, bottom = figure.subplots(3, 1, sharex=True)
    x = history.number
    # A line needs two points: the few generations of a first night are drawn as dots too.
    dots = {"marker": "o", "markersize": 4} if len(x) < 20 else {}
    top.plot(x, floor_gap(history.best), label="best fitness", **dots)
    top.plot(x, floor_gap(history.median), label="median fitness", **dots)
    top.set_ylabel("fitness\n(train window)")
    top.legend(loc="lower right")
    middle.plot(x, history.diversity, color="tab:green", **dots)
    middle.set_ylabel("diversity\n(behaviour)")
    bottom.plot(x, history.archive, color="tab:purple", **dots)
    bottom.set_ylabel("novelty\narchive")
    bottom.set_xlabel("generation")
    restarts = [n for n, action in history.events if action != "inject"]
    injects = [n for n, action in history.events if action == "inject"]
    if len(history.events) <= _EVENT_LINES:
        for axis in (top, middle, bottom):
            for numbers, style in ((injects, "--"), (restarts, "-")):
                for number in numbers:
                    axis.axvline(number, color="tab:red", linestyle=style, linewidth=0.8)
    else:  # hundreds of lines would hide the curves: a tick on the top edge for each event
        edge = top.get_xaxis_transform()  # x in generations, y in the panel's height
        for numbers, length in ((injects, 4), (restarts, 9)):
            top.plot(numbers, [1.0] * len(numbers), "|", color="tab:red", ms=length, transform=edge)
    top.set_title(
        "Lineage; red: stagnation events, dashed inject, solid restart"
        if len(history.events) <= _EVENT_LINES
        else "Lineage; red ticks: stagnation events, short inject, long restart",
        wrap=True,
    )
    figure.tight_layout()
    if isinstance(path, Path):
        path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=100, format=image_format)
    return path
