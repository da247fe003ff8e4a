"""Compile (or load from numba's on-disk cache) every kernel a night's evaluation calls.

numba compiles a kernel the first time it meets a kind of argument, and keeps the machine code
in its cache (`__pycache__` beside the source, or NUMBA_CACHE_DIR). A fresh install would spend
its first night's budget compiling; `sh lab.sh` warms the kernels once it has installed the
lab, and every night warms them again, outside its budget's clock (quick once cached: code
changed since is compiled then, not in the first generation).

Every function of the grammar is scored here with every kind of argument it can meet (a price
read from the panel, a read-only derived series, a series computed by another function, a stored
signal...), on a small made-up market, through the night's own path (`assess_texts`).

    python -m fitness.warm
"""

from __future__ import annotations

import itertools
import time

import numpy as np

from configs import load_config
from fitness.assess import assess_texts
from fitness.windows import Window
from genome.grammar import FUNCTIONS, SERIES, Const, Lookback, Series, Signal
from market.panel import Panel

__all__ = ["warm_kernels", "warm_texts"]

# One example of each kind of argument a function can be given.
_EXAMPLES: dict[type, tuple[str, ...]] = {
    Series: (*SERIES, "neg(close)"),
    Signal: ("true", "gt(close, open)", "lag(gt(close, open), 5)"),
    Lookback: ("5",),
    Const: ("0.5",),
}


def warm_texts() -> list[str]:
    """Genome texts that call every function with every kind of argument."""
    texts = []
    for function in FUNCTIONS:
        for args in itertools.product(*(_EXAMPLES[kind] for kind in function.args)):
            text = f"{function.name}({', '.join(args)})"
            texts.append(text if function.ret is Signal else f"gt({text}, 0.5)")
    return texts


def _market(days: int = 300, symbols: int = 4, seed: int = 0) -> Panel:
    rng = np.random.default_rng(seed)
    close = 50.0 * np.exp(np.cumsum(rng.normal(0.0, 0.01, (days, symbols)), axis=0))
    open_ = close * np.exp(rng.normal(0.0, 0.002, (days, symbols)))
    dates = np.busday_offset("2001-01-02", np.arange(days), roll="forward").astype("datetime64[D]")
    return Panel(
        dates,
        ("AAA", "BBB", "CCC", "SPY")[:symbols],
        open=open_,
        high=np.maximum(open_, close) * 1.01,
        low=np.minimum(open_, close) * 0.99,
        close=close,
        volume=rng.uniform(1e5, 1e6, (days, symbols)),
        tradable=np.ones((days, symbols), dtype=bool),
        benchmark_symbol="SPY",
    )


def warm_kernels() -> float:
    """Score `warm_texts` on a made-up market with the default cost rules; the seconds taken.

    Raises:
        RuntimeError: a warm-up genome failed (a kernel that does not compile).
    """
    started = time.monotonic()
    panel = _market()
    warmup = 260  # the longest lookback (252) and a little
    window = Window(
        "warm-up", panel.dates[warmup], panel.dates[-1], 0, warmup, panel.n_days, "warm-up"
    )
    rules = load_config(None).backtest
    for cache_bytes in (0, 1 << 20):  # without and with the subtree cache
        assessed = assess_texts(panel, window, rules, warm_texts(), cache_bytes)
        failed = [a for a in assessed if a.reason]
        if failed:
            raise RuntimeError(f"warming the kernels: {failed[0].text}: {failed[0].reason}")
    return time.monotonic() - started


if __name__ == "__main__":
    print(f"the numba kernels are ready ({warm_kernels():.1f}s)")
