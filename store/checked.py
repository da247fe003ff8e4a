"""Column types that read a damaged stored value as a mark instead of failing.

A JSON, number, true/false or date column damaged by a hand edit, an older program or the disk
(text where a number belongs, JSON cut short, a list where a mapping belongs) is read through
one of the checked types below, which turn a value that cannot be read into an `Unreadable`
mark instead of raising or passing text on. What is done with a row holding a mark (left out of
every query, quarantined) is `store.unreadable`'s.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, ClassVar

from sqlalchemy import JSON, Boolean, Date, DateTime, Float, Integer, String, func, or_
from sqlalchemy.engine import Dialect
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.types import TypeDecorator, TypeEngine

from configs.output import shown

__all__ = [
    "Day",
    "Flag",
    "JSONValue",
    "Moment",
    "Number",
    "Status",
    "Unreadable",
    "WholeNumber",
    "checked_types",
    "suspect",
]


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


class Status(_Checked):
    """A status column: stored as the value of a member of `kind` (a `store.statuses` enum),
    read back as that member. Writing anything else raises; a stored value that is no member
    (a hand edit, a status of a newer program) is unreadable."""

    cache_ok = True
    impl = String
    what = "a status"

    def __init__(self, kind: type[StrEnum], length: int) -> None:
        super().__init__(length)
        self.kind = kind

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        """The member's value; ValueError for what is not one."""
        return None if value is None else self.kind(value).value

    def result_processor(self, dialect: Dialect, coltype: Any) -> Callable[[Any], Any]:
        """Read a member of `kind`, or an `Unreadable` mark."""
        members = {m.value: m for m in self.kind}

        def read(value: Any) -> Any:
            if value is None:
                return None
            found = members.get(value) if isinstance(value, str) else None
            if found is None:
                return self._unreadable(value, f"none of {', '.join(members)}")
            return found

        return read

    def _suspect(self, column: ColumnElement[Any]) -> ColumnElement[bool] | None:
        return or_(func.typeof(column) != "text", column.not_in([m.value for m in self.kind]))


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


def suspect(column: Any) -> ColumnElement[bool] | None:
    """SQLite: a condition that every row holding a value `column`'s type cannot read meets,
    to look through fewer rows for them; None when there is none (read them all)."""
    return column.type._suspect(column) if isinstance(column.type, _Checked) else None
