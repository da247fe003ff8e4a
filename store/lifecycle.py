"""The one table of the moves of candidates and of orders, and the only code that moves them
(the statuses themselves are `store.statuses`', exported here too).

    candidate | gate_passed | gate_failed -> gate_passed      gate_pass   (the gate)
    candidate | gate_passed | gate_failed -> gate_failed      gate_fail   (the gate)
    gate_passed -> incubating                                 incubate (gate_failed: override)
    gate_passed -> approved                                   approve  (gate_failed: override)
    incubating -> approved                                    confirm  (its forward record passed)
    candidate | gate_passed | gate_failed -> rejected         reject
    approved -> live                                          go_live  (a broker account)
    incubating | approved | live -> retired                   retire

A person approves a candidate by `incubate` (it trades on paper first) or, with no incubation
configured, by `approve` (real orders at once).

`move_candidate` is the only code that changes a candidate's status: it checks the move against
the table and writes the move's row of `decisions` (who or what moved it, from which status, why,
against which gate report). The gate, live trading and the review all call it; the rules that
need more than the table (a holdout opened before an approval) live with the review
(`promotion.lifecycle.decide`). Orders move by `move_order` and `ORDER_MOVES` (the lab's
statuses, then Alpaca's), each move a row of `order_moves`. Below both `promotion` and `live`,
so neither imports the other.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy.orm import Session

from store.models import Candidate, Decision, LiveOrder, OrderMove, utc_now
from store.statuses import CandidateStatus, OrderStatus

__all__ = [
    "BOOK",
    "GATEABLE",
    "IN_FLIGHT",
    "MAYBE_SENT",
    "MOVES",
    "OPEN",
    "ORDER_MOVES",
    "TERMINAL",
    "TO_SEND",
    "TRADING",
    "CandidateStatus",
    "IllegalMove",
    "Move",
    "OrderStatus",
    "move_candidate",
    "move_order",
]


_C = CandidateStatus
GATEABLE = (_C.CANDIDATE, _C.GATE_PASSED, _C.GATE_FAILED)
# Allowed to place real orders.
TRADING = (_C.APPROVED, _C.LIVE)
# Approved by a person, on paper or with real orders: the strategies a new one is compared with.
BOOK = (_C.INCUBATING, *TRADING)


@dataclass(frozen=True)
class Move:
    """A move of the table: to `to` from `allowed_from`, or from `override_from` with an
    override (recorded as such)."""

    to: CandidateStatus
    allowed_from: tuple[CandidateStatus, ...]
    override_from: tuple[CandidateStatus, ...] = ()


MOVES = {
    "gate_pass": Move(_C.GATE_PASSED, GATEABLE),
    "gate_fail": Move(_C.GATE_FAILED, GATEABLE),
    "incubate": Move(_C.INCUBATING, (_C.GATE_PASSED,), (_C.GATE_FAILED,)),
    "approve": Move(_C.APPROVED, (_C.GATE_PASSED,), (_C.GATE_FAILED,)),
    "confirm": Move(_C.APPROVED, (_C.INCUBATING,)),
    "reject": Move(_C.REJECTED, GATEABLE),
    "go_live": Move(_C.LIVE, (_C.APPROVED,)),
    "retire": Move(_C.RETIRED, BOOK),
}


class IllegalMove(ValueError):
    """A move the table does not allow from the candidate's status."""


