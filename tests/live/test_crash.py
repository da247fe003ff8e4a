"""Crash safety: `live run --once` processes against the emulator, one of them killed with
SIGKILL at its n-th request to the broker (before or after the broker acted on it), then run
again until the orders are done. Never a duplicate order; the final positions are the plan's;
research.db agrees with the broker and each order with its fills.

Kill points are taken from a reference run of the same scenario (the market open, every order
filling in three parts): before a submit, between a submit and the database write (the broker
took the order, the process never heard), during the restart that follows the partial fills,
and anywhere. 10 run with the suite; `pytest --slow tests/live/test_crash.py` runs 100 (see
BENCHMARKS.md).
"""

from __future__ import annotations

import random
import signal
import subprocess
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import select

from configs import load_config
from labkit.alpaca_trading import Kill, TradingState, trading_emulator
from live.records import cash_ledger, ledger_positions
from market.panel import Panel
from store import open_database
from store.models import LiveFill, LiveOrder, LivePlan
from tests.builders.cli import DEADLINE_SECONDS, LIVE, lab_environment
from tests.builders.emulated import FIRST_SESSION, KEY, SECRET, account_state, lab_config, new_york
from tests.builders.live_lab import STRATEGIES, approve

RESTARTS = 8


@dataclass(frozen=True)
class KillPoint:
    run: int  # 0: the first run; 1: the first restart (it follows the partial fills)
    at: int  # the run's n-th request to the broker
    after: bool  # the broker acts on that request first, then the process dies
    stop: bool = False  # SIGTERM (finish the step, save, exit) instead of SIGKILL


@dataclass(frozen=True)
class Outcome:
    killed: bool
    runs: int
    point: str  # what was hit: the run, the request, before or after the broker acted


def run_once(
    folder: Path, state: TradingState, kill: Kill | None
) -> subprocess.CompletedProcess[str]:
    environment = lab_environment(APCA_PAPER_API_KEY_ID=KEY, APCA_PAPER_API_SECRET_KEY=SECRET)
    process = subprocess.Popen(
        [LIVE, "run", "--broker", "alpaca", "--once", "--config", "lab.toml"],
        cwd=folder,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    with state.lock:
        state.kill = Kill(process.pid, kill.at, kill.after, kill.sent) if kill else None
        state.client_requests = 0
    out, err = process.communicate(timeout=DEADLINE_SECONDS)
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


def scenario(folder: Path, panel: Panel) -> TradingState:
    """Two approved strategies, an empty account, the market open: orders fill in three parts
    while the runs follow them."""
    approve(f"sqlite:///{folder / 'research.db'}", load_config(), STRATEGIES)
    state = account_state(panel)
    state.now = new_york(FIRST_SESSION, 9, 31)
    state.partial_steps = 3
    return state


def crash_and_recover(folder: Path, panel: Panel, point: KillPoint) -> Outcome:
    """Run `live run --once` until its orders are done, killing run `point.run` at its
    `point.at`-th request; then check everything the issue asks for."""
    state = scenario(folder, panel)
    killed, runs, hit = False, 0, "not killed (the run made fewer requests)"
    with trading_emulator(state) as url:
        lab_config(folder, url)
        while runs <= point.run or not done(folder):
            assert runs <= RESTARTS, "the orders were not done after the restarts"
            offset = len(state.requests)
            sent = signal.SIGTERM if point.stop else signal.SIGKILL
            kill = Kill(0, point.at, point.after, sent) if runs == point.run else None
            result = run_once(folder, state, kill)
            stopped = point.stop and len(state.requests) - offset >= point.at
            if kill is not None and (result.returncode == -9 or stopped):
                assert result.returncode in (0, -9), result.stderr
                killed = True
                request = state.requests[offset + point.at - 1]
                when = "after" if point.after else "before"
                hit = f"run {point.run}: {request.method} {_kind(request.path)}, {when}"
            else:
                assert result.returncode == 0, result.stderr
            runs += 1
        check_consistent(folder, state)
    return Outcome(killed, runs, hit)


def reference_requests(folder: Path, panel: Panel) -> list[list[str]]:
    """The requests of the first run and the first restart, nothing killed."""
    state = scenario(folder, panel)
    seen: list[list[str]] = []
    with trading_emulator(state) as url:
        lab_config(folder, url)
        for _ in range(2):
            offset = len(state.requests)
            assert run_once(folder, state, None).returncode == 0
            seen.append([f"{r.method} {_kind(r.path)}" for r in state.requests[offset:]])
    return seen


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


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory, panel: Panel) -> list[list[str]]:
    return reference_requests(tmp_path_factory.mktemp("reference"), panel)


