"""A stopped replay resumes without skipping or doubling a session: `live run` (sim) gets a real
SIGTERM just before a chosen database step, finishes its current step and exits; `live run
--resume` then completes it. Plans, orders, fills and the cash ledger equal those of an
uninterrupted run, whatever the step (tests/builders/killed_at_step.py picks the moment).

A sample of steps runs with the suite; `pytest --slow tests/live/test_resume.py` stops it at
every step.
"""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from configs import load_config
from store import open_database
from store.models import LiveCashEntry, LiveFill, LiveOrder, LivePlan
from tests.builders.cli import at_step, live
from tests.builders.live_lab import STRATEGIES, approve

REPLAY = ("live", "run", "--days", "6")


def _stopped_at(
    step: int, folder: Path, steps: Path | None = None
) -> subprocess.CompletedProcess[str]:
    done = at_step(step, folder, REPLAY, "TERM", steps)
    assert done.returncode == 0, done.stderr
    return done


def _record(folder: Path) -> dict[str, Any]:
    # What the account did, without ids and clock times.
    database = open_database(f"sqlite:///{folder / 'research.db'}")
    with database.transaction() as session:
        plans = [
            (str(p.session), round(p.equity, 6), p.weights, p.targets, p.status)
            for p in session.scalars(select(LivePlan).order_by(LivePlan.session))
        ]
        orders = sorted(
            (o.client_order_id, o.symbol, o.side, round(o.qty, 9), o.status, round(o.filled_qty, 9))
            for o in session.scalars(select(LiveOrder))
        )
        fills = sorted(
            (str(f.session), f.kind, f.symbol, round(f.qty, 9), round(f.price, 6))
            for f in session.scalars(select(LiveFill))
        )
        cash = sorted(
            (c.kind, round(c.amount, 6), str(c.settles_on))
            for c in session.scalars(select(LiveCashEntry))
        )
    database.close()
    return {"plans": plans, "orders": orders, "fills": fills, "cash": cash}


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any], int]:
    """A lab with approved strategies (copied for every stop), the record of an uninterrupted
    replay and the number of its database steps."""
    lab = tmp_path_factory.mktemp("lab")
    approve(f"sqlite:///{lab / 'research.db'}", load_config(), STRATEGIES)
    whole = tmp_path_factory.mktemp("whole") / "lab"
    shutil.copytree(lab, whole)
    steps = whole / "steps.txt"
    _stopped_at(0, whole, steps)
    return lab, _record(whole), len(steps.read_text().splitlines())


def test_a_replay_stopped_at_any_step_resumes_to_the_same_account(
    tmp_path: Path, reference: tuple[Path, dict[str, Any], int], request: pytest.FixtureRequest
) -> None:
    lab, whole, n_steps = reference
    assert whole["plans"] and whole["orders"] and whole["fills"]
    every = bool(request.config.getoption("--slow"))
    chosen = range(1, n_steps + 1) if every else range(n_steps // 7, n_steps, n_steps // 7)
    for step in chosen:
        folder = tmp_path / f"stopped-{step}"
        shutil.copytree(lab, folder)
        stopped = _stopped_at(step, folder)
        for _ in range(3):
            if "stopped early" not in stopped.stdout:
                break
            stopped = live("run", "--resume", cwd=folder)
            assert stopped.returncode == 0, stopped.stderr
        assert "stopped early" not in stopped.stdout
        assert _record(folder) == whole, f"stopped before step {step}"
        shutil.rmtree(folder)


def test_a_resumed_replay_whose_plan_cannot_be_read_names_it_and_orders_nothing_twice(
    tmp_path: Path, reference: tuple[Path, dict[str, Any], int]
) -> None:
    lab, _, n_steps = reference
    folder = tmp_path / "lab"
    shutil.copytree(lab, folder)
    stopped = _stopped_at(n_steps // 2, folder)
    assert "stopped early" in stopped.stdout
    before = _record(folder)
    with sqlite3.connect(folder / "research.db") as db:  # the newest plan, damaged by hand
        (plan,) = db.execute("SELECT max(id) FROM live_plans").fetchone()
        db.execute("UPDATE live_plans SET weights = '{not json' WHERE id = ?", (plan,))
    db.close()
    resumed = live("run", "--resume", cwd=folder)
    assert resumed.returncode == 2, resumed.stderr
    assert f"sim-1: plan {plan} cannot be read and is left out (column weights: " in resumed.stderr
    assert "Traceback" not in resumed.stderr
    after = _record(folder)
    assert after["orders"] == before["orders"] and after["fills"] == before["fills"]
    assert after["cash"] == before["cash"]
