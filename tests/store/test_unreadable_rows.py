"""One damaged column never stops the lab: each JSON, number and date column of each table is
damaged in turn (text where a number belongs, JSON cut short, a date that is none), as a hand edit
or the disk would leave it, in a lab that has run a night, a review and a replay. Then a night, a
replay, every reading command and every page go on; the row is named (table, id, column, why),
recorded in the quarantine, alerted once, and left out.

A sample of columns runs with the suite; `pytest --slow tests/store/test_unreadable_rows.py`
damages every one."""

from __future__ import annotations

import shutil
import sqlite3
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import Integer

from configs import load_config
from configs.alerts import ALERT_URLS
from store.checked import JSONValue, Number, WholeNumber, _Checked
from store.models import Base, StagnationEvent
from tests.builders.alerts import Receiver
from tests.builders.browser import serve
from tests.builders.cli import evolve, lab_folder, live, promote
from tests.builders.live_lab import STRATEGIES, approve

NIGHT = ("nightly", "--discovery", "--generations", "1")
DAMAGE = {JSONValue: "{not json", Number: "not a number", WholeNumber: "not a number"}
# With the suite: a JSON and a number column of the research, review and live tables.
SAMPLE = {
    ("evaluations", "metrics"),
    ("candidates", "score"),
    ("gate_reports", "criteria"),
    ("live_cash", "amount"),
    ("live_plans", "weights"),
    ("runs", "config"),
    ("forward_returns", "strategy"),
}
PAGES = ("/", "/nights", "/nights/lineage.svg", "/candidates", "/health", "/live", "/review")


def _columns() -> list[tuple[str, str]]:
    """(table, column) of every column read through a checked type, but SQLite's row ids
    (an INTEGER PRIMARY KEY holds only integers)."""
    found = []
    for table in Base.metadata.sorted_tables:
        for column in table.columns:
            rowid = column.primary_key and len(table.primary_key.columns) == 1
            if isinstance(column.type, _Checked) and not (
                rowid and isinstance(column.type.impl_instance, Integer)
            ):
                found.append((table.name, column.name))
    return found


def _cases() -> list[object]:
    return [
        pytest.param(t, c, id=f"{t}.{c}", marks=() if (t, c) in SAMPLE else pytest.mark.slow)
        for t, c in _columns()
    ]


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A lab after a night, two approvals, a review that opened the holdouts, and a replay."""
    folder = lab_folder(tmp_path_factory.mktemp("damaged"), "lab")
    for done in (
        evolve(*NIGHT, "--generations", "2", cwd=folder),
        promote("approve", "1", "--override", "--note", "by hand", cwd=folder),
    ):
        assert done.returncode == 0, done.stderr
    approve(f"sqlite:///{folder / 'research.db'}", load_config(), STRATEGIES[:1])  # it trades
    with sqlite3.connect(folder / "research.db") as db:
        db.execute("UPDATE candidates SET status = 'gate_passed' WHERE status = 'gate_failed'")
        _add_stagnation_event(db)
        _add_forward_return(db)
        db.execute(  # and a row quarantined before, as a night that met a bad text leaves it
            "INSERT INTO quarantine (table_name, row_id, reason, found_by, created_at) "
            "VALUES ('genomes', 'f00d', 'bad text', 'evolve nightly', '2026-01-02 03:04:05')"
        )
    db.close()
    for done in (
        promote("review", cwd=folder, stdin="s\n" * 10),
        live("run", "--days", "3", cwd=folder),
    ):
        assert done.returncode == 0, done.stderr
    return folder


def _add_stagnation_event(db: sqlite3.Connection) -> None:
    # Two generations make none; one row stands for what a longer night writes.
    columns = [c.name for c in StagnationEvent.__table__.columns]
    values = (1, 1, 2, "best", 0.5, 0.0, "inject", 3, "2026-01-02 03:04:05.000000")
    db.execute(
        f"INSERT INTO stagnation_events ({', '.join(columns)}) VALUES (?,?,?,?,?,?,?,?,?)", values
    )


def _add_forward_return(db: sqlite3.Connection) -> None:
    # The bundled data does not grow: one session after candidate 1's gate report stands for
    # what a night with a newer session records.
    (report,) = db.execute("SELECT max(id) FROM gate_reports WHERE candidate_id = 1").fetchone()
    db.execute(
        "INSERT INTO forward_returns (candidate_id, day, gate_report_id, strategy, market, "
        "run_id, recorded_at) VALUES (1, '2017-04-17', ?, 0.001, 0.0005, 1, "
        "'2026-01-02 03:04:05.000000')",
        (report,),
    )


def _damage(folder: Path, table: str, column: str) -> str:
    """Damage `column` of the first row of `table`; that row's id."""
    kind = type(Base.metadata.tables[table].columns[column].type)
    keys = [c.name for c in Base.metadata.tables[table].primary_key.columns]
    with sqlite3.connect(folder / "research.db") as db:
        first = db.execute(
            f"SELECT rowid, {', '.join(keys)} FROM {table} ORDER BY rowid"
        ).fetchone()
    db.close()
    assert first is not None, f"the lab has no {table} row to damage"
    _damage_row(folder, table, column, f"rowid = {first[0]}", DAMAGE.get(kind, "not a date"))
    return ",".join(str(v) for v in first[1:])


