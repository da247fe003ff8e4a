"""What research.db knows of a live account: the ledger, positions, books, orders and events.

Functions take a session and never commit (the trader owns its transactions).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from live.broker import Side
from live.errors import LiveInputError
from live.ledger import CashEntry, SettledCashLedger, positions_of
from live.plan import PlannedOrder
from store.lifecycle import IN_FLIGHT, TRADING, CandidateStatus, OrderStatus, move_candidate
from store.models import (
    Candidate,
    LiveAccount,
    LiveBookEntry,
    LiveCashEntry,
    LiveEvent,
    LiveFill,
    LiveOrder,
)
from store.quarantine import readable_texts
from store.rows import LeftOut, every_row, first

__all__ = [
    "account_cash",
    "account_fills",
    "account_named",
    "add_event",
    "books",
    "cash_ledger",
    "in_flight_orders",
    "ledger_positions",
    "mark_live",
    "new_account",
    "nothing_to_trade",
    "order_row",
    "planned_order",
    "replace_books",
    "trading_strategies",
]


def new_account(
    session: Session, prefix: str, broker: str, settings: dict[str, Any]
) -> LiveAccount:
    """A new account named `<prefix>-<n>` (sim accounts: one per replay)."""
    names = set(session.scalars(select(LiveAccount.name)))
    n = 1
    while f"{prefix}-{n}" in names:
        n += 1
    account = LiveAccount(name=f"{prefix}-{n}", broker=broker, settings=settings)
    session.add(account)
    session.flush()
    return account


def trading_strategies(session: Session) -> dict[str, str]:
    """Genome id -> text of every strategy allowed to trade (approved or live). One whose text
    does not parse is quarantined and left out, like a retired one: the others trade on, and
    its book is closed."""
    ids = session.scalars(select(Candidate.genome_id).where(Candidate.status.in_(TRADING))).all()
    readable = readable_texts(session, ids)
    return {gid: readable[gid] for gid in sorted(readable)}


def nothing_to_trade(session: Session) -> str:
    """Why no strategy may trade: none approved, or every approved one still incubating."""
    waiting = session.scalar(
        select(func.count()).where(Candidate.status == CandidateStatus.INCUBATING)
    )
    if waiting:
        return (
            f"no strategy may trade: {waiting} approved one(s) still incubating on paper; "
            "confirm one once its incubation test passed (`promote confirm`, `promote show`)"
        )
    return "no strategy may trade: approve one first (`promote review`)"


def mark_live(session: Session, account: LiveAccount, genome_ids: list[str]) -> list[str]:
    """Approved strategies that start trading a broker account become live (the lifecycle's
    approved -> live); the genome ids moved."""
    moved = []
    for candidate in session.scalars(
        select(Candidate).where(
            Candidate.genome_id.in_(genome_ids), Candidate.status == CandidateStatus.APPROVED
        )
    ):
        message = f"candidate {candidate.id} ({candidate.genome_id[:12]}) trades in {account.name}"
        move_candidate(session, candidate, "go_live", "live", message)
        moved.append(candidate.genome_id)
        add_event(session, account.id, "live", True, message)
    return moved


def account_named(
    session: Session, name: str, broker: str, settings: dict[str, Any]
) -> LiveAccount:
    """The account called `name`, made on first use.

    Raises:
        LiveInputError: the account is stored but its row cannot be read (quarantined): its
            orders and ledger are never traded on under a second row of the same name.
    """
    try:
        found = first(session, select(LiveAccount).where(LiveAccount.name == name))
    except LeftOut as e:
        raise LiveInputError(
            f"live account {name!r} (row {e.row_id}) cannot be read and is left out: {e.why}; "
            "it trades again once the row is repaired (the Health page lists it)"
        ) from e
    if found is None:
        found = LiveAccount(name=name, broker=broker, settings=settings)
        session.add(found)
        session.flush()
    return found


def cash_ledger(session: Session, account_id: int) -> SettledCashLedger:
    """The account's ledger, its entries summed per kind and settlement day (in Python, not
    SQL: SQL would count an amount that cannot be read as 0, where it is to be left out and
    named). Whole rows are read: an entry damaged in any column is left out everywhere, so no
    sum may count it.

    Raises:
        RowsLeftOut: an entry cannot be read.
    """
    totals: dict[tuple[str, dt.date], float] = defaultdict(float)
    for entry in account_cash(session, account_id):
        totals[entry.kind, entry.settles_on] += entry.amount
    return SettledCashLedger.of(
        CashEntry(kind, amount, day) for (kind, day), amount in totals.items()
    )


def ledger_positions(session: Session, account_id: int) -> dict[str, float]:
    """The account's positions: the sum of its fills per symbol (whole rows, summed as
    `cash_ledger` sums).

    Raises:
        RowsLeftOut: a fill cannot be read.
    """
    return positions_of((fill.symbol, fill.qty) for fill in account_fills(session, account_id))


def account_fills(session: Session, account_id: int) -> list[LiveFill]:
    """Every fill of the account, oldest first.

    Raises:
        RowsLeftOut: a fill cannot be read (its positions and equity would be wrong).
    """
    fills = select(LiveFill).where(LiveFill.account_id == account_id).order_by(LiveFill.id)
    return [r[0] for r in every_row(session, fills, "live_fills", _positions_of(account_id))]


def account_cash(session: Session, account_id: int) -> list[LiveCashEntry]:
    """Every entry of the account's cash ledger, oldest first.

    Raises:
        RowsLeftOut: an entry cannot be read (its cash and equity would be wrong).
    """
    entries = (
        select(LiveCashEntry)
        .where(LiveCashEntry.account_id == account_id)
        .order_by(LiveCashEntry.id)
    )
    return [r[0] for r in every_row(session, entries, "live_cash", _cash_of(account_id))]


def _cash_of(account_id: int) -> str:
    return f"the cash and equity of live account {account_id}"


def _positions_of(account_id: int) -> str:
    return f"the positions and equity of live account {account_id}"


def books(session: Session, account_id: int) -> dict[str, dict[str, float]]:
    """Genome id -> {symbol: qty} of each strategy's book."""
    found: dict[str, dict[str, float]] = {}
    for entry in session.scalars(
        select(LiveBookEntry).where(LiveBookEntry.account_id == account_id)
    ):
        found.setdefault(entry.genome_id, {})[entry.symbol] = entry.qty
    return found


