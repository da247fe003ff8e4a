"""The lottery over folds: one change to the search is judged on many real periods, not on the
one holdout everybody has looked at.

A fold is a real universe (`bench.lottery.universes`: the bundled symbols, and the full data
set's other symbols) with one split of 2000-2017 into train, validation and holdout, in that
order. The splits' holdouts do not overlap: 2005-2006, 2009-2010, 2012-2013 and the default
windows' 2014-07..2017-04. On each fold the lottery (`bench.lottery.measure_universe`) runs its
nights and scores every candidate's holdout alpha against a crowd of random genomes.

A fold's noise is a bootstrap over its nights (nights drawn with replacement, their candidates
pooled): the 5 % to 95 % range of the median rank and of the bred-minus-random-search mean
holdout alpha, so that a difference between two settings can be called real or not. Across
folds: the median of the fold medians, and the worst fold.
"""

from __future__ import annotations

import itertools
import statistics
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from bench.lottery import UniverseFigures, measure_universe, summarise, universes
from bench.night_lab import NightSize

__all__ = ["PERIODS", "Period", "check", "measure", "noise", "table"]

BOOTSTRAP = 2000  # resamples of a fold's nights


@dataclass(frozen=True)
class Period:
    """A split of the data into train, validation and holdout ([first, last] each, in that
    order); `None` windows: the lab's defaults."""

    name: str
    windows: tuple[tuple[str, str], tuple[str, str], tuple[str, str]] | None

    def toml(self) -> str:
        """The `[windows]` section of a lab on this split ("" for the defaults)."""
        if self.windows is None:
            return ""
        train, validation, holdout = self.windows
        return (
            "\n[windows]\n"
            f"train = [{train[0]}, {train[1]}]\n"
            f"validation = [{validation[0]}, {validation[1]}]\n"
            f"holdout = [{holdout[0]}, {holdout[1]}]\n"
        )


# The first train starts once the 260 warm-up sessions of 2000 have passed.
PERIODS = (
    Period(
        "holdout 2005-06",
        (("2001-01-16", "2003-06-30"), ("2003-07-01", "2004-12-31"), ("2005-01-03", "2006-12-29")),
    ),
    Period(
        "holdout 2009-10",
        (("2002-01-02", "2005-12-30"), ("2006-01-03", "2008-12-31"), ("2009-01-02", "2010-12-31")),
    ),
    Period(
        "holdout 2012-13",
        (("2004-01-02", "2008-12-31"), ("2009-01-02", "2011-12-30"), ("2012-01-03", "2013-12-31")),
    ),
    Period("default (holdout 2014-07..2017-04)", None),
)


def check(periods: tuple[Period, ...]) -> None:
    """Refuse splits whose windows are out of order or whose holdouts overlap (a holdout seen
    by another fold's search would not be fresh to it).

    Raises:
        ValueError: naming the split.
    """
    holdouts = []
    for period in periods:
        if period.windows is None:
            holdouts.append(("2014-07-01", "2017-04-13"))  # configs/default.toml
            continue
        days = [day for window in period.windows for day in window]
        if days != sorted(days) or len(set(days)) != len(days):
            raise ValueError(f"{period.name}: train, validation and holdout are not in order")
        holdouts.append(period.windows[2])
    ordered = sorted(holdouts)
    for (_, end), (start, _) in itertools.pairwise(ordered):
        if start <= end:
            raise ValueError(f"holdouts overlap: one ends {end}, the next starts {start}")


def noise(figures: UniverseFigures, seed: int = 0) -> dict[str, Any]:
    """The 5 % and 95 % points of the median rank and of the bred-minus-random-search mean
    holdout alpha over `BOOTSTRAP` draws of the fold's nights (with replacement)."""
    nights = sorted({c.night for c in figures.candidates})
    if not nights:
        return {"median_rank_90": None, "bred_minus_random_90": None}
    ranks = {n: [c.holdout_rank for c in figures.candidates if c.night == n] for n in nights}
    alphas = {n: [c.alpha["holdout"] for c in figures.candidates if c.night == n] for n in nights}
    per_night_random = _per_night(figures)
    rng = np.random.default_rng(seed)
    medians, gaps = [], []
    for _ in range(BOOTSTRAP):
        drawn = rng.choice(nights, size=len(nights), replace=True)
        medians.append(float(np.median([r for n in drawn for r in ranks[n]])))
        bred = [a for n in drawn for a in alphas[n]]
        found = [a for n in drawn for a in per_night_random.get(n, [])]
        if bred and found:
            gaps.append(float(np.mean(bred) - np.mean(found)))
    return {
        "median_rank_90": [float(np.percentile(medians, 5)), float(np.percentile(medians, 95))],
        "bred_minus_random_90": (
            [float(np.percentile(gaps, 5)), float(np.percentile(gaps, 95))] if gaps else None
        ),
    }


