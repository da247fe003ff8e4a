"""What `evolve nightly` shows: a progress bar on a terminal (a log line per generation
otherwise, as under systemd), and the summary at the end."""

from __future__ import annotations

import logging
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO

import click

from configs import LabConfig
from evolve.engine import GenerationReport
from evolve.nightly import Progress
from evolve.reports import costs_line
from evolve.run_summary import NewCandidate, RunSummary
from store import sqlite_path

__all__ = [
    "disk_low",
    "memory_low",
    "next_step",
    "night_summary",
    "night_verdict",
    "progress_printer",
]

log = logging.getLogger("evolve.nightly")


@contextmanager
def progress_printer(
    stream: TextIO, generations: int | None, budget_seconds: float
) -> Iterator[Progress]:
    """A progress callback: a bar over the generations (or the time budget) on a terminal,
    one log line per generation elsewhere."""
    if not stream.isatty():

        def line(report: GenerationReport, elapsed: float) -> None:
            log.info("%s (%.0fs)", _generation_line(report), elapsed)

        yield line
        return
    length = generations if generations else int(budget_seconds)
    with click.progressbar(
        length=length, label="evolving", file=stream, show_eta=True, show_pos=bool(generations)
    ) as bar:
        done = [0]

        def advance(report: GenerationReport, elapsed: float) -> None:
            step = 1 if generations else int(min(elapsed, budget_seconds)) - done[0]
            done[0] += step
            bar.label = _generation_line(report)
            bar.update(step)

        yield advance


def _generation_line(report: GenerationReport) -> str:
    event = f" {report.event.action}" if report.event else ""
    return (
        f"generation {report.number}: best {report.best_fitness:.3f} median "
        f"{report.median_fitness:.3f} unique {report.unique_genomes}{event}"
    )


def night_summary(summary: RunSummary, config: LabConfig) -> str:
    """The night as the command prints it: windows, costs, generations, evaluations, candidates and
    the gate."""
    lines = [f"run {summary.run_id}"]
    if summary.data_warning:
        lines.append(f"warning: {summary.data_warning}")
    if summary.backup_skipped:
        lines.append(f"warning: {summary.backup_skipped}")
    lines += [f"window {name}: {text}" for name, text in summary.windows.items()]
    lines.append(costs_line(config.backtest))
    best = "-" if summary.best_fitness is None else f"{summary.best_fitness:.3f}"
    lines += [
        f"re-scored living genomes: {summary.rescored}",
        f"generations: {summary.generations} (last {summary.last_generation}"
        + (f", stopped by {summary.stopped_by})" if summary.stopped_by else ")"),
        f"evaluations: {summary.evaluations} new, {summary.cache_hits} from the cache "
        f"(hit rate {summary.hit_rate:.0%}), {summary.failures} failed",
        f"trials on the train window so far: {summary.trials}",
        f"best fitness (train): {best}",
        f"stagnation events: {len(summary.stagnation_events)}",
    ]
    lines += [f"  {event}" for event in summary.stagnation_events]
    if summary.pruned_evaluations:
        lines.append(
            f"pruned: {summary.pruned_evaluations} evaluations of genomes that died "
            f"(store.prune_every = {config.store.prune_every})"
        )
    lines.append(f"new candidates: {len(summary.candidates)} (metrics on the train window)")
    lines += [_candidate_line(c) for c in summary.candidates]
    if summary.refined:
        lines.append(f"refined candidates: {len(summary.refined)}")
        lines += [_candidate_line(c) + f" <- {c.parent}" for c in summary.refined]
    lines += summary.gate
    memory = summary.peak_memory_mb
    lines.append(
        f"time: {summary.seconds or 0:.0f}s  peak memory: {memory.get('all_processes', 0):.0f} MB "
        f"all processes ({memory.get('main', 0):.0f} MB main)"
    )
    return "\n".join(lines)


def night_verdict(summary: RunSummary, waiting: int) -> str:
    """The night in one line, its verdict first (an alert's title and first line)."""
    found = len(summary.candidates) + len(summary.refined)
    verdict = (
        f"{waiting} candidate(s) await your review"
        if waiting
        else ("nothing passed the gate" if found else "no new candidate")
    )
    return (
        f"night {summary.run_id}: {verdict} ({found} new, {summary.generations} generations "
        f"in {summary.minutes or 0:.0f} min)"
    )


def next_step(summary: RunSummary, waiting: int) -> str:
    """What to do after the night, in one or two lines: review what awaits it, else where to
    look (nothing passing is the usual night on real data)."""
    if waiting:
        return (
            f"next: {waiting} candidate(s) passed the gate and await your review: `promote review` "
            "(or the Review page of `live dashboard`)"
        )
    found = (
        "nothing passed the gate, as on most nights with real data"
        if summary.candidates or summary.refined
        else "no new candidate tonight"
    )
    return (
        f"next: {found}; the next night goes on from here.\n"
        "      Why each failed: `promote show N`; the search: `evolve report --out lineage.png`; "
        "the page: `live dashboard`"
    )


def _candidate_line(c: NewCandidate) -> str:
    fitness = "-" if c.fitness is None else f"{c.fitness:.3f}"
    sharpe = "-" if c.sharpe is None else f"{c.sharpe:.2f}"
    return (
        f"  candidate {c.number} {c.genome_id[:12]} fitness {fitness} sharpe {sharpe} "
        f"trades {c.n_trades}  {c.text}"
    )


def disk_low(db_url: str, min_free_mb: int) -> str | None:
    """What is wrong when the disk of research.db (SQLite; the working folder otherwise) has
    less than `min_free_mb` free, else None."""
    path = sqlite_path(db_url)
    folder = (path.parent if path is not None else Path()).resolve()
    while not folder.exists():
        folder = folder.parent
    free = shutil.disk_usage(folder).free / 2**20
    if free >= min_free_mb:
        return None
    return f"{free:.0f} MB free on the disk of {folder} (store.min_free_mb = {min_free_mb})"


def memory_low(min_free_mb: int) -> str | None:
    """What is wrong when the machine has less than `min_free_mb` of memory available, else
    None."""
    import psutil

    available = psutil.virtual_memory().available / 2**20
    if available >= min_free_mb:
        return None
    return (
        f"{available:.0f} MB of memory available as the night starts "
        f"(evolve.min_free_memory_mb = {min_free_mb}); fewer evolve.workers need less"
    )
