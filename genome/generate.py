"""Random genomes that always succeed, and height/size limits for variation operators.

DEAP's typed generators fail ("tried to add a primitive of type X, but there is none
available") when the type they need at some depth has no primitive (Lookback, Const) or no
terminal (Signal, here). This generator knows, for every function, the least height that can
complete it (`_MIN_HEIGHT`), and at each depth only picks what can still be finished within the
height asked for; Lookback and Const are always leaves. So a tree of any requested height >= 1
exists and is produced for every seed. `true`/`false` are never drawn (they only arise from
simplification), nor a function whose registry row says `drawn=False`.

Random trees compare like with like. Each series has a meaning scale (`genome.scales`: a
price, a volume, a return, a rank, ...); a drawn tree that compares two series of different
scales, or a price, volume or index level with a constant, or adds a price to a volume, is
drawn again (`genome.sense.sensible`), and a constant compared with a series of known scale
comes from values that split it (`genome.scales.SCALES`: 0.2 for a rank, 30 for an RSI, -0.02
for a return), from `CONSTANTS` otherwise. Drawn blindly, five of six random genomes made
fewer than 20 trades on a train window (or never varied), and the search spent its evaluations
on them; now half of them trade. Users, crossover and mutation may still write anything the
grammar allows.

Randomness comes from the `random.Random` passed in; nothing global is touched.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from functools import wraps
from typing import Any

from deap import gp

from genome.grammar import PSET, Const, Constant, Lookback, Series, Signal, function_of
from genome.scales import MULTIPLIERS, SCALES
from genome.sense import scale_of, scale_problem, sensible

__all__ = ["DRAWN_PRIMITIVES", "bounded", "generate", "half_and_half"]

_DRAWN_TERMINALS = {
    t: [x for x in PSET.terminals[t] if x.name not in ("true", "false")] for t in PSET.terminals
}
# The functions random trees and mutation draw from, by result type: those whose registry row
# says so (`genome.primitives`).
DRAWN_PRIMITIVES = {
    t: [p for p in ps if function_of(p.name).drawn] for t, ps in PSET.primitives.items()
}


# Random comparisons of two series: the share whose second series is a relative of the first
# (`_relate`). Rules people trade mostly compare a series with itself: a close above its
# 100-day average or yesterday's 20-day high, a volume twice its 20-day average, a 20-day
# volatility below the 100-day one. Drawn blindly, 3 % of the sensible comparisons of two
# series in random genomes were of that form; with RELATED_SHARE 0.5 about 90 % are (the rest
# are more often not sensible, so drawn again).
RELATED_SHARE = 0.5
_RELATIVES = ("sma", "ema", "max", "min", "lag")
_SERIES = {p.name: p for p in DRAWN_PRIMITIVES[Series]}
_COMPARE = {p.name: p for p in DRAWN_PRIMITIVES[Signal]}


def _least_heights() -> tuple[dict[type, int], dict[str, int]]:
    # Least height of a subtree of each type, and rooted at each primitive (fixed point).
    by_type = {t: (0 if _DRAWN_TERMINALS[t] else 10**6) for t in PSET.terminals}
    primitives = [p for ps in DRAWN_PRIMITIVES.values() for p in ps]
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
    reaches the drawn height, where the types allow). Trees that are not `sensible` are drawn
    again, up to 100 times; then the last scale-free one is kept. A fifth to a third of the
    drawn trees are scale-free, so a signal tree that never is (odds below 1e-8) becomes the
    close against one of its averages, whatever the heights: a generated genome is always
    scale-free."""
    kept = None
    for _ in range(100):
        tree = _draw(rng, min_height, max_height, method, root)
        if method == "grow":
            tree = _relate(rng, tree, min_height, max_height)
        if sensible(tree):
            return tree
        if root is not Signal or scale_problem(tree) is None:
            kept = tree
    return kept if kept is not None else _fallback(rng)


def _fallback(rng: random.Random) -> gp.PrimitiveTree:
    # gt(close, sma(close, w)): the simplest sensible signal, at a random lookback.
    window = rng.choice(_DRAWN_TERMINALS[Lookback][1:])
    close = PSET.mapping["close"]
    return gp.PrimitiveTree([_COMPARE["gt"], close, _SERIES["sma"], close, window])


def _relate(
    rng: random.Random, tree: gp.PrimitiveTree, min_height: int, max_height: int
) -> gp.PrimitiveTree:
    # Each comparison of two series, with probability RELATED_SHARE, compares the first with a
    # relative of itself instead (kept when the tree's height stays in bounds).
    nodes = list(tree)
    for i in reversed(range(len(nodes))):
        if str(nodes[i].name) not in ("gt", "lt") or rng.random() >= RELATED_SHARE:
            continue
        first = tree.searchSubtree(i + 1)
        second = tree.searchSubtree(first.stop)
        relative = _relative(rng, nodes[first])
        candidate = gp.PrimitiveTree(nodes[: second.start] + relative + nodes[second.stop :])
        if min_height <= candidate.height <= max_height:
            nodes = list(candidate)
    return gp.PrimitiveTree(nodes)


