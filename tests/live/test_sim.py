"""A year of `sim` trading: the cash-account rules hold on the record, the account tracks the
backtest, the replay persists, resumes and stops cleanly."""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections import defaultdict
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import select

from configs import LabConfig, load_config
from live.records import cash_ledger, ledger_positions
from live.sim import SimReport, run_sim
from market.panel import Panel
from store import open_database
from store.models import (
    LiveCashEntry,
    LiveFill,
    LiveOrder,
    LivePlan,
    QuarantineEntry,
    SimBrokerState,
)
from tests.builders.live_lab import STRATEGIES, approve, with_live


def replay(
    tmp_path: Path,
    panel: Panel,
    config: LabConfig,
    days: int,
    texts: list[str] = STRATEGIES,
    url: str | None = None,
) -> tuple[str, SimReport]:
    tmp_path.mkdir(parents=True, exist_ok=True)
    url = url or f"sqlite:///{tmp_path / 'research.db'}"
    approve(url, config, texts)
    config = with_live(config, halt_file=str(tmp_path / "HALT"))
    database = open_database(url)
    try:
        return url, run_sim(database, config, panel, "bundled", days)
    finally:
        database.close()


@pytest.fixture(scope="module")
def year(tmp_path_factory: pytest.TempPathFactory, panel: Panel) -> tuple[str, SimReport]:
    return replay(tmp_path_factory.mktemp("year"), panel, load_config(), 250)


def test_a_year_never_overdraws_shorts_or_spends_unsettled_cash(
    year: tuple[str, SimReport],
) -> None:
    url, report = year
    assert report.finished and len(report.sessions) == 250
    assert report.fills > 100  # it traded
    assert report.rejected == 0  # the plan never sends what the broker refuses
    with open_database(url).transaction() as session:
        fills = session.scalars(select(LiveFill).order_by(LiveFill.id)).all()
        entries = session.scalars(select(LiveCashEntry).order_by(LiveCashEntry.id)).all()
        fill_session = {f.id: f.session for f in fills}
        # No short, ever: each position, fill after fill, stays at or above zero.
        held: dict[str, float] = defaultdict(float)
        for f in fills:
            held[f.symbol] = round(held[f.symbol] + f.qty, 9)
            assert held[f.symbol] >= 0, f"short {f.symbol} after fill {f.id}"
        # Cash never negative, entry after entry.
        cash = 0.0
        for e in entries:
            cash += e.amount
            assert cash >= -1e-6, f"cash {cash} after entry {e.id}"

        # Settled cash rule: what a session's buys (and fees) cost never exceeds the cash
        # settled by that session: purchases and fees of earlier sessions paid, sale proceeds
        # counted only once settled.
        def session_of(e: LiveCashEntry) -> dt.date:
            return e.settles_on if e.fill_id is None else fill_session[e.fill_id]

        spent: dict[dt.date, float] = defaultdict(float)
        for e in entries:
            if e.kind in ("buy", "fee"):
                spent[session_of(e)] -= e.amount
        for day, cost in spent.items():
            available = sum(
                e.amount
                for e in entries
                if (e.fill_id is None or session_of(e) < day)
                and (e.kind in ("buy", "fee") or e.settles_on <= day)
            )
            assert cost <= available + 1e-6, f"{day}: spent {cost}, settled {available}"
        # One order per client id, each of its own plan's session.
        orders = session.scalars(select(LiveOrder)).all()
        plans = {p.id: p.session for p in session.scalars(select(LivePlan))}
        assert len({o.client_order_id for o in orders}) == len(orders)
        for o in orders:
            assert f"-{plans[o.plan_id]:%Y%m%d}-" in o.client_order_id
        # The broker's side agrees with the books at the end.
        state = session.scalars(select(SimBrokerState)).one().state
        assert ledger_positions(session, 1) == pytest.approx(state["positions"])
        assert cash_ledger(session, 1).cash == pytest.approx(state["cash"])


def test_one_strategy_with_all_the_capital_tracks_its_backtest(
    tmp_path: Path, panel: Panel
) -> None:
    config = with_live(
        load_config(),
        max_strategy_weight=1.0,
        cash_buffer=0.0,
        min_order_value=0.0,
        max_symbol_weight=1.0,
    )
    _, report = replay(tmp_path, panel, config, 120, texts=STRATEGIES[:1])
    difference, error = report.tracking()
    # The account sizes entries at the last close, the backtest at the fill price, and an
    # entry only part of which settled cash paid for is topped up by the account the next
    # session, never by the backtest; the difference over half a year stays small (measured:
    # 0.013 here, 0.005 over 250 sessions, with a tracking error of 0.013 and 0.016).
    assert abs(difference) < 0.02, difference
    assert error < 0.03, error
    assert np.corrcoef(np.diff(report.equity), np.diff(report.reference))[0, 1] > 0.95


def test_the_same_replay_twice_gives_the_same_account(
    tmp_path: Path, panel: Panel, database_url: str
) -> None:
    first = replay(tmp_path / "a", panel, load_config(), 30)[1]
    second = replay(tmp_path / "b", panel, load_config(), 30, url=database_url)[1]
    assert np.array_equal(first.equity, second.equity)
    assert (first.orders, first.fills) == (second.orders, second.fills)
    database = open_database(database_url)
    with database.transaction() as session:  # the ledger holds what the report says
        assert len(session.scalars(select(LiveFill)).all()) == second.fills
    database.close()


def test_an_approved_strategy_that_does_not_parse_is_left_out_and_the_other_trades(
    tmp_path: Path, panel: Panel
) -> None:
    alone = replay(tmp_path / "alone", panel, load_config(), 30, texts=STRATEGIES[1:])[1]
    url = f"sqlite:///{tmp_path / 'both' / 'research.db'}"
    (tmp_path / "both").mkdir()
    broken, _ = approve(url, load_config(), STRATEGIES)
    with sqlite3.connect(tmp_path / "both" / "research.db") as db:
        db.execute("UPDATE genomes SET text = 'gt(close, sma(close, 50)' WHERE id = ?", (broken,))
    db.close()
    database = open_database(url)
    try:
        config = with_live(load_config(), halt_file=str(tmp_path / "HALT"))
        both = run_sim(database, config, panel, "bundled", 30)
        with database.transaction() as session:
            (entry,) = session.scalars(select(QuarantineEntry)).all()
            assert (entry.table_name, entry.row_id) == ("genomes", broken)
    finally:
        database.close()
    assert both.strategies == 1 and both.orders > 0
    assert np.array_equal(both.equity, alone.equity)
