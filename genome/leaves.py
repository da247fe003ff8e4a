"""The tunable leaves of a genome: its constants and lookbacks, read, replaced and nudged.

Refinement searches them (evolve.refine) and the promotion gate's robustness check moves each
one a little (`neighbours`): a strategy whose edge vanishes when a 50-day lookback becomes 20 or
100 days, or a threshold moves by 10 %, was fitted to noise.
"""

from __future__ import annotations

from collections.abc import Sequence

from deap import gp

from genome.grammar import CONST_LIMIT, PSET, WINDOWS, Const, Constant, Lookback, window_of

__all__ = ["neighbours", "structure", "tunable_leaves", "with_leaves"]

_WINDOW_LEAF = {window_of(t): t for t in PSET.terminals[Lookback]}


def tunable_leaves(tree: gp.PrimitiveTree) -> list[float | int]:
    """The constants (float) and lookbacks (int) of `tree`, in prefix order."""
    return [
        node.value if node.ret is Const else window_of(node)
        for node in tree
        if node.arity == 0 and node.ret in (Const, Lookback)
    ]


def structure(tree: gp.PrimitiveTree) -> tuple[str, ...]:
    """`tree`'s nodes in prefix order with its constants and lookbacks left out (each a mark
    of its kind): two genomes of one structure are one idea with other numbers."""
    return tuple(
        ("#const" if node.ret is Const else "#lookback")
        if node.arity == 0 and node.ret in (Const, Lookback)
        else node.name
        for node in tree
    )


def with_leaves(tree: gp.PrimitiveTree, values: Sequence[float | int]) -> gp.PrimitiveTree:
    """A copy of `tree` with its tunable leaves replaced by `values` (in `tunable_leaves`
    order). Constants are clipped to +-CONST_LIMIT; a lookback must be one of `WINDOWS`.

    Raises:
        ValueError: a different number of values, or a lookback not in `WINDOWS`.
    """
    out = gp.PrimitiveTree(tree)
    spots = [i for i, node in enumerate(out) if node.arity == 0 and node.ret in (Const, Lookback)]
    if len(spots) != len(values):
        raise ValueError(f"{len(spots)} tunable leaves, got {len(values)} values")
    for i, value in zip(spots, values, strict=True):
        if out[i].ret is Const:
            out[i] = Constant(max(-CONST_LIMIT, min(CONST_LIMIT, float(value))))
        elif int(value) in _WINDOW_LEAF:
            out[i] = _WINDOW_LEAF[int(value)]
        else:
            raise ValueError(f"lookback {value} is not one of {WINDOWS}")
    return out


def neighbours(
    tree: gp.PrimitiveTree, constant_step: float = 0.10
) -> list[tuple[str, gp.PrimitiveTree]]:
    """The trees one small move away from `tree`, each with a description: every lookback one
    step down and up in `WINDOWS` (where there is a step), every non-zero constant times
    (1 - constant_step) and (1 + constant_step). Leaf k is the k-th in prefix order."""
    leaves = tunable_leaves(tree)
    out: list[tuple[str, gp.PrimitiveTree]] = []
    for k, leaf in enumerate(leaves):
        if isinstance(leaf, int):
            at = WINDOWS.index(leaf)
            moves: list[tuple[str, float | int]] = [
                (f"lookback {leaf} -> {WINDOWS[j]}", WINDOWS[j])
                for j in (at - 1, at + 1)
                if 0 <= j < len(WINDOWS)
            ]
        elif leaf == 0:
            moves = []  # 10 % of nothing is nothing
        else:
            moves = [
                (f"constant {leaf:g} -> {leaf * f:g}", leaf * f)
                for f in (1 - constant_step, 1 + constant_step)
            ]
        for text, value in moves:
            values = list(leaves)
            values[k] = value
            out.append((f"leaf {k + 1}: {text}", with_leaves(tree, values)))
    return out
