"""Reconciliation against a sim account whose broker side was changed behind the lab's back,
in each mode; the kill switch; a replay stopped and resumed."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import select

from configs import load_config
from configs.alerts import ALERT_URLS
from live.errors import LiveInputError, ReconciliationFailed
from live.halt import HaltSwitch
from live.records import cash_ledger, ledger_positions
from live.sim import run_sim
from market.panel import Panel
from store import open_database
from store.models import LiveEvent, LiveFill, LiveOrder, SimBrokerState
from tests.builders.alerts import Receiver
from tests.builders.cli import DEADLINE_SECONDS, LIVE, lab_environment
from tests.builders.live_lab import STRATEGIES, approve, with_live


def stop_after(url: str, sessions: int) -> Callable[[], bool]:
    """A stop request that comes once the replay has opened `sessions` more sessions (read
    from the sim broker's saved state, as a SIGTERM would come between two steps)."""
    database = open_database(url)
    first: list[int] = []

    def stopping() -> bool:
        with database.transaction() as session:
            state = session.scalars(
                select(SimBrokerState).order_by(SimBrokerState.account_id.desc())
            ).first()
            assert state is not None
            day, closed = int(state.state["day"]), state.state["phase"] == "closed"
        if not first:  # the first session this run opens
            first.append(day + closed)
        return closed and day - first[0] + 1 >= sessions

    return stopping


def started(tmp_path: Path, panel: Panel, **live: object) -> tuple[str, object]:
    """A sim account stopped after a few sessions; its URL and config."""
    url = f"sqlite:///{tmp_path / 'research.db'}"
    config = with_live(load_config(), halt_file=str(tmp_path / "HALT"), **live)
    approve(url, config, STRATEGIES)
    report = run_sim(open_database(url), config, panel, "bundled", 40, stopping=stop_after(url, 5))
    assert not report.finished and report.fills > 0
    return url, config


def tamper(url: str, panel: Panel, shares: float = 0.0, cash: float = 0.0) -> str:
    """Give the sim broker `shares` of a symbol the lab does not hold, and `cash`; the
    symbol."""
    with open_database(url).transaction() as session:
        row = session.scalars(select(SimBrokerState)).one()
        state = dict(row.state)
        symbol = next(s for s in panel.symbols if s not in state["positions"])
        if shares:
            state["positions"] = {**state["positions"], symbol: shares}
        state["cash"] += cash
        row.state = state
    return symbol


def events(url: str, kind: str) -> list[LiveEvent]:
    with open_database(url).transaction() as session:
        return list(session.scalars(select(LiveEvent).where(LiveEvent.kind == kind)))


def test_strict_reconciliation_stops_on_a_position_the_lab_did_not_trade(
    tmp_path: Path, panel: Panel
) -> None:
    url, config = started(tmp_path, panel)
    symbol = tamper(url, panel, shares=7.0)
    with pytest.raises(ReconciliationFailed, match=f"position {symbol}: lab 0, broker 7"):
        run_sim(open_database(url), config, panel, "bundled", resume=True)  # type: ignore[arg-type]
    last = events(url, "reconciliation")[-1]
    assert not last.ok and last.detail["differences"][0]["key"] == symbol


def test_the_live_command_alerts_when_strict_reconciliation_stops_trading(
    tmp_path: Path, panel: Panel, receiver: Receiver
) -> None:
    url, _ = started(tmp_path, panel)
    symbol = tamper(url, panel, shares=7.0)
    resumed = subprocess.run(
        [LIVE, "run", "--broker", "sim", "--resume"],
        cwd=tmp_path,
        env=lab_environment(tmp_path, **{ALERT_URLS: receiver.url}),
        capture_output=True,
        text=True,
        timeout=DEADLINE_SECONDS,
    )
    assert resumed.returncode == 1 and f"position {symbol}: lab 0, broker 7" in resumed.stderr
    assert receiver.titles(1) == ["gplab: reconciliation stopped trading"]
    assert f"position {symbol}: lab 0, broker 7" in receiver.received[0]["message"]
    assert receiver.received[0]["type"] == "failure"


def test_strict_reconciliation_stops_on_cash_beyond_the_tolerance_and_absorbs_less(
    tmp_path: Path, panel: Panel
) -> None:
    url, config = started(tmp_path, panel, cash_tolerance=1.0)
    tamper(url, panel, cash=-0.40)  # a fee the lab does not model: taken in, recorded
    run_sim(open_database(url), config, panel, "bundled", resume=True, stopping=stop_after(url, 1))  # type: ignore[arg-type]
    assert any("cash adjusted by -0.40" in e.message for e in events(url, "reconciliation"))
    tamper(url, panel, cash=250.0)
    with pytest.raises(ReconciliationFailed, match="cash: lab"):
        run_sim(open_database(url), config, panel, "bundled", resume=True)  # type: ignore[arg-type]


def test_warn_goes_on_and_adopt_takes_the_brokers_figures(tmp_path: Path, panel: Panel) -> None:
    url, config = started(tmp_path, panel)
    symbol = tamper(url, panel, shares=7.0, cash=100.0)
    warned = with_live(config, reconciliation="warn")  # type: ignore[arg-type]
    run_sim(open_database(url), warned, panel, "bundled", resume=True, stopping=stop_after(url, 1))
    assert not events(url, "reconciliation")[-1].ok
    adopting = with_live(config, reconciliation="adopt")  # type: ignore[arg-type]
    run_sim(open_database(url), adopting, panel, "bundled", resume=True)
    with open_database(url).transaction() as session:
        adjustments = session.scalars(select(LiveFill).where(LiveFill.kind == "adjust")).all()
        assert [(a.symbol, a.qty) for a in adjustments] == [(symbol, 7.0)]
        state = session.scalars(select(SimBrokerState)).one().state
        assert ledger_positions(session, 1) == pytest.approx(state["positions"])
        assert cash_ledger(session, 1).cash == pytest.approx(state["cash"])
    assert any("adopted" in e.message for e in events(url, "reconciliation"))


def test_while_halted_no_order_is_sent_and_after_resume_trading_goes_on(
    tmp_path: Path, panel: Panel
) -> None:
    url, config = started(tmp_path, panel)
    switch = HaltSwitch(Path(config.live.halt_file))  # type: ignore[attr-defined]
    switch.halt("testing the kill switch", "tester")
    with open_database(url).transaction() as session:
        before = len(session.scalars(select(LiveOrder)).all())
    run_sim(open_database(url), config, panel, "bundled", resume=True, stopping=stop_after(url, 3))  # type: ignore[arg-type]
    with open_database(url).transaction() as session:
        assert len(session.scalars(select(LiveOrder)).all()) == before
    assert "testing the kill switch" in events(url, "halted")[-1].message
    assert switch.resume() is not None
    report = run_sim(open_database(url), config, panel, "bundled", resume=True)  # type: ignore[arg-type]
    assert report.finished
    with open_database(url).transaction() as session:
        assert len(session.scalars(select(LiveOrder)).all()) > before


def test_a_denied_order_is_recorded_not_raised(tmp_path: Path, panel: Panel) -> None:
    url, _ = started(tmp_path, panel, max_orders_per_day=1)
    with open_database(url).transaction() as session:
        denied = session.scalars(select(LiveOrder).where(LiveOrder.status == "denied")).all()
    assert denied and all("order count" in (o.reason or "") for o in denied)
    assert len(events(url, "risk_denial")) == len(denied)


def test_resume_needs_an_unfinished_replay(tmp_path: Path, panel: Panel) -> None:
    url = f"sqlite:///{tmp_path / 'research.db'}"
    config = with_live(load_config(), halt_file=str(tmp_path / "HALT"))
    approve(url, config, STRATEGIES[:1])
    run_sim(open_database(url), config, panel, "bundled", 3)
    with pytest.raises(LiveInputError, match="no unfinished sim account"):
        run_sim(open_database(url), config, panel, "bundled", resume=True)
