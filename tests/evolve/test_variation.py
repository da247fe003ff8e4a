"""Variation operators: typed, bounded, simplified, and the same in every process."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys

import pytest

from evolve.variation import MUTATIONS, Breeder, child_of, conjoin, crossover
from genome import parse
from genome.text import genome_id

BREED = """
import json, random
from evolve.variation import Breeder
b = Breeder(0.7, 0.5, (2, 5), 8, 40)
rng = random.Random("seed:1")
pop = [b.fresh(rng) for _ in range(30)]
for _ in range(5):
    pop = [c for i in range(15) for c in b.children(rng, pop[rng.randrange(30)], pop[rng.randrange(30)])]
print(json.dumps([c.text for c in pop]))
"""


def test_breeding_is_the_same_in_every_process() -> None:
    # DEAP's own crossover draws the type from a set ordered by object addresses; these
    # operators must not depend on hashing or addresses.
    outputs = set()
    for hash_seed in ("0", "1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        result = subprocess.run(
            [sys.executable, "-c", BREED], env=env, capture_output=True, text=True, check=True
        )
        outputs.add(result.stdout)
    assert len(outputs) == 1
    assert len(set(json.loads(outputs.pop()))) > 5


@pytest.mark.parametrize("name", sorted(MUTATIONS))
def test_every_operator_keeps_types_and_limits(name: str) -> None:
    breeder = Breeder(1.0, 1.0, (2, 6), 7, 30)
    mutate = dict(breeder._mutations)[name]
    rng = random.Random(name)
    for _ in range(200):
        parent = breeder.fresh(rng)
        (tree,) = mutate(parent.tree, rng=rng)
        child = child_of(tree, "mutation")
        assert child.tree.height <= 7 and len(child.tree) <= 30
        assert genome_id(parse(child.text)) == child.id


def test_crossover_swaps_subtrees_of_one_type() -> None:
    rng = random.Random(5)
    first = parse("and(gt(close, sma(close, 50)), lt(rsi(close, 14), 30))")
    second = parse("gt(ema(volume, 10), mul(volume, lag(volume, 2)))")
    seen = set()
    for _ in range(50):
        a, b = crossover(first, second, rng=rng)
        seen.add(child_of(a, "crossover").text)
        assert len(a) + len(b) == len(first) + len(second)
    assert len(seen) > 5


def test_children_record_their_parents_and_origin() -> None:
    breeder = Breeder(1.0, 0.0, (2, 4), 8, 40)
    rng = random.Random(1)
    mother, father = breeder.fresh(rng), breeder.fresh(rng)
    kids = breeder.children(rng, mother, father)
    assert [k.origin for k in kids] == ["crossover", "crossover"]
    assert all(k.parents == (mother.id, father.id) for k in kids)
    breeder = Breeder(0.0, 1.0, (2, 4), 8, 40)
    kids = breeder.children(rng, mother, father)
    assert [k.parents for k in kids] == [(mother.id,), (father.id,)]
    assert all(k.origin.startswith("mutation:") for k in kids)


def test_conjoin_adds_a_part_of_the_other_parent_as_a_condition() -> None:
    rng = random.Random(7)
    close = parse("gt(close, lag(max(close, 20), 1))")
    volume = parse("gt(volume, mul(sma(volume, 20), 2))")
    seen = set()
    for _ in range(50):
        a, b = conjoin(close, volume, rng=rng)
        for tree, own, other in ((a, close, volume), (b, volume, close)):
            assert tree[0].name == "and" and list(tree[1 : 1 + len(own)]) == list(own)
            part = [node.name for node in tree[1 + len(own) :]]
            names = [node.name for node in other]
            assert any(names[k : k + len(part)] == part for k in range(len(names)))
            seen.add(child_of(tree, "crossover").text)
    # The breakout rule itself is among the conjunctions of its two halves.
    assert "and(gt(close, lag(max(close, 20), 1)), gt(volume, mul(sma(volume, 20), 2)))" in seen


def test_a_breeder_conjoins_the_asked_share_of_crossovers_and_nothing_else_changes() -> None:
    parents = [child_of(parse(t), "random") for t in ("gt(close, sma(close, 50))", "gt(ret, 0)")]
    made = {}
    for share in (0.0, 1.0):
        breeder = Breeder(1.0, 0.0, (2, 4), 8, 40, share)
        made[share] = breeder.children(random.Random(3), *parents)
    before = Breeder(1.0, 0.0, (2, 4), 8, 40).children(random.Random(3), *parents)
    assert [c.text for c in made[0.0]] == [c.text for c in before]  # a seeded night as before
    assert all(c.text.startswith("and(") for c in made[1.0])
    assert made[1.0][0].text.startswith("and(gt(close, sma(close, 50)), ")
