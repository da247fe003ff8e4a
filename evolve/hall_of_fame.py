"""The hall of fame: the best genomes by score, at most one per behaviour.

Update rule: pool the members and the newly scored genomes (one per genome id, failed and
infeasible ones left out), sort by score (highest first, genome id on ties) and keep greedily
each genome whose train returns correlate at most `distinct_correlation` with every genome kept
before it, up to `size`. So a clone of a member can only replace it by scoring higher.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np

from fitness.portfolio import WORST_FITNESS, highest_correlation

__all__ = ["Fame", "HallOfFame", "distinct"]


@dataclass(frozen=True)
class Fame:
    """A genome in the hall of fame: its train score and returns, and when it entered."""

    genome_id: str
    score: float
    returns: np.ndarray
    generation: int


def distinct(pool: Iterable[Fame], limit: int, most_correlation: float) -> list[Fame]:
    """The best of `pool` by score, pairwise correlation <= `most_correlation`, at most `limit`."""
    unique: dict[str, Fame] = {}
    for entry in pool:
        if entry.score > WORST_FITNESS and entry.genome_id not in unique:
            unique[entry.genome_id] = entry
    kept: list[Fame] = []
    for entry in sorted(unique.values(), key=lambda e: (-e.score, e.genome_id)):
        if len(kept) >= limit:
            break
        if highest_correlation(entry.returns, [k.returns for k in kept]) <= most_correlation:
            kept.append(entry)
    return kept


@dataclass
class HallOfFame:
    """The best distinct genomes seen so far (no two correlated above `distinct_correlation`)."""

    size: int
    distinct_correlation: float
    members: list[Fame] = field(default_factory=list)

    def update(self, scored: Iterable[Fame]) -> None:
        """Add the `scored` genomes and keep the best `size` distinct ones."""
        self.members = distinct([*self.members, *scored], self.size, self.distinct_correlation)
