"""Backtests per second: this engine versus a plain pandas/Python loop and vectorbt.

All three run the same random hold signals on the same panel, single process, in one run. The
comparisons use settlement_days = 0 because vectorbt has no settlement; vectorbt also has no
max_positions (every signalled entry is tried until cash runs out) and sizes entries at a fixed
value (initial cash / max_positions), so its trades differ: only its speed is compared.
"""

from __future__ import annotations

import dataclasses
import statistics
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from bench.signals import random_hold_signal
from configs import BacktestConfig
from fitness.backtest import backtest
from fitness.costs import slippage_fraction
from fitness.reference_backtest import reference_backtest
from market.panel import Panel


def timed(run: Callable[[], Any], repeats: int) -> float:
    """Median seconds of `repeats` calls, after one untimed warm-up call (compilation)."""
    run()
    times = []
    for _ in range(repeats):
        began = time.perf_counter()
        run()
        times.append(time.perf_counter() - began)
    return statistics.median(times)


def measure(panel: Panel, rules: BacktestConfig, repeats: int, vectorbt: bool) -> dict[str, Any]:
    signal = random_hold_signal(panel, seed=7)
    same_day = dataclasses.replace(rules, settlement_days=0)
    engine = timed(lambda: backtest(panel, signal, same_day), repeats)
    engine_t1 = timed(lambda: backtest(panel, signal, rules), repeats)

    frames = {
        name: pd.DataFrame(getattr(panel, name), columns=list(panel.symbols))
        for name in ("open", "close", "volume", "tradable")
    }
    began = time.perf_counter()
    reference = reference_backtest(
        frames["open"],
        frames["close"],
        frames["volume"],
        frames["tradable"],
        pd.DataFrame(signal, columns=list(panel.symbols)),
        same_day,
    )
    pandas_seconds = time.perf_counter() - began
    ours = backtest(panel, signal, same_day)
    agree = bool(np.allclose(ours.equity, reference.equity, rtol=1e-9, atol=1e-6))

    figures: dict[str, Any] = {
        "days": panel.n_days,
        "symbols": panel.n_symbols,
        "trades": len(ours.trades),
        "engine_ms": engine * 1e3,
        "engine_t1_ms": engine_t1 * 1e3,
        "engine_per_second": 1.0 / engine,
        "pandas_ms": pandas_seconds * 1e3,
        "pandas_agrees": agree,
        "x_pandas": pandas_seconds / engine,
    }
    if vectorbt:
        figures.update(_vectorbt(panel, signal, same_day, repeats, engine))
    return figures


def _vectorbt(
    panel: Panel, signal: np.ndarray, rules: BacktestConfig, repeats: int, engine: float
) -> dict[str, Any]:
    import vectorbt as vbt

    entries = np.zeros_like(signal)
    entries[1:] = signal[:-1]  # decided at the close of t-1, filled at the open of t
    exits = np.zeros_like(signal)
    exits[1:] = ~signal[:-1]
    price = pd.DataFrame(panel.open)
    kwargs = dict(
        entries=pd.DataFrame(entries),
        exits=pd.DataFrame(exits),
        size=rules.initial_cash / rules.max_positions,
        size_type="value",
        direction="longonly",
        init_cash=rules.initial_cash,
        cash_sharing=True,
        group_by=True,
        call_seq="auto",
        slippage=slippage_fraction(rules.slippage_bps),
        freq="1D",
    )
    simulate = timed(lambda: vbt.Portfolio.from_signals(price, **kwargs), repeats)
    with_equity = timed(lambda: vbt.Portfolio.from_signals(price, **kwargs).value(), repeats)
    return {
        "vectorbt_ms": simulate * 1e3,
        "vectorbt_with_equity_ms": with_equity * 1e3,
        "x_vectorbt": simulate / engine,
        "vectorbt_version": vbt.__version__,
    }
