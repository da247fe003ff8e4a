"""One generation of the lineage at a time, asked and told (as pyribs' schedulers are): `ask()`
gives the genomes to evaluate, `tell(records)` takes their evaluations and moves the lineage on.
The engine never evaluates anything itself.

    ask():
        rng = Random(f"{seed}:{generation number}")   (so a resumed run breeds the same)
        if there is no population, or a restart is due:  population x initial_draws random
            genomes (ramped half-and-half)
        else:
            rank the current population: (1 - w) x rank(fitness) + w x rank(novelty against the
            archive); keep the `elite` fittest; breed the rest from tournaments on that rank;
            if an injection is due, inject_share of the new population is random genomes
    tell(records):
        fresh genomes: the `population` fittest of those drawn
        fitness = score - correlation penalty against the run's fixed reference strategies
            (fitness.portfolio)
        novelty against population + archive; admit to the archive; update the hall of fame;
        tell the stagnation monitor the best fitness; its event (if any) applies to the next
        generation

Everything that a generation needs from the past (population, archive, hall of fame, monitor)
is state that `evolve.lineage` stores after each generation, so the lineage continues exactly
after a restart of the process (`restore` gives a resumed engine its population back).
"""

from __future__ import annotations

import random
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from configs import EvolveConfig
from evolve.evaluations import Record
from evolve.hall_of_fame import Fame, HallOfFame
from evolve.novelty import NoveltyArchive, novelty
from evolve.stagnation import Stagnation, StagnationMonitor
from evolve.variation import Breeder, Child
from fitness.behaviour import distances
from fitness.portfolio import portfolio_fitness

__all__ = ["Engine", "GenerationReport", "Individual", "OutOfOrder", "judge"]


class OutOfOrder(RuntimeError):
    """`tell` without an `ask` before it, a second `ask` before the `tell`, or a `tell` that
    lacks the evaluation of a genome that was asked for."""


@dataclass(frozen=True)
class Individual:
    """One member of a generation: the child, its evaluation, score, fitness and correlation
    penalty."""

    child: Child
    record: Record
    score: float
    fitness: float
    rho: float


@dataclass(frozen=True)
class GenerationReport:
    """What `Engine.tell` returns for one generation: its members and their summary figures."""

    number: int
    population: list[Individual]
    best_fitness: float
    median_fitness: float
    best_score: float
    diversity: float
    unique_genomes: int
    archive_added: int
    event: Stagnation | None
    pending: str | None
    replacing: int  # genomes the event replaces in the next generation
    seconds: float


