"""Novelty search's archive (Lehman & Stanley 2011, "Abandoning objectives").

Novelty of a genome = mean distance from its behaviour descriptor (fitness.behaviour) to the k
nearest descriptors among the rest of the population and the archive:

    novelty(x) = (1/k) * sum of the k smallest dist(x, y), y in population + archive, y != x

(fewer than k neighbours: the mean of those there are; a genome without a descriptor, because its
evaluation failed, has novelty 0.)

Admission: after a generation, each genome whose novelty exceeds `threshold` joins (in order of
decreasing novelty, genome id on ties; one entry per genome id). The threshold adapts, so that
the archive keeps learning whatever the scale of the behaviours:
- more than `crowd` genomes (2 % of the population, at least 1) joined: threshold x 1.2;
- none joined: threshold x 0.95.

Bound: while the archive holds more than `size` entries, the most crowded entry (smallest
distance to its nearest other entry; the older, then the smaller genome id, on ties) leaves, so
the archive keeps its spread rather than its age.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from fitness.behaviour import distances

__all__ = ["ArchiveMember", "NoveltyArchive", "novelty"]

RAISE, LOWER = 1.2, 0.95


@dataclass(frozen=True)
class ArchiveMember:
    """A genome in the novelty archive: its behaviour descriptor and novelty when it entered."""

    genome_id: str
    descriptor: np.ndarray
    novelty: float
    generation: int


def novelty(population: list[np.ndarray | None], archive: list[np.ndarray], k: int) -> np.ndarray:
    """Novelty of each member of `population` (see the module docstring)."""
    present = [i for i, d in enumerate(population) if d is not None]
    out = np.zeros(len(population))
    if not present:
        return out
    points = np.array([population[i] for i in present])
    others = np.concatenate([points, np.array(archive)]) if archive else points
    dist = distances(points, others)
    dist[np.arange(len(points)), np.arange(len(points))] = np.inf  # not to itself
    count = min(k, others.shape[0] - 1)
    if count <= 0:
        return out
    nearest = np.sort(dist, axis=1)[:, :count]
    out[present] = nearest.mean(axis=1)
    return out


@dataclass
class NoveltyArchive:
    """A bounded archive of behaviour descriptors with an adaptive admission threshold."""

    size: int
    threshold: float
    population: int
    members: list[ArchiveMember] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.size < 1 or self.threshold < 0 or self.population < 1:
            raise ValueError(
                f"an archive needs size >= 1, threshold >= 0 and population >= 1, got "
                f"{self.size}, {self.threshold}, {self.population}"
            )

    @property
    def crowd(self) -> int:
        """How many nearest neighbours a novelty is measured against."""
        return max(1, self.population // 50)

    def descriptors(self) -> list[np.ndarray]:
        """The archive members' behaviour descriptors."""
        return [m.descriptor for m in self.members]

    def admit(
        self,
        genome_ids: list[str],
        descriptors: list[np.ndarray | None],
        novelties: np.ndarray,
        generation: int,
    ) -> int:
        """Add the genomes whose novelty beats the threshold, adapt the threshold, enforce the
        bound. Returns how many joined."""
        known = {m.genome_id for m in self.members}
        order = sorted(range(len(genome_ids)), key=lambda i: (-novelties[i], genome_ids[i]))
        joined = 0
        for i in order:
            d = descriptors[i]
            if d is None or novelties[i] <= self.threshold or genome_ids[i] in known:
                continue
            self.members.append(ArchiveMember(genome_ids[i], d, float(novelties[i]), generation))
            known.add(genome_ids[i])
            joined += 1
        if joined > self.crowd:
            self.threshold *= RAISE
        elif joined == 0:
            self.threshold *= LOWER
        self._bound()
        return joined

    def _bound(self) -> None:
        excess = len(self.members) - self.size
        if excess <= 0:
            return
        points = np.array(self.descriptors())
        dist = distances(points, points)
        np.fill_diagonal(dist, np.inf)
        alive = np.ones(len(points), dtype=bool)
        for _ in range(excess):
            nearest = np.where(alive, dist[:, alive].min(axis=1), np.inf)
            crowded = np.flatnonzero(nearest == nearest.min())
            victim = min(
                crowded, key=lambda i: (self.members[i].generation, self.members[i].genome_id)
            )
            alive[victim] = False
        self.members = [m for m, keep in zip(self.members, alive, strict=True) if keep]
