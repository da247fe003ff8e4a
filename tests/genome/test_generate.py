"""Random generation never fails; height and size limits hold for crossover and mutation."""

from __future__ import annotations

import random
import re
from functools import partial

import pytest
from deap import gp

from genome.generate import bounded, generate, half_and_half
from genome.grammar import FUNCTIONS, PSET, WINDOWS, Lookback, Signal
from genome.sense import scale_of, sensible
from genome.text import parse, to_text


def test_deap_typed_generation_fails_on_this_grammar_which_is_why_we_have_our_own() -> None:
    # DEAP's genFull needs a primitive returning Lookback (there is none) at inner depths.
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
    # every function the registry lets the generator draw is reachable, and no other
    assert seen == {f.key for f in FUNCTIONS if f.drawn}


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


def test_variation_keeps_the_parent_when_the_child_would_mix_units() -> None:
    def swap_first_series(
        a: gp.PrimitiveTree, b: gp.PrimitiveTree
    ) -> tuple[gp.PrimitiveTree, gp.PrimitiveTree]:
        # Exchange the first compared series of the parents (as a crossover may).
        sa, sb = a.searchSubtree(1), b.searchSubtree(1)
        return (
            gp.PrimitiveTree(a[: sa.start] + b[sb] + a[sa.stop :]),
            gp.PrimitiveTree(b[: sb.start] + a[sa] + b[sb.stop :]),
        )

    crossover = bounded(9, 50)(swap_first_series)

    def children(first: str, second: str) -> list[str]:
        return [to_text(t) for t in crossover(parse(first), parse(second))]

    trend, volume = "gt(close, sma(close, 100))", "gt(volume, sma(volume, 20))"
    # A volume against a price average, a price against a volume average: both refused.
    assert children(trend, volume) == [trend, volume]
    assert children(trend, "gt(open, sma(close, 20))") == [
        "gt(open, sma(close, 100))",
        "gt(close, sma(close, 20))",
    ]
    # A parent that was not sensible itself (a user's) may have a child that is not either.
    assert children(trend, "gt(rank(ret), close)") == [trend, "gt(close, close)"]


def test_window_leaves_come_from_the_fixed_set() -> None:
    rng = random.Random(2)
    windows = {
        PSET.context[n.name] for _ in range(300) for n in generate(rng, 2, 5) if n.ret is Lookback
    }
    assert windows <= set(WINDOWS) and len(windows) > 5


@pytest.mark.parametrize(
    ("text", "unit"),
    [
        ("close", "price"),
        ("sma(close, 50)", "price"),
        ("mul(sma(volume, 20), 2)", "volume"),
        ("std(ret, 20)", "volatility"),
        ("std(close, 20)", "price spread"),
        ("sub(close, open)", "price spread"),
        ("div(close, sma(close, 20))", "ratio"),
        ("rank(change(close, 20))", "unit"),
        ("rsi(close, 14)", "percent"),
        ("zscore(volume, 20)", "z"),
        ("market", "index"),
        ("mul(close, volume)", "product"),
        ("add(close, volume)", None),
        ("log(close)", None),
        ("demean(change(close, 20))", "return"),
        ("demean(div(close, open))", None),  # centred on 0: no longer a ratio
    ],
)
def test_every_series_has_a_unit_where_it_can_be_known(text: str, unit: str | None) -> None:
    nodes = list(parse(f"gt({text}, 0)"))
    assert scale_of(nodes, 1) == unit


@pytest.mark.parametrize(
    ("text", "ok"),
    [
        ("gt(close, sma(close, 50))", True),
        ("lt(rank(std(ret, 20)), 0.2)", True),
        ("gt(market, sma(market, 50))", True),
        ("gt(volume, mul(sma(volume, 20), 2))", True),
        ("gt(div(close, sma(close, 20)), 1.02)", True),
        ("gt(log(close), 3)", False),  # the log of a price: a level (genome.units)
        ("gt(volume, close)", False),  # a volume against a price
        ("gt(close, 50)", False),  # a price level against a constant
        ("lt(market, 1.9)", False),  # the market's level against a constant
        ("gt(add(close, volume), open)", False),
        ("gt(add(close, 0.5), open)", False),
        ("gt(rank(market), 0.5)", False),  # one value for every symbol: all ties
        ("gt(demean(ret), 0.01)", True),
        ("gt(demean(change(benchmark, 20)), 0)", False),  # every symbol's value is 0
        ("gt(high, close)", False),  # always true
        ("gt(sma(close, 5), sma(close, 5))", False),  # always false
        ("gt(close, std(close, 20))", False),  # a price against how much it moves
    ],
)
def test_a_sensible_genome_compares_like_with_like(text: str, ok: bool) -> None:
    assert sensible(parse(text)) is ok


def test_random_genomes_are_sensible_and_their_constants_fit_what_they_split() -> None:
    rng = random.Random(9)
    trees = [half_and_half(rng, 2, 5) for _ in range(2000)]
    # A tree is drawn again up to 100 times; the rare one kept after that may not be sensible.
    assert sum(sensible(t) for t in trees) >= 0.95 * len(trees)
    ranks = [
        t[t.searchSubtree(i + 1).stop].value  # the constant after the compared series
        for t in trees
        for i, node in enumerate(t)
        if node.name in ("gt_const", "lt_const") and t[i + 1].name == "rank"
    ]
    assert ranks and all(0 < c < 1 for c in ranks)


def test_most_random_comparisons_set_a_series_against_a_relative_of_itself() -> None:
    # A relative: the same series over other lookbacks, or its average, extreme or past
    # (maybe times a factor) - the form of most rules people trade. Drawn blindly, 3 % of the
    # comparisons of two series that are sensible are of that form.
    rng = random.Random(4)
    related = total = 0
    for _ in range(3000):
        tree = generate(rng, 2, 5, "grow")
        for i, node in enumerate(tree):
            if node.name not in ("gt", "lt"):
                continue
            first = tree.searchSubtree(i + 1)
            second = tree.searchSubtree(first.stop)
            a = to_text(gp.PrimitiveTree(tree[first]))
            b = to_text(gp.PrimitiveTree(tree[second]))
            shape = re.sub(r"[-\d.]+", "#", a) == re.sub(r"[-\d.]+", "#", b)
            related += a != b and (shape or f"({a}, " in b)
            total += 1
    assert total > 1500
    assert 0.8 < related / total < 0.95
