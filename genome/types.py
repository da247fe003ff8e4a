"""The four value types of the grammar, as markers for DEAP's typed primitive set.

`Series` (float, days x symbols), `Signal` (bool, days x symbols), `Lookback` (an integer
lookback in sessions) and `Const` (a bounded decimal). A genome's root is a `Signal`."""

from __future__ import annotations

__all__ = ["Const", "Lookback", "Series", "Signal"]


class Series:
    """Type marker: a float array (days x symbols); NaN where undefined."""


class Signal:
    """Type marker: a bool array (days x symbols)."""


class Lookback:
    """Type marker: an integer lookback in sessions, one of `genome.grammar.WINDOWS`."""


class Const:
    """Type marker: a decimal constant with |value| <= `genome.grammar.CONST_LIMIT`."""
