"""Reading stored rows that may be damaged: the one way, so that no caller asks twice.

Every ORM query leaves out a row that cannot be read (`store.unreadable`) or a candidate that
names another genome than the one judged (`store.repointed`). A caller that looks a row up must
still tell "never written" from "stored, but cannot be read"; these functions answer both at
once:

- `get(session, Model, key)`: the row, or None when it was never written; raises `LeftOut`
  (table, row id and why: the column and its value) when it is stored and cannot be read.
- `first(session, query)`: the first readable row the query finds, or None when it matches no
  stored row; raises `LeftOut` when every row it matches is left out.
- `readable(session, query, table)`: the rows that can be read, and the ones left out (id ->
  why), for lists that go on without them and say so.
- `every_row(session, statement, table, what)`: all rows or none, for a sum, a balance or a
  position that would be wrong built from part of them (`RowsLeftOut`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from sqlalchemy import Select, func, inspect, select
from sqlalchemy.orm import Session

from configs import InputError
from store.checked import Unreadable
from store.models import Base
from store.quarantine import quarantine_reason
from store.unreadable import pending_rows

__all__ = [
    "LeftOut",
    "Readable",
    "RowsLeftOut",
    "every_row",
    "first",
    "get",
    "is_stored",
    "readable",
]

M = TypeVar("M", bound=Base)


class LeftOut(InputError):
    """A stored row that cannot be read: left out of every query and quarantined. Its message
    names the table, the row and why (the column and its value, or what it was judged)."""

    def __init__(self, table: str, row_id: str, why: str) -> None:
        super().__init__(f"{table} row {row_id} cannot be read and is left out: {why}")
        self.table = table
        self.row_id = row_id
        self.why = why


def get(session: Session, model: type[M], key: Any) -> M | None:
    """The row of `model` whose primary key is `key`, or None when none was ever stored.

    Raises:
        LeftOut: the row is stored and cannot be read.
    """
    found = session.get(model, key)
    if found is not None or not is_stored(session, model, key):
        return found
    raise _left_out(session, model, key)


def first(session: Session, query: Select[M]) -> M | None:
    """The first readable row `query` finds (a query of one model), or None when it matches
    no stored row.

    Raises:
        LeftOut: rows match and none of them can be read (the first of them is named).
    """
    found = session.scalars(query).first()
    if found is not None:
        return found
    model = query.column_descriptions[0]["entity"]
    (key,) = inspect(model).primary_key
    stored = session.connection().execute(query.with_only_columns(key).limit(1)).scalar()
    if stored is None:
        return None
    raise _left_out(session, model, stored)


@dataclass
class Readable(Generic[M]):
    """The rows a query could read, and those it left out (row id -> why)."""

    rows: list[M]
    left_out: dict[str, str] = field(default_factory=dict)


def readable(session: Session, query: Select[M]) -> Readable[M]:
    """The rows `query` (a query of one model) can read, and the ones it matches and leaves
    out, each with why."""
    rows = list(session.scalars(query).all())
    model = query.column_descriptions[0]["entity"]
    (key,) = inspect(model).primary_key
    read = {str(inspect(row).identity[0]) for row in rows}  # type: ignore[index]
    stored = session.connection().execute(query.with_only_columns(key)).scalars()
    missing = [str(k) for k in stored if str(k) not in read]
    table = str(model.__tablename__)
    return Readable(rows, {k: _why(session, table, k) for k in missing})


def is_stored(session: Session, model: type[Base], key: Any) -> bool:
    """Whether a row of `model` has primary key `key`, readable or not (`session.get` leaves
    out one that cannot be read or is repointed: a row added in its place would clash with
    it). Read with Core, which leaves out nothing."""
    (column,) = inspect(model).primary_key
    found = session.connection().execute(select(column).where(column == key)).first()
    return found is not None


class RowsLeftOut(InputError):
    """A figure would be built from rows some of which cannot be read: it is not shown, and
    the rows are named."""

    def __init__(self, what: str, table: str, rows: dict[str, str]) -> None:
        named = "; ".join(f"row {row}: {why}" for row, why in sorted(rows.items())[:3])
        super().__init__(
            f"{what} cannot be shown: {table} rows are left out because they cannot be read "
            f"({named or 'see the Health page'})"
        )
        self.table = table
        self.rows = rows


def every_row(
    session: Session, statement: Select[*tuple[Any, ...]], table: str, what: str
) -> list[Any]:
    """The rows `statement` reads from `table`, all of them: a sum, a balance or a position
    built from the readable ones alone would be shown as fact, so none is returned when one
    was left out.

    Raises:
        RowsLeftOut: some of its rows cannot be read (`what` says what cannot be shown).
    """
    before = Unreadable.made
    found = list(session.execute(statement).all())
    if Unreadable.made == before:  # nothing unreadable met: nothing was left out
        return found
    total = session.scalar(select(func.count()).select_from(statement.subquery()))
    if total is not None and total > len(found):
        raise RowsLeftOut(what, table, pending_rows(session, table))
    return found


def _left_out(session: Session, model: type[Base], key: Any) -> LeftOut:
    table = str(model.__tablename__)
    return LeftOut(table, str(key), _why(session, table, str(key)))


def _why(session: Session, table: str, row_id: str) -> str:
    return quarantine_reason(session, table, row_id) or "it cannot be read"
