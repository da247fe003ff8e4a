"""The Live page in a real headless Chromium against a real `live dashboard`: its halt button
stops the orders of a real `live run` (alpaca-py against the local emulator of Alpaca), the
account is shown as research.db holds it, and the decay watch proposes retiring a strategy whose
edge has gone, which a human then retires from the page."""

from __future__ import annotations

import contextlib
import datetime as dt
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from configs import load_config
from labkit.alpaca_trading import trading_emulator
from live.records import ledger_positions
from live.statement import account_statement
from live.status import account_view
from market.panel import Panel
from market.sources import load_panel
from promotion.review import review_data
from promotion.watch import watch_strategies
from store import open_database
from store.models import Candidate, LiveOrder, OrderMove
from tests.builders.browser import browser, click, count, screenshot, serve
from tests.builders.cli import DEADLINE_SECONDS, LIVE, lab_environment
from tests.builders.disk import fill, full_disk
from tests.builders.emulated import FIRST_SESSION, KEY, SECRET, account_state, new_york
from tests.builders.labs import incubating_lab
from tests.builders.live_lab import GONE, HOLDING, QUICK_WATCH, STRATEGIES, approve
from tests.builders.nights import reviewer_decisions, rows

PAPER = {"APCA_PAPER_API_KEY_ID": KEY, "APCA_PAPER_API_SECRET_KEY": SECRET}
# A trend follower that held up over the last 80 sessions of the bundled data, and a dip buyer
# that did not (pinned: the data is fixed); a false alarm once in 20 sessions makes the watch
# quick enough to see on 80.

served = contextlib.contextmanager(serve)


@pytest.fixture(scope="module")
def panel() -> Panel:
    config = load_config()
    return load_panel(config.data, config.alpaca)[0]


@pytest.fixture(scope="module")
def chrome() -> Iterator[Any]:
    yield from browser()


def live(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [LIVE, *args, "--config", "lab.toml"],
        cwd=folder,
        env=lab_environment(folder, **PAPER),
        capture_output=True,
        text=True,
        timeout=DEADLINE_SECONDS,
    )


def test_the_halt_button_stops_the_orders_of_a_real_run(
    tmp_path: Path, panel: Panel, chrome: Any
) -> None:

    db = f"sqlite:///{tmp_path / 'research.db'}"
    approve(db, load_config(), STRATEGIES)
    state = account_state(panel)
    state.now = new_york(FIRST_SESSION, 8, 30)
    with trading_emulator(state) as url:
        (tmp_path / "lab.toml").write_text(
            f'[live]\ntrading_url = "{url}"\ntimeout_seconds = 2.0\n'
        )
        _halt_and_trade(tmp_path, state, chrome, panel)


