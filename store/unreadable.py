"""Stored values that cannot be read, and the rows that hold them: left out, named and recorded.

A JSON, number, true/false or date column damaged by a hand edit, an older program or the disk
(text where a number belongs, JSON cut short, a list where a mapping belongs) is not an error of
the command that meets it. Every such column is read through one of the checked types below,
which turn a value that cannot be read into an `Unreadable` mark instead of raising or passing
text on; every query the ORM runs leaves out the rows that hold a mark (`leave_out`), so a
night, a replay, a command or a page goes on without them. Each row left out is quarantined once
its transaction ends (`store.quarantine`: named by table, id and column, recorded, alerted the
first time), written in a transaction of its own so that a read never turns into a write and a
command that fails still names what it met.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    Integer,
    Select,
    event,
    func,
    inspect,
    or_,
    select,
)
from sqlalchemy.engine import Dialect, Result, Row
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import ORMExecuteState, Session, SessionTransaction, sessionmaker
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.types import TypeDecorator, TypeEngine

from configs.output import shown

__all__ = [
    "Day",
    "Flag",
    "JSONValue",
    "Moment",
    "Number",
    "Unreadable",
    "WholeNumber",
    "checked_types",
    "install",
    "note_left_out",
    "pending_rows",
]

log = logging.getLogger(__name__)
_PENDING = "unreadable rows"  # session.info key: (table, row id) -> reason, to be recorded
_SCANNED = "unreadable columns scanned"  # session.info key: {(table, column)} looked through


@dataclass(frozen=True)
class Unreadable:
    """A stored value that cannot be read: what was stored, and why it cannot be read."""

    raw: Any
    reason: str
    made: ClassVar[int] = 0  # how many were made in this process (a cheap "any new?" check)

    def __post_init__(self) -> None:
        Unreadable.made += 1


class _Checked(TypeDecorator[Any]):
    """A column type whose stored values are read as its base type reads them, or as an
    `Unreadable` mark when they cannot be."""

    cache_ok = True
    what: ClassVar[str]

    def result_processor(self, dialect: Dialect, coltype: Any) -> Callable[[Any], Any]:
        inner = self.impl_instance.result_processor(dialect, coltype)
        kinds = self._kinds()  # checked by exact type: a bool is no number, a date no time

        def read(value: Any) -> Any:
            if value is None:
                return None
            if inner is None:
                found = value
            else:
                try:
                    found = inner(value)
                except (ValueError, TypeError, OverflowError) as e:
                    return self._unreadable(value, f"{type(e).__name__}: {e}")
            if type(found) not in kinds:
                return self._unreadable(value, f"a {type(found).__name__}")
            return found

        return read

    def _unreadable(self, value: Any, why: str) -> Unreadable:
        return Unreadable(value, f"{shown(repr(value), 60)} is not {self.what} ({why})")

    def _kinds(self) -> tuple[type, ...]:
        """The types of the values this column holds, as its base type reads them."""
        raise NotImplementedError

    def _suspect(self, column: ColumnElement[Any]) -> ColumnElement[bool] | None:
        """SQLite: a condition every row holding a value this type cannot read meets (fewer
        rows to read when looking for them), or None to read them all."""
        return None


class Number(_Checked):
    """A real number column (SQLite stores whatever it is given in one)."""

    cache_ok = True
    impl = Float
    what = "a number"

    def _kinds(self) -> tuple[type, ...]:
        return (float, int)

    def _suspect(self, column: ColumnElement[Any]) -> ColumnElement[bool] | None:
        return func.typeof(column).not_in(("integer", "real", "null"))


class WholeNumber(_Checked):
    """An integer column."""

    cache_ok = True
    impl = Integer
    what = "a whole number"

    def _kinds(self) -> tuple[type, ...]:
        return (int,)

    def _suspect(self, column: ColumnElement[Any]) -> ColumnElement[bool] | None:
        return func.typeof(column).not_in(("integer", "null"))


class JSONValue(_Checked):
    """A JSON column holding a mapping or a list (`shape`)."""

    cache_ok = True
    impl = JSON
    what = "JSON of its shape"

    def __init__(self, shape: type[dict[str, Any]] | type[list[Any]]) -> None:
        super().__init__()
        self.shape = shape

    def _kinds(self) -> tuple[type, ...]:
        return (self.shape,)

    def _suspect(self, column: ColumnElement[Any]) -> ColumnElement[bool] | None:
        kind = "object" if self.shape is dict else "array"
        return or_(func.json_valid(column) == 0, func.json_type(column) != kind)


class Flag(_Checked):
    """A true/false column: SQLite keeps it as the integer 0 or 1 (anything else there, the
    text 'false' or 'yes', would read as true)."""

    cache_ok = True
    impl = Boolean
    what = "true or false (0 or 1)"

    def result_processor(self, dialect: Dialect, coltype: Any) -> Callable[[Any], Any]:
        """Read exactly a bool, 0 or 1 (the base type would read any text as true)."""

        def read(value: Any) -> Any:
            if value is None or type(value) is bool:
                return value
            if type(value) is int and value in (0, 1):
                return bool(value)
            return self._unreadable(value, f"a {type(value).__name__}")

        return read

    def _suspect(self, column: ColumnElement[Any]) -> ColumnElement[bool] | None:
        return or_(func.typeof(column).not_in(("integer", "null")), column.not_in((0, 1)))


class Day(_Checked):
    """A calendar date column."""

    cache_ok = True
    impl = Date
    what = "a date"

    def _kinds(self) -> tuple[type, ...]:
        return (dt.date,)


class Moment(_Checked):
    """A date and time column (UTC)."""

    cache_ok = True
    impl = DateTime
    what = "a date and time"

    def _kinds(self) -> tuple[type, ...]:
        return (dt.datetime,)


def install(sessions: sessionmaker[Session]) -> None:
    """Leave unreadable rows out of every query of `sessions`' sessions, and quarantine them."""
    event.listen(sessions, "do_orm_execute", leave_out)
    event.listen(sessions, "after_transaction_end", _record)


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
    narrowed = column.type._suspect(column) if isinstance(column.type, _Checked) else None
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


def _record(session: Session, transaction: SessionTransaction) -> None:
    """Quarantine the rows `session` left out, once its outermost transaction has ended, in a
    transaction of their own (a read that met them is not made a write)."""
    if transaction.parent is not None or not session.info.get(_PENDING):
        return
    pending = session.info.pop(_PENDING)
    session.info.pop(_SCANNED, None)
    from store.quarantine import quarantine  # here: it imports the models, which import us

    try:
        with Session(session.get_bind()) as recorder, recorder.begin():
            for (table, row_id), why in pending.items():
                quarantine(recorder, table, row_id, why)
    except SQLAlchemyError as e:
        for (table, row_id), why in pending.items():
            log.warning("%s row %s cannot be read and is left out: %s", table, row_id, why)
        log.warning("the rows left out could not be recorded in the quarantine: %s", e)


def checked_types() -> dict[Any, TypeEngine[Any]]:
    """The models' Python annotations -> their checked column types."""
    return {
        bool: Flag(),
        float: Number(),
        int: WholeNumber(),
        dt.date: Day(),
        dt.datetime: Moment(),
        dict[str, Any]: JSONValue(dict),
        list[Any]: JSONValue(list),
    }
