"""A strategy's book: what it holds in the account, kept by the backtest's rules.

Applied once per session to the signal at the last close (`fitness.backtest` has the rules):

- a held symbol whose signal is off, or that has no tradable bar on the last day (its data has
  a gap or has ended), is left (target 0);
- symbols whose signal is on and that are not held are entered, most liquid first (dollar
  volume at the last close; ties: the earlier column), while fewer than `max_positions` are
  held; an entry is sized at capital / max_positions at the last close (whole shares for a
  symbol that cannot be traded in fractions);
- a held symbol keeps its quantity (no daily rebalancing).

The account then trades towards the sum of its strategies' books.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from live.quantities import floor_qty

__all__ = ["BookChange", "Market", "update_book"]


@dataclass(frozen=True)
class Market:
    """The last bars the signals saw: one entry per symbol, in the panel's column order.

    Attributes:
        day: the date of the last close.
        symbols: N symbols.
        close: (N,) each symbol's latest close up to that day (NaN if it has none).
        has_bar: (N,) bool, True where the symbol has a tradable bar on that day.
        dollar_volume: (N,) close x volume of that day (0 where there is no bar).
        whole: whether a symbol can only be traded in whole shares (asked only for the
            symbols an order or entry is sized for: a broker answers it per symbol).
    """

    day: dt.date
    symbols: tuple[str, ...]
    close: np.ndarray
    has_bar: np.ndarray
    dollar_volume: np.ndarray
    whole: Callable[[str], bool] = field(default=lambda symbol: False)

    def last_close(self, symbol: str) -> float:
        """The last close of `symbol`."""
        return float(self.close[self.symbols.index(symbol)])


@dataclass(frozen=True)
class BookChange:
    """A strategy's new book and the symbols it entered and left."""

    book: dict[str, float]
    entered: tuple[str, ...]
    left: tuple[str, ...]


def update_book(
    book: dict[str, float],
    signal: np.ndarray,
    market: Market,
    capital: float,
    max_positions: int,
    min_value: float = 0.0,
) -> BookChange:
    """The strategy's book after today's signal (bool, (N,), True = hold after the close); no
    entry worth less than `min_value` at the last close."""
    if signal.shape != (len(market.symbols),):
        raise ValueError(f"signal has shape {signal.shape}, expected ({len(market.symbols)},)")
    column = {symbol: i for i, symbol in enumerate(market.symbols)}
    has_bar = market.has_bar
    kept: dict[str, float] = {}
    left: list[str] = []
    for symbol, qty in sorted(book.items()):
        i = column.get(symbol)
        if i is None or not has_bar[i] or not signal[i]:
            left.append(symbol)
        else:
            kept[symbol] = qty
    wanted = [i for i in np.flatnonzero(signal & has_bar) if market.symbols[i] not in kept]
    # Most liquid first; a stable sort keeps the column order among equals.
    wanted.sort(key=lambda i: -float(market.dollar_volume[i]))
    entered: list[str] = []
    budget = max(capital, 0.0) / max_positions
    for j in wanted:
        if len(kept) >= max_positions:
            break
        symbol = market.symbols[j]
        close = float(market.close[j])
        qty = floor_qty(budget / close, market.whole(symbol))
        if qty <= 0 or not math.isfinite(qty) or qty * close < min_value:
            continue
        kept[symbol] = qty
        entered.append(symbol)
    return BookChange(kept, tuple(entered), tuple(left))
