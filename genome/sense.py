"""Whether a genome makes sense: scale-free (each node keeps its unit rule, `genome.units`) and
comparing like with like (the meaning scales of `genome.scales`). Both walk the tree with the
rules of the registry rows (`genome.primitives`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeAlias

from deap import gp

from genome.primitives import SERIES, function_of
from genome.scales import LEVELS, Scale
from genome.text import to_text
from genome.types import Series
from genome.units import Refused, Unit

__all__ = ["scale_of", "scale_problem", "sensible", "subtree_end"]

Node: TypeAlias = gp.Primitive | gp.Terminal
# The bar's own prices: high is never below the others, low never above.
_BAR = {"open", "high", "low", "close"}


def scale_problem(tree: Sequence[Node]) -> str | None:
    """Why the signals of `tree` (a genome, prefix order) depend on price or volume levels,
    naming the first offending node; None when the genome is scale-free."""
    nodes = gp.PrimitiveTree(tree)
    try:
        _unit(nodes, 0)
    except Refused as refused:
        return str(refused)
    return None


def _unit(nodes: gp.PrimitiveTree, i: int) -> Unit | None:
    # The unit of the subtree at nodes[i] (None for signals, lookbacks and constants); raises
    # Refused at the first node that breaks its rule (children first), the node named.
    node = nodes[i]
    if node.arity == 0:
        return SERIES[str(node.name)].unit if node.ret is Series else None
    units, at = [], i + 1
    for _ in range(node.arity):
        units.append(_unit(nodes, at))
        at = nodes.searchSubtree(at).stop
    try:
        unit = function_of(str(node.name)).unit(units)
    except Refused as refused:
        text = to_text(gp.PrimitiveTree(nodes[nodes.searchSubtree(i)]))
        raise Refused(f"{text} {refused}") from None
    return unit if node.ret is Series else None


def scale_of(nodes: Sequence[Node], i: int) -> Scale:
    """The meaning scale of the series rooted at `nodes[i]` (prefix order): "price",
    "return", "unit", ... (`genome.scales`), or None when it cannot be known."""
    node = nodes[i]
    if node.arity == 0:
        leaf = SERIES.get(str(node.name)) if node.ret is Series else None
        return leaf.scale if leaf is not None else None
    scales, at = [], i + 1
    for _ in range(node.arity):
        scales.append(scale_of(nodes, at))
        at = subtree_end(nodes, at)
    return function_of(str(node.name)).scale(scales)


def sensible(tree: gp.PrimitiveTree) -> bool:
    """Whether `tree` is scale-free (`genome.units`) and every comparison in it compares like
    with like: two different series of one scale (or both of none; never high or low against
    another price of the same bar), or a series of a scale a constant can split (not a price,
    volume, dollar amount or index level) with a constant; no constant added to a level, no
    sum of two different scales, nothing across symbols of a market-wide series (all ties)."""
    nodes = list(tree)
    if scale_problem(nodes) is not None:
        return False
    for i, node in enumerate(nodes):
        name = str(node.name)
        if name in ("gt", "lt", "add", "sub"):
            second = subtree_end(nodes, i + 1)
            if scale_of(nodes, i + 1) != scale_of(nodes, second):
                return False
            if name in ("gt", "lt") and _text(nodes, i + 1) == _text(nodes, second):
                return False
            pair = {str(nodes[i + 1].name), str(nodes[second].name)}
            if name in ("gt", "lt") and pair <= _BAR and pair & {"high", "low"}:
                return False
        elif name in ("gt_const", "lt_const", "add_const") and scale_of(nodes, i + 1) in LEVELS:
            return False
        elif node.arity and function_of(name).across_symbols and _market_wide(nodes, i + 1):
            return False  # the same value for every symbol
    return True


def _market_wide(nodes: Sequence[Node], i: int) -> bool:
    series = [n for n in nodes[i : subtree_end(nodes, i)] if n.arity == 0 and n.ret is Series]
    return all(str(n.name) in ("market", "benchmark") for n in series)


def _text(nodes: Sequence[Node], i: int) -> str:
    return " ".join(str(n.name) for n in nodes[i : subtree_end(nodes, i)])


def subtree_end(nodes: Sequence[Node], i: int) -> int:
    """The index just after the subtree rooted at `nodes[i]` (prefix order)."""
    need = 1
    while need:
        need += nodes[i].arity - 1
        i += 1
    return i
