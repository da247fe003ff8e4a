"""Units of a genome's series, and whether its signals are scale-free.

Back-adjusted prices (every daily-bar source the lab reads) are divided by the splits and
dividends that came *later*, so an early price level says something about the future: on the
bundled data the adjusted close correlates -0.38 with the return still to come in train. A rule
that ranks prices across symbols, or compares a price with a constant, can ride that artefact.
A scale-free rule cannot: its signals stay the same, cell by cell, when one symbol's prices are
multiplied by a constant and its volume by another.

Each series has a unit, the powers of the three scales it moves with: the symbol's price `P`
(open, high, low, close), its volume `V` (volume; dollar_volume is P x V) and the benchmark
symbol's price `B` (benchmark). ret and market are pure numbers. Then:

    add, sub, gt, lt    both sides of one unit
    mul, div            the units multiply or divide (close / sma(close, 50) is a pure number)
    add_const, log      a pure number only (close + 1 or log(close) mixes scales)
    gt_const, lt_const  a pure number only (a level against a constant)
    rank                a pure number only (a level ranked across symbols)
    change, zscore, rsi any unit in, a pure number out (ratios of a series' own values)
    the rest            keep the unit (sma, ema, std, min, max, lag, neg, abs, mul_const)

A genome is scale-free when every node keeps these rules. With scales that are powers of two the
evaluator's arithmetic is exact, so the signals are identical bit for bit (tested).

This is the rule of dimensions, not of meaning: `genome.generate.scale_of` names what a series
is (a return, a rank, an RSI) to pick constants and comparisons that make sense.
"""

from __future__ import annotations

from collections.abc import Sequence

from deap import gp

from genome.grammar import Series
from genome.text import to_text

__all__ = ["PURE", "Unit", "scale_problem", "unit_name"]

# Powers of (the symbol's price, its volume, the benchmark's price).
Unit = tuple[int, int, int]
PURE: Unit = (0, 0, 0)
_PRICE, _VOLUME, _BENCHMARK = (1, 0, 0), (0, 1, 0), (0, 0, 1)
_LEAVES: dict[str, Unit] = {
    "open": _PRICE,
    "high": _PRICE,
    "low": _PRICE,
    "close": _PRICE,
    "volume": _VOLUME,
    "dollar_volume": (1, 1, 0),
    "benchmark": _BENCHMARK,
    "ret": PURE,
    "market": PURE,
}
_KEEP = {"sma", "ema", "std", "min", "max", "lag", "neg", "abs", "mul_const"}
_TO_PURE = {"change", "zscore", "rsi"}
_PURE_ONLY = {
    "add_const": "adds a constant to {}",
    "log": "takes the log of {}",
    "gt_const": "compares {} with a constant",
    "lt_const": "compares {} with a constant",
    "rank": "ranks {} across symbols",
}
_SAME = {
    "add": "adds {} to {}",
    "sub": "subtracts {1} from {0}",
    "gt": "compares {} with {}",
    "lt": "compares {} with {}",
}


class _Refused(Exception):
    pass


def scale_problem(tree: Sequence[gp.Primitive | gp.Terminal]) -> str | None:
    """Why the signals of `tree` (a genome, prefix order) depend on price or volume levels,
    naming the first offending node; None when the genome is scale-free."""
    nodes = gp.PrimitiveTree(tree)
    try:
        _unit(nodes, 0)
    except _Refused as refused:
        return str(refused)
    return None


def unit_name(unit: Unit) -> str:
    """A value of the unit in words: "a pure number", "a price", "a benchmark price", "a
    value in price x volume", "a value in 1 / price"."""
    names = ("price", "volume", "benchmark price")
    if unit == PURE:
        return "a pure number"
    if sorted(unit) == [0, 0, 1]:
        return f"a {names[unit.index(1)]}"
    up = [n if p == 1 else f"{n}^{p}" for n, p in zip(names, unit, strict=True) if p > 0]
    down = [n if p == -1 else f"{n}^{-p}" for n, p in zip(names, unit, strict=True) if p < 0]
    return f"a value in {' x '.join(up) or '1'}" + (f" / {' x '.join(down)}" if down else "")


def _unit(nodes: gp.PrimitiveTree, i: int) -> Unit | None:
    # The unit of the subtree at nodes[i] (None for signals, lookbacks and constants); raises
    # _Refused at the first node that breaks a rule (children first).
    node = nodes[i]
    name = str(node.name)
    if node.arity == 0:
        return _LEAVES[name] if node.ret is Series else None
    units, at = [], i + 1
    for _ in range(node.arity):
        units.append(_unit(nodes, at))
        at = nodes.searchSubtree(at).stop
    if node.ret is not Series and name not in _SAME and name not in _PURE_ONLY:
        return None  # and, or, not, lag of a signal
    first = units[0]
    assert first is not None
    if name in _KEEP:
        return first
    if name in _TO_PURE:
        return PURE
    if name in _PURE_ONLY:
        if first != PURE:
            raise _Refused(f"{_text(nodes, i)} {_PURE_ONLY[name].format(unit_name(first))}")
        return PURE if node.ret is Series else None
    second = units[1]
    assert second is not None
    if name == "mul":
        return _combine(first, second, 1)
    if name == "div":
        return _combine(first, second, -1)
    if first != second:
        what = _SAME[name].format(unit_name(first), unit_name(second))
        raise _Refused(f"{_text(nodes, i)} {what}")
    return first if node.ret is Series else None


def _combine(first: Unit, second: Unit, sign: int) -> Unit:
    p, v, b = (x + sign * y for x, y in zip(first, second, strict=True))
    return (p, v, b)


def _text(nodes: gp.PrimitiveTree, i: int) -> str:
    return to_text(gp.PrimitiveTree(nodes[nodes.searchSubtree(i)]))