def _pages(folder: Path, alerts: dict[str, str]) -> Iterator[tuple[str, int, str]]:
    """(path, status, body) of every page of the lab's dashboard."""
    with contextmanager(serve)(folder, options=(), **alerts) as site:
        for path in (*PAGES, *(f"/candidates/{n}" for n in (1, 2, 3))):
            try:
                with urllib.request.urlopen(f"{site}{path}", timeout=60) as answer:
                    yield path, answer.status, answer.read().decode()
            except urllib.error.HTTPError as e:
                yield path, e.code, e.read().decode()


def _asks_for(args: list[str], table: str, row: str) -> bool:
    """Whether a command is asked for that one row: `promote show N`, `live status` (the one
    account, before the replay makes another)."""
    asked = {("candidates", "promote", "show", row), ("live_accounts", "live", "status")}
    return (table, Path(args[0]).name, *args[1:]) in asked


@pytest.mark.parametrize(("table", "column"), _cases())
def test_a_damaged_column_is_named_and_left_out_and_the_lab_goes_on(
    lab: Path, tmp_path: Path, receiver: Receiver, table: str, column: str
) -> None:
    folder = tmp_path / "lab"
    shutil.copytree(lab, folder)
    row = _damage(folder, table, column)
    alerts = {ALERT_URLS: receiver.url}
    runs = [
        evolve("status", cwd=folder, env=alerts),
        promote("list", cwd=folder, env=alerts),
        promote("show", "1", cwd=folder, env=alerts),
        promote("show", "2", cwd=folder, env=alerts),
        promote("review", cwd=folder, stdin="s\n" * 10, env=alerts),
        promote("gate", "3", cwd=folder, env=alerts),
        live("status", cwd=folder, env=alerts),
        live("run", "--days", "2", cwd=folder, env=alerts),
        evolve("report", cwd=folder, env=alerts),
        evolve(*NIGHT, cwd=folder, env=alerts),
        evolve("prune", cwd=folder, env=alerts),
    ]
    for done in runs:
        if _asks_for(done.args, table, row):  # it cannot be shown, and says why
            assert done.returncode == 2 and "cannot be read and is left out" in done.stderr
            continue
        assert done.returncode == 0, (done.args, done.stdout[-2000:], done.stderr[-4000:])
        assert "Traceback" not in done.stderr, (done.args, done.stderr[-4000:])
    for path, status, body in _pages(folder, alerts):
        if path == f"/candidates/{row}" and table == "candidates":
            assert status == 404 and "cannot be read and is left out" in body
            continue
        assert status == 200, (path, status, body[-2000:])
        if path == "/live":
            assert 'id="halt-button"' in body
    named = f"{table} row {row} cannot be read and is left out: column {column}: "
    logs = [done.stderr for done in runs] + [(folder / "dashboard.log").read_text()]
    told = [line for log in logs for line in log.splitlines() if named in line]
    with sqlite3.connect(folder / "research.db") as db:
        entries = db.execute(
            "SELECT table_name, row_id, reason FROM quarantine WHERE row_id != 'f00d'"
        ).fetchall()
    db.close()
    assert all(e[:2] == (table, row) and e[2].startswith(f"column {column}: ") for e in entries)
    assert len(entries) == (1 if told else 0)
    assert told or (table, column) not in SAMPLE  # the sample is of columns the lab reads
    titles = receiver.titles(len(entries) + 2)  # and the night's: finished, awaiting review
    quarantined = [t for t in titles if "quarantined" in t]
    assert quarantined == [f"gplab: a {table} row was quarantined"] * len(entries), titles
    assert not [t for t in titles if "crashed" in t], titles