def _relative(
    rng: random.Random, series: list[gp.Primitive | gp.Terminal]
) -> list[gp.Primitive | gp.Terminal]:
    windows = [k for k, node in enumerate(series) if node.ret is Lookback]
    if windows and rng.random() < 0.5:  # the same series over other lookbacks
        out = list(series)
        for k in windows:
            out[k] = rng.choice([w for w in _DRAWN_TERMINALS[Lookback] if w.name != out[k].name])
        return out
    out = list(series)
    for _ in range(rng.choice((1, 1, 2))):  # its average, extreme or past: one or two of them
        out = [_SERIES[rng.choice(_RELATIVES)], *out, rng.choice(_DRAWN_TERMINALS[Lookback])]
    if rng.random() < 1 / 3:
        out = [_SERIES["mul_const"], *out, Constant(rng.choice(MULTIPLIERS))]
    return out


def _draw(
    rng: random.Random, min_height: int, max_height: int, method: str, root: type
) -> gp.PrimitiveTree:
    if method not in ("grow", "full"):
        raise ValueError(f"method must be 'grow' or 'full', got {method!r}")
    least = _LEAST_BY_TYPE[root]  # 1 for a Signal: a comparison of two leaves
    if max_height < max(least, min_height) or min_height < 0:
        raise ValueError(f"cannot build heights {min_height}..{max_height} for {root.__name__}")
    height = rng.randint(max(least, min_height), max_height)
    nodes: list[gp.Primitive | gp.Terminal] = []
    pending: list[tuple[int, type, int]] = [(0, root, -1)]  # depth, type, parent's index
    drawn = sum(len(ps) for ps in DRAWN_PRIMITIVES.values())
    terminal_ratio = PSET.terms_count / (PSET.terms_count + drawn)
    while pending:
        depth, wanted, parent = pending.pop()
        fits = [p for p in DRAWN_PRIMITIVES[wanted] if depth + _MIN_HEIGHT[p.name] <= height]
        leaves = _DRAWN_TERMINALS[wanted]
        leaf = not fits or (
            leaves
            and (
                depth >= height
                or (method == "grow" and depth >= min_height and rng.random() < terminal_ratio)
            )
        )
        if leaf:
            nodes.append(_leaf(rng, wanted, leaves, nodes, parent))
        else:
            primitive = rng.choice(fits)
            nodes.append(primitive)
            at = len(nodes) - 1
            pending.extend((depth + 1, a, at) for a in reversed(primitive.args))
    return gp.PrimitiveTree(nodes)


def _leaf(
    rng: random.Random,
    wanted: type,
    leaves: Sequence[gp.Terminal],
    nodes: Sequence[gp.Primitive | gp.Terminal],
    parent: int,
) -> gp.Terminal:
    if wanted is not Const:
        return rng.choice(leaves)
    # The constant of a comparison or of arithmetic: its first argument, complete by now,
    # starts just after the parent.
    role = str(nodes[parent].name) if parent >= 0 else ""
    if role == "mul_const":
        return Constant(rng.choice(MULTIPLIERS))
    scale = scale_of(nodes, parent + 1) if role in ("gt_const", "lt_const", "add_const") else None
    if scale == "volatility" and role == "add_const":
        scale = "return"
    if scale in SCALES:
        return Constant(rng.choice(SCALES[scale]))
    return Constant(rng.choice(leaves).value)


def half_and_half(rng: random.Random, min_height: int, max_height: int) -> gp.PrimitiveTree:
    """DEAP's ramped half-and-half: grow or full with equal chance."""
    return generate(rng, min_height, max_height, rng.choice(("grow", "full")))


def bounded(max_height: int, max_size: int) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Decorate a DEAP variation operator (crossover or mutation) so that any offspring taller
    than `max_height` or larger than `max_size` nodes is replaced by a copy of its parent, as
    DEAP's `staticLimit` does for one measure; both limits apply to every operator alike. So is
    an offspring that is not `sensible` of a parent that was: a subtree moved into a place of
    another unit (a z-score compared with a price) makes a rule nobody means, and on the
    discovery-power benchmark such rules filled the populations, fitting train's market swings.
    An offspring that is not scale-free (`genome.units`) is always replaced: bred genomes never
    read price levels.
    """

    def decorate(operator: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(operator)
        def limited(*parents: gp.PrimitiveTree, **kwargs: Any) -> tuple[gp.PrimitiveTree, ...]:
            keep = [parent.__class__(parent) for parent in parents]
            offspring = list(operator(*parents, **kwargs))
            for i, child in enumerate(offspring):
                parent = keep[i % len(keep)]
                if (
                    child.height > max_height
                    or len(child) > max_size
                    or scale_problem(child) is not None
                    or (not sensible(child) and sensible(parent))
                ):
                    offspring[i] = parent
            return tuple(offspring)

        return limited

    return decorate
