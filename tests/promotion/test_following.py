"""Following candidates forward on a real research.db and the bundled bars: which candidates
are followed, what is recorded each night (only sessions after the gate report's data, each
once, never changed by later data), and the deflation counting only the followed."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import select

from configs import IncubationConfig, LabConfig, load_config
from fitness.buy_and_hold import buy_and_hold
from fitness.score import WindowScorer
from fitness.windows import build_window, build_windows
from genome.text import parse
from labkit.lab import put_forward, user_run
from market.panel import Panel
from market.sources import load_panel
from promotion.following import followed, forward_records, record_forward
from promotion.incubation import incubating
from promotion.lifecycle import PromotionError, decide
from store import Database, open_database
from store.lifecycle import move_candidate
from store.models import Candidate, ForwardReturn
from tests.builders.labs import approved_on_paper, gate_report, good_sessions

JUDGED_UNTIL = dt.date(2013, 12, 31)
PASSED = "gt(close, sma(close, 50))"
NEAR = "lt(rank(std(ret, 20)), 0.3)"
FAR = "gt(rank(change(close, 20)), 0.8)"
REJECTED = "lt(close, sma(close, 100))"


def _config() -> LabConfig:
    config = load_config()
    windows = dataclasses.replace(
        config.windows,
        train=(dt.date(2001, 1, 16), dt.date(2005, 12, 30)),
        validation=(dt.date(2006, 1, 3), dt.date(2010, 12, 31)),
        holdout=(dt.date(2011, 1, 3), JUDGED_UNTIL),
    )
    forward = dataclasses.replace(config.forward, near_miss_dsr=0.5, near_miss_sessions=12)
    return dataclasses.replace(config, windows=windows, forward=forward)


def _until(panel: Panel, day: dt.date, more: int = 0) -> Panel:
    stop = int(np.searchsorted(panel.dates, np.datetime64(day, "D"), side="right"))
    return panel.days(0, stop + more)


@pytest.fixture(scope="module")
def lab(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[LabConfig, Panel, Database, dict[str, int]]:
    config = _config()
    full, report = load_panel(config.data, config.alpaca)
    judged = _until(full, JUDGED_UNTIL)
    folder = tmp_path_factory.mktemp("following")
    database = open_database(f"sqlite:///{folder / 'research.db'}")
    numbers = {}
    with database.transaction() as session:
        run = user_run(
            session,
            config,
            judged,
            report.source,
            build_windows(judged, config.windows, config.backtest),
        )
        for text, passed, dsr in (
            (PASSED, True, 0.97),
            (NEAR, False, 0.7),
            (FAR, False, 0.1),
            (REJECTED, True, 0.99),
        ):
            candidate = put_forward(session, text, run.id)
            gate_report(session, candidate, judged, config, passed, dsr)
            numbers[text] = candidate.id
        rejected = session.get_one(Candidate, numbers[REJECTED])
        move_candidate(session, rejected, "reject", "dana", "not for me")
    return config, full, database, numbers


def _rows(database: Database) -> dict[int, list[ForwardReturn]]:
    with database.transaction() as session:
        found: dict[int, list[ForwardReturn]] = {}
        for row in session.scalars(select(ForwardReturn).order_by(ForwardReturn.day)):
            session.expunge(row)
            found.setdefault(row.candidate_id, []).append(row)
    return found


def test_each_night_records_the_new_sessions_of_the_candidates_worth_watching(
    lab: tuple[LabConfig, Panel, Database, dict[str, int]],
) -> None:
    config, full, database, numbers = lab
    with database.transaction() as session:
        names = {f.candidate.id for f in followed(session, config)}
    assert names == {numbers[PASSED], numbers[NEAR]}  # not the far miss, not the rejected
    # Night one: ten sessions after the gate report's data.
    with database.transaction() as session:
        line = record_forward(session, _until(full, JUDGED_UNTIL, 10), config, None)
    assert line.startswith("forward: 2 candidate(s) followed, 20 new session return(s)")
    first = _rows(database)
    assert set(first) == {numbers[PASSED], numbers[NEAR]}
    assert all(len(rows) == 10 and rows[0].day > JUDGED_UNTIL for rows in first.values())
    # The same night again records nothing; night two adds only its new sessions, and the near
    # miss stops at its twelve.
    with database.transaction() as session:
        again = record_forward(session, _until(full, JUDGED_UNTIL, 10), config, None)
    assert ", 0 new session return(s)" in again
    with database.transaction() as session:
        record_forward(session, _until(full, JUDGED_UNTIL, 15), config, None)
    second = _rows(database)
    assert len(second[numbers[PASSED]]) == 15 and len(second[numbers[NEAR]]) == 12
    kept = [(r.day, r.strategy, r.market) for r in second[numbers[PASSED]][:10]]
    assert kept == [(r.day, r.strategy, r.market) for r in first[numbers[PASSED]]]
    # What was recorded is the lab's backtest and buy-and-hold from the first forward session,
    # as computed on all the data later: the record saw nothing after each session.
    panel = _until(full, JUDGED_UNTIL, 15)
    window = build_window(
        panel,
        "forward",
        second[numbers[PASSED]][0].day,
        panel.dates[-1].item(),
        config.windows.warmup_days,
        1,
        config.backtest,
    )
    expected = WindowScorer(panel, window, config.backtest).score(parse(PASSED)).result.returns
    market = buy_and_hold(panel, window, config.backtest).result.returns
    assert [r.strategy for r in second[numbers[PASSED]]] == pytest.approx(expected, abs=1e-15)
    assert [r.market for r in second[numbers[PASSED]]] == pytest.approx(market, abs=1e-15)
    # The deflation counts the two strategies followed forward, not the four gated.
    with database.transaction() as session:
        records = forward_records(session, list(numbers.values()))
    assert records[numbers[PASSED]].followed == 2 and records[numbers[PASSED]].sessions == 15
    assert records[numbers[FAR]].sessions == 0
    assert np.array_equal(records[numbers[PASSED]].strategy, expected)


def test_an_incubating_strategy_is_confirmed_only_once_its_forward_record_passed(
    tmp_path: Path,
) -> None:
    config = dataclasses.replace(_config(), incubation=IncubationConfig(sessions=5, confidence=0.9))
    full, report = load_panel(config.data, config.alpaca)
    judged = _until(full, JUDGED_UNTIL)
    windows = build_windows(judged, config.windows, config.backtest)
    database = open_database(f"sqlite:///{tmp_path / 'research.db'}")
    approved_at = dt.datetime(2014, 1, 2, 22, 0)  # UTC: the evening of 2 January in New York
    with database.transaction() as session:
        run = user_run(session, config, judged, report.source, windows)
        candidate = put_forward(session, PASSED, run.id)
        made = approved_on_paper(session, candidate, config, judged, windows, approved_at)
        assert (made.action, made.to_status) == ("incubate", "incubating")
        with pytest.raises(
            PromotionError,
            match=r"cannot be confirmed yet: incubation test not "
            r"passed: 0 of 5 sessions since approval",
        ):
            decide(session, candidate, "confirm", "dana", "go", incubation=config.incubation)
        # Eight forward sessions, the first on approval day: seven count, all good ones.
        days = [d.item() for d in full.dates[len(judged.dates) :][:8]]
        assert made.gate_report_id is not None
        good_sessions(session, candidate, made.gate_report_id, days)
        (found,) = incubating(session, config.incubation)
        assert found.approved == dt.date(2014, 1, 2) and found.test.sessions == 7
        assert found.test.passed and "ready: confirm with `promote confirm" in found.text()
        confirmed = decide(
            session, candidate, "confirm", "dana", "go", incubation=config.incubation
        )
        assert (confirmed.from_status, confirmed.to_status) == ("incubating", "approved")
