"""`evolve report`: the lineage as a PNG (matplotlib, no display needed)."""

from __future__ import annotations

from pathlib import Path
from typing import IO

from evolve.status import History
from fitness.portfolio import WORST_FITNESS

__all__ = ["lineage_chart"]


def lineage_chart(
    history: History, path: Path | IO[bytes], image_format: str | None = None
) -> Path | IO[bytes]:
    """Best and median fitness, diversity and archive size per generation, with stagnation
    events marked (inject dashed, restart solid). Fitness at the floor (no feasible genome) is
    drawn as a gap. Written to `path` (a file, whose suffix names the format, or a binary
    stream with `image_format`, e.g. "svg" for the dashboard)."""
    from matplotlib.figure import Figure  # no pyplot: no global state, safe in threads

    def floor_gap(values: list[float]) -> list[float]:
        return [v if v > WORST_FITNESS else float("nan") for v in values]

    figure = Figure(figsize=(9, 8))
    top, middle, bottom = figure.subplots(3, 1, sharex=True)
    x = history.number
    # A line needs two points: the few generations of a first night are drawn as dots too.
    dots = {"marker": "o", "markersize": 4} if len(x) < 20 else {}
    top.plot(x, floor_gap(history.best), label="best fitness", **dots)
    top.plot(x, floor_gap(history.median), label="median fitness", **dots)
    top.set_ylabel("fitness (train window)")
    top.legend(loc="lower right")
    middle.plot(x, history.diversity, color="tab:green", **dots)
    middle.set_ylabel("diversity\n(mean behaviour distance)")
    bottom.plot(x, history.archive, color="tab:purple", **dots)
    bottom.set_ylabel("novelty archive size")
    bottom.set_xlabel("generation")
    for axis in (top, middle, bottom):
        for number, action in history.events:
            axis.axvline(
                number,
                color="tab:red",
                linestyle="--" if action == "inject" else "-",
                linewidth=0.8,
            )
    top.set_title("Lineage (red: stagnation events, dashed inject, solid restart)")
    figure.tight_layout()
    if isinstance(path, Path):
        path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=100, format=image_format)
    return path
