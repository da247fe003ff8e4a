"""Reconciliation: the broker's positions, open orders and cash against research.db.

The broker is read in an order that cannot miss a fill: positions and cash first, then every
open order. If an order the lab has open is no longer open at the broker, or has filled more
than the lab recorded, a fill happened during the reading: the orders are synced and the
broker read again (up to `ATTEMPTS` times).

Differences, after that:

- position: the lab's position (the sum of its fills) is not the broker's;
- order: the broker has an open order the lab did not send (or does not know it sent);
- cash: the broker's cash and the ledger's differ by more than `cash_tolerance` dollars. A
  smaller difference (fees the lab does not model, rounding) is taken into the ledger as an
  adjustment, so that such differences never pile up.

Modes (`live.reconciliation`): "strict" stops trading on any difference (the default), "warn"
records it and goes on, "adopt" takes the broker's positions and cash into the ledger (recorded
as adjustments; an unknown open order cannot be adopted and stays a difference).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.orm import Session

from configs import LiveConfig
from live.broker import OPEN, Broker
from live.errors import ReconciliationFailed
from live.records import add_event, cash_ledger, in_flight_orders, ledger_positions
from store.models import LiveCashEntry, LiveFill

__all__ = ["ATTEMPTS", "Difference", "Reconciliation", "reconcile", "stop_if_strict"]

ATTEMPTS = 4
_QTY_TOLERANCE = 1e-6


@dataclass(frozen=True)
class Difference:
    """One way the broker and research.db disagree."""

    kind: str  # position | order | cash
    key: str
    lab: float
    broker: float

    def describe(self) -> str:
        """The difference as one line."""
        if self.kind == "order":
            return f"open order {self.key} at the broker is not one the lab has open"
        if self.kind == "cash":
            return f"cash: lab {self.lab:.2f}, broker {self.broker:.2f}"
        return f"position {self.key}: lab {self.lab:g}, broker {self.broker:g}"


@dataclass(frozen=True)
class Reconciliation:
    """The comparison of the broker with research.db, and what was adjusted."""

    ok: bool
    mode: str
    differences: tuple[Difference, ...]
    adjusted: tuple[str, ...]

    def describe(self) -> str:
        """The reconciliation as one line."""
        if not self.differences and not self.adjusted:
            return "broker and research.db agree (positions, open orders, cash)"
        parts = [d.describe() for d in self.differences] + list(self.adjusted)
        return "; ".join(parts)


def reconcile(
    session: Session,
    broker: Broker,
    account_id: int,
    day: dt.date,
    live: LiveConfig,
    resync: Callable[[], int],
    record: bool = False,
) -> Reconciliation:
    """Compare, then act as `live.reconciliation` says (see the module). The result is
    recorded as an event when `record` is true or anything differed or was adjusted; the
    caller stops trading when it is not ok and the mode is strict (`stop_if_strict`).

    Raises:
        ReconciliationFailed: the broker's orders kept changing while they were read.
    """
    for _ in range(ATTEMPTS):
        held = {p.symbol: p for p in broker.positions()}
        positions = {symbol: p.qty for symbol, p in held.items()}
        cash = broker.account().cash
        seen = {o.client_order_id: o.filled_qty for o in broker.open_orders()}
        local = {
            o.client_order_id: o.filled_qty
            for o in in_flight_orders(session, account_id)
            if o.status in OPEN
        }
        moved = [c for c in local if c not in seen or seen[c] > local[c] + _QTY_TOLERANCE]
        if not moved:
            break
        resync()
        session.flush()
    else:
        raise ReconciliationFailed(
            f"the broker's orders kept changing while they were read ({ATTEMPTS} attempts)"
        )
    known = {o.client_order_id for o in in_flight_orders(session, account_id)}
    differences: list[Difference] = [
        Difference("order", cid, 0.0, qty) for cid, qty in seen.items() if cid not in known
    ]
    lab = ledger_positions(session, account_id)
    for symbol in sorted(set(lab) | set(positions)):
        ours, theirs = lab.get(symbol, 0.0), positions.get(symbol, 0.0)
        if abs(ours - theirs) > _QTY_TOLERANCE:
            differences.append(Difference("position", symbol, ours, theirs))
    ledger_cash = cash_ledger(session, account_id).cash
    adjusted: list[str] = []
    gap = cash - ledger_cash
    if abs(gap) > live.cash_tolerance:
        differences.append(Difference("cash", "cash", ledger_cash, cash))
    elif abs(gap) >= 0.005:
        _adjust_cash(session, account_id, gap, day, "within cash_tolerance")
        adjusted.append(f"cash adjusted by {gap:+.2f} (within cash_tolerance)")
    mode = live.reconciliation
    if mode == "adopt":
        prices = {symbol: p.avg_entry_price for symbol, p in held.items()}
        differences = _adopt(session, account_id, day, differences, prices, adjusted)
    result = Reconciliation(not differences, mode, tuple(differences), tuple(adjusted))
    if record or differences or adjusted:
        add_event(
            session,
            account_id,
            "reconciliation",
            result.ok,
            result.describe(),
            {
                "mode": mode,
                "differences": [d.__dict__ for d in differences],
                "adjusted": adjusted,
            },
        )
    return result


def stop_if_strict(result: Reconciliation) -> None:
    """Raise `ReconciliationFailed` for a strict reconciliation that found differences."""
    if result.differences and result.mode == "strict":
        raise ReconciliationFailed(
            "reconciliation (strict) stopped trading: "
            + result.describe()
            + '. Find the cause; then set live.reconciliation = "adopt" for one run to take '
            "the broker's figures, or correct the account at the broker."
        )


def _adopt(
    session: Session,
    account_id: int,
    day: dt.date,
    differences: list[Difference],
    prices: dict[str, float],
    adjusted: list[str],
) -> list[Difference]:
    left: list[Difference] = []
    for d in differences:
        if d.kind == "position":
            session.add(
                LiveFill(
                    account_id=account_id,
                    order_id=None,
                    kind="adjust",
                    symbol=d.key,
                    qty=round(d.broker - d.lab, 9),
                    price=prices.get(d.key, 0.0),
                    session=day,
                )
            )
            adjusted.append(f"position {d.key} adopted: {d.lab:g} -> {d.broker:g}")
        elif d.kind == "cash":
            _adjust_cash(session, account_id, d.broker - d.lab, day, "adopted from the broker")
            adjusted.append(f"cash adopted: {d.lab:.2f} -> {d.broker:.2f}")
        else:
            left.append(d)
    return left


def _adjust_cash(session: Session, account_id: int, amount: float, day: dt.date, note: str) -> None:
    session.add(
        LiveCashEntry(
            account_id=account_id, kind="adjust", amount=amount, settles_on=day, note=note
        )
    )
