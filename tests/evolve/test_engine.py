"""The engine asked and told: it breeds what it is asked for, learns only from what it is told,
refuses the calls out of order, and breeds the same lineage from the same seed."""

from __future__ import annotations

import dataclasses
import hashlib

import numpy as np
import pytest

from configs import EvolveConfig, load_config
from evolve.engine import Engine, OutOfOrder
from evolve.evaluations import Record
from evolve.hall_of_fame import HallOfFame
from evolve.novelty import NoveltyArchive
from evolve.stagnation import StagnationMonitor
from evolve.variation import Child

CONFIG = dataclasses.replace(load_config().evolve, population=12, elite=2, initial_draws=2)


def engine(config: EvolveConfig = CONFIG, seed: int = 3) -> Engine:
    return Engine(
        config,
        seed,
        [],
        NoveltyArchive(config.archive_size, config.archive_threshold, config.population),
        HallOfFame(config.hall_of_fame, config.distinct_correlation),
        StagnationMonitor(config.stagnation_generations, config.stagnation_epsilon),
    )


def evaluated(children: list[Child]) -> dict[str, Record]:
    # A made-up evaluation that depends on the genome alone (its id seeds it).
    out = {}
    for child in children:
        rng = np.random.default_rng(int(hashlib.sha256(child.id.encode()).hexdigest()[:8], 16))
        returns = rng.normal(0.0003, 0.01, 300)
        out[child.id] = Record(
            child.id, "w", float(rng.normal(0.5, 0.5)), 60, {}, returns, rng.random(4), None
        )
    return out


def test_ask_then_tell_moves_the_lineage_on_one_generation() -> None:
    lineage = engine()
    drawn = lineage.ask()
    assert len(drawn) == CONFIG.population * CONFIG.initial_draws  # fresh: the fittest are kept
    report = lineage.tell(evaluated(drawn))
    assert report.number == lineage.number == 1
    assert len(report.population) == CONFIG.population
    assert {i.child.id for i in report.population} <= {c.id for c in drawn}
    bred = lineage.ask()
    assert len(bred) == CONFIG.population  # bred from the population now
    assert lineage.tell(evaluated(bred)).number == 2


def test_calls_out_of_order_are_refused() -> None:
    lineage = engine()
    with pytest.raises(OutOfOrder, match="needs an ask"):
        lineage.tell({})
    asked = lineage.ask()
    with pytest.raises(OutOfOrder, match="not told yet"):
        lineage.ask()
    records = evaluated(asked)
    records.pop(asked[0].id)
    with pytest.raises(OutOfOrder, match="no evaluation"):
        lineage.tell(records)
    assert lineage.number == 0 and not lineage.population  # nothing moved
    lineage.tell(evaluated(asked))
    assert lineage.number == 1


def test_the_same_seed_breeds_the_same_lineage_and_another_seed_another() -> None:
    def ids(seed: int) -> list[list[str]]:
        lineage, out = engine(seed=seed), []
        for _ in range(3):
            asked = lineage.ask()
            out.append([c.id for c in asked])
            lineage.tell(evaluated(asked))
        return out

    assert ids(3) == ids(3)
    assert ids(3) != ids(4)


def test_a_restored_engine_continues_as_the_first_one_would() -> None:
    first = engine()
    for _ in range(2):
        first.tell(evaluated(first.ask()))
    again = engine()
    again.number, again.archive, again.hall = first.number, first.archive, first.hall
    again.monitor, again.pending = first.monitor, first.pending
    population = [i.child for i in first.population]
    again.restore(population, evaluated(population))
    assert [c.id for c in again.ask()] == [c.id for c in first.ask()]
