"""The one table of a candidate's and an order's moves, and the decision row of every move."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from labkit.lab import put_forward
from store.lifecycle import (
    IN_FLIGHT,
    MOVES,
    OPEN,
    ORDER_MOVES,
    TERMINAL,
    CandidateStatus,
    IllegalMove,
    OrderStatus,
    move_candidate,
    move_order,
)
from store.models import Decision, LiveOrder, Run
from tests.builders.labs import review_lab


def test_every_move_writes_its_row_and_the_table_refuses_the_rest(tmp_path: Path) -> None:
    *_, database = review_lab(tmp_path)
    with database.transaction() as session:
        candidate = put_forward(session, "gt(close, sma(close, 50))", session.get_one(Run, 1).id)
        path = [
            ("gate_fail", "gate"),
            ("gate_pass", "gate"),
            ("approve", "dana"),
            ("go_live", "live"),
            ("retire", "dana"),
        ]
        for action, by in path:
            before = candidate.status
            for other, move in MOVES.items():
                if before not in move.allowed_from and before not in move.override_from:
                    with pytest.raises(IllegalMove, match=f"is {before}: {other} applies to"):
                        move_candidate(session, candidate, other, by, "refused")
            move_candidate(session, candidate, action, by, f"{action} note", gate_report_id=None)
            assert candidate.status == MOVES[action].to
        rows = session.scalars(select(Decision).order_by(Decision.id)).all()
        assert [(d.action, d.from_status, d.to_status, d.reviewer) for d in rows] == [
            ("gate_fail", "candidate", "gate_failed", "gate"),
            ("gate_pass", "gate_failed", "gate_passed", "gate"),
            ("approve", "gate_passed", "approved", "dana"),
            ("go_live", "approved", "live", "live"),
            ("retire", "live", "retired", "dana"),
        ]
        assert candidate.status == CandidateStatus.RETIRED == "retired"
        with pytest.raises(IllegalMove, match="unknown action 'promote'"):
            move_candidate(session, candidate, "promote", "dana", "no such move")


def test_an_approval_against_the_gate_needs_the_override_and_is_recorded_as_one(
    tmp_path: Path,
) -> None:
    *_, database = review_lab(tmp_path)
    with database.transaction() as session:
        candidate = put_forward(session, "gt(close, sma(close, 50))", session.get_one(Run, 1).id)
        move_candidate(session, candidate, "gate_fail", "gate", "failed: dsr")
        with pytest.raises(IllegalMove):
            move_candidate(session, candidate, "approve", "dana", "I know better")
        decision = move_candidate(
            session, candidate, "approve", "dana", "I know better", override=True
        )
        assert decision.override and candidate.status == "approved"


def _order(status: str) -> LiveOrder:
    return LiveOrder(client_order_id="lab-test-1", status=status)


def test_the_order_table_covers_every_status_and_keeps_final_ones_final() -> None:
    assert set(ORDER_MOVES) == set(OrderStatus)
    assert OPEN.isdisjoint(TERMINAL) and OPEN | {"submitting", "unknown"} == IN_FLIGHT
    for status in TERMINAL | {OrderStatus.DENIED}:
        assert not ORDER_MOVES[status]
    order = _order("planned")
    with pytest.raises(IllegalMove, match="cannot move from planned to filled"):
        move_order(order, "filled")  # never at the broker without being sent
    move_order(order, OrderStatus.SUBMITTING)
    move_order(order, "unknown", "no answer")
    move_order(order, "submitting")  # not at the broker: sent again under the same id
    move_order(order, "new")
    move_order(order, "partially_filled")
    move_order(order, "canceled", "canceled by the broker")
    assert (order.status, order.reason) == ("canceled", "canceled by the broker")
    move_order(order, "canceled")  # the same answer again changes nothing
    with pytest.raises(IllegalMove, match="cannot move from canceled to filled"):
        move_order(order, "filled")
    with pytest.raises(IllegalMove, match="'teleported' is not a valid OrderStatus"):
        move_order(_order("new"), "teleported")
