"""Random genomes that always succeed, and height/size limits for variation operators.

DEAP's typed generators fail ("tried to add a primitive of type X, but there is none
available") when the type they need at some depth has no primitive (Window, Const) or no
terminal (Signal, here). This generator knows, for every function, the least height that can
complete it (`_MIN_HEIGHT`), and at each depth only picks what can still be finished within the
height asked for; Window and Const are always leaves. So a tree of any requested height >= 1
exists and is produced for every seed. `true`/`false` are never drawn (they only arise from
simplification).

Randomness comes from the `random.Random` passed in; nothing global is touched.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from functools import wraps
from typing import Any

from deap import gp

from genome.grammar import PSET, Const, Constant, Signal

__all__ = ["bounded", "generate", "half_and_half"]

_DRAWN_TERMINALS = {
    t: [x for x in PSET.terminals[t] if x.name not in ("true", "false")] for t in PSET.terminals
}


def _least_heights() -> tuple[dict[type, int], dict[str, int]]:
    # Least height of a subtree of each type, and rooted at each primitive (fixed point).
    by_type = {t: (0 if _DRAWN_TERMINALS[t] else 10**6) for t in PSET.terminals}
    primitives = [p for ps in PSET.primitives.values() for p in ps]
    for _ in range(len(primitives)):
        for p in primitives:
            by_type[p.ret] = min(by_type[p.ret], 1 + max(by_type[a] for a in p.args))
    return by_type, {p.name: 1 + max(by_type[a] for a in p.args) for p in primitives}


_LEAST_BY_TYPE, _MIN_HEIGHT = _least_heights()


def generate(
    rng: random.Random,
    min_height: int,
    max_height: int,
    method: str = "grow",
    root: type = Signal,
) -> gp.PrimitiveTree:
    """A random tree rooted at `root` whose height is in [min_height, max_height] ("grow":
    leaves may stop early once min_height is reached; "full": every series or signal branch
    reaches the drawn height, where the types allow)."""
    if method not in ("grow", "full"):
        raise ValueError(f"method must be 'grow' or 'full', got {method!r}")
    least = _LEAST_BY_TYPE[root]  # 1 for a Signal: a comparison of two leaves
    if max_height < max(least, min_height) or min_height < 0:
        raise ValueError(f"cannot build heights {min_height}..{max_height} for {root.__name__}")
    height = rng.randint(max(least, min_height), max_height)
    nodes: list[gp.Primitive | gp.Terminal] = []
    pending: list[tuple[int, type]] = [(0, root)]
    terminal_ratio = PSET.terms_count / (PSET.terms_count + PSET.prims_count)
    while pending:
        depth, wanted = pending.pop()
        fits = [p for p in PSET.primitives[wanted] if depth + _MIN_HEIGHT[p.name] <= height]
        leaves = _DRAWN_TERMINALS[wanted]
        leaf = not fits or (
            leaves
            and (
                depth >= height
                or (method == "grow" and depth >= min_height and rng.random() < terminal_ratio)
            )
        )
        if leaf:
            nodes.append(_leaf(rng, wanted, leaves))
        else:
            primitive = rng.choice(fits)
            nodes.append(primitive)
            pending.extend((depth + 1, a) for a in reversed(primitive.args))
    return gp.PrimitiveTree(nodes)


def _leaf(rng: random.Random, wanted: type, leaves: Sequence[gp.Terminal]) -> gp.Terminal:
    choice = rng.choice(leaves)
    return Constant(choice.value) if wanted is Const else choice


def half_and_half(rng: random.Random, min_height: int, max_height: int) -> gp.PrimitiveTree:
    """DEAP's ramped half-and-half: grow or full with equal chance."""
    return generate(rng, min_height, max_height, rng.choice(("grow", "full")))


def bounded(max_height: int, max_size: int) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Decorate a DEAP variation operator (crossover or mutation) so that any offspring taller
    than `max_height` or larger than `max_size` nodes is replaced by a copy of its parent, as
    DEAP's `staticLimit` does for one measure; both limits apply to every operator alike."""

    def decorate(operator: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(operator)
        def limited(*parents: gp.PrimitiveTree, **kwargs: Any) -> tuple[gp.PrimitiveTree, ...]:
            keep = [parent.__class__(parent) for parent in parents]
            offspring = list(operator(*parents, **kwargs))
            for i, child in enumerate(offspring):
                if child.height > max_height or len(child) > max_size:
                    offspring[i] = keep[i % len(keep)]
            return tuple(offspring)

        return limited

    return decorate
