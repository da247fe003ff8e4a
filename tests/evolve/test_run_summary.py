"""The night's stored summary: written typed, read typed, and a damaged or partial one read
without failing, saying what it could not read."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from evolve.run_summary import NewCandidate, RunSummary, stored_summary
from store import Database, open_database
from store.models import QuarantineEntry, Run


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    """A real research.db (SQLite), shared by the examples of a property test."""
    folder: Path = tmp_path_factory.mktemp("summary")
    opened = open_database(f"sqlite:///{folder / 'research.db'}")
    yield opened
    opened.close()


def test_a_summary_reads_back_as_it_was_written() -> None:
    written = RunSummary(
        generations=12,
        last_generation=40,
        evaluations=900,
        cache_hits=30,
        best_fitness=1.25,
        stagnation_events=["generation 7: inject (best fitness 1.000, improvement +0.002)"],
        candidates=[NewCandidate(3, "ab" * 32, "gt(close, sma(close, 50))", 1.1, 1.0, 1.2, 0.1)],
        refined=[NewCandidate(5, parent="gt(close, sma(close, 20))")],
        seconds=125.0,
        peak_memory_mb={"main": 310.5},
        stopped_by="budget",
        windows={"train": "train 2003-01-02..2011-12-30"},
        gate=["gate: 1 passed"],
    )
    stored = json.loads(json.dumps(written.as_record()))  # as the JSON column keeps it
    assert "unreadable" not in stored
    assert RunSummary.read(stored) == written
    assert written.minutes is not None and abs(written.minutes - 125.0 / 60) < 1e-12


def test_a_run_that_did_not_end_and_a_damaged_summary_read_without_failing() -> None:
    assert RunSummary.read(None) == RunSummary() == RunSummary.read({})
    found = RunSummary.read(
        {"generations": "many", "candidates": [1, "x"], "seconds": 60, "stopped_by": None}
    )
    assert found.unreadable == ("generations", "candidates", "stopped_by")
    assert (found.generations, found.candidates, found.minutes) == (0, [], 1.0)


def test_a_summary_an_earlier_night_stored_reads_its_numbers() -> None:
    # Candidate numbers alone and a count of stagnation events, as nights stored them before.
    found = RunSummary.read({"candidates": [3, 4], "refined": [5], "stagnation_events": 2})
    assert found.unreadable == () and found.found == (3, 4, 5)
    assert len(found.stagnation_events) == 2


# A strategy for each type a RunSummary field has (a new field of another type fails here).
_NUMBER = st.none() | st.floats(allow_nan=False, allow_infinity=False)
_CANDIDATE = st.builds(
    NewCandidate,
    number=st.integers(1, 2**31),
    genome_id=st.text(max_size=64),
    text=st.text(max_size=40),
    score=_NUMBER,
    fitness=_NUMBER,
    sharpe=_NUMBER,
    cagr=_NUMBER,
    max_drawdown=_NUMBER,
    n_trades=st.none() | st.integers(0, 10_000),
    parent=st.none() | st.text(max_size=40),
)
_VALUES = {
    "int": st.integers(0, 2**53),
    "float | None": _NUMBER,
    "str | None": st.none() | st.text(max_size=40),
    "list[str]": st.lists(st.text(max_size=40), max_size=4),
    "list[NewCandidate]": st.lists(_CANDIDATE, max_size=4),
    "dict[str, str]": st.dictionaries(st.text(max_size=12), st.text(max_size=40), max_size=3),
    "dict[str, float]": st.dictionaries(
        st.text(max_size=12), st.floats(allow_nan=False, allow_infinity=False), max_size=3
    ),
    "str": st.text(max_size=40),
}
_STORED = [f for f in dataclasses.fields(RunSummary) if f.name != "unreadable"]


def _finished_run(database: Database, summary: dict[str, Any]) -> int:
    """A finished run whose stored summary is `summary`; its id."""
    with database.transaction() as session:
        run = Run(
            discovery=True,
            config_id="c" * 16,
            config={},
            seed=1,
            code_version="test",
            status="finished",
            pid=1,
            summary=summary,
        )
        session.add(run)
        session.flush()
        return run.id


@settings(max_examples=60, deadline=None)
@given(st.fixed_dictionaries({f.name: _VALUES[str(f.type)] for f in _STORED}))
def test_every_field_survives_a_write_to_research_db_and_a_read_back(
    database: Database, values: dict[str, Any]
) -> None:
    written = RunSummary(**values)
    run_id = _finished_run(database, written.as_record())
    with database.transaction() as session:
        stored = session.get_one(Run, run_id)
        assert stored_summary(session, stored) == written


def test_a_summary_field_that_cannot_be_read_is_a_row_left_out(database: Database) -> None:
    # What an earlier night stored: genome ids where candidate numbers belong.
    run_id = _finished_run(database, {"generations": 3, "candidates": ["7e5b3fe3"], "refined": []})
    with database.transaction() as session:
        found = stored_summary(session, session.get_one(Run, run_id))
        assert found.unreadable == ("candidates",) and found.generations == 3
    with database.transaction() as session:
        entries = session.scalars(select(QuarantineEntry)).all()
        assert [(e.table_name, e.row_id, e.reason) for e in entries] == [
            ("runs", str(run_id), "summary: candidates cannot be read")
        ]
