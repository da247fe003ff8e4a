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

from deap import gp
from sqlalchemy import select
from sqlalchemy.orm import Session

from configs.alerts import ALERT
from genome.errors import GenomeError
from genome.text import FORMAT_VERSION, parse
from genome.text import genome_id as compute_id
from store.models import Genome, QuarantineEntry
from store.unreadable import pending_rows

__all__ = [
    "CHANGED",
    "COMMAND",
    "command_of",
    "parse_stored",
    "quarantine",
    "quarantine_reason",
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
