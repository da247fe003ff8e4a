"""The checked column types and the session's leaving out, on a real SQLite file damaged as a
hand edit leaves it: every kind of query leaves the row out, names it, and records it once."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import func, select

from configs.alerts import ALERT
from store import open_database
from store.models import Candidate, QuarantineEntry, Run
from store.rows import LeftOut, first, get, is_stored, readable
from tests.builders.disk import full_disk, remount_read_only
from tests.builders.labs import add_candidate, review_lab

BAD_SCORE = "UPDATE candidates SET score = 'high' WHERE id = 2"


def _lab(tmp_path: Path, *damage: str) -> str:
    url = f"sqlite:///{tmp_path / 'research.db'}"
    review_lab(tmp_path)[3].close()
    for text in ("gt(close, sma(close, 50))", "lt(rsi(close, 14), 30)", "gt(ret, 0.01)"):
        add_candidate(url, text)
    with sqlite3.connect(tmp_path / "research.db") as db:
        for statement in damage:
            db.execute(statement)
    db.close()
    return url


def _quarantined(url: str) -> list[tuple[str, str, str]]:
    database = open_database(url)
    with database.transaction() as session:
        rows = session.execute(
            select(QuarantineEntry.table_name, QuarantineEntry.row_id, QuarantineEntry.reason)
        ).all()
    database.close()
    return [(str(t), str(r), str(why)) for t, r, why in rows]


def test_a_row_is_left_out_of_every_kind_of_query_and_recorded_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    url = _lab(tmp_path, BAD_SCORE)
    database = open_database(url)
    with database.transaction() as session:
        assert [c.id for c in session.scalars(select(Candidate))] == [1, 3]
        assert session.get(Candidate, 2) is None
        scores = session.execute(select(Candidate.id, Candidate.score)).all()
        assert [n for n, _ in scores] == [1, 3]
        assert session.scalars(select(Candidate.score).where(Candidate.id == 2)).all() == []
        assert session.scalar(select(func.count()).select_from(Candidate)) == 3  # counted
        assert is_stored(session, Candidate, 2) and not is_stored(session, Candidate, 4)
        why = "column score: 'high' is not a number (a str)"
        with pytest.raises(LeftOut, match="candidates row 2 cannot be read") as left:
            get(session, Candidate, 2)
        assert (left.value.table, left.value.row_id, left.value.why) == ("candidates", "2", why)
        one = get(session, Candidate, 1)
        assert one is not None and one.id == 1 and get(session, Candidate, 4) is None
        # A query: the first readable row, None when nothing is stored, LeftOut when every
        # row it matches cannot be read.
        newest_first = select(Candidate).order_by(Candidate.id.desc())
        assert [c.id for c in [first(session, newest_first)] if c] == [3]
        assert first(session, select(Candidate).where(Candidate.id == 4)) is None
        with pytest.raises(LeftOut, match=r"row 2 .*'high'"):
            first(session, select(Candidate).where(Candidate.id == 2))
        found = readable(session, select(Candidate).order_by(Candidate.id))
        assert [c.id for c in found.rows] == [1, 3] and found.left_out == {"2": why}
        assert readable(session, select(Candidate).where(Candidate.id < 2)).left_out == {}
    with database.transaction() as session:  # another command's session: known, not new
        assert session.get(Candidate, 2) is None
    database.close()
    assert _quarantined(url) == [
        ("candidates", "2", "column score: 'high' is not a number (a str)")
    ]
    alerts = [r for r in caplog.records if hasattr(r, ALERT)]
    assert [r.getMessage() for r in alerts] == [
        "candidates row 2 cannot be read and is left out: column score: 'high' is not a number "
        "(a str)"
    ]


@pytest.mark.parametrize(
    ("damage", "table", "reason"),
    [
        (
            "UPDATE runs SET config = '{\"cut short'",
            "runs",
            "column config: '{\"cut short' is not JSON of its shape (JSONDecodeError: ",
        ),
        (
            "UPDATE runs SET config = '[1, 2]'",
            "runs",
            "column config: '[1, 2]' is not JSON of its shape (a list)",
        ),
        (
            "UPDATE runs SET seed = 4.5",
            "runs",
            "column seed: 4.5 is not a whole number (a float)",
        ),
        (
            "UPDATE runs SET started_at = 'yesterday'",
            "runs",
            "column started_at: 'yesterday' is not a date and time (ValueError: ",
        ),
    ],
)
def test_each_kind_of_column_names_what_it_holds(
    tmp_path: Path, damage: str, table: str, reason: str
) -> None:
    url = _lab(tmp_path, damage)
    database = open_database(url)
    with database.transaction() as session:
        assert session.scalars(select(Run)).all() == []
        assert session.scalars(select(Run.seed, Run.config, Run.started_at)).all() == []
    database.close()
    ((name, row, why),) = _quarantined(url)
    assert (name, row) == (table, "1") and why.startswith(reason), why


def test_a_read_only_database_leaves_the_row_out_and_says_it_could_not_record_it(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with full_disk(tmp_path / "disk", "64m") as disk:
        url = _lab(disk, BAD_SCORE)
        open_database(url).engine.dispose()
        remount_read_only(disk)  # research.db is then read as an immutable file
        database = open_database(url)
        with database.transaction() as session:
            assert [c.id for c in session.scalars(select(Candidate))] == [1, 3]
        database.close()
    messages = [r.getMessage() for r in caplog.records]
    assert "candidates row 2 cannot be read and is left out: column score: 'high'" in "\n".join(
        messages
    )
    assert any("could not be recorded in the quarantine" in m for m in messages)


def test_a_query_that_does_not_read_the_damaged_value_keeps_its_row(tmp_path: Path) -> None:
    url = _lab(tmp_path, BAD_SCORE)
    database = open_database(url)
    with database.transaction() as session:
        ids = session.execute(select(Candidate.id, Run.id).join(Run)).all()
        assert sorted(n for n, _ in ids) == [1, 2, 3]  # what it reads can be read
        joined = session.execute(select(Candidate, Run.id).join(Run)).all()
        assert sorted(c.id for c, _ in joined) == [1, 3]
    database.close()
