"""Units of a genome's series: the rule of dimensions each function states in its registry row
(`genome.primitives`).

Back-adjusted prices (every daily-bar source the lab reads) are divided by the splits and
dividends that came *later*, so an early price level says something about the future: on the
bundled data the adjusted close correlates -0.38 with the return still to come in train. A rule
that ranks prices across symbols, or compares a price with a constant, can ride that artefact.
A scale-free rule cannot: its signals stay the same, cell by cell, when one symbol's prices are
multiplied by a constant and its volume by another.

Each series has a unit, the powers of the three scales it moves with: the symbol's price `P`
(open, high, low, close), its volume `V` (volume; dollar_volume is P x V) and the benchmark
symbol's price `B` (benchmark). ret and market are pure numbers. A function's unit rule is one
of:

    SAME         both sides of one unit (add, sub, gt, lt)
    MULTIPLY     the units multiply (mul)
    DIVIDE       the units divide (close / sma(close, 50) is a pure number)
    PURE_ONLY    a pure number only: a constant added or compared, a log, a value ranked or
                 averaged across symbols
    TO_PURE      any unit in, a pure number out (ratios of a series' own values: change, zscore)
    KEEP         the unit of the first argument (sma, ema, std, min, max, lag, neg, abs, ...)
    SIGNALS      signals in, a signal out (and, or, not, lag of a signal)

A genome is scale-free when every node keeps its rule (`genome.sense.scale_problem`). With
scales that are powers of two the evaluator's arithmetic is exact, so the signals are identical
bit for bit (tested).

This is the rule of dimensions, not of meaning: `genome.scales` names what a series is (a
return, a rank, an RSI) to pick constants and comparisons that make sense.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

__all__ = [
    "BENCHMARK",
    "DIVIDE",
    "KEEP",
    "MULTIPLY",
    "PRICE",
    "PURE",
    "SIGNALS",
    "TO_PURE",
    "VOLUME",
    "Refused",
    "Unit",
    "UnitRule",
    "pure_only",
    "same",
    "unit_name",
]

# Powers of (the symbol's price, its volume, the benchmark's price).
Unit = tuple[int, int, int]
PURE: Unit = (0, 0, 0)
PRICE: Unit = (1, 0, 0)
VOLUME: Unit = (0, 1, 0)
BENCHMARK: Unit = (0, 0, 1)


class Refused(Exception):
    """A unit rule broken: what the node does, in words ("ranks a price across symbols")."""


@dataclass(frozen=True)
class UnitRule:
    """The unit of a function's result from its arguments' units (None for a signal, lookback
    or constant argument); raises `Refused` when the arguments break the rule."""

    result: Callable[[Sequence[Unit | None]], Unit | None]

    def __call__(self, units: Sequence[Unit | None]) -> Unit | None:
        """The result's unit; raises `Refused`."""
        return self.result(units)


def _first(units: Sequence[Unit | None]) -> Unit:
    first = units[0]
    assert first is not None, "a unit rule's first argument is a series"
    return first


def _combine(units: Sequence[Unit | None], sign: int) -> Unit:
    first, second = _first(units), units[1]
    assert second is not None
    p, v, b = (x + sign * y for x, y in zip(first, second, strict=True))
    return (p, v, b)


KEEP = UnitRule(_first)
TO_PURE = UnitRule(lambda units: PURE)
MULTIPLY = UnitRule(lambda units: _combine(units, 1))
DIVIDE = UnitRule(lambda units: _combine(units, -1))
SIGNALS = UnitRule(lambda units: None)


def pure_only(what: str) -> UnitRule:
    """A pure number only; `what` says what the function does with another unit, "{}" standing
    for that unit ("ranks {} across symbols")."""

    def result(units: Sequence[Unit | None]) -> Unit:
        first = _first(units)
        if first != PURE:
            raise Refused(what.format(unit_name(first)))
        return PURE

    return UnitRule(result)


def same(what: str) -> UnitRule:
    """Both arguments of one unit, kept; `what` names the two units when they differ ("compares
    {} with {}")."""

    def result(units: Sequence[Unit | None]) -> Unit:
        first, second = _first(units), units[1]
        assert second is not None
        if first != second:
            raise Refused(what.format(unit_name(first), unit_name(second)))
        return first

    return UnitRule(result)


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
