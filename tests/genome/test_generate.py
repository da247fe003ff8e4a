"""Random generation never fails; height and size limits hold for crossover and mutation."""

from __future__ import annotations

import random
from functools import partial

import pytest
from deap import gp

from genome.generate import bounded, generate, half_and_half
from genome.grammar import FUNCTIONS, PSET, WINDOWS, Signal, Window
from genome.text import parse, to_text


def test_deap_typed_generation_fails_on_this_grammar_which_is_why_we_have_our_own() -> None:
    # DEAP's genFull needs a primitive returning Window (there is none) at inner depths.
    random.seed(3)
    with pytest.raises(IndexError, match="none available"):
        for _ in range(50):
            gp.genFull(PSET, min_=3, max_=5)


@pytest.mark.parametrize("method", ["grow", "full"])
def test_generation_succeeds_for_thousands_of_seeds_and_every_height(method: str) -> None:
    seen: set[str] = set()
    for seed in range(2500):
        rng = random.Random(seed)
        for height in range(1, 11):
            tree = generate(rng, 1, height, method)
            assert 1 <= tree.height <= height
            assert tree[0].ret is Signal
            seen.update(str(n.name) for n in tree if isinstance(n, gp.Primitive))
    assert seen == {f.key for f in FUNCTIONS}  # every function is reachable


def test_full_trees_reach_the_height_drawn() -> None:
    rng = random.Random(1)
    for _ in range(500):
        tree = generate(rng, 4, 4, "full")
        assert tree.height == 4


def test_same_seed_same_trees() -> None:
    first = [to_text(half_and_half(random.Random(9), 2, 6)) for _ in range(20)]
    again = [to_text(half_and_half(random.Random(9), 2, 6)) for _ in range(20)]
    assert first == again


def test_impossible_heights_are_refused() -> None:
    with pytest.raises(ValueError, match=r"cannot build heights 0\.\.0"):
        generate(random.Random(0), 0, 0)


def test_limits_hold_for_crossover_and_mutation_alike() -> None:
    max_height, max_size = 6, 30
    rng = random.Random(5)
    crossover = bounded(max_height, max_size)(gp.cxOnePoint)
    grow = partial(lambda rng, pset, type_, **_: generate(rng, 0, 4, "grow", root=type_), rng)
    mutate = bounded(max_height, max_size)(partial(gp.mutUniform, expr=grow, pset=PSET))
    random.seed(5)  # DEAP's operators draw from the global generator
    population = [
        t
        for t in (half_and_half(rng, 3, 6) for _ in range(200))
        if t.height <= max_height and len(t) <= max_size
    ][:40]
    rejected = 0
    for generation in range(30):
        for i in range(0, len(population) - 1, 2):
            a, b = crossover(gp.PrimitiveTree(population[i]), gp.PrimitiveTree(population[i + 1]))
            population[i], population[i + 1] = a, b
        for i, tree in enumerate(population):
            (population[i],) = mutate(gp.PrimitiveTree(tree))
        for tree in population:
            assert tree.height <= max_height and len(tree) <= max_size, generation
            parse(to_text(tree))  # still a valid, typed genome
        rejected += sum(t.height == max_height for t in population)
    assert rejected > 0  # the limits were actually reached


def test_window_leaves_come_from_the_fixed_set() -> None:
    rng = random.Random(2)
    windows = {
        PSET.context[n.name] for _ in range(300) for n in generate(rng, 2, 5) if n.ret is Window
    }
    assert windows <= set(WINDOWS) and len(windows) > 5
