"""Retention: what research.db keeps, so that a year of nights fits on a Pi's card.

A night assesses hundreds of thousands of genomes; each evaluation row (metrics, daily return
series, behaviour descriptor) and genome row takes about 5 KB. Almost all of them die within a
few generations. So:

- kept forever: runs, generations and their statistics, stagnation events, panels, windows,
  trial counts (every trial's share of a window's count and Sharpe moments), candidates, and
  every promotion and live record;
- kept while alive: a genome and its evaluations on the current data's windows (those of the
  newest run's panel), while it is in the newest population, the novelty archive, the hall of
  fame, a candidate (of any status), a live book, or the reference of a run that may still be
  resumed; a candidate also keeps its evaluation on the window it was found on;
- pruned: every other genome and evaluation (new data makes new windows, and the living are
  scored again on them), and the population of earlier generations (the next night continues
  from the newest).

A pruned genome that evolution meets again is assessed again: assessment is deterministic, so
it gets the same metrics and the same return series, and the lineage bred is the same with or
without pruning (a test shows it). It is counted as a trial again, so the search's size (the
trial count reported with every verdict, which the gate does not deflate by) may over-count;
the gate's N comes from the candidates, which are never pruned.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, and_, delete, exists, or_, select, union
from sqlalchemy.orm import Session

from store.models import (
    ArchiveEntry,
    Candidate,
    Evaluation,
    Generation,
    Genome,
    HallOfFameEntry,
    LiveBookEntry,
    PopulationMember,
    Run,
    WindowRecord,
)
from store.statuses import RunStatus

__all__ = ["Pruned", "living_ids", "prune", "vacuum_sqlite"]


@dataclass(frozen=True)
class Pruned:
    """What a prune removed."""

    evaluations: int
    genomes: int
    population_rows: int

    def describe(self) -> str:
        """The prune as one line."""
        return (
            f"pruned {self.evaluations} evaluations, {self.genomes} genomes and "
            f"{self.population_rows} population rows of earlier generations"
        )


# The living genomes every night scores again on its windows: the hall of fame and every
# candidate (the live book's strategies are approved candidates).
_RESCORED = (HallOfFameEntry.genome_id, Candidate.genome_id)


def living_ids(session: Session) -> list[str]:
    """The genomes a night scores again on its windows (hall of fame first, then candidates)."""
    found = (g for column in _RESCORED for g in session.scalars(select(column)))
    return list(dict.fromkeys(found))


def prune(session: Session) -> Pruned:
    """Delete what no longer lives (see the module docstring); the caller commits."""
    newest = session.scalars(
        select(Generation.id).order_by(Generation.number.desc()).limit(1)
    ).first()
    population = delete(PopulationMember)
    if newest is not None:
        population = population.where(PopulationMember.generation_id != newest)
    population_rows = _count(session.execute(population))
    alive = union(
        select(PopulationMember.genome_id),
        select(ArchiveEntry.genome_id),
        *(select(column) for column in _RESCORED),
        select(LiveBookEntry.genome_id),
    ).scalar_subquery()
    references = _references(session)
    dead = and_(Evaluation.genome_id.not_in(alive), Evaluation.genome_id.not_in(references))
    panel = session.scalars(select(Run.panel_fingerprint).order_by(Run.id.desc()).limit(1)).first()
    if panel is not None:
        current = select(WindowRecord.id).where(WindowRecord.panel_fingerprint == panel)
        found_on = exists().where(
            Candidate.genome_id == Evaluation.genome_id, Candidate.window_id == Evaluation.window_id
        )
        dead = or_(dead, and_(Evaluation.window_id.not_in(current), ~found_on))
    evaluations = _count(session.execute(delete(Evaluation).where(dead)))
    genomes = _count(
        session.execute(delete(Genome).where(Genome.id.not_in(alive), Genome.id.not_in(references)))
    )
    return Pruned(evaluations, genomes, population_rows)


def vacuum_sqlite(engine: Engine, path: Path) -> tuple[int, int]:
    """Rewrite a SQLite research.db without its free pages (what pruning freed is otherwise
    reused by later nights, not given back). Returns its size in bytes before and after: the
    file once its write-ahead log is checkpointed (VACUUM writes the new file through the log,
    so the file shrinks only at the checkpoint after it)."""
    with engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        connection.commit()
        before = path.stat().st_size
        connection.exec_driver_sql("VACUUM")
        connection.commit()
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        connection.commit()
    return before, path.stat().st_size


def _references(session: Session) -> list[str]:
    """The correlation references of the newest run and of any run that may be resumed."""
    newest = session.scalars(select(Run.id).order_by(Run.id.desc()).limit(1)).first()
    runs = session.scalars(
        select(Run).where(
            or_(Run.id == newest, Run.status.in_((RunStatus.RUNNING, RunStatus.INTERRUPTED)))
        )
    ).all()
    return sorted({str(gid) for run in runs for gid in run.reference})


def _count(result: Any) -> int:
    return int(result.rowcount or 0)
