"""Candidates: which of the night's genomes become candidates (a pure choice), and the one place
that writes candidate rows, for the night's best, their refinements and a genome that its user
puts forward."""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Sequence

import numpy as np
from sqlalchemy.orm import Session

from configs import EvolveConfig
from evolve.engine import Individual
from evolve.hall_of_fame import Fame, distinct
from evolve.variation import Child
from fitness.portfolio import highest_correlation
from genome.leaves import structure
from store.models import Candidate

__all__ = ["add_candidate", "choose_candidates"]


def choose_candidates(
    pool: Sequence[Individual],
    known: Collection[str],
    known_returns: Sequence[np.ndarray],
    config: EvolveConfig,
) -> list[Individual]:
    """The night's new candidates, best first: of the `pool` (the feasible population, then the
    hall of fame), those that are not candidates yet (`known` ids) and whose train returns
    correlate at most `candidate_correlation` with every known candidate's (`known_returns`);
    the best `candidates` of them, as distinct from each other (`evolve.hall_of_fame.distinct`)
    and, with `candidates_per_idea`, at most that many of one structure (`genome.leaves.structure`:
    the same tree with other constants and lookbacks), the fittest of it."""
    fresh = [
        i
        for i in pool
        if i.child.id not in known
        and i.record.returns is not None
        and highest_correlation(i.record.returns, known_returns) <= config.candidate_correlation
    ]
    if config.candidates_per_idea:
        fresh = _per_idea(fresh, config.candidates_per_idea)
    chosen = distinct(
        (
            Fame(i.child.id, i.fitness, i.record.returns, 0)
            for i in fresh
            if i.record.returns is not None
        ),
        config.candidates,
        config.candidate_correlation,
    )
    by_id = {i.child.id: i for i in fresh}
    return [by_id[fame.genome_id] for fame in chosen]


def _per_idea(pool: list[Individual], most: int) -> list[Individual]:
    # The fittest `most` of each structure (ties: the genome id), best first.
    ordered = sorted(pool, key=lambda i: (-i.fitness, i.child.id))
    seen: Counter[tuple[str, ...]] = Counter()
    kept = []
    for individual in ordered:
        idea = structure(individual.child.tree)
        if seen[idea] < most:
            seen[idea] += 1
            kept.append(individual)
    return kept


def add_candidate(
    session: Session, child: Child, run_id: int, window_id: str, score: float, fitness: float
) -> Candidate:
    """`child` (already in research.db) as a candidate of run `run_id`, scored on the window
    `window_id` (added to `session`, not committed)."""
    candidate = Candidate(
        genome_id=child.id, run_id=run_id, window_id=window_id, score=score, fitness=fitness
    )
    session.add(candidate)
    return candidate
