"""Candidates that name another genome than the one judged: left out and named.

A candidate's genome id never changes once written (a database trigger refuses it), and every
gate report and decision records the genome it judged. A candidate whose genome id is not the
one its gate reports or decisions recorded (its row edited with the trigger dropped, or a
database rewritten by another program) is left out of every ORM query that reads candidates,
and quarantined by name once the transaction ends (`store.quarantine`), as an edited genome
text is: an approval is never traded, gated or reviewed on a rule nobody judged.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, event, exists, inspect, or_, select, union_all
from sqlalchemy.orm import (
    ORMExecuteState,
    Session,
    aliased,
    sessionmaker,
    with_loader_criteria,
)

from store.models import Candidate, Decision, GateReport
from store.unreadable import note_left_out

__all__ = ["REPOINTED", "install", "repointed"]

REPOINTED = "its genome_id is not the genome its gate reports and decisions judged"
_JUDGES = (GateReport, Decision)


def install(sessions: sessionmaker[Session]) -> None:
    """Leave repointed candidates out of every query of `sessions`' sessions (before the
    unreadable rows are: this listener is installed first)."""
    event.listen(sessions, "do_orm_execute", _leave_out_repointed)


def repointed(session: Session) -> dict[int, str]:
    """Candidate id -> why, of every candidate that names another genome than the one judged
    (read with Core: no ORM query leaves them out here)."""
    found = union_all(
        *(
            select(judge.candidate_id, judge.genome_id, Candidate.genome_id)
            .join(Candidate, Candidate.id == judge.candidate_id)
            .where(judge.genome_id.is_not(None), judge.genome_id != Candidate.genome_id)
            for judge in _JUDGES
        )
    )
    out: dict[int, str] = {}
    for candidate_id, judged, named in session.connection().execute(found):
        out.setdefault(
            candidate_id, f"{REPOINTED} (judged {str(judged)[:12]}, it names {str(named)[:12]})"
        )
    return out


# Aliases of their own: the query being narrowed may join the same tables.
_JUDGED = (aliased(GateReport, name="judged_report"), aliased(Decision, name="judged_decision"))


def _judged_as_named(candidate: type[Candidate]) -> ColumnElement[bool]:
    return ~or_(
        *(
            exists()
            .where(
                judge.candidate_id == candidate.id,
                judge.genome_id.is_not(None),
                judge.genome_id != candidate.genome_id,
            )
            .correlate_except(judge)
            for judge in _JUDGED
        )
    )


def _leave_out_repointed(state: ORMExecuteState) -> None:
    if not state.is_select or inspect(Candidate) not in state.all_mappers:
        return
    for candidate_id, why in repointed(state.session).items():
        note_left_out(state.session, "candidates", str(candidate_id), why)
    state.statement = state.statement.options(
        with_loader_criteria(Candidate, _judged_as_named, include_aliases=True)
    )
