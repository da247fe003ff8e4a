"""Markets with a known answer, to check that the promotion gate protects the user.

- `shuffled_bars`: real bars whose days are put in a random order. Each symbol keeps its own
  daily returns, ranges and volumes, and the same day stays the same day for every symbol (the
  market's cross-section is real), but the order of days is random: nothing in the past says
  anything about the future. A strategy that passes the gate here is a false promotion.
- `planted_bars`: a synthetic market with one real edge, a rebound after a sharp fall: a symbol
  whose daily return is below `drop` (-2 %) rises by `edge` (1 %) on average the next day;
  every other day is a fair coin. Each session opens at the previous close, so a strategy that
  buys such a symbol at the next open captures the rebound. `lt(ret, -0.02)` is the simplest
  genome that exploits it.

Both return bars in the lab's long format (date, symbol, open, high, low, close, volume).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["planted_bars", "shuffled_bars"]


def shuffled_bars(bars: pd.DataFrame, seed: int, since: str = "2005-01-01") -> pd.DataFrame:
    """`bars` from `since` on, for the symbols that trade on every one of those days, with the
    order of their days (after the first) shuffled by one permutation drawn from `seed`."""
    frame = bars[bars["date"] >= pd.Timestamp(since)]
    wide = {f: frame.pivot(index="date", columns="symbol", values=f) for f in _FIELDS}
    complete = wide["close"].columns[wide["close"].notna().all()]
    close = wide["close"][complete].to_numpy()
    ratio = {
        "close": close[1:] / close[:-1],
        "open": wide["open"][complete].to_numpy()[1:] / close[:-1],
        "high": wide["high"][complete].to_numpy()[1:] / close[1:],
        "low": wide["low"][complete].to_numpy()[1:] / close[1:],
        "volume": wide["volume"][complete].to_numpy()[1:],
    }
    order = np.random.default_rng(seed).permutation(len(close) - 1)
    moved = {k: v[order] for k, v in ratio.items()}
    new_close = close[0] * np.vstack([np.ones(len(complete)), np.cumprod(moved["close"], 0)])
    rest = _bars_after_first(new_close, new_close[:-1] * moved["open"], moved["high"], moved["low"])
    first = {f: wide[f][complete].to_numpy()[:1] for f in _FIELDS}
    first["open"], first["high"], first["low"] = (
        first["open"] / first["close"] * close[:1],
        first["high"] / first["close"] * close[:1],
        first["low"] / first["close"] * close[:1],
    )
    arrays = {
        "open": np.vstack([first["open"], rest["open"]]),
        "high": np.vstack([first["high"], rest["high"]]),
        "low": np.vstack([first["low"], rest["low"]]),
        "close": new_close,
        "volume": np.vstack([first["volume"], moved["volume"]]),
    }
    return _long(wide["close"].index, list(complete), arrays)


def planted_bars(
    dates: pd.DatetimeIndex,
    n_symbols: int = 20,
    drop: float = -0.02,
    edge: float = 0.01,
    volatility: float = 0.01,
    seed: int = 0,
) -> pd.DataFrame:
    """A synthetic market on `dates`: r[t] = noise[t] + edge if r[t-1] < drop, else noise[t];
    noise normal with `volatility` and mean 0, independent across symbols and days;
    open[t] = close[t-1]."""
    rng = np.random.default_rng(seed)
    noise = rng.normal(0.0, volatility, (len(dates), n_symbols))
    returns = np.zeros_like(noise)
    for t in range(1, len(dates)):
        returns[t] = noise[t] + edge * (returns[t - 1] < drop)
    close = 50.0 * np.cumprod(1.0 + returns, axis=0)
    spread = np.abs(rng.normal(0.0, volatility / 2, (2, len(dates) - 1, n_symbols)))
    rest = _bars_after_first(close, close[:-1], 1.0 + spread[0], 1.0 - spread[1])
    arrays = {f: np.vstack([close[:1], rest[f]]) for f in ("open", "high", "low")}
    arrays["close"] = close
    arrays["volume"] = np.full_like(close, 1e6)
    return _long(dates, [f"S{k:02d}" for k in range(n_symbols)], arrays)


_FIELDS = ("open", "high", "low", "close", "volume")


def _bars_after_first(
    close: np.ndarray, open_: np.ndarray, high_ratio: np.ndarray, low_ratio: np.ndarray
) -> dict[str, np.ndarray]:
    # Open, high and low of the days after the first: high and low relative to the close,
    # never inside the bar's body.
    return {
        "open": open_,
        "high": np.maximum(close[1:] * high_ratio, np.maximum(open_, close[1:])),
        "low": np.minimum(close[1:] * low_ratio, np.minimum(open_, close[1:])),
    }


def _long(dates: pd.Index, symbols: list[str], arrays: dict[str, np.ndarray]) -> pd.DataFrame:
    n_days, n_symbols = arrays["close"].shape
    frame = pd.DataFrame(
        {
            "date": np.repeat(pd.DatetimeIndex(dates).strftime("%Y-%m-%d"), n_symbols),
            "symbol": np.tile(symbols, n_days),
            **{f: arrays[f].reshape(-1).round(6) for f in _FIELDS},
        }
    )
    return frame.sort_values(["symbol", "date"], kind="stable").reset_index(drop=True)
