"""Behaviour descriptors: what a strategy did, as a fixed-length vector, for novelty search.

The descriptor of a backtest over n counted days splits them into `BLOCKS` equal consecutive
blocks (the last ones one day shorter when n is not a multiple) and keeps, per block:

- the mean exposure (share of equity in positions at the close, 0..1), and
- the compounded return of the block (prod(1 + r) - 1).

So two strategies are near when they were invested at the same times and made or lost money
at the same times, whatever their genomes look like. The vector has 2 x BLOCKS values; the
Euclidean distance between two of them is the novelty distance (Lehman & Stanley 2011).
"""

from __future__ import annotations

import numpy as np

from fitness.backtest import BacktestResult

__all__ = ["BLOCKS", "descriptor", "distances"]

BLOCKS = 16


def descriptor(result: BacktestResult) -> np.ndarray:
    """The behaviour of `result`: float64 array of shape (2 x BLOCKS,), exposure blocks first."""
    exposure = np.asarray(result.exposure, dtype=np.float64)
    returns = np.asarray(result.returns, dtype=np.float64)
    n = len(returns)
    if n < BLOCKS:
        raise ValueError(f"a behaviour descriptor needs at least {BLOCKS} days, got {n}")
    edges = np.linspace(0, n, BLOCKS + 1).astype(np.int64)
    growth = np.log1p(returns)
    held = np.add.reduceat(exposure, edges[:-1]) / np.diff(edges)
    made = np.expm1(np.add.reduceat(growth, edges[:-1]))
    return np.concatenate([held, made])


def distances(points: np.ndarray, others: np.ndarray) -> np.ndarray:
    """Euclidean distances (len(points), len(others)) between rows of two descriptor arrays."""
    if len(points) == 0 or len(others) == 0:
        return np.zeros((len(points), len(others)))
    diff = points[:, None, :] - others[None, :, :]
    return np.sqrt(np.einsum("ijk,ijk->ij", diff, diff))
