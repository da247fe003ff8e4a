"""The trader on an Alpaca account (the real alpaca-py client, the loopback emulator): a whole
session, and every fault while orders are sent and filled."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import select

from configs import LabConfig, load_config
from labkit.alpaca_trading import Fault, TradingState
from live.errors import LiveInputError
from live.halt import HaltSwitch
from live.latest import LatestFeed
from live.records import account_named, ledger_positions
from live.trader import Trader
from market.panel import Panel
from store import Database, open_database
from store.models import Candidate, LiveBookEntry, LiveFill, LiveOrder, LivePlan
from store.statuses import OrderStatus
from tests.builders.emulated import FIRST_SESSION, broker, emulated
from tests.builders.live_lab import STRATEGIES, approve, with_live


@pytest.fixture
def lab(tmp_path: Path) -> tuple[Database, LabConfig]:
    url = f"sqlite:///{tmp_path / 'research.db'}"
    config = with_live(load_config(), halt_file=str(tmp_path / "HALT"))
    approve(url, config, STRATEGIES)
    return open_database(url), config


@pytest.fixture
def account(panel: Panel) -> Iterator[tuple[str, TradingState]]:
    with emulated(panel) as found:
        yield found


@dataclass
class Setup:
    database: Database
    config: LabConfig
    state: TradingState
    trader: Trader


@pytest.fixture
def started(
    lab: tuple[Database, LabConfig], panel: Panel, account: tuple[str, TradingState]
) -> Setup:
    """An approved lab trading the emulated account, started (reconciled) before the open."""
    database, config = lab
    url, state = account
    t = trader(database, config, url, panel, timeout=0.5)
    assert t.start(FIRST_SESSION).ok
    return Setup(database, config, state, t)


def trader(
    database: Database, config: LabConfig, url: str, panel: Panel, timeout: float = 2.0
) -> Trader:
    b = broker(url, timeout)
    with database.transaction() as session:
        record = account_named(session, "alpaca-paper", "alpaca", {})
    feed = LatestFeed(config, b, lambda: panel)
    return Trader(database, b, record, config, feed, HaltSwitch(Path(config.live.halt_file)))


def orders(database: Database) -> list[LiveOrder]:
    with database.transaction() as session:
        return list(session.scalars(select(LiveOrder).order_by(LiveOrder.sequence)))


def positions(state: TradingState) -> dict[str, float]:
    return {s: q for s, (q, _) in state.positions.items()}


def targets(database: Database) -> dict[str, float]:
    with database.transaction() as session:
        return dict(session.scalars(select(LivePlan)).one().targets)


def test_a_session_from_plan_to_fills(started: Setup) -> None:
    database, state, t = started.database, started.state, started.trader
    report = t.cycle(FIRST_SESSION)
    assert report.planned > 5 and report.sent == report.planned
    assert {o.status for o in orders(database)} == {"accepted"}  # before the open
    assert len(state.orders) == report.planned
    assert state.config["max_margin_multiplier"] == "1"
    state.open_market()
    after = t.cycle(FIRST_SESSION)
    assert after.planned == 0 and after.sent == 0  # planned once, sent once
    assert after.fills == report.planned
    assert {o.status for o in orders(database)} == {"filled"}
    with database.transaction() as session:
        assert ledger_positions(session, 1) == pytest.approx(targets(database))
        statuses = set(session.scalars(select(Candidate.status)))
    assert statuses == {"live"}  # approved strategies that trade are live
    assert positions(state) == pytest.approx(targets(database))


@pytest.mark.parametrize("kind", ["504_after", "hang", "500_text", "reset", "429"])
def test_an_ambiguous_answer_is_resolved_by_the_client_id_never_by_a_second_order(
    started: Setup, kind: str
) -> None:
    database, state, t = started.database, started.state, started.trader
    state.faults.append(Fault("POST", "/v2/orders", kind))
    t.cycle(FIRST_SESSION)
    mine = orders(database)
    created = [o["client_order_id"] for o in state.orders]
    assert len(created) == len(set(created))
    if kind == "504_after":  # it landed: found by its id and adopted
        assert len(created) == len(mine) and {o.status for o in mine} == {"accepted"}
    else:  # it did not land: unknown, then sent (once) on the next cycle
        assert [o.status for o in mine].count(OrderStatus.UNKNOWN) == 1
        assert len(created) == len(mine) - 1
        t.cycle(FIRST_SESSION)
        created = [o["client_order_id"] for o in state.orders]
        assert sorted(created) == sorted(o.client_order_id for o in mine)
    state.open_market()
    t.cycle(FIRST_SESSION)
    assert positions(state) == pytest.approx(targets(database))


def test_partial_fills_are_recorded_as_deltas(started: Setup) -> None:
    database, state, t = started.database, started.state, started.trader
    state.partial_steps = 3
    t.cycle(FIRST_SESSION)
    state.open_market()
    for _ in range(4):
        t.cycle(FIRST_SESSION)
    with database.transaction() as session:
        fills = session.scalars(select(LiveFill)).all()
        by_order: dict[int | None, list[LiveFill]] = {}
        for fill in fills:
            by_order.setdefault(fill.order_id, []).append(fill)
        for order in session.scalars(select(LiveOrder)):
            parts = by_order[order.id]
            assert len(parts) >= 2  # fills seen part by part, each its own delta
            assert sum(abs(f.qty) for f in parts) == pytest.approx(order.qty)
            value = sum(abs(f.qty) * f.price for f in parts)
            assert value / order.qty == pytest.approx(order.filled_avg_price, rel=1e-6)
    assert t.reconcile(FIRST_SESSION).ok


def test_unfilled_day_orders_expire_and_stale_data_is_refused(started: Setup) -> None:
    database, state, t = started.database, started.state, started.trader
    t.cycle(FIRST_SESSION)
    state.prices = {s: p * 1.2 for s, p in state.prices.items()}  # gapped up past every limit
    state.open_market()
    state.close_market()
    t.cycle(FIRST_SESSION, plan=False)
    assert {o.status for o in orders(database)} == {"expired"}
    with pytest.raises(LiveInputError, match="stale data"):
        t.cycle(FIRST_SESSION.replace(day=18))  # the data ends before the 17th's close


def test_halted_trading_cancels_the_open_orders(started: Setup) -> None:
    database, state, t = started.database, started.state, started.trader
    t.cycle(FIRST_SESSION)
    HaltSwitch(Path(started.config.live.halt_file)).halt("news", "tester")
    report = t.cycle(FIRST_SESSION)
    assert report.halted and len(report.notes) == len(state.orders)
    assert {o["status"] for o in state.orders} == {"canceled"}
    assert {o.status for o in orders(database)} == {"canceled"}


@pytest.mark.parametrize("status", ["canceled", "expired", "rejected", "done_for_day"])
def test_every_terminal_state_from_the_broker_closes_the_order(started: Setup, status: str) -> None:
    database, state, t = started.database, started.state, started.trader
    t.cycle(FIRST_SESSION)
    for order in state.orders:
        order["status"] = status
    t.cycle(FIRST_SESSION, plan=False)
    found = orders(database)
    assert {o.status for o in found} == {status}
    assert all(f"{status} by the broker" in (o.reason or "") for o in found)
    assert t.reconcile(FIRST_SESSION).ok


def test_a_refused_order_is_recorded_and_the_others_go_on(started: Setup) -> None:
    database, state, t = started.database, started.state, started.trader
    state.faults.append(Fault("POST", "/v2/orders", "403"))
    report = t.cycle(FIRST_SESSION)
    assert report.rejected == 1 and report.sent == report.planned - 1
    refused = [o for o in orders(database) if o.status == "rejected"]
    assert len(refused) == 1 and "HTTP 403" in (refused[0].reason or "")
    assert len(state.orders) == report.planned - 1


def test_a_symbol_without_fractions_is_bought_in_whole_shares(started: Setup) -> None:
    database, state, t = started.database, started.state, started.trader
    state.not_fractionable = set(state.prices)
    report = t.cycle(FIRST_SESSION)
    assert report.sent == report.planned > 0 and report.rejected == 0
    assert all(o.qty == int(o.qty) for o in orders(database))
    with database.transaction() as session:
        books = session.scalars(select(LiveBookEntry)).all()
    assert books and all(b.qty == int(b.qty) for b in books)
