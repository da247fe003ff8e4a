"""Rows that cannot be read: named, recorded once, and left out, so that one bad row never
stops a night, the gate or a trading day.

The row itself stays as it was (nothing stored is changed or removed); its quarantine record
says which table and row, why, and which command met it first. The lineage, the gate,
`promote show` and live trading read stored genome texts through this module, so a text that no
longer parses (edited by hand, written by an older grammar, damaged on disk) is caught here, and
so is a text that parses but is not the genome its id names: the id is the SHA-256 of the text's
stored form, so a rule changed by hand (one digit of a constant) never trades or is gated under
the id a person approved.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from typing import Any

from deap import gp
from sqlalchemy import Select, func, inspect, select
from sqlalchemy.orm import Session

from configs import InputError
from configs.alerts import ALERT
from genome.errors import GenomeError
from genome.text import FORMAT_VERSION, parse
from genome.text import genome_id as compute_id
from store.checked import Unreadable
from store.models import Base, Genome, QuarantineEntry
from store.unreadable import pending_rows

__all__ = [
    "CHANGED",
    "COMMAND",
    "RowsLeftOut",
    "command_of",
    "every_row",
    "is_stored",
    "left_out",
    "parse_stored",
    "quarantine",
    "quarantine_reason",
    "quarantined_rows",
    "readable_texts",
]

log = logging.getLogger(__name__)
# The quarantined rows this process has already warned about.
_told: set[tuple[str, str]] = set()


def readable_texts(session: Session, ids: Sequence[str]) -> dict[str, str]:
    """Genome id -> text for each of `ids` that is stored, parses and hashes to its id; any
    other is quarantined and left out."""
    unique = list(dict.fromkeys(ids))
    out: dict[str, str] = {}
    for start in range(0, len(unique), 500):
        rows = session.execute(
            select(Genome.id, Genome.text).where(Genome.id.in_(unique[start : start + 500]))
        )
        for gid, text in rows:
            if parse_stored(session, gid, text) is not None:
                out[gid] = text
    return out


def parse_stored(session: Session, genome_id: str, text: str) -> gp.PrimitiveTree | None:
    """The tree of stored genome `genome_id`, or None (quarantined) when its text does not
    parse or is not the genome `genome_id` names."""
    try:
        tree = parse(text)
    except GenomeError as e:
        quarantine(session, "genomes", genome_id, str(e))
        return None
    if not _is_its_own(genome_id, text, tree):
        quarantine(session, "genomes", genome_id, CHANGED)
        return None
    return tree


CHANGED = "its text does not hash to its id: the rule was changed after it was stored"


def _is_its_own(genome_id: str, text: str, tree: gp.PrimitiveTree) -> bool:
    # The id of the text as stored, else of its canonical simplified form (what `genome_id`
    # hashes), so that a text stored by an earlier version of the canonical form still counts.
    stored = hashlib.sha256(f"v{FORMAT_VERSION}:{text}".encode()).hexdigest()
    return stored == genome_id or compute_id(tree) == genome_id


def quarantine_reason(session: Session, table: str, row_id: str) -> str | None:
    """Why row `row_id` of `table` is quarantined (or left out by `session`, to be), or None
    when it is not."""
    pending = pending_rows(session, table).get(row_id)
    if pending is not None:
        return pending
    return session.scalars(
        select(QuarantineEntry.reason).where(
            QuarantineEntry.table_name == table, QuarantineEntry.row_id == row_id
        )
    ).first()


def is_stored(session: Session, model: type[Base], key: Any) -> bool:
    """Whether a row of `model` has primary key `key`, readable or not (`session.get` leaves
    out one that cannot be read or is repointed: a row added in its place would clash with
    it). Read with Core, which leaves out nothing."""
    (column,) = inspect(model).primary_key
    found = session.connection().execute(select(column).where(column == key)).first()
    return found is not None


def left_out(session: Session, model: type[Base], key: Any) -> str | None:
    """Why the row of `model` whose primary key is `key` is left out: it is stored but cannot
    be read (`store.unreadable`). None when it can be read or is not stored: a caller that met
    no row tells "never written" from "cannot be read" with this."""
    if session.get(model, key) is not None or not is_stored(session, model, key):
        return None
    table = str(model.__tablename__)
    return quarantine_reason(session, table, str(key)) or f"{table} row {key} cannot be read"


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


def quarantined_rows(session: Session, table: str) -> dict[str, str]:
    """Row id -> why, of every quarantined row of `table` (and those `session` left out)."""
    rows = session.execute(
        select(QuarantineEntry.row_id, QuarantineEntry.reason).where(
            QuarantineEntry.table_name == table
        )
    )
    return {row_id: why for row_id, why in rows} | pending_rows(session, table)


def quarantine(session: Session, table: str, row_id: str, reason: str) -> bool:
    """Record that row `row_id` of `table` cannot be read, once (added to `session`); True when
    it is new. Logged once a run; the first time ever the log record asks the command for an
    alert (configs.alerts.ALERT)."""
    known = session.scalars(
        select(QuarantineEntry.id).where(
            QuarantineEntry.table_name == table, QuarantineEntry.row_id == row_id
        )
    ).first()
    message = f"{table} row {row_id} cannot be read and is left out: {reason}"
    if known is not None:
        if (table, row_id) not in _told:  # once a run, not once a session of a replay
            _told.add((table, row_id))
            log.warning("%s", message)
        return False
    _told.add((table, row_id))
    session.add(
        QuarantineEntry(
            table_name=table, row_id=row_id, reason=reason, found_by=command_of(session)
        )
    )
    session.flush()
    # ERROR, the highest log.level, so that no setting silences the alert.
    log.error("%s", message, extra={ALERT: ("quarantined", f"a {table} row was quarantined")})
    return True


# session.info key: the command whose sessions these are ("evolve nightly", "live run", ...),
# given to store.open_database; a quarantine record names it as the finder.
COMMAND = "command"


def command_of(session: Session) -> str:
    """The command `session` works for, as a quarantine record names its finder."""
    return str(session.info.get(COMMAND) or "(not named)")[:32]
