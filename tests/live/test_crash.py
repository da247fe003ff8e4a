"""Crash safety: a `live run` process against the emulator, killed with SIGKILL at random points
(its n-th request to the broker, before or after the broker acted on it: before a submit,
between a submit and the database write, during partial fills), then restarted until its
orders are done. Never a duplicate order; the final positions are the plan's; research.db
agrees with the broker.

10 kill points run with the suite; `pytest --slow tests/live/test_crash.py` runs 100 (see
BENCHMARKS.md).
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import select

from configs import load_config
from fitness.panel import Panel
from live.records import cash_ledger, ledger_positions
from store import open_database
from store.models import LiveFill, LiveOrder, LivePlan
from tests.alpaca_trading_emulator import Kill, TradingState, trading_emulator
from tests.live.emulated import FIRST_SESSION, KEY, SECRET, account_state, new_york
from tests.live.lab import STRATEGIES, approve

LIVE = str(Path(sys.executable).with_name("live"))
RESTARTS = 8


@dataclass(frozen=True)
class Outcome:
    killed: bool
    restarts: int
    requests: int
    point: str  # where it was killed: the request, and before or after the broker acted


def lab_config(folder: Path, url: str) -> Path:
    path = folder / "lab.toml"
    path.write_text(
        "[live]\n"
        f'trading_url = "{url}"\n'
        'trade_window = ["09:30", "09:45"]\n'
        "timeout_seconds = 2.0\n"
        "poll_seconds = 1.0\n"
    )
    return path


def run_once(
    folder: Path, state: TradingState, kill: Kill | None
) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("APCA_", "LAB_"))}
    environment.update(APCA_PAPER_API_KEY_ID=KEY, APCA_PAPER_API_SECRET_KEY=SECRET)
    process = subprocess.Popen(
        [LIVE, "run", "--broker", "alpaca", "--once", "--config", "lab.toml"],
        cwd=folder,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    with state.lock:
        state.kill = Kill(process.pid, kill.at, kill.after) if kill else None
        state.client_requests = 0
    out, err = process.communicate(timeout=300)
    return subprocess.CompletedProcess(process.args, process.returncode, out, err)


def done(folder: Path) -> bool:
    with open_database(f"sqlite:///{folder / 'research.db'}").transaction() as session:
        plan = session.scalars(select(LivePlan)).first()
        open_orders = session.scalars(
            select(LiveOrder).where(
                LiveOrder.status.not_in(("filled", "canceled", "expired", "rejected", "denied"))
            )
        ).all()
        return plan is not None and not open_orders


def crash_and_recover(folder: Path, panel: Panel, at: int, after: bool) -> Outcome:
    """Kill the run at its `at`-th request, then restart it until its orders are done; check
    everything the issue asks for."""
    approve(f"sqlite:///{folder / 'research.db'}", load_config(), STRATEGIES)
    state = account_state(panel)
    state.now = new_york(FIRST_SESSION, 9, 31)  # the market is open: orders fill while it runs
    state.partial_steps = 3
    with trading_emulator(state) as url:
        lab_config(folder, url)
        first = run_once(folder, state, Kill(0, at, after))
        killed = first.returncode == -9
        assert killed or first.returncode == 0, first.stderr
        requests = state.client_requests
        point = "not killed (the run made fewer requests)"
        if killed:
            request = state.requests[at - 1]
            point = f"{request.method} {_kind(request.path)} {'after' if after else 'before'}"
        restarts = 0
        while not done(folder):
            assert restarts < RESTARTS, "the orders were not done after the restarts"
            again = run_once(folder, state, None)
            assert again.returncode == 0, again.stderr
            restarts += 1
        check_consistent(folder, state)
    return Outcome(killed, restarts, requests, point)


def _kind(path: str) -> str:
    return "/v2/orders/{id}" if path.startswith("/v2/orders/") else path


def check_consistent(folder: Path, state: TradingState) -> None:
    with open_database(f"sqlite:///{folder / 'research.db'}").transaction() as session:
        plan = session.scalars(select(LivePlan)).one()  # planned once
        orders = session.scalars(select(LiveOrder)).all()
        # Never a duplicate: one broker order per planned order at most, all of them ours.
        at_broker = [o["client_order_id"] for o in state.orders]
        assert len(at_broker) == len(set(at_broker))
        assert set(at_broker) <= {o.client_order_id for o in orders}
        sides = [(o["symbol"], o["side"]) for o in state.orders]
        assert len(sides) == len(set(sides)), "two orders for the same symbol and side"
        # The final positions are the plan's.
        broker_positions = {s: q for s, (q, _) in state.positions.items()}
        assert broker_positions == pytest.approx(plan.targets, abs=1e-6)
        # research.db agrees with the broker, and each order with its fills.
        assert ledger_positions(session, 1) == pytest.approx(broker_positions, abs=1e-6)
        assert cash_ledger(session, 1).cash == pytest.approx(state.cash, abs=0.01)
        for order in orders:
            fills = session.scalars(select(LiveFill).where(LiveFill.order_id == order.id)).all()
            assert sum(abs(f.qty) for f in fills) == pytest.approx(order.filled_qty, abs=1e-9)
            assert order.status == "filled"


def kill_points(count: int, seed: int) -> Iterator[tuple[int, bool]]:
    # A normal first run of this scenario makes about 60 requests; kill anywhere in them.
    rng = random.Random(seed)
    for _ in range(count):
        yield rng.randint(1, 65), rng.random() < 0.5


@pytest.mark.parametrize(("at", "after"), list(kill_points(10, seed=1)))
def test_a_killed_run_never_doubles_an_order(
    tmp_path: Path, panel: Panel, at: int, after: bool
) -> None:
    crash_and_recover(tmp_path, panel, at, after)


@pytest.mark.slow
def test_a_hundred_kill_points(tmp_path: Path, panel: Panel) -> None:
    outcomes = []
    for i, (at, after) in enumerate(kill_points(100, seed=2)):
        folder = tmp_path / f"kill-{i}"
        folder.mkdir()
        outcomes.append(crash_and_recover(folder, panel, at, after))
    killed = sum(o.killed for o in outcomes)
    print(f"\n100 kill points: {killed} killed, restarts {sum(o.restarts for o in outcomes)}")
    for point, count in Counter(o.point for o in outcomes).most_common():
        print(f"  {count:3d}  {point}")
    assert killed >= 80
