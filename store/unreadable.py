"""Rows that hold a stored value that cannot be read (`store.checked`): left out of every
query, named and recorded.

A damaged value is not an error of the command that meets it. Every query the ORM runs leaves
out the rows that hold an `Unreadable` mark (`leave_out`), so a night, a replay, a command or a
page goes on without them. Each row left out is handed to the recorder `install` was given
(`store.quarantine.quarantine`: named by table, id and column, recorded, alerted the first time)
once its transaction ends, in a transaction of its own, so that a read never turns into a
write and a command that fails still names what it met.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy import Select, event, inspect, select
from sqlalchemy.engine import Result, Row
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import ORMExecuteState, Session, SessionTransaction, sessionmaker

from store.checked import Unreadable, suspect

__all__ = ["Recorder", "install", "leave_out", "note_left_out", "pending_rows"]

# Records that row `row_id` of `table` cannot be read (`why`), in the session given.
Recorder = Callable[[Session, str, str, str], Any]

log = logging.getLogger(__name__)
_PENDING = "unreadable rows"  # session.info key: (table, row id) -> reason, to be recorded
_SCANNED = "unreadable columns scanned"  # session.info key: {(table, column)} looked through


def install(sessions: sessionmaker[Session], record: Recorder) -> None:
    """Leave unreadable rows out of every query of `sessions`' sessions, and `record` each."""

    def recorded(session: Session, transaction: SessionTransaction) -> None:
        _record(session, transaction, record)

    event.listen(sessions, "do_orm_execute", leave_out)
    event.listen(sessions, "after_transaction_end", recorded)


def leave_out(state: ORMExecuteState) -> Result[Any] | None:
    """The ORM query of `state` without the rows that hold an unreadable value; each such row
    is noted for quarantine. None (run as usual) for what is not a query or is streamed."""
    if not state.is_select or state.execution_options.get("yield_per"):
        return None
    before = Unreadable.made
    frozen = state.invoke_statement().freeze()
    if Unreadable.made == before or not frozen.data:
        return frozen()
    scalars = not isinstance(frozen.data[0], Row)
    rows = [[item] if scalars else list(item) for item in frozen.data]
    kept = [row for row in rows if not _damaged(state, row)]
    return frozen.with_new_rows(kept)()  # type: ignore[arg-type]


def _damaged(state: ORMExecuteState, row: list[Any]) -> bool:
    """Whether `row` holds an unreadable value (noted in the session for quarantine)."""
    found = False
    for position, item in enumerate(row):
        if isinstance(item, Unreadable):
            found = True
            _note_column(state, position)
        elif hasattr(item, "_sa_instance_state"):
            bad = {k: v for k, v in vars(item).items() if isinstance(v, Unreadable)}
            if bad:
                found = True
                mapper = inspect(item).mapper
                key = ",".join(str(k) for k in mapper.primary_key_from_instance(item))
                _note(state.session, mapper.local_table.name, key, bad)
                state.session.expunge(item)  # never met again through the identity map
    return found


def _note_column(state: ORMExecuteState, position: int) -> None:
    # A column read on its own: its row's id is found by looking for its unreadable values.
    statement = state.statement
    assert isinstance(statement, Select)  # a query (leave_out runs on nothing else)
    described = statement.column_descriptions[position]
    entity, attribute = described.get("entity"), described.get("expr")
    key = getattr(attribute, "key", None)
    if entity is None or key is None:
        log.warning("a value of %s cannot be read and its row is left out", described["name"])
        return
    mapper = inspect(entity)
    table, column = mapper.local_table, mapper.columns[key]
    scanned = state.session.info.setdefault(_SCANNED, set())
    if (table.name, key) in scanned:
        return
    scanned.add((table.name, key))
    for row_id, value in _find(state.session, table.primary_key.columns, column):
        _note(state.session, table.name, row_id, {key: value})


def _find(session: Session, keys: Iterable[Any], column: Any) -> list[tuple[str, Unreadable]]:
    """(row id, mark) of each row whose `column` cannot be read."""
    keys = list(keys)
    query = select(*keys, column)
    narrowed = suspect(column)
    connection = session.connection()  # Core: its rows are not filtered
    rows = []
    for condition in [narrowed, None] if narrowed is not None else [None]:
        if condition is not None and connection.dialect.name != "sqlite":
            continue
        where = query if condition is None else query.where(condition)
        rows = [r for r in connection.execute(where) if isinstance(r[-1], Unreadable)]
        if rows:
            break
    return [(",".join(str(v) for v in row[:-1]), row[-1]) for row in rows]


def _note(session: Session, table: str, row_id: str, bad: dict[str, Unreadable]) -> None:
    why = "; ".join(f"column {column}: {mark.reason}" for column, mark in sorted(bad.items()))
    note_left_out(session, table, row_id, why)


def note_left_out(session: Session, table: str, row_id: str, why: str) -> None:
    """Note that `session` left out row `row_id` of `table` (`why`): it is quarantined once
    the session's transaction ends."""
    session.info.setdefault(_PENDING, {}).setdefault((table, row_id), why)


def pending_rows(session: Session, table: str) -> dict[str, str]:
    """Row id -> why, of the rows of `table` that `session` left out and has not yet recorded
    in the quarantine."""
    pending: dict[tuple[str, str], str] = session.info.get(_PENDING, {})
    return {row_id: why for (name, row_id), why in pending.items() if name == table}


def _record(session: Session, transaction: SessionTransaction, record: Recorder) -> None:
    """Record the rows `session` left out, once its outermost transaction has ended, in a
    transaction of their own (a read that met them is not made a write)."""
    if transaction.parent is not None or not session.info.get(_PENDING):
        return
    pending = session.info.pop(_PENDING)
    session.info.pop(_SCANNED, None)
    try:
        with Session(session.get_bind(), info=dict(session.info)) as recorder, recorder.begin():
            for (table, row_id), why in pending.items():
                record(recorder, table, row_id, why)
    except SQLAlchemyError as e:
        for (table, row_id), why in pending.items():
            log.warning("%s row %s cannot be read and is left out: %s", table, row_id, why)
        log.warning("the rows left out could not be recorded in the quarantine: %s", e)
