"""Stagnation: notice a population that no longer improves, and shake it.

After every generation the monitor is told the best fitness of the population:

    if best > reference + epsilon:  reference = best; stagnant_for = 0; injected = False
    else:                           stagnant_for += 1
    if stagnant_for >= generations:
        if not injected: action "inject"  (the least fit share is replaced by random genomes)
        else:            action "restart" (a whole new random population; the hall of fame and
                                           the novelty archive stay)
        stagnant_for = 0

A restart also clears the reference (the new population is measured from scratch), so a
landscape that stays flat alternates inject and restart forever, each one recorded.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

__all__ = ["Stagnation", "StagnationMonitor"]


@dataclass(frozen=True)
class Stagnation:
    """What the monitor decided after a generation."""

    action: str  # "inject" or "restart"
    best: float
    improvement: float  # best fitness now minus the reference, over the stagnant stretch


@dataclass
class StagnationMonitor:
    """Rule parameters and the state carried from one generation (and night) to the next."""

    generations: int
    epsilon: float
    reference: float = -math.inf
    stagnant_for: int = 0
    injected: bool = False

    def __post_init__(self) -> None:
        if self.generations < 1 or self.epsilon < 0:
            raise ValueError(
                f"stagnation needs generations >= 1 and epsilon >= 0, got "
                f"{self.generations}, {self.epsilon}"
            )

    def observe(self, best: float) -> Stagnation | None:
        """Record the best fitness of a generation; the action for the next one, if any."""
        if best > self.reference + self.epsilon:
            self.reference, self.stagnant_for, self.injected = best, 0, False
            return None
        self.stagnant_for += 1
        if self.stagnant_for < self.generations:
            return None
        improvement = best - self.reference
        self.stagnant_for = 0
        if not self.injected:
            self.injected = True
            return Stagnation("inject", best, improvement)
        self.injected, self.reference = False, -math.inf
        return Stagnation("restart", best, improvement)