def move_candidate(
    session: Session,
    candidate: Candidate,
    action: str,
    by: str,
    note: str,
    *,
    override: bool = False,
    gate_report_id: int | None = None,
    now: dt.datetime | None = None,  # naive UTC, as stored
) -> Decision:
    """Move `candidate` by `action` and write the decision row (added to `session`, flushed,
    not committed). `by` is the reviewer, or the part of the lab that moved it.

    Raises:
        IllegalMove: an unknown action, or a status the action does not apply to (an
            override_from status without `override`).
    """
    move = MOVES.get(action)
    if move is None:
        raise IllegalMove(f"unknown action {action!r}: one of {', '.join(MOVES)}")
    status = candidate.status
    overriding = status in move.override_from
    if status not in move.allowed_from and not (overriding and override):
        raise IllegalMove(
            f"candidate {candidate.id} is {status}: {action} applies to "
            f"{', '.join(move.allowed_from)} candidates"
        )
    decision = Decision(
        candidate_id=candidate.id,
        genome_id=candidate.genome_id,
        action=action,
        from_status=status,
        to_status=move.to,
        reviewer=by,
        note=note,
        override=overriding,
        gate_report_id=gate_report_id,
        decided_at=now or utc_now(),
    )
    session.add(decision)
    candidate.status = move.to
    session.flush()
    return decision


_O = OrderStatus
# Not final at the broker: the order may still fill (or waits to be routed, off-hours).
OPEN = frozenset(
    {
        _O.NEW,
        _O.ACCEPTED,
        _O.PENDING_NEW,
        _O.PARTIALLY_FILLED,
        _O.ACCEPTED_FOR_BIDDING,
        _O.PENDING_CANCEL,
        _O.PENDING_REPLACE,
        _O.PENDING_REVIEW,
        _O.HELD,
        _O.STOPPED,
        _O.SUSPENDED,
        _O.CALCULATED,
    }
)
# Never change again.
TERMINAL = frozenset(
    {_O.FILLED, _O.CANCELED, _O.EXPIRED, _O.REJECTED, _O.DONE_FOR_DAY, _O.REPLACED}
)
# Maybe at the broker, maybe not: only a lookup of the client id can say.
MAYBE_SENT = frozenset({_O.SUBMITTING, _O.UNKNOWN})
# Still to be sent, or to be looked up before anything else is done with them.
TO_SEND = frozenset({_O.PLANNED}) | MAYBE_SENT
# Not final: open at the broker, or maybe sent.
IN_FLIGHT = OPEN | MAYBE_SENT
_BROKER = OPEN | TERMINAL
# The one table of an order's moves. The broker's statuses come from its answers; `rejected`
# and `unknown` are also the lab's verdicts (a refused submit, a client id used by another
# order, an order the broker no longer knows).
ORDER_MOVES: dict[OrderStatus, frozenset[OrderStatus]] = (
    {
        _O.PLANNED: frozenset({_O.DENIED, _O.SUBMITTING}),
        _O.DENIED: frozenset(),
        _O.SUBMITTING: _BROKER | {_O.UNKNOWN},
        _O.UNKNOWN: _BROKER | {_O.SUBMITTING},
    }
    | {status: _BROKER | {_O.UNKNOWN} for status in OPEN}
    | {status: frozenset() for status in TERMINAL}
)


def move_order(
    session: Session,
    order: LiveOrder,
    status: str,
    reason: str | None = None,
    *,
    now: dt.datetime | None = None,  # naive UTC, as stored
) -> OrderMove | None:
    """Move `order` to `status` (a broker's answer or the lab's verdict), with `reason` if
    given, and record the move (added to `session`); staying in its status only refreshes its
    time. The move recorded, or None when it stayed.

    Raises:
        IllegalMove: a status that is not an order status, or a move the table forbids.
    """
    try:
        new, old = OrderStatus(status), OrderStatus(order.status)
    except ValueError as e:
        raise IllegalMove(f"order {order.client_order_id}: {e}") from None
    if new != old and new not in ORDER_MOVES[old]:
        raise IllegalMove(f"order {order.client_order_id} cannot move from {old} to {new}")
    order.status = new
    if reason is not None:
        order.reason = reason
    order.updated_at = now or utc_now()
    if new == old:
        return None
    if order.id is None:
        session.flush()  # the order's id, for its move
    move = OrderMove(
        order_id=order.id, from_status=old, to_status=new, reason=reason, moved_at=order.updated_at
    )
    session.add(move)
    return move
