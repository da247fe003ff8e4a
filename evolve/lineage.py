"""The lineage in research.db: what is committed after every generation, and how the next run
picks it up.

One lineage per database: generation numbers never repeat, and each night continues from the
newest committed generation (its population, the novelty archive, the hall of fame and the
stagnation state). When the train window has changed since (new data), the stored genomes are
scored again on the new window before anything is compared: descriptors and returns always come
from the current window.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from configs import EvolveConfig
from evolve.engine import GenerationReport
from evolve.evaluations import Record
from evolve.hall_of_fame import Fame, HallOfFame
from evolve.novelty import ArchiveMember, NoveltyArchive
from evolve.stagnation import StagnationMonitor
from evolve.variation import Child
from genome.sense import scale_problem
from store.models import (
    ArchiveEntry,
    Generation,
    Genome,
    HallOfFameEntry,
    PopulationMember,
    StagnationEvent,
)
from store.quarantine import parse_stored

__all__ = ["Lineage", "children_of", "load_lineage", "save_generation"]

log = logging.getLogger(__name__)

Lookup = Callable[[Session, Sequence[Child]], dict[str, Record]]


@dataclass
class Lineage:
    """A lineage's state between generations: population, archive, hall of fame, stagnation."""

    number: int
    population: list[Child]
    archive: NoveltyArchive
    hall: HallOfFame
    monitor: StagnationMonitor
    pending: str | None


def children_of(session: Session, ids: Sequence[str]) -> dict[str, Child]:
    """The stored genomes `ids` as trees (parsed from their canonical text); one whose text
    does not parse is quarantined (store.quarantine) and left out."""
    out: dict[str, Child] = {}
    unique = list(dict.fromkeys(ids))
    for start in range(0, len(unique), 500):
        rows = session.scalars(select(Genome).where(Genome.id.in_(unique[start : start + 500])))
        for row in rows:
            tree = parse_stored(session, row.id, row.text)
            if tree is None:
                continue
            parents = tuple(p for p in (row.first_parent_id, row.second_parent_id) if p)
            out[row.id] = Child(tree, row.text, row.id, row.origin, parents)
    return out


def load_lineage(session: Session, config: EvolveConfig, lookup: Lookup) -> Lineage:
    """The newest committed state (an empty lineage when there is none). `lookup` gives the
    current train window's evaluations (scoring genomes the window has not seen)."""
    archive = NoveltyArchive(config.archive_size, config.archive_threshold, config.population)
    hall = HallOfFame(config.hall_of_fame, config.distinct_correlation)
    monitor = StagnationMonitor(config.stagnation_generations, config.stagnation_epsilon)
    last = session.scalars(select(Generation).order_by(Generation.number.desc()).limit(1)).first()
    if last is None:
        return Lineage(0, [], archive, hall, monitor, None)
    members = session.scalars(
        select(PopulationMember.genome_id)
        .where(PopulationMember.generation_id == last.id)
        .order_by(PopulationMember.position)
    ).all()
    stored_archive = session.scalars(select(ArchiveEntry)).all()
    stored_hall = session.scalars(select(HallOfFameEntry)).all()
    trees = children_of(
        session,
        [*members, *(a.genome_id for a in stored_archive), *(h.genome_id for h in stored_hall)],
    )
    records = lookup(session, list(trees.values()))
    # A genome stored before the rule of scale-free genomes may read price levels: it stays
    # in research.db (and its archive entry), but breeds no more and is not famed.
    breeding = {g for g, child in trees.items() if scale_problem(child.tree) is None}
    if len(breeding) < len(trees):
        log.info(
            "%d stored genomes are not scale-free: left out of breeding", len(trees) - len(breeding)
        )
    stored_archive = [a for a in stored_archive if a.genome_id in trees]
    stored_hall = [h for h in stored_hall if h.genome_id in breeding]
    archive.threshold = last.archive_threshold
    for entry in sorted(stored_archive, key=lambda a: (a.generation, a.genome_id)):
        descriptor = records[entry.genome_id].descriptor
        if descriptor is not None:
            archive.members.append(
                ArchiveMember(entry.genome_id, descriptor, entry.novelty, entry.generation)
            )
    # Scores come from the current window's evaluations (the stored ones may be from another).
    famed = []
    for fame in stored_hall:
        record = records[fame.genome_id]
        size = len(trees[fame.genome_id].tree)
        score = record.score(size, config)
        if record.returns is not None:
            famed.append(Fame(fame.genome_id, score, record.returns, fame.generation))
    hall.update(famed)
    monitor.reference = last.stagnation_best
    monitor.stagnant_for = last.stagnant_for
    monitor.injected = last.injected
    event = session.scalars(
        select(StagnationEvent).where(StagnationEvent.generation == last.number)
    ).first()
    return Lineage(
        last.number,
        [trees[g] for g in members if g in breeding],
        archive,
        hall,
        monitor,
        event.action if event else None,
    )


def save_generation(
    session: Session,
    run_id: int,
    window_id: str,
    report: GenerationReport,
    archive: NoveltyArchive,
    hall: HallOfFame,
    monitor: StagnationMonitor,
    counts: tuple[int, int, int],
) -> None:
    """Add the state after `report`'s generation to `session` (the caller commits).
    `counts`: fresh evaluations, cache hits and failures in the generation."""
    fresh, hits, failures = counts
    generation = Generation(
        number=report.number,
        run_id=run_id,
        train_window_id=window_id,
        evaluations=fresh,
        cache_hits=hits,
        failures=failures,
        best_fitness=report.best_fitness,
        median_fitness=report.median_fitness,
        best_score=report.best_score,
        diversity=report.diversity,
        unique_genomes=report.unique_genomes,
        archive_size=len(archive.members),
        archive_threshold=archive.threshold,
        archive_added=report.archive_added,
        stagnation_best=monitor.reference,
        stagnant_for=monitor.stagnant_for,
        injected=monitor.injected,
        seconds=report.seconds,
    )
    session.add(generation)
    session.flush()
    session.add_all(
        PopulationMember(
            generation_id=generation.id,
            position=k,
            genome_id=i.child.id,
            score=i.score,
            fitness=i.fitness,
        )
        for k, i in enumerate(report.population)
    )
    session.execute(delete(ArchiveEntry))
    session.add_all(
        ArchiveEntry(
            genome_id=m.genome_id,
            window_id=window_id,
            descriptor=m.descriptor.astype("<f8").tobytes(),
            novelty=m.novelty,
            generation=m.generation,
        )
        for m in archive.members
    )
    session.execute(delete(HallOfFameEntry))
    session.add_all(
        HallOfFameEntry(
            genome_id=f.genome_id, window_id=window_id, score=f.score, generation=f.generation
        )
        for f in hall.members
    )
    if report.event is not None:
        session.add(
            StagnationEvent(
                run_id=run_id,
                generation=report.number,
                measure="best fitness",
                best=report.event.best,
                improvement=report.event.improvement,
                action=report.event.action,
                replaced=report.replacing,
            )
        )
    session.flush()