class Engine:
    """The lineage's breeding state and the step from one generation to the next."""

    def __init__(
        self,
        config: EvolveConfig,
        seed: int,
        references: Sequence[np.ndarray],
        archive: NoveltyArchive,
        hall: HallOfFame,
        monitor: StagnationMonitor,
        number: int = 0,
        pending: str | None = None,
    ) -> None:
        self.config = config
        self.seed = seed
        self.references = list(references)
        self.archive = archive
        self.hall = hall
        self.monitor = monitor
        self.number = number
        self.pending = pending
        self.breeder = Breeder.of(config)
        self.population: list[Individual] = []
        self._asked: list[Child] | None = None
        self._fresh = False  # the asked genomes are drawn at random: keep the fittest
        self._started = 0.0

    def restore(self, population: Sequence[Child], records: Mapping[str, Record]) -> None:
        """The stored population of a lineage that continues, with its evaluations."""
        self.population = self.judge(population, records)

    def judge(self, children: Sequence[Child], records: Mapping[str, Record]) -> list[Individual]:
        """Score and fitness of each child from its evaluation on the train window."""
        return judge(children, records, self.references, self.config)

    def ask(self) -> list[Child]:
        """The genomes of the next generation, to be evaluated and given to `tell`.

        Raises:
            OutOfOrder: the genomes of the previous `ask` were not told yet.
        """
        if self._asked is not None:
            raise OutOfOrder(f"generation {self.number + 1} was asked for and not told yet")
        self._started = time.perf_counter()
        rng = random.Random(f"{self.seed}:{self.number + 1}")
        size = self.config.population
        self._fresh = not self.population or self.pending == "restart"
        if self._fresh:
            origin = "restart" if self.population else "random"
            drawn = size * self.config.initial_draws
            children = [self.breeder.fresh(rng, origin) for _ in range(drawn)]
        else:
            children = self._breed(rng)
            if self.pending == "inject":
                keep = size - self.replacing("inject")
                children[keep:] = [self.breeder.fresh(rng, "injected") for _ in children[keep:]]
        self._asked = children
        return list(children)

    def tell(self, records: Mapping[str, Record]) -> GenerationReport:
        """Move the lineage on with the evaluations (by genome id) of what `ask` gave.

        Raises:
            OutOfOrder: nothing was asked for, or an asked genome has no evaluation.
        """
        if self._asked is None:
            raise OutOfOrder("tell() needs an ask() before it")
        missing = [c.id for c in self._asked if c.id not in records]
        if missing:
            raise OutOfOrder(f"no evaluation of {len(missing)} asked genome(s), e.g. {missing[0]}")
        children = self._asked
        if self._fresh:
            children = self._fittest(children, records, self.config.population)
        self._asked = None
        self.number += 1
        population = self.judge(children, records)
        descriptors = [i.record.descriptor for i in population]
        novel = novelty(descriptors, self.archive.descriptors(), self.config.novelty_k)
        added = self.archive.admit(
            [i.child.id for i in population], descriptors, novel, self.number
        )
        self.hall.update(
            Fame(i.child.id, i.score, i.record.returns, self.number)
            for i in population
            if i.record.returns is not None
        )
        fitness = np.array([i.fitness for i in population])
        event = self.monitor.observe(float(fitness.max()))
        self.pending = event.action if event else None
        self.population = population
        return GenerationReport(
            number=self.number,
            population=population,
            best_fitness=float(fitness.max()),
            median_fitness=float(np.median(fitness)),
            best_score=max(i.score for i in population),
            diversity=_diversity(descriptors),
            unique_genomes=len({i.child.id for i in population}),
            archive_added=added,
            event=event,
            pending=self.pending,
            replacing=self.replacing(self.pending),
            seconds=time.perf_counter() - self._started,
        )

    def _fittest(self, drawn: list[Child], records: Mapping[str, Record], size: int) -> list[Child]:
        # A fresh population: the `size` fittest of the genomes drawn (all of them are
        # evaluated, and count as trials); ties keep the order drawn.
        if len(drawn) <= size:
            return drawn
        judged = self.judge(drawn, records)
        order = sorted(range(len(judged)), key=lambda i: (-judged[i].fitness, i))
        return [drawn[i] for i in order[:size]]

    def replacing(self, action: str | None) -> int:
        """How many genomes of the next generation a stagnation action replaces."""
        size = self.config.population
        if action == "restart":
            return size
        if action == "inject":
            return min(size - self.config.elite, round(self.config.inject_share * size))
        return 0

    def selection_rank(self) -> np.ndarray:
        """Combined rank of the current population: (1 - w) x fitness rank + w x novelty rank
        (novelty against the population and the archive as it stands)."""
        w = self.config.novelty_weight
        fitness = np.array([i.fitness for i in self.population])
        novel = novelty(
            [i.record.descriptor for i in self.population],
            self.archive.descriptors(),
            self.config.novelty_k,
        )
        rank: np.ndarray = (1 - w) * average_rank(fitness) + w * average_rank(novel)
        return rank

    def _breed(self, rng: random.Random) -> list[Child]:
        size = self.config.population
        rank = self.selection_rank()
        by_fitness = sorted(
            range(len(self.population)),
            key=lambda i: (-self.population[i].fitness, self.population[i].child.id),
        )
        elite: list[Child] = []
        for i in by_fitness:
            child = self.population[i].child
            if len(elite) < self.config.elite and child.id not in {e.id for e in elite}:
                elite.append(child)
        children = list(elite)
        while len(children) < size:
            first, second = self._tournament(rng, rank), self._tournament(rng, rank)
            children.extend(self.breeder.children(rng, first, second))
        return children[:size]

    def _tournament(self, rng: random.Random, rank: np.ndarray) -> Child:
        entrants = [rng.randrange(len(self.population)) for _ in range(self.config.tournament)]
        best = max(entrants, key=lambda i: (rank[i], -i))
        return self.population[best].child


def _diversity(descriptors: list[np.ndarray | None]) -> float:
    """Mean pairwise distance between the behaviour descriptors of a population."""
    points = np.array([d for d in descriptors if d is not None])
    if len(points) < 2:
        return 0.0
    dist = distances(points, points)
    return float(dist.sum() / (len(points) * (len(points) - 1)))


def average_rank(values: np.ndarray) -> np.ndarray:
    """Ranks 1..n of `values`, ties sharing their average rank (as scipy's rankdata)."""
    sorter = np.argsort(values, kind="stable")
    inverse = np.empty(len(values), dtype=np.int64)
    inverse[sorter] = np.arange(len(values))
    ordered = values[sorter]
    starts = np.r_[True, ordered[1:] != ordered[:-1]]
    dense = starts.cumsum()[inverse]
    bounds = np.r_[np.flatnonzero(starts), len(values)]
    ranks: np.ndarray = 0.5 * (bounds[dense] + bounds[dense - 1] + 1)
    return ranks


def judge(
    children: Sequence[Child],
    records: Mapping[str, Record],
    references: Sequence[np.ndarray],
    config: EvolveConfig,
) -> list[Individual]:
    """Score and fitness of each child from its evaluation (`records`, all on one window), the
    correlation penalty taken against `references`' returns on the same window."""
    out = []
    for child in children:
        record = records[child.id]
        score = record.score(len(child.tree), config)
        fitness, rho = portfolio_fitness(
            score, record.returns, references, config.correlation_penalty
        )
        out.append(Individual(child, record, score, fitness, rho))
    return out
