"""The numba kernel of the daily rank IC (fitness.rank_ic): one pass over the decision days."""

from __future__ import annotations

import math

import numpy as np
from numba import njit

__all__ = ["daily_rank_ic_nb"]


@njit(cache=True)
def daily_rank_ic_nb(
    chosen: np.ndarray,
    valid: np.ndarray,
    centred: np.ndarray,
    count: np.ndarray,
    spread: np.ndarray,
) -> np.ndarray:
    """IC_t of each decision day: Pearson's correlation of the 0/1 `chosen` (among `valid`
    symbols, `count` of them) with the `centred` ranks of the return ahead, whose root sum of
    squares is `spread`: sum(chosen x centred) / (sqrt(n_on (n - n_on) / n) x spread); 0 where
    it is undefined (no symbols, all ranks equal, all or none chosen)."""
    n_days, n_symbols = chosen.shape
    out = np.zeros(n_days)
    for t in range(n_days):
        n = count[t]
        if n == 0 or spread[t] == 0.0:
            continue
        n_on = 0
        total = 0.0
        for j in range(n_symbols):
            if chosen[t, j] and valid[t, j]:
                n_on += 1
                total += centred[t, j]
        if 0 < n_on < n:
            out[t] = total / (math.sqrt(n_on * (n - n_on) / n) * spread[t])
    return out
