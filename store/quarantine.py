"""Rows that cannot be read: named, recorded once, and left out, so that one bad row never
stops a night, the gate or a trading day.

The row itself stays as it was (nothing stored is changed or removed); its quarantine record
says which table and row, why, and which command met it first. The lineage, the gate,
`promote show` and live trading read stored genome texts through this module, so a text that no
longer parses (edited by hand, written by an older grammar, damaged on disk) is caught here.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from deap import gp
from sqlalchemy import select
from sqlalchemy.orm import Session

from configs.alerts import ALERT
from genome.errors import GenomeError
from genome.text import parse
from store.models import Genome, QuarantineEntry

__all__ = ["parse_stored", "quarantine", "readable_texts"]

log = logging.getLogger(__name__)


def readable_texts(session: Session, ids: Sequence[str]) -> dict[str, str]:
    """Genome id -> text for each of `ids` that is stored and parses; a text that does not
    parse is quarantined and left out."""
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
    parse."""
    try:
        return parse(text)
    except GenomeError as e:
        quarantine(session, "genomes", genome_id, str(e))
        return None


def quarantine(session: Session, table: str, row_id: str, reason: str) -> bool:
    """Record that row `row_id` of `table` cannot be read, once (added to `session`); True when
    it is new. Logged each time; the first time the log record asks the command for an alert
    (configs.alerts.ALERT)."""
    known = session.scalars(
        select(QuarantineEntry.id).where(
            QuarantineEntry.table_name == table, QuarantineEntry.row_id == row_id
        )
    ).first()
    message = f"{table} row {row_id} cannot be read and is left out: {reason}"
    if known is not None:
        log.warning("%s", message)
        return False
    session.add(
        QuarantineEntry(table_name=table, row_id=row_id, reason=reason, found_by=_command())
    )
    session.flush()
    # ERROR, the highest log.level, so that no setting silences the alert.
    log.error("%s", message, extra={ALERT: ("quarantined", f"a {table} row was quarantined")})
    return True


def _command() -> str:
    # "evolve nightly", "promote gate", "live run", ...: the program and its subcommand.
    words = [Path(sys.argv[0]).name, *(a for a in sys.argv[1:2] if not a.startswith("-"))]
    return " ".join(words)[:32]
