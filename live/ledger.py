"""The settled-cash ledger: the lab's own record of cash, because Alpaca reports no settled
cash (and its accounts would let unsettled proceeds buy).

Every change of cash is an entry with the session it settles on:

    buy   -(qty x price)   settles at once (a purchase is paid from settled cash)
    fee   -(fees)          settles at once
    sell  +(qty x price)   settles `settlement_days` sessions after the trade (T+1)
    opening / adjust       settled (cash found at the broker)

    cash              = sum of all entries
    settled cash on d = sum of the entries that settle on or before d

Positions are the sums of fills (and adjustments) per symbol.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

__all__ = ["CashEntry", "SettledCashLedger", "fill_entries", "positions_of", "settlement_day"]


@dataclass(frozen=True)
class CashEntry:
    """One movement of cash and the session it settles on."""

    kind: str
    amount: float
    settles_on: dt.date


@dataclass(frozen=True)
class SettledCashLedger:
    """The account's cash, settled by session, from its entries."""

    entries: tuple[CashEntry, ...]

    @classmethod
    def of(cls, entries: Iterable[CashEntry]) -> SettledCashLedger:
        """The ledger of `entries`."""
        return cls(tuple(entries))

    @property
    def cash(self) -> float:
        """All the cash, settled or not."""
        return sum(e.amount for e in self.entries)

    def settled(self, on: dt.date) -> float:
        """Cash that may buy on session `on`."""
        return sum(e.amount for e in self.entries if e.settles_on <= on)

    def unsettled(self, on: dt.date) -> float:
        """The cash that has not settled by session `on`."""
        return self.cash - self.settled(on)


def settlement_day(trade_day: dt.date, sessions: list[dt.date], settlement_days: int) -> dt.date:
    """The session `settlement_days` sessions after `trade_day` (`sessions`: the calendar's
    sessions, in order, covering both)."""
    if settlement_days == 0:
        return trade_day
    later = [d for d in sessions if d > trade_day]
    if len(later) < settlement_days:
        raise ValueError(
            f"the calendar given ends {sessions[-1] if sessions else '-'}: it does not reach "
            f"{settlement_days} sessions after {trade_day}"
        )
    return later[settlement_days - 1]


def fill_entries(
    side: str,
    qty: float,
    price: float,
    fees: float,
    trade_day: dt.date,
    settles_on: dt.date,
) -> list[CashEntry]:
    """The cash entries of one fill (qty > 0)."""
    value = qty * price
    entries = [
        CashEntry("buy", -value, trade_day)
        if side == "buy"
        else CashEntry("sell", value, settles_on)
    ]
    if fees:
        entries.append(CashEntry("fee", -fees, trade_day))
    return entries


def positions_of(changes: Iterable[tuple[str, float]]) -> dict[str, float]:
    """Positions from signed quantity changes; a position that nets to (about) zero is gone."""
    totals: dict[str, float] = defaultdict(float)
    for symbol, qty in changes:
        totals[symbol] += qty
    return {s: round(q, 9) for s, q in sorted(totals.items()) if abs(q) > 1e-9}