def _halt_and_trade(tmp_path: Path, state: Any, chrome: Any, panel: Panel) -> None:
    from selenium.webdriver.common.by import By

    db = f"sqlite:///{tmp_path / 'research.db'}"
    with served(tmp_path) as site:
        chrome.get(f"{site}/live")
        assert chrome.find_element(By.ID, "trading").text == "allowed"
        assert "no live account yet" in chrome.find_element(By.ID, "no-account").text
        watch = chrome.find_elements(By.CSS_SELECTOR, "table#watch tr.strategy .verdict")
        assert [w.text for w in watch] == ["not trading yet", "not trading yet"]
        chrome.find_element(By.ID, "halt-reason-input").send_keys("checking the page")
        click(chrome, chrome.find_element(By.ID, "halt-button"))
        assert chrome.find_element(By.ID, "trading").text == "HALTED"
        assert "checking the page (by " in chrome.find_element(By.ID, "halt-reason").text
        assert "checking the page" in (tmp_path / "HALT").read_text()
        # The trader finds the page's HALT: nothing reaches the broker, nothing is planned.
        halted = live(tmp_path, "run", "--broker", "alpaca", "--once")
        assert halted.returncode == 0, halted.stderr
        assert "HALTED (checking the page" in halted.stdout and "no order sent" in halted.stdout
        assert not state.orders and not rows(db, LiveOrder)
        # Resumed, the same run sends its orders (so the halt was what held them).
        assert live(tmp_path, "resume").returncode == 0
        traded = live(tmp_path, "run", "--broker", "alpaca", "--once")
        assert traded.returncode == 0, traded.stderr
        assert state.orders and len(rows(db, LiveOrder)) == len(state.orders)
        chrome.get(f"{site}/live")
        assert chrome.find_element(By.ID, "trading").text == "allowed"
        database = open_database(db)
        with database.transaction() as session:
            view = account_view(session, None)
            positions = ledger_positions(session, view.account.id)
            reconciliation = view.reconciliation.message if view.reconciliation else None
            planned = len(view.plan.strategy_weights()) if view.plan else 0
            assert view.cash is not None and view.unshown is None
            cash = (view.settled, view.cash - (view.settled or 0.0), view.pnl, len(view.fills))
            marked = account_statement(session, view.account, panel)
            sized = view.plan.equity if view.plan else None
        database.close()
        orders = chrome.find_elements(By.CSS_SELECTOR, "table#orders tbody tr")
        assert len(orders) == len(state.orders) and planned == 2
        # Each order's moves, as recorded: sent, then the broker's answer.
        cells = chrome.find_elements(By.CSS_SELECTOR, "table#orders tbody tr td.moves")
        shown_moves = [cell.text for cell in cells]
        assert all(m.startswith("planned → submitting ") for m in shown_moves), shown_moves
        recorded = rows(db, OrderMove)
        assert sum(m.count("→") for m in shown_moves) == len(recorded) >= 2 * len(orders)
        assert len(chrome.find_elements(By.CSS_SELECTOR, "table#plan tbody tr")) == 2
        shown = chrome.execute_script(
            "return [...document.querySelectorAll('table#positions tbody tr')]"
            ".map(r => r.dataset.symbol)"
        )
        assert set(shown) == set(positions)
        settled, unsettled, pnl, fills = cash
        assert settled is not None and pnl is not None
        assert chrome.find_element(By.ID, "settled").text == f"{settled:,.2f}"
        assert chrome.find_element(By.ID, "unsettled").text == f"{unsettled:,.2f}"
        # The P&L marked at the last close of the data (the emulated account trades on its last
        # sessions), and the equity the newest plan was sized on, said as such.
        shown_pnl = chrome.find_element(By.CSS_SELECTOR, "[data-item=pnl]").text
        if marked is not None:
            assert chrome.find_element(By.ID, "pnl").text == f"{marked.pnl:+,.2f}"
            assert f"at the close of {marked.day}" in shown_pnl
        else:
            assert "not marked" in shown_pnl
        assert f"sized on equity {sized:,.2f}" in chrome.find_element(By.ID, "account").text
        assert count(chrome, "table#fills tbody tr") == fills
        assert reconciliation and reconciliation in chrome.find_element(By.ID, "account").text
        assert "Account alpaca-paper" in chrome.find_element(By.TAG_NAME, "main").text


def test_the_decay_watch_proposes_and_the_page_retires(tmp_path: Path, chrome: Any) -> None:
    from selenium.webdriver.common.by import By

    (tmp_path / "lab.toml").write_text(QUICK_WATCH)
    db = f"sqlite:///{tmp_path / 'research.db'}"
    approve(db, load_config(tmp_path / "lab.toml"), [HOLDING, GONE])
    replay = live(tmp_path, "run", "--broker", "sim", "--days", "80")
    assert replay.returncode == 0, replay.stderr
    holding, gone = (c.id for c in rows(db, Candidate))
    with served(tmp_path) as site:
        chrome.get(f"{site}/live")
        assert "sim-" in chrome.find_element(By.CSS_SELECTOR, "main").text
        verdicts = {
            int(r.get_attribute("data-candidate")): r.find_element(By.CLASS_NAME, "verdict").text
            for r in chrome.find_elements(By.CSS_SELECTOR, "table#watch tr.strategy")
        }
        assert verdicts == {holding: "holding up", gone: "ALARM: propose retirement"}
        # Each strategy's paper P&L is the watch's, computed here on the same data.
        config = load_config(tmp_path / "lab.toml")
        panel, _, windows = review_data(config, dt.datetime.now(dt.UTC))
        database = open_database(db)
        with database.transaction() as session:
            expected = {
                w.candidate_id: f"{w.pnl:+,.2f}"
                for w in watch_strategies(session, panel, windows, config)
                if w.pnl is not None
            }
        database.close()
        pnl = {
            int(r.get_attribute("data-candidate")): r.find_element(By.CLASS_NAME, "pnl").text
            for r in chrome.find_elements(By.CSS_SELECTOR, "table#watch tr.strategy")
        }
        assert pnl == expected and len(expected) == 2
        assert (
            "paper returns 2016-12-19..2017-04-13 (80 sessions)"
            in chrome.find_element(By.ID, "watch").text
        )
        screenshot(chrome, tmp_path / "live.png")
        proposal = chrome.find_element(By.CSS_SELECTOR, f"tr.proposal[data-candidate='{gone}']")
        proposal.find_element(By.NAME, "note").send_keys("the dip buying edge is gone")
        click(chrome, proposal.find_element(By.TAG_NAME, "button"))
        flash = chrome.find_element(By.ID, "flash").text
        assert flash.startswith(f"recorded: candidate {gone} retired by ")
        assert count(chrome, "tr.proposal") == 0
    decisions = reviewer_decisions(db)
    assert [(d.candidate_id, d.action, d.from_status, d.note) for d in decisions] == [
        (gone, "retire", "approved", "the dip buying edge is gone")
    ]
    assert {c.id: c.status for c in rows(db, Candidate)} == {holding: "approved", gone: "retired"}


