"""Small hand-written panels for tests."""

from __future__ import annotations

import numpy as np

from market.panel import Panel


def make_panel(
    opens: dict[str, list[float]],
    closes: dict[str, list[float]] | None = None,
    volumes: dict[str, list[float]] | None = None,
    tradable: dict[str, list[bool]] | None = None,
) -> Panel:
    """A panel from per-symbol lists; closes default to the opens, volumes to 1000. NaN marks
    a day without a bar, which is then not tradable."""
    symbols = tuple(sorted(opens))
    n_days = len(next(iter(opens.values())))
    dates = np.datetime64("2020-01-01") + np.arange(n_days).astype("timedelta64[D]")

    def table(values: dict[str, list[float]] | None, default: dict[str, list[float]]) -> np.ndarray:
        source = values or default
        return np.array([source[s] for s in symbols], dtype=float).T

    o = table(opens, opens)
    c = table(closes, opens)
    v = table(volumes, {s: [1000.0] * n_days for s in symbols})
    ok = ~np.isnan(o) & ~np.isnan(c)
    if tradable is not None:
        ok &= np.array([tradable[s] for s in symbols], dtype=bool).T
    return Panel(dates, symbols, o, np.fmax(o, c), np.fmin(o, c), c, v, ok)


def make_signal(panel: Panel, on: dict[str, str]) -> np.ndarray:
    """`on` gives per symbol a string of 0/1 per day (spaces ignored); absent symbols are 0."""
    signal = np.zeros((panel.n_days, panel.n_symbols), dtype=bool)
    for j, symbol in enumerate(panel.symbols):
        bits = on.get(symbol, "0" * panel.n_days).replace(" ", "")
        assert len(bits) == panel.n_days, symbol
        signal[:, j] = [b == "1" for b in bits]
    return signal


def sample(seed: int, n_days: int = 80, n_symbols: int = 5) -> np.ndarray:
    """Prices with NaN gaps, zeros, negatives and repeated values (ties, flat runs)."""
    rng = np.random.default_rng(seed)
    x = 50 + np.cumsum(rng.normal(0, 1, (n_days, n_symbols)), axis=0)
    x[rng.random(x.shape) < 0.08] = np.nan
    x[rng.random(x.shape) < 0.03] = 0.0
    x[:, 0] = np.round(x[:, 0])  # ties across days and symbols
    x[10:20, 1] = 7.0  # a flat run
    return x


def rescaled(panel: Panel, seed: int, same_dollar_volume: bool = False) -> Panel:
    """`panel` with each symbol's open, high, low and close times 2^k and its volume times
    2^j (k, j drawn per symbol in -6..6; j = -k with `same_dollar_volume`): exact in floating
    point. The market index keeps its levels (a panel cut from a larger one has the whole's);
    that the index itself is the same on rescaled closes is checked apart."""
    rng = np.random.default_rng(seed)
    powers = rng.integers(-6, 7, panel.n_symbols)
    prices = 2.0**powers
    volumes = 2.0 ** (-powers if same_dollar_volume else rng.integers(-6, 7, panel.n_symbols))
    return Panel(
        panel.dates,
        panel.symbols,
        panel.open * prices,
        panel.high * prices,
        panel.low * prices,
        panel.close * prices,
        panel.volume * volumes,
        panel.tradable,
        market=panel.market,
        benchmark_symbol=panel.benchmark_symbol,
    )