def chosen(reference: list[list[str]], kind: str, index: int) -> KillPoint:
    """A kill point of a kind: a submit (before or after the broker took it), the restart
    following partial fills, or anywhere."""
    first, restart = reference
    posts = [i + 1 for i, r in enumerate(first) if r == "POST /v2/orders"]
    if kind in ("submit-before", "submit-after"):
        return KillPoint(0, posts[(index * 7) % len(posts)], kind == "submit-after")
    if kind == "partial-fills":
        return KillPoint(1, 1 + (index * 5) % len(restart), index % 2 == 0)
    rng = random.Random(index)
    run = rng.randrange(2)
    return KillPoint(run, rng.randint(1, len(reference[run])), rng.random() < 0.5)


CI_POINTS = [
    *(("submit-before", i) for i in range(3)),
    *(("submit-after", i) for i in range(3)),
    *(("partial-fills", i) for i in range(2)),
    *(("anywhere", i) for i in range(2)),
]


@pytest.mark.parametrize(("kind", "index"), CI_POINTS)
def test_a_killed_run_never_doubles_an_order(
    tmp_path: Path, panel: Panel, reference: list[list[str]], kind: str, index: int
) -> None:
    outcome = crash_and_recover(tmp_path, panel, chosen(reference, kind, index))
    assert outcome.killed, outcome


def _stops(reference: list[list[str]], every: bool) -> list[KillPoint]:
    # With the suite: a submit stopped before the broker took it and one after; --slow: every
    # request of the first run, before and after.
    first = reference[0]
    if not every:
        posts = [i + 1 for i, r in enumerate(first) if r == "POST /v2/orders"]
        return [KillPoint(0, posts[0], False, stop=True), KillPoint(0, posts[-1], True, stop=True)]
    return [
        KillPoint(0, at, after, True) for at in range(1, len(first) + 1) for after in (False, True)
    ]


def test_a_run_stopped_by_sigterm_at_any_request_ends_as_an_uninterrupted_one(
    tmp_path: Path, panel: Panel, reference: list[list[str]], request: pytest.FixtureRequest
) -> None:
    # Stopped (SIGTERM: finish the step, save, exit 0) before or after the broker acted on a
    # request; the runs that follow end with the plan's positions, no order twice, and a
    # ledger that agrees with the broker (check_consistent).
    for n, point in enumerate(_stops(reference, bool(request.config.getoption("--slow")))):
        folder = tmp_path / f"stop-{n}"
        folder.mkdir()
        outcome = crash_and_recover(folder, panel, point)
        assert outcome.killed, outcome


@pytest.mark.slow
def test_a_hundred_kill_points(tmp_path: Path, panel: Panel, reference: list[list[str]]) -> None:
    kinds = ["submit-before", "submit-after", "partial-fills"] * 10 + ["anywhere"] * 70
    outcomes = []
    for i, kind in enumerate(kinds):
        folder = tmp_path / f"kill-{i}"
        folder.mkdir()
        outcomes.append(crash_and_recover(folder, panel, chosen(reference, kind, i)))
    killed = sum(o.killed for o in outcomes)
    print(f"\n100 kill points: {killed} killed; {sum(o.runs for o in outcomes)} runs in all")
    for point, count in Counter(o.point for o in outcomes).most_common():
        print(f"  {count:3d}  {point}")
    assert killed == 100
