"""The `Panel`: aligned (days x symbols) arrays of daily bars, the calendar and a fingerprint."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd

from market.index_nb import market_nb
from market.problems import DataProblem, DataReport

__all__ = ["Panel", "build_panel"]

_FIELDS = ("open", "high", "low", "close", "volume")


@dataclass(frozen=True, eq=False)
class Panel:
    """Daily bars of several symbols on one calendar.

    Attributes:
        dates: (T,) datetime64[D], the exchange trading dates, increasing.
        symbols: N symbol names, in column order (sorted).
        open, high, low, close, volume: (T, N) float64; NaN where the symbol has no bar.
        tradable: (T, N) bool; True where the day has a real bar that can be traded at its open.
        market: (T,) float64, the equal-weight market index (`market.index_nb.market_nb`),
            1 on the first day of the data the panel was built from; computed when not given.
            A panel cut from another (`days`) keeps its levels, so a genome that reads them
            sees the same values in every window and in live trading.
        benchmark_symbol: the symbol whose close genomes read as `benchmark` ("" for none; a
            symbol not in the panel gives NaN). Part of the fingerprint when set.

    The arrays are read-only. Dates are New York exchange dates (no time zone, no time of day).
    """

    dates: np.ndarray
    symbols: tuple[str, ...]
    open: np.ndarray
    high: np.ndarray
    low: np.ndarray
    close: np.ndarray
    volume: np.ndarray
    tradable: np.ndarray
    market: np.ndarray | None = None
    benchmark_symbol: str = ""

    def __post_init__(self) -> None:
        if self.market is None:
            level = np.empty(len(self.dates))
            market_nb(np.asarray(self.close, dtype=np.float64), level)
            object.__setattr__(self, "market", level)
        elif self.market.shape != (len(self.dates),):
            raise ValueError(
                f"Panel.market has shape {self.market.shape}, expected ({len(self.dates)},)"
            )
        shape = (len(self.dates), len(self.symbols))
        for name in (*_FIELDS, "tradable"):
            array = getattr(self, name)
            if array.shape != shape:
                raise ValueError(f"Panel.{name} has shape {array.shape}, expected {shape}")
            array.flags.writeable = False
        self.dates.flags.writeable = False
        assert self.market is not None
        self.market.flags.writeable = False

    @property
    def n_days(self) -> int:
        """The number of days (rows)."""
        return len(self.dates)

    @property
    def n_symbols(self) -> int:
        """The number of symbols (columns)."""
        return len(self.symbols)

    def days(self, start: int, stop: int) -> Panel:
        """The panel restricted to day indices [start, stop) (views, no copy)."""
        return Panel(
            self.dates[start:stop],
            self.symbols,
            open=self.open[start:stop],
            high=self.high[start:stop],
            low=self.low[start:stop],
            close=self.close[start:stop],
            volume=self.volume[start:stop],
            tradable=self.tradable[start:stop],
            market=None if self.market is None else self.market[start:stop],
            benchmark_symbol=self.benchmark_symbol,
        )

    @cached_property
    def fingerprint(self) -> str:
        """SHA-256 of the content: dates, symbols and every array (NaNs made canonical)."""
        digest = hashlib.sha256()
        digest.update(self.dates.astype("datetime64[D]").astype(np.int64).tobytes())
        digest.update("\n".join(self.symbols).encode())
        for name in _FIELDS:
            array = np.array(getattr(self, name), dtype=np.float64, order="C")
            array[np.isnan(array)] = np.nan  # one NaN bit pattern
            digest.update(name.encode())
            digest.update(array.tobytes())
        digest.update(np.ascontiguousarray(self.tradable).tobytes())
        if self.benchmark_symbol:
            digest.update(f"benchmark={self.benchmark_symbol}".encode())
        return digest.hexdigest()


def build_panel(
    bars: pd.DataFrame, fill_gaps_up_to: int, report: DataReport, benchmark_symbol: str = ""
) -> Panel:
    """Pivot checked bars (as from `check_bars`) onto the calendar of all their dates.

    A gap of at most `fill_gaps_up_to` sessions inside a symbol's history (a date on which other
    symbols traded but this one has no bar) is filled with flat bars at the last close, carrying
    the last volume; filled days are not tradable. Longer gaps stay NaN. Both are reported.
    """
    dates = np.sort(bars["date"].unique()).astype("datetime64[D]")
    symbols = tuple(sorted(str(s) for s in bars["symbol"].unique()))
    row = np.searchsorted(dates, bars["date"].to_numpy().astype("datetime64[D]"))
    col = np.searchsorted(np.array(symbols, dtype=object), bars["symbol"].to_numpy(dtype=object))
    shape = (len(dates), len(symbols))
    arrays = {}
    for name in _FIELDS:
        array = np.full(shape, np.nan)
        array[row, col] = bars[name].to_numpy(dtype=np.float64)
        arrays[name] = array
    tradable = np.zeros(shape, dtype=bool)
    tradable[row, col] = bars["tradable"].to_numpy(dtype=bool)
    _fill_gaps(arrays, dates, symbols, fill_gaps_up_to, report)
    return Panel(dates, symbols, tradable=tradable, benchmark_symbol=benchmark_symbol, **arrays)


def _fill_gaps(
    arrays: dict[str, np.ndarray],
    dates: np.ndarray,
    symbols: tuple[str, ...],
    limit: int,
    report: DataReport,
) -> None:
    close, volume = arrays["close"], arrays["volume"]
    for j, symbol in enumerate(symbols):
        present = ~np.isnan(close[:, j])
        days = np.flatnonzero(present)
        if len(days) == 0:
            continue
        inside = np.zeros(len(dates), dtype=bool)
        inside[days[0] : days[-1] + 1] = True
        missing = inside & ~present
        if not missing.any():
            continue
        # Runs of missing days: starts where missing begins, ends where it stops.
        edges = np.diff(np.r_[0, missing.astype(np.int8), 0])
        for start, stop in zip(
            np.flatnonzero(edges == 1), np.flatnonzero(edges == -1), strict=True
        ):
            length = stop - start
            span = f"{dates[start]}" if length == 1 else f"{dates[start]}..{dates[stop - 1]}"
            if length <= limit:
                for name in ("open", "high", "low", "close"):
                    arrays[name][start:stop, j] = close[start - 1, j]
                volume[start:stop, j] = volume[start - 1, j]
                action = "filled with flat bars at the last close, not tradable"
            else:
                action = f"left missing (longer than data.fill_gaps_up_to = {limit})"
            report.problems.append(
                DataProblem(
                    "warning",
                    "missing sessions",
                    symbol,
                    span,
                    None,
                    f"{length} session(s) with no bar: {action}",
                )
            )