def replace_books(
    session: Session, account_id: int, new: dict[str, dict[str, float]], day: dt.date
) -> None:
    """Make the account's stored books `new` (genome id -> {symbol: qty}) as of `day`."""
    old = {
        (e.genome_id, e.symbol): e
        for e in session.scalars(
            select(LiveBookEntry).where(LiveBookEntry.account_id == account_id)
        )
    }
    for key, entry in old.items():
        gid, symbol = key
        if symbol not in new.get(gid, {}):
            session.delete(entry)
    for gid, book in new.items():
        for symbol, qty in book.items():
            if (gid, symbol) not in old:
                session.add(
                    LiveBookEntry(
                        account_id=account_id, genome_id=gid, symbol=symbol, qty=qty, entered_on=day
                    )
                )


def in_flight_orders(session: Session, account_id: int) -> list[LiveOrder]:
    """The account's orders that may still be at the broker, oldest first."""
    return list(
        session.scalars(
            select(LiveOrder)
            .where(LiveOrder.account_id == account_id, LiveOrder.status.in_(sorted(IN_FLIGHT)))
            .order_by(LiveOrder.id)
        )
    )


def add_event(
    session: Session,
    account_id: int | None,
    kind: str,
    ok: bool,
    message: str,
    detail: dict[str, Any] | None = None,
) -> LiveEvent:
    """Add an event to the account's log (not committed)."""
    event = LiveEvent(account_id=account_id, kind=kind, ok=ok, message=message, detail=detail or {})
    session.add(event)
    return event


def order_row(account_id: int, plan_id: int, order: PlannedOrder) -> LiveOrder:
    """The row a planned order is written as, before it is sent."""
    return LiveOrder(
        account_id=account_id,
        plan_id=plan_id,
        client_order_id=order.client_order_id,
        sequence=order.sequence,
        symbol=order.symbol,
        side=order.side,
        qty=order.qty,
        limit_price=order.limit_price,
        last_close=order.last_close,
        status=OrderStatus.PLANNED.value,
    )


def planned_order(order: LiveOrder) -> PlannedOrder:
    """A stored order as the risk check and the broker request see it."""
    side: Side = "buy" if order.side == "buy" else "sell"
    return PlannedOrder(
        order.sequence,
        order.client_order_id,
        order.symbol,
        side,
        order.qty,
        order.limit_price,
        order.last_close,
    )
