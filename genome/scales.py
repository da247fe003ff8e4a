"""What a series means: its scale, the rule each function states in its registry row
(`genome.primitives`), and the constants that split a series of each scale.

A scale names what a series is, to draw comparisons and constants that make sense
(`genome.sense`): "price", "volume", "dollars", "index" (market), "return" (ret, change),
"volatility" (std or abs of a return), "unit" (rank), "percent" (rsi), "z" (zscore), "ratio"
(a series divided by one of its own scale), a level's "spread" (std or difference of a level),
"product" (two levels multiplied), or None where arithmetic mixes scales (or takes a log).

This is the rule of meaning, not of dimensions: `genome.units` tells whether a genome is
scale-free; a rank and an RSI are both pure numbers there, and here of scales that different
constants split.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

__all__ = [
    "BASE_LEVELS",
    "LEVELS",
    "MULTIPLIERS",
    "SCALES",
    "Scale",
    "ScaleRule",
    "absolute",
    "difference",
    "fixed",
    "of_first",
    "product",
    "ratio",
    "spread",
    "total",
    "unknown",
]

Scale = str | None
ScaleRule = Callable[[Sequence[Scale]], Scale]
"""The scale of a function's result from its arguments' scales (None for a signal, lookback or
constant argument, and for a series of no known scale)."""

# Constants that split a series of each known scale.
SCALES: dict[str, tuple[float, ...]] = {
    "unit": (0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95),
    "percent": (10.0, 20.0, 30.0, 40.0, 50.0, 60.0, 70.0, 80.0, 90.0),
    "z": (-2.0, -1.5, -1.0, -0.5, 0.0, 0.5, 1.0, 1.5, 2.0),
    "return": (-0.1, -0.05, -0.03, -0.02, -0.01, 0.0, 0.01, 0.02, 0.03, 0.05, 0.1),
    "volatility": (0.005, 0.01, 0.015, 0.02, 0.03, 0.05),
    "ratio": (0.8, 0.9, 0.95, 0.98, 1.0, 1.02, 1.05, 1.1, 1.2),
}
# Factors of `mul(x, c)`: a series against a multiple of another of its scale (a close 2 %
# above its average, a volume twice its own).
MULTIPLIERS = (0.5, 0.8, 0.9, 0.95, 0.98, 1.02, 1.05, 1.1, 1.2, 1.5, 2.0, 3.0)
# Scales of series whose level means nothing on its own: a constant cannot split them for
# every symbol and every year alike.
BASE_LEVELS = frozenset({"price", "volume", "dollars", "index"})
LEVELS = BASE_LEVELS | {f"{scale} spread" for scale in BASE_LEVELS} | {"product"}


def fixed(scale: str) -> ScaleRule:
    """The same scale whatever goes in (rank: "unit", rsi: "percent")."""
    return lambda scales: scale


def of_first(scales: Sequence[Scale]) -> Scale:
    """The scale of the first argument (sma, lag, neg, a constant added or multiplied)."""
    return scales[0]


def unknown(scales: Sequence[Scale]) -> Scale:
    """No known scale (a log; every signal)."""
    return None


def spread(scales: Sequence[Scale]) -> Scale:
    """How far a series moves (std): a return's is a volatility, a level's a spread of it."""
    inner = scales[0]
    if inner == "return":
        return "volatility"
    return f"{inner} spread" if inner in LEVELS else None


def absolute(scales: Sequence[Scale]) -> Scale:
    """|x|: a return's size is a volatility; anything else keeps its scale."""
    return "volatility" if scales[0] == "return" else scales[0]


def total(scales: Sequence[Scale]) -> Scale:
    """A sum x + y: two series of one scale keep it."""
    first, second = scales[0], scales[1]
    return first if first is not None and first == second else None


def difference(scales: Sequence[Scale]) -> Scale:
    """A difference x - y: of one scale; two levels' difference is a spread of that level."""
    kept = total(scales)
    return f"{kept} spread" if kept in BASE_LEVELS else kept


def ratio(scales: Sequence[Scale]) -> Scale:
    """A quotient x / y: a ratio when both are of one scale."""
    return "ratio" if total(scales) is not None else None


def product(scales: Sequence[Scale]) -> Scale:
    """A product x * y: two levels multiplied (close x volume); nothing known otherwise."""
    return "product" if scales[0] in LEVELS and scales[1] in LEVELS else None
