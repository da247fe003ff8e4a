"""Random hold signals for benchmarks: regimes that flip with a fixed daily probability."""

from __future__ import annotations

import numpy as np

from market.panel import Panel


def random_hold_signal(panel: Panel, seed: int, flip_probability: float = 0.05) -> np.ndarray:
    """Each symbol's hold flips with `flip_probability` a day (mean holding ~20 days), and is
    off where the symbol has no data."""
    rng = np.random.default_rng(seed)
    flips = rng.random((panel.n_days, panel.n_symbols)) < flip_probability
    return (np.cumsum(flips, axis=0) % 2 == 1) & np.isfinite(panel.close)