def _damage_row(folder: Path, table: str, column: str, where: str, bad: str = "{not json") -> None:
    """Write `bad` into `column` of the rows of `table` matching `where`, as a hand edit would
    (an append-only table's guard taken off for the edit and put back)."""
    with sqlite3.connect(folder / "research.db") as db:
        guards = db.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = ?", (table,)
        ).fetchall()
        for name, _ in guards:
            db.execute(f'DROP TRIGGER "{name}"')
        db.execute(f"UPDATE {table} SET {column} = ? WHERE {where}", (bad,))
        for _, sql in guards:
            db.execute(sql)
    db.close()


def test_the_review_shows_every_reviewable_candidate_and_names_the_ones_left_out(
    lab: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "lab"
    shutil.copytree(lab, folder)
    _damage_row(folder, "candidates", "score", "id = 3")
    newest = "id = (SELECT max(id) FROM gate_reports WHERE candidate_id = 2)"
    _damage_row(folder, "gate_reports", "criteria", newest)
    _damage_row(folder, "holdout_results", "metrics", "candidate_id = 4")
    reviewed = promote("review", cwd=folder, stdin="s\n" * 10)
    assert reviewed.returncode == 0, reviewed.stderr
    out = reviewed.stdout
    assert "candidate 3 is left out of the review: column score: " in out
    assert "candidate 2 is left out of the review: its newest gate report (" in out
    assert "candidate 4 is left out of the review: its opened holdout cannot be read" in out
    assert "left out (quarantined, see `promote show`): candidate(s) 2, 3, 4" in out
    waiting = int(out.split(" candidate(s) passed the gate")[0].split()[-1])
    assert out.count("skipped: it stays gate_passed") == waiting - 2  # the others, shown whole
    for number in ("2", "4"):
        refused = promote("approve", number, "--note", "fine", cwd=folder)
        assert refused.returncode == 2, refused.stderr
        assert f"candidate {number} cannot be approved: its" in refused.stderr
    shown = promote("show", "2", cwd=folder)
    assert "gate: its newest gate report" in shown.stdout and "not run yet" not in shown.stdout
    shown = promote("show", "4", cwd=folder)
    assert "holdout: opened, but its stored result cannot be read" in shown.stdout
    with contextmanager(serve)(folder) as site:
        with urllib.request.urlopen(f"{site}/review?after=99", timeout=60) as answer:
            page = answer.read().decode()
        with urllib.request.urlopen(f"{site}/candidates/4", timeout=60) as answer:
            candidate = answer.read().decode()
        with urllib.request.urlopen(f"{site}/health", timeout=60) as answer:
            health = answer.read().decode()
    assert 'id="review-left-out"' in page and "candidate 3: column score: " in page
    assert 'id="left-out"' in candidate and 'id="decide"' not in candidate
    assert 'id="quarantine"' in health
    for row in ("candidates row 3: column score", "holdout_results row 4: column metrics"):
        assert row in health


def test_a_figure_built_from_a_row_left_out_is_not_shown_as_fact(lab: Path, tmp_path: Path) -> None:
    # A damaged opening cash made `live status` and the page report a negative equity for a
    # cash account; a failed report whose `passed` held 'false' printed PASSED; a damaged
    # order quantity was noticed by no command.
    folder = tmp_path / "lab"
    shutil.copytree(lab, folder)
    _damage_row(folder, "live_cash", "amount", "kind = 'opening'", "abc")
    _damage_row(folder, "gate_reports", "passed", "candidate_id = 1", "false")
    _damage_row(folder, "live_orders", "qty", "id = 1", "abc")
    status = live("status", "--account", "sim-1", cwd=folder)
    assert status.returncode == 0, status.stderr
    out = status.stdout
    assert "cash, positions and P&L: the cash and equity of live account 1 cannot be shown: " in out
    assert "live_cash rows are left out because they cannot be read (row 1: column amount" in out
    assert "  equity " not in out and "  cash " not in out and "P&L -" not in out
    assert "the order history of sim-1 cannot be shown: live_orders rows are left out" in out
    shown = promote("show", "1", cwd=folder)
    assert shown.returncode == 0, shown.stderr
    assert "PASSED" not in shown.stdout
    assert "column passed: 'false' is not true or false" in shown.stdout
    with (
        contextmanager(serve)(folder) as site,
        urllib.request.urlopen(f"{site}/live?account=sim-1", timeout=60) as answer,
    ):
        page = answer.read().decode()
    assert "the cash and equity of live account 1 cannot be shown" in page
    assert 'id="pnl"' not in page and 'id="settled"' not in page
