"""Variation of genome trees: the one module of the engine that works on DEAP trees.

Operators (after DEAP's `gp` module, rewritten to draw from the `random.Random` they are given,
never the global one, and to choose among types in a fixed order, so that a seed gives the same
children in every process):

- `crossover`: one-point subtree crossover; a node type both parents have is drawn (sorted by
  name), then a node of that type in each (never the root), and the subtrees are swapped.
- `conjoin`: each parent gains a condition: `and(first, part of second)` and
  `and(second, part of first)`, a part being a random signal subtree (the root included); with
  `evolve.conjunction`, that share of the crossovers (a rule whose halves lose alone, such as a
  breakout on volume, has no path of small improvements leading to it).
- `mutate_uniform`: a random node's subtree is replaced by a fresh random subtree of its type
  (grow method, height 0..2).
- `mutate_node`: a random node is replaced by another of the same signature (a function with
  the same argument and result types, or a leaf of the same type).
- `mutate_shrink`: a random function node is replaced by one of its arguments of its own type.
- `mutate_constant`: a random constant moves by a Gaussian step of 20 % (rounded to 3
  significant digits; 0 moves by +-0.05), or a lookback moves one step in `WINDOWS`.

Every operator is wrapped by `genome.bounded(max_height, max_size)`: a child beyond either limit
is replaced by its parent. Children are simplified (`genome.simplify`), so a genome's text and
id always correspond one to one.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from deap import gp

from configs import EvolveConfig
from genome import PSET, WINDOWS, bounded, generate, half_and_half, simplify
from genome.generate import DRAWN_PRIMITIVES
from genome.grammar import CONST_LIMIT, Const, Constant, Lookback, Series, Signal, window_of
from genome.leaves import tunable_leaves
from genome.leaves import with_leaves as replace_leaves
from genome.text import genome_id, to_text

__all__ = [
    "MUTATIONS",
    "Breeder",
    "Child",
    "child_of",
    "conjoin",
    "crossover",
    "mutate_constant",
    "mutate_node",
    "mutate_shrink",
    "mutate_uniform",
    "significant",
    "tunable_leaves",
    "with_leaves",
]

_TERMINALS = {
    t: [x for x in PSET.terminals[t] if x.name not in ("true", "false")] for t in PSET.terminals
}
_WINDOW_LEAF = {window_of(t): t for t in PSET.terminals[Lookback]}
# The types crossover chooses among, in a fixed order (the seeded choice depends on it).
_TYPE_ORDER = (Const, Series, Signal, Lookback)


def crossover(
    first: gp.PrimitiveTree, second: gp.PrimitiveTree, *, rng: random.Random
) -> tuple[gp.PrimitiveTree, gp.PrimitiveTree]:
    """Swap a random subtree of `first` with one of the same type in `second`; the two children."""
    a, b = gp.PrimitiveTree(first), gp.PrimitiveTree(second)
    if len(a) < 2 or len(b) < 2:
        return a, b
    by_type_a = _positions_by_type(a)
    by_type_b = _positions_by_type(b)
    common = [t for t in _TYPE_ORDER if t in by_type_a and t in by_type_b]
    if not common:
        return a, b
    kind = rng.choice(common)
    i, j = rng.choice(by_type_a[kind]), rng.choice(by_type_b[kind])
    sa, sb = a.searchSubtree(i), b.searchSubtree(j)
    a[sa], b[sb] = b[sb], a[sa]
    return a, b


def conjoin(
    first: gp.PrimitiveTree, second: gp.PrimitiveTree, *, rng: random.Random
) -> tuple[gp.PrimitiveTree, gp.PrimitiveTree]:
    """`and(first, a signal subtree of second)` and `and(second, a signal subtree of first)`."""
    both = PSET.mapping["and"]

    def part(tree: gp.PrimitiveTree) -> list[Any]:
        spots = [i for i, node in enumerate(tree) if node.ret is Signal]
        return list(tree[tree.searchSubtree(rng.choice(spots))])

    return (
        gp.PrimitiveTree([both, *first, *part(second)]),
        gp.PrimitiveTree([both, *second, *part(first)]),
    )


def mutate_uniform(parent: gp.PrimitiveTree, *, rng: random.Random) -> tuple[gp.PrimitiveTree]:
    """Replace a random subtree with a new random one of the same type."""
    tree = gp.PrimitiveTree(parent)
    i = rng.randrange(len(tree))
    span = tree.searchSubtree(i)
    tree[span] = generate(rng, 0, 2, "grow", root=tree[i].ret)
    return (tree,)


def mutate_node(parent: gp.PrimitiveTree, *, rng: random.Random) -> tuple[gp.PrimitiveTree]:
    """Replace one node with another of the same type and arity."""
    tree = gp.PrimitiveTree(parent)
    i = rng.randrange(len(tree))
    node = tree[i]
    if node.arity == 0:
        leaves = _TERMINALS[node.ret]
        if leaves:
            choice = rng.choice(leaves)
            tree[i] = Constant(choice.value) if node.ret is Const else choice
    else:
        same = [p for p in DRAWN_PRIMITIVES[node.ret] if p.args == node.args]
        tree[i] = rng.choice(sorted(same, key=lambda p: p.name))
    return (tree,)


def mutate_shrink(parent: gp.PrimitiveTree, *, rng: random.Random) -> tuple[gp.PrimitiveTree]:
    """Replace a node by one of its arguments of the same type (a smaller tree)."""
    tree = gp.PrimitiveTree(parent)
    options = [i for i, node in enumerate(tree) if node.arity > 0 and node.ret in node.args]
    if not options:
        return (tree,)
    i = rng.choice(options)
    node = tree[i]
    kept = rng.choice([k for k, t in enumerate(node.args) if t is node.ret])
    child = i + 1
    for _ in range(kept):
        child = tree.searchSubtree(child).stop
    sub = tree[tree.searchSubtree(child)]
    tree[tree.searchSubtree(i)] = sub
    return (tree,)


def mutate_constant(parent: gp.PrimitiveTree, *, rng: random.Random) -> tuple[gp.PrimitiveTree]:
    """Move one constant or lookback to a neighbouring value."""
    tree = gp.PrimitiveTree(parent)
    spots = [i for i, node in enumerate(tree) if node.ret in (Const, Lookback) and node.arity == 0]
    if not spots:
        return (tree,)
    i = rng.choice(spots)
    node = tree[i]
    if node.ret is Const:
        value = node.value
        moved = value * (1.0 + rng.gauss(0.0, 0.2)) if value != 0 else rng.gauss(0.0, 0.05)
        tree[i] = Constant(max(-CONST_LIMIT, min(CONST_LIMIT, significant(moved, 3))))
    else:
        k = WINDOWS.index(window_of(node))
        k = min(len(WINDOWS) - 1, max(0, k + rng.choice((-1, 1))))
        tree[i] = _WINDOW_LEAF[WINDOWS[k]]
    return (tree,)


MUTATIONS: dict[str, Callable[..., tuple[gp.PrimitiveTree]]] = {
    "uniform": mutate_uniform,
    "node": mutate_node,
    "shrink": mutate_shrink,
    "constant": mutate_constant,
}


@dataclass(frozen=True)
class Child:
    """A bred genome: simplified tree, canonical text, id, and how it came about."""

    tree: gp.PrimitiveTree
    text: str
    id: str
    origin: str
    parents: tuple[str, ...]


def child_of(tree: gp.PrimitiveTree, origin: str, parents: tuple[str, ...] = ()) -> Child:
    """The child of `tree`, simplified, with its text, id, origin and parents."""
    simple = simplify(tree)
    return Child(simple, to_text(simple), genome_id(simple), origin, parents)


class Breeder:
    """Makes children from parents with the configured probabilities and limits."""

    def __init__(
        self,
        crossover_rate: float,
        mutation_rate: float,
        init_heights: tuple[int, int],
        max_height: int,
        max_size: int,
        conjunction: float = 0.0,
    ) -> None:
        self.crossover_rate = crossover_rate
        self.mutation_rate = mutation_rate
        self.conjunction = conjunction
        self.init_heights = init_heights
        limit = bounded(max_height, max_size)
        self._crossover = limit(crossover)
        self._conjoin = limit(conjoin)
        self._mutations = [(name, limit(op)) for name, op in MUTATIONS.items()]
        self.max_size = max_size

    @classmethod
    def of(cls, config: EvolveConfig) -> Breeder:
        """The breeder of the `[evolve]` settings."""
        return cls(
            config.crossover,
            config.mutation,
            (config.init_min_height, config.init_max_height),
            config.max_height,
            config.max_size,
            config.conjunction,
        )

    def fresh(self, rng: random.Random, origin: str = "random") -> Child:
        """A fresh genome, ramped half-and-half, within the size limit."""
        low, high = self.init_heights
        for _ in range(100):
            tree = half_and_half(rng, low, high)
            if len(tree) <= self.max_size:
                break
        return child_of(tree, origin)

    def children(self, rng: random.Random, first: Child, second: Child) -> list[Child]:
        """Two children of `first` and `second`: crossover (or copies), then a mutation each
        with the mutation rate."""
        parents = (first.id, second.id)
        if rng.random() < self.crossover_rate:
            # Drawn only when asked for, so a night without conjunctions keeps its seeded path.
            if self.conjunction and rng.random() < self.conjunction:
                trees = self._conjoin(first.tree, second.tree, rng=rng)
            else:
                trees = self._crossover(first.tree, second.tree, rng=rng)
            origins = ["crossover", "crossover"]
        else:
            trees = (gp.PrimitiveTree(first.tree), gp.PrimitiveTree(second.tree))
            origins = ["copy", "copy"]
        out = []
        for k, tree in enumerate(trees):
            own = parents if origins[k] == "crossover" else (parents[k],)
            if rng.random() < self.mutation_rate:
                name, mutate = self._mutations[rng.randrange(len(self._mutations))]
                (tree,) = mutate(tree, rng=rng)
                origins[k] = f"mutation:{name}" if origins[k] == "copy" else "crossover+mutation"
            out.append(child_of(tree, origins[k], own))
        return out


def with_leaves(child: Child, values: list[float | int], origin: str) -> Child:
    """`child` with its constants and lookbacks replaced by `values` (as `tunable_leaves`
    orders them; a constant is rounded to 3 significant digits, a lookback must be one of
    `WINDOWS`); the parent of the result is `child`."""
    rounded = [v if isinstance(v, int) else significant(v, 3) for v in values]
    return child_of(replace_leaves(child.tree, rounded), origin, (child.id,))


def _positions_by_type(tree: gp.PrimitiveTree) -> dict[type, list[int]]:
    out: dict[type, list[int]] = {}
    for i, node in enumerate(tree[1:], 1):
        out.setdefault(node.ret, []).append(i)
    return out


def significant(value: float, digits: int) -> float:
    """`value` rounded to `digits` significant digits (0 for 0 and non-finite values)."""
    if value == 0 or not math.isfinite(value):
        return 0.0
    return round(value, digits - 1 - math.floor(math.log10(abs(value))))