def test_the_halt_button_halts_on_a_full_disk(tmp_path: Path, chrome: Any) -> None:
    from selenium.webdriver.common.by import By

    with full_disk(tmp_path / "disk", "32m") as home:
        approve(f"sqlite:///{home / 'research.db'}", load_config(), STRATEGIES)
        (home / "lab.toml").write_text("")
        with served(home) as site:
            chrome.get(f"{site}/live")
            assert chrome.find_element(By.ID, "trading").text == "allowed"
            fill(home)
            chrome.find_element(By.ID, "halt-reason-input").send_keys("no room left")
            click(chrome, chrome.find_element(By.ID, "halt-button"))
            assert chrome.find_element(By.ID, "trading").text == "HALTED"
            assert "HALT holds no reason" in chrome.page_source
        assert (home / "HALT").exists() and (home / "HALT").stat().st_size == 0


def test_the_halt_button_is_shown_whatever_the_stored_account_holds(
    tmp_path: Path, chrome: Any
) -> None:
    import sqlite3

    from selenium.webdriver.common.by import By

    approve(f"sqlite:///{tmp_path / 'research.db'}", load_config(), STRATEGIES)
    (tmp_path / "lab.toml").write_text("")
    assert live(tmp_path, "run", "--days", "3").returncode == 0
    with sqlite3.connect(tmp_path / "research.db") as db:  # a damaged JSON column
        db.execute("UPDATE live_plans SET weights = '{not json'")
    db.close()
    with served(tmp_path) as site:
        chrome.get(f"{site}/live")  # the plans are left out, named, and counted on every page
        banner = chrome.find_element(By.ID, "left-out-rows").text
        assert banner.startswith("3 stored rows cannot be read and are left out")
        chrome.find_element(By.ID, "halt-reason-input").send_keys("bad row")
        click(chrome, chrome.find_element(By.ID, "halt-button"))
        assert chrome.find_element(By.ID, "trading").text == "HALTED"
    assert "bad row" in (tmp_path / "HALT").read_text()


def test_the_page_shows_an_incubating_strategy_beside_its_validation_and_confirms_it(
    tmp_path: Path, chrome: Any
) -> None:
    from selenium.webdriver.common.by import By

    number = incubating_lab(tmp_path, 8)
    db = f"sqlite:///{tmp_path / 'research.db'}"
    with served(tmp_path) as site:
        chrome.get(f"{site}/live")
        row = chrome.find_element(By.CSS_SELECTOR, f"tr.incubating[data-candidate='{number}']")
        assert "8 / 5" in row.text and "passed: may be confirmed" in row.text
        assert "validation 2007-07-02..2014-06-30: Sharpe 1.50, DSR 0.97" in row.text
        # The decay watch follows it on its forward record too.
        watched = chrome.find_element(By.CSS_SELECTOR, f"tr.strategy[data-candidate='{number}']")
        assert "incubating" in watched.text
        assert (
            "forward paper returns 2017-04-14..2017-04-25 (8 sessions)"
            in chrome.find_element(By.ID, "watch").text
        )
        screenshot(chrome, tmp_path / "live-incubating.png")
        ready = chrome.find_element(By.CSS_SELECTOR, f"tr.ready[data-candidate='{number}']")
        ready.find_element(By.NAME, "note").send_keys("eight good sessions on paper")
        click(chrome, ready.find_element(By.TAG_NAME, "button"))
        flash = chrome.find_element(By.ID, "flash").text
        assert flash.startswith(f"recorded: candidate {number} approved by ")
        assert count(chrome, "tr.incubating") == 0
        assert chrome.find_element(By.ID, "no-incubating").text == "No strategy is incubating."
    decisions = reviewer_decisions(db)
    assert [(d.action, d.from_status, d.to_status) for d in decisions][-1] == (
        "confirm",
        "incubating",
        "approved",
    )
