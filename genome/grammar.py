"""The typed grammar of genomes: the value types (`genome.types`), the functions and series of
the registry (`genome.primitives`), lookbacks, constants and the DEAP primitive set.

A genome's root is a `Signal`: the hold decision at each close. The user-facing names
(`FUNCTIONS`, `SERIES`, `true`/`false`) are part of the interface.
"""

from __future__ import annotations

import math
from typing import Any

from deap import gp

from genome.primitives import FUNCTIONS, SERIES, Function, function_of
from genome.types import Const, Lookback, Series, Signal

__all__ = [
    "CONSTANTS",
    "CONST_LIMIT",
    "FUNCTIONS",
    "PSET",
    "SERIES",
    "SIGNALS",
    "WINDOWS",
    "Const",
    "Constant",
    "Function",
    "Lookback",
    "Series",
    "Signal",
    "function_of",
    "window_of",
]


WINDOWS = (1, 2, 3, 4, 5, 10, 14, 20, 50, 100, 200, 252)
CONST_LIMIT = 1e6
# Constants random generation and DEAP's node replacement draw from: the scales of returns,
# ranks (0..1), z-scores and RSI (0..100).
CONSTANTS = (
    -2.0,
    -1.0,
    -0.5,
    -0.1,
    -0.05,
    -0.02,
    -0.01,
    0.0,
    0.01,
    0.02,
    0.03,
    0.05,
    0.1,
    0.2,
    0.3,
    0.5,
    0.8,
    0.9,
    0.95,
    0.98,
    1.0,
    1.02,
    1.05,
    1.1,
    1.5,
    2.0,
    20.0,
    30.0,
    50.0,
    70.0,
    80.0,
)

SIGNALS = {"true": "hold everything that has a price", "false": "hold nothing"}


def window_of(node: gp.Terminal) -> int:
    """The lookback of a `Lookback` leaf (DEAP keeps a named terminal's value in the context)."""
    value: int = PSET.context[node.name]
    return value


class Constant(gp.Terminal):
    """A `Const` leaf. Equal when the values are equal (-0.0 is stored as 0.0)."""

    __slots__ = ()

    def __init__(self, value: float) -> None:
        value = float(value) + 0.0  # -0.0 -> 0.0
        if not math.isfinite(value) or abs(value) > CONST_LIMIT:
            raise ValueError(f"constant {value} is not finite or beyond +-{CONST_LIMIT:g}")
        super().__init__(value, False, Const)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Constant) and other.value == self.value

    def __hash__(self) -> int:
        return hash(("Constant", self.value))

    def __deepcopy__(self, memo: dict[int, Any]) -> Constant:
        return self  # immutable


def _primitive_set() -> gp.PrimitiveSetTyped:
    # The callables are never called (genomes are interpreted, never compiled); DEAP needs one
    # per primitive, so each gets a function that names the interpreter.
    pset = gp.PrimitiveSetTyped("genome", [], Signal)
    for function in FUNCTIONS:
        pset.addPrimitive(
            _interpreted(function.key), list(function.args), function.ret, name=function.key
        )
    for name in SERIES:
        pset.addTerminal(name, Series, name=name)
    for name, truth in (("true", True), ("false", False)):
        pset.addTerminal(truth, Signal, name=name)
    for w in WINDOWS:
        pset.addTerminal(w, Lookback, name=f"w{w}")
    for value in CONSTANTS:
        pset.terminals[Const].append(Constant(value))
        pset.terms_count += 1
    return pset


def _interpreted(key: str) -> Any:
    def primitive(*args: Any) -> Any:
        raise TypeError(f"genome primitive {key!r} is evaluated by genome.evaluate, not called")

    primitive.__name__ = key
    return primitive


PSET = _primitive_set()