def _per_night(figures: UniverseFigures) -> dict[int, list[float]]:
    # The random search's holdout alphas night by night (it keeps as many as each night bred).
    out: dict[int, list[float]] = {}
    kept = iter(figures.random_search_alpha)
    for night, count in zip(range(1, figures.nights + 1), figures.kept_per_night, strict=True):
        out[night] = [next(kept) for _ in range(count)]
    return out


def measure(
    full_data: Path | None,
    nights: int,
    size: NightSize,
    crowd: int,
    periods: tuple[Period, ...] = PERIODS,
    progress: Callable[[str], None] = print,
) -> dict[str, Any]:
    """The lottery on every fold (universe x period): each fold's summary and noise, then the
    median of the fold medians and the worst fold."""
    check(periods)
    folds = []
    for universe in universes(full_data):
        for period in periods:
            progress(f"fold {universe.name} / {period.name}")
            figures = measure_universe(universe, nights, size, crowd, progress, period.toml())
            summary = summarise(figures) | noise(figures)
            summary["period"] = period.name
            summary["bred"] = [asdict(c) for c in figures.candidates]
            folds.append(summary)
    medians = [f["median_rank"] for f in folds if f["median_rank"] is not None]
    beats = [
        f
        for f in folds
        if f["bred_mean_holdout_alpha"] is not None
        and f["random_search_mean_holdout_alpha"] is not None
        and f["bred_mean_holdout_alpha"] > f["random_search_mean_holdout_alpha"]
    ]
    return {
        "size": asdict(size),
        "crowd": crowd,
        "folds": folds,
        "median_of_fold_medians": statistics.median(medians) if medians else None,
        "worst_fold_median": min(medians) if medians else None,
        "folds_bred_above_random_search": len(beats),
    }


def table(report: dict[str, Any]) -> list[str]:
    """The folds as a Markdown table, then the figures across folds."""

    def number(value: float | None, digits: int = 2) -> str:
        return "-" if value is None else f"{value:.{digits}f}"

    def interval(pair: list[float] | None, digits: int) -> str:
        return "-" if pair is None else f"{pair[0]:.{digits}f} to {pair[1]:.{digits}f}"

    lines = [
        "| universe | period | nights | candidates | median rank (90 % over nights) | bred mean "
        "holdout alpha | random search | bred - random (90 %) | crowd median | always-on "
        "largest alpha |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for f in report["folds"]:
        lines.append(
            f"| {f['universe']} | {f['period']} | {f['nights']} | {f['candidates']} | "
            f"{number(f['median_rank'], 0)} ({interval(f['median_rank_90'], 0)}) | "
            f"{number(f['bred_mean_holdout_alpha'])} | "
            f"{number(f['random_search_mean_holdout_alpha'])} | "
            f"{interval(f['bred_minus_random_90'], 2)} | "
            f"{number(f['crowd_median_holdout_alpha'])} | "
            f"{number(f.get('always_on_largest_alpha'), 3)} |"
        )
    lines += [
        "",
        "What the bred candidates bet on (medians): their train alpha, and the annualised "
        "information ratio of their rank IC (choosing among symbols; 0 for market timing) in "
        "train and in the holdout:",
        "",
        "| universe | period | train alpha | train rank-IC IR | holdout rank-IC IR |",
        "|---|---|---|---|---|",
    ]
    for f in report["folds"]:
        ic = f.get("bred_rank_ic_ir") or {}
        train_alpha = [c["alpha"]["train"] for c in f.get("bred", [])]
        lines.append(
            f"| {f['universe']} | {f['period']} | "
            f"{number(statistics.median(train_alpha) if train_alpha else None)} | "
            f"{number(ic.get('train'))} | {number(ic.get('holdout'))} |"
        )
    lines += [
        "",
        f"median of the fold medians: {number(report['median_of_fold_medians'], 0)}; worst fold: "
        f"{number(report['worst_fold_median'], 0)}; bred above its random search on "
        f"{report['folds_bred_above_random_search']} of {len(report['folds'])} folds",
    ]
    return lines
