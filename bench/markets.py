"""Real markets made unpredictable, to check that the promotion gate protects the user.

`shuffled_bars`: real bars whose days are put in a random order. Each symbol keeps its own daily
returns, ranges and volumes, and the same day stays the same day for every symbol (the market's
cross-section is real), but the order of days is random: nothing in the past says anything
about the future. A strategy that passes the gate here is a false promotion. Bars come in the
lab's long format (date, symbol, open, high, low, close, volume). Markets with a planted edge
are in `bench.planted`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["long_bars", "shuffled_bars"]


def shuffled_bars(
    bars: pd.DataFrame, seed: int, since: str = "2000-01-01", keep_alpha: bool = False
) -> pd.DataFrame:
    """`bars` from `since` on, for the symbols that trade on every one of those days, with the
    order of their days (after the first) shuffled by one permutation drawn from `seed`.

    Unless `keep_alpha`, each symbol's alpha against the equal-weight market is taken out of
    its daily returns first (r - alpha, with alpha and beta from least squares over the whole
    span; the intraday part of the day absorbs it). A shuffle keeps each symbol's own mean
    return in every stretch of time, so without this the symbols that drifted best are best
    in train, validation and holdout alike: a real edge of the shuffled market, not a false
    one (the discovery-power benchmark found two such strategies, with alpha in the holdout
    too)."""
    frame = bars[bars["date"] >= pd.Timestamp(since)]
    wide = {f: frame.pivot(index="date", columns="symbol", values=f) for f in _FIELDS}
    complete = wide["close"].columns[wide["close"].notna().all()]
    close = wide["close"][complete].to_numpy()
    gross = close[1:] / close[:-1]
    if not keep_alpha:
        returns = gross - 1.0
        market = returns.mean(axis=1)
        beta = ((returns - returns.mean(0)) * (market - market.mean())[:, None]).mean(0) / (
            market.var()
        )
        gross = gross - (returns.mean(0) - beta * market.mean())
    ratio = {
        "close": gross,
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
    return long_bars(wide["close"].index, list(complete), arrays)


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


def long_bars(dates: pd.Index, symbols: list[str], arrays: dict[str, np.ndarray]) -> pd.DataFrame:
    """(days x symbols) arrays of open, high, low, close and volume as bars in the lab's long
    format, prices rounded to 6 places, sorted by symbol and date."""
    n_days, n_symbols = arrays["close"].shape
    frame = pd.DataFrame(
        {
            "date": np.repeat(pd.DatetimeIndex(dates).strftime("%Y-%m-%d"), n_symbols),
            "symbol": np.tile(symbols, n_days),
            **{f: arrays[f].reshape(-1).round(6) for f in _FIELDS},
        }
    )
    return frame.sort_values(["symbol", "date"], kind="stable").reset_index(drop=True)
