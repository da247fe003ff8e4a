"""The one table of a candidate's and an order's moves, and the decision row of every move."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.exc import StatementError
from sqlalchemy.orm import Session

from labkit.lab import put_forward
from store import open_database
from store.lifecycle import (
    IN_FLIGHT,
    MOVES,
    OPEN,
    ORDER_MOVES,
    TERMINAL,
    IllegalMove,
    OrderStatus,
    move_candidate,
    move_order,
)
from store.models import Decision, LiveAccount, LiveOrder, LivePlan, OrderMove, Run
from store.rows import LeftOut, get
from store.statuses import PlanStatus
from tests.builders.labs import review_lab

PATHS = {
    "approved at once": [
        ("gate_fail", "gate", "candidate", "gate_failed"),
        ("gate_pass", "gate", "gate_failed", "gate_passed"),
        ("approve", "dana", "gate_passed", "approved"),
        ("go_live", "live", "approved", "live"),
        ("retire", "dana", "live", "retired"),
    ],
    "incubated, then confirmed": [
        ("gate_pass", "gate", "candidate", "gate_passed"),
        ("incubate", "dana", "gate_passed", "incubating"),
        ("confirm", "dana", "incubating", "approved"),
        ("go_live", "live", "approved", "live"),
    ],
    "retired while incubating": [
        ("gate_pass", "gate", "candidate", "gate_passed"),
        ("incubate", "dana", "gate_passed", "incubating"),
        ("retire", "dana", "incubating", "retired"),
    ],
}


@pytest.mark.parametrize("path", PATHS.values(), ids=PATHS.keys())
def test_every_move_writes_its_row_and_the_table_refuses_the_rest(
    tmp_path: Path, path: list[tuple[str, str, str, str]]
) -> None:
    *_, database = review_lab(tmp_path)
    with database.transaction() as session:
        candidate = put_forward(session, "gt(close, sma(close, 50))", session.get_one(Run, 1).id)
        for action, by, _, _ in path:
            before = candidate.status
            for other, move in MOVES.items():
                if before not in move.allowed_from and before not in move.override_from:
                    with pytest.raises(IllegalMove, match=f"is {before}: {other} applies to"):
                        move_candidate(session, candidate, other, by, "refused")
            move_candidate(session, candidate, action, by, f"{action} note", gate_report_id=None)
            assert candidate.status == MOVES[action].to
        rows = session.scalars(select(Decision).order_by(Decision.id)).all()
        assert [(d.action, d.reviewer, d.from_status, d.to_status) for d in rows] == path
        assert candidate.status == path[-1][3]
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


def _order(session: Session, status: str) -> LiveOrder:
    account = LiveAccount(name=f"sim-{status}", broker="sim", settings={})
    session.add(account)
    session.flush()
    day = dt.date(2026, 12, 7)
    plan = LivePlan(
        account_id=account.id,
        session=day,
        data_day=day,
        equity=1.0,
        settled_cash=1.0,
        weights={},
        targets={},
        status=PlanStatus.PLANNED,
    )
    session.add(plan)
    session.flush()
    order = LiveOrder(
        account_id=account.id,
        plan_id=plan.id,
        client_order_id=f"lab-test-{status}",
        sequence=1,
        symbol="AAA",
        side="buy",
        qty=1.0,
        last_close=10.0,
        status=status,
    )
    session.add(order)
    session.flush()
    return order


def test_the_order_table_covers_every_status_keeps_final_ones_final_and_records_each_move(
    tmp_path: Path,
) -> None:
    assert set(ORDER_MOVES) == set(OrderStatus)
    assert OPEN.isdisjoint(TERMINAL) and OPEN | {"submitting", "unknown"} == IN_FLIGHT
    for status in TERMINAL | {OrderStatus.DENIED}:
        assert not ORDER_MOVES[status]
    database = open_database(f"sqlite:///{tmp_path / 'research.db'}")
    with database.transaction() as session:
        order = _order(session, "planned")
        with pytest.raises(IllegalMove, match="cannot move from planned to filled"):
            move_order(session, order, "filled")  # never at the broker without being sent
        move_order(session, order, OrderStatus.SUBMITTING)
        move_order(session, order, "unknown", "no answer")
        move_order(session, order, "submitting")  # not at the broker: sent again, same id
        move_order(session, order, "new")
        move_order(session, order, "partially_filled")
        move_order(session, order, "canceled", "canceled by the broker")
        assert (order.status, order.reason) == ("canceled", "canceled by the broker")
        assert move_order(session, order, "canceled") is None  # the same answer: no move
        with pytest.raises(IllegalMove, match="cannot move from canceled to filled"):
            move_order(session, order, "filled")
        with pytest.raises(IllegalMove, match="'teleported' is not a valid OrderStatus"):
            move_order(session, _order(session, "new"), "teleported")
    with database.transaction() as session:  # stored, in order, read back as statuses
        moves = session.scalars(select(OrderMove).order_by(OrderMove.id)).all()
        assert [(m.from_status, m.to_status, m.reason) for m in moves] == [
            ("planned", "submitting", None),
            ("submitting", "unknown", "no answer"),
            ("unknown", "submitting", None),
            ("submitting", "new", None),
            ("new", "partially_filled", None),
            ("partially_filled", "canceled", "canceled by the broker"),
        ]
        assert all(isinstance(m.to_status, OrderStatus) for m in moves)
        assert session.get_one(LiveOrder, 1).status is OrderStatus.CANCELED
    database.close()


def test_a_status_column_refuses_to_write_what_is_no_status_and_reads_a_damaged_one_as_unreadable(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'research.db'}"
    database = open_database(url)
    refused = pytest.raises(StatementError, match="'teleported' is not a valid OrderStatus")
    with refused, database.transaction() as session:
        _order(session, "teleported")
    with database.transaction() as session:
        _order(session, "new")
    with sqlite3.connect(tmp_path / "research.db") as db:
        db.execute("UPDATE live_orders SET status = 'teleported'")
    db.close()
    left_out = pytest.raises(LeftOut, match="'teleported' is not a status")
    with database.transaction() as session, left_out:
        get(session, LiveOrder, 1)
    database.close()
