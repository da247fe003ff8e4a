"""`evolve status` and the data behind `evolve report`: read-only views of the lineage."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from configs.output import shown
from evolve.run_summary import stored_summary
from store.models import (
    Candidate,
    Generation,
    Genome,
    HallOfFameEntry,
    Run,
    StagnationEvent,
    TrialCount,
    WindowRecord,
)

__all__ = ["History", "history", "status_text"]


def status_text(session: Session, runs: int = 5) -> str:
    """The recent runs, the trials per window and the hall of fame, as text."""
    lines = ["recent runs:"]
    recent = session.scalars(select(Run).order_by(Run.id.desc()).limit(runs)).all()
    if not recent:
        lines.append("  none yet: run `evolve nightly --discovery`")
    for run in recent:
        summary = stored_summary(session, run)
        kind = "discovery" if run.discovery else "re-score"
        unreadable = f"; unreadable: {', '.join(summary.unreadable)}" if summary.unreadable else ""
        found = ", ".join(str(n) for n in summary.found) or "none"
        lines.append(
            f"  run {run.id} {kind} {run.status} started {run.started_at:%Y-%m-%d %H:%M} UTC "
            f"seed {run.seed} generations {summary.generations} "
            f"evaluations {summary.evaluations} candidates {found} "
            f"({summary.seconds or 0:.0f}s, code {run.code_version}{unreadable})"
        )
    last = session.scalars(select(Generation).order_by(Generation.number.desc()).limit(1)).first()
    if last is not None:
        window = session.get(WindowRecord, last.train_window_id)
        lines += [
            f"population: generation {last.number}, {last.unique_genomes} distinct genomes, "
            f"best fitness {last.best_fitness:.3f}, median {last.median_fitness:.3f} "
            f"(train window {window.first_day}..{window.last_day}, id {window.id[:12]})"
            if window
            else f"population: generation {last.number}",
            f"archive: {last.archive_size} members, threshold {last.archive_threshold:.3f}",
            f"stagnation: {last.stagnant_for} generation(s) without improvement"
            + (" (injected, a restart is next)" if last.injected else ""),
        ]
    lines.append("trials per window:")
    for trials, window in session.execute(
        select(TrialCount, WindowRecord).join(WindowRecord, WindowRecord.id == TrialCount.window_id)
    ):
        lines.append(
            f"  {window.name} {window.first_day}..{window.last_day} (id {window.id[:12]}): "
            f"{trials.trials} trials"
        )
    lines.append("hall of fame (best 5 by score on the train window):")
    for fame, genome in session.execute(
        select(HallOfFameEntry, Genome)
        .join(Genome, Genome.id == HallOfFameEntry.genome_id)
        .order_by(HallOfFameEntry.score.desc())
        .limit(5)
    ):
        lines.append(f"  {fame.score:.3f} {genome.id[:12]} {shown(genome.text)}")
    counts = session.execute(
        select(Candidate.status, func.count()).group_by(Candidate.status)
    ).all()
    lines.append(
        "candidates: " + (", ".join(f"{n} {status}" for status, n in counts) if counts else "none")
    )
    return "\n".join(lines)


@dataclass(frozen=True)
class History:
    """The generations of all runs as columns, for the progress charts."""

    number: list[int]
    best: list[float]
    median: list[float]
    diversity: list[float]
    archive: list[int]
    events: list[tuple[int, str]]


def history(session: Session) -> History:
    """Every generation's best and median fitness, diversity and archive size, and the restarts."""
    generations = session.scalars(select(Generation).order_by(Generation.number)).all()
    events = session.execute(
        select(StagnationEvent.generation, StagnationEvent.action).order_by(
            StagnationEvent.generation
        )
    ).all()
    return History(
        [g.number for g in generations],
        [g.best_fitness for g in generations],
        [g.median_fitness for g in generations],
        [g.diversity for g in generations],
        [g.archive_size for g in generations],
        [(int(n), str(a)) for n, a in events],
    )
