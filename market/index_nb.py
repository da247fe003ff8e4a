"""The equal-weight market index of a panel (numba): what the genomes read as `market`."""

from __future__ import annotations

import math

import numpy as np
from numba import njit

__all__ = ["market_nb"]

NAN = np.nan


@njit(cache=True)
def market_nb(close: np.ndarray, out: np.ndarray) -> None:
    """The equal-weight market index of (days x symbols) closes, into `out` (days,): 1 on the
    first row, then times (1 + the mean close-to-close return of the columns with a close on
    both rows); a row where no column has one leaves it unchanged."""
    level = 1.0
    for t in range(close.shape[0]):
        if t > 0:
            total = 0.0
            count = 0
            for j in range(close.shape[1]):
                a, b = close[t - 1, j], close[t, j]
                if a == a and b == b and a > 0.0:
                    r = b / a - 1.0
                    if math.isfinite(r):
                        total += r
                        count += 1
            if count > 0:
                level = level * (1.0 + total / count)
                if not math.isfinite(level) or level <= 0.0:
                    level = NAN
        out[t] = level
