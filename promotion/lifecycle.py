"""The human decisions that move a candidate: approve, confirm, reject, retire.

The moves themselves, and the gate's and live trading's, are the one table of
`store.lifecycle` (`move_candidate` writes every move's row of `decisions`). The review adds what
the table cannot know: a note and a reviewer are required, a candidate that passed the gate
is approved only after its holdout was opened, an approval starts an incubation on paper when
`incubation.sessions` is above 0 (the `incubate` move), and an incubating strategy is confirmed
for real orders only once its incubation test passed (promotion.incubation).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from configs import IncubationConfig, InputError
from configs.output import shown
from store.lifecycle import GATEABLE, MOVES, CandidateStatus, IllegalMove, move_candidate
from store.models import Candidate, Decision, GateReport, HoldoutResult
from store.quarantine import readable_texts
from store.rows import LeftOut, Readable, get, readable

__all__ = [
    "ACTIONS",
    "GATEABLE",
    "QUARANTINED",
    "PromotionError",
    "ReportLeftOut",
    "awaiting_review",
    "decide",
    "find_candidate",
    "genome_texts",
    "holdout_opened",
    "in_status",
    "latest_report",
    "latest_reports",
    "reviewer_name",
]


class PromotionError(InputError):
    """A decision or gate run that the candidate's status does not allow, or a decision
    without what it needs (a note, a reviewer)."""


# What a reviewer may do; the other moves belong to the gate and live trading.
ACTIONS = {action: MOVES[action] for action in ("approve", "confirm", "reject", "retire")}


def find_candidate(session: Session, key: str) -> Candidate:
    """A candidate by its number, or by a genome id prefix of at least 6 characters."""
    key = key.strip()
    found: Candidate | None = None
    if key.isdigit() and int(key) < 2**63:  # larger numbers are no row id (and overflow)
        try:
            found = get(session, Candidate, int(key))
        except LeftOut as e:
            raise PromotionError(f"candidate {key} cannot be read and is left out: {e.why}") from e
    elif len(key) >= 6 and all(c in "0123456789abcdef" for c in key.lower()):
        matches = session.scalars(
            select(Candidate).where(Candidate.genome_id.startswith(key.lower()))
        ).all()
        if len(matches) > 1:
            raise PromotionError(f"genome id prefix {key!r} matches {len(matches)} candidates")
        found = matches[0] if matches else None
    if found is None:
        raise PromotionError(
            f"no candidate {key!r}: give a candidate number (see `promote list`) or at least 6 "
            "characters of its genome id"
        )
    return found


def in_status(session: Session, status: str | None) -> Readable[Candidate]:
    """The candidates in `status` (None: any) that can be read, oldest first, and those that
    cannot be read or name another genome than the one judged (id -> why)."""
    query = select(Candidate).order_by(Candidate.id)
    if status is not None:
        query = query.where(Candidate.status == status)
    return readable(session, query)


QUARANTINED = "(quarantined: its stored text cannot be trusted; see the Health page)"


def genome_texts(session: Session, ids: Sequence[str]) -> dict[str, str]:
    """The stored text of each genome of `ids`, by id, read through the quarantine
    (`store.quarantine.readable_texts`): a text that does not parse or does not hash to its id
    is left out, so it is never shown, gated or traded as the genome its id names."""
    return readable_texts(session, ids)


def awaiting_review(session: Session) -> list[str]:
    """A line for each candidate that passed the gate and awaits the review."""
    waiting = in_status(session, CandidateStatus.GATE_PASSED).rows
    texts = genome_texts(session, [c.genome_id for c in waiting])
    return [f"candidate {c.id}: {shown(texts.get(c.genome_id, QUARANTINED))}" for c in waiting]


class ReportLeftOut(PromotionError):
    """A candidate's newest gate report is stored but cannot be read (quarantined): no older
    report stands in for it, and "not gated" would not be true."""


def latest_report(session: Session, candidate_id: int) -> GateReport | None:
    """The candidate's newest gate report, or None when it has none.

    Raises:
        ReportLeftOut: the newest report cannot be read.
    """
    newest = session.scalar(
        select(func.max(GateReport.id)).where(GateReport.candidate_id == candidate_id)
    )
    if newest is None:
        return None
    try:
        return get(session, GateReport, newest)
    except LeftOut as e:
        raise ReportLeftOut(f"its newest gate report ({newest}) cannot be read: {e.why}") from e


def latest_reports(session: Session, candidate_ids: Sequence[int]) -> dict[int, GateReport]:
    """The newest gate report of each of `candidate_ids` that has one, by candidate (one query
    per 500 candidates, for the lists of every candidate)."""
    ids = list(dict.fromkeys(candidate_ids))
    found: dict[int, GateReport] = {}
    for start in range(0, len(ids), 500):
        newest = (
            select(func.max(GateReport.id))
            .where(GateReport.candidate_id.in_(ids[start : start + 500]))
            .group_by(GateReport.candidate_id)
        )
        for report in session.scalars(select(GateReport).where(GateReport.id.in_(newest))):
            found[report.candidate_id] = report
    return found


def holdout_opened(session: Session, candidate: Candidate) -> bool:
    """Whether the candidate's holdout has been opened (once, by the review), whether or not
    its stored result can still be read."""
    found = select(HoldoutResult.candidate_id).where(HoldoutResult.candidate_id == candidate.id)
    return session.scalar(found) is not None


def reviewer_name(name: str) -> str:
    """`name` stripped, as a decision or a holdout opening records it.

    Raises:
        PromotionError: an empty name or one longer than 64 characters.
    """
    name = name.strip()
    if not name or len(name) > 64:
        raise PromotionError("the reviewer's name must be 1 to 64 characters")
    return name


def decide(
    session: Session,
    candidate: Candidate,
    action: str,
    reviewer: str,
    note: str,
    override: bool = False,
    now: dt.datetime | None = None,  # naive UTC, as stored
    *,
    incubation: IncubationConfig,
) -> Decision:
    """Record `reviewer`'s `action` on `candidate` with `note` and move its status (added to
    `session`, not committed). An approval is recorded as `incubate` when
    `incubation.sessions` is above 0.

    Raises:
        PromotionError: an unknown action, an empty note or reviewer, a status the action
            does not apply to (approving a gate_failed candidate needs `override`), the
            approval of a candidate that passed the gate before its holdout was opened (the
            review shows the holdout before the approval: `promote review` and the page), or
            the confirmation of a strategy whose incubation test has not passed.
    """
    if action not in ACTIONS:
        raise PromotionError(f"unknown action {action!r}: one of {', '.join(ACTIONS)}")
    note = note.strip()
    if not note:
        raise PromotionError(f"a note is required to {action} a candidate: say why")
    reviewer = reviewer_name(reviewer)
    status = candidate.status
    if action == "approve":
        report = _approvable_report(session, candidate)
        if incubation.sessions > 0:
            action = "incubate"
    else:
        if action == "confirm":
            _check_confirmable(session, candidate, incubation)
        try:
            report = latest_report(session, candidate.id)
        except ReportLeftOut:
            report = None
    try:
        decision = move_candidate(
            session,
            candidate,
            action,
            reviewer,
            note,
            override=override,
            gate_report_id=report.id if report else None,
            now=now,
        )
    except IllegalMove as e:
        hint = (
            f"; approving a {status} candidate against the gate needs --override"
            if status in MOVES[action].override_from
            else ""
        )
        raise PromotionError(f"{e}{hint}") from None
    return decision


def _check_confirmable(
    session: Session, candidate: Candidate, incubation: IncubationConfig
) -> None:
    """Raises PromotionError unless `candidate` is incubating and its test passed."""
    from promotion.incubation import incubating  # it reads forward records, which read reports

    if candidate.status != CandidateStatus.INCUBATING:
        return  # the move table names what it applies to
    found = incubating(session, incubation, [candidate.id])
    if not found or not found[0].test.passed:
        why = found[0].test.text() if found else "its forward record cannot be read"
        raise PromotionError(f"candidate {candidate.id} cannot be confirmed yet: {why}")


def _approvable_report(session: Session, candidate: Candidate) -> GateReport | None:
    """The newest gate report of `candidate`, which a person may approve: nobody approves
    what they could not see.

    Raises:
        PromotionError: its genome text is quarantined, its holdout was not opened although it
            passed the gate, or its newest report or opened holdout cannot be read.
    """
    number = candidate.id
    if candidate.genome_id not in genome_texts(session, [candidate.genome_id]):
        raise PromotionError(
            f"candidate {number} cannot be approved: its stored genome text is quarantined "
            "(`promote show` says why)"
        )
    if candidate.status == CandidateStatus.GATE_PASSED and not holdout_opened(session, candidate):
        raise PromotionError(
            f"open the holdout of candidate {number} first: the review shows it before an "
            "approval (`promote review`, or the candidate's page)"
        )
    try:
        report = latest_report(session, number)
        get(session, HoldoutResult, number)
    except ReportLeftOut as e:
        raise PromotionError(f"candidate {number} cannot be approved: {e}") from e
    except LeftOut as e:
        raise PromotionError(
            f"candidate {number} cannot be approved: its opened holdout cannot be read ({e.why})"
        ) from e
    return report
