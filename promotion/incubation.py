"""The strategies incubating (approved, trading on paper) and their incubation tests, read from
research.db; the lines the night, the review and `live status` show of them."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from configs import IncubationConfig
from market.exchange import new_york_day
from promotion.following import forward_records
from promotion.forward import ForwardRecord, IncubationTest, incubation_test
from store.lifecycle import CandidateStatus
from store.models import Candidate, Decision
from store.rows import readable

__all__ = ["Incubating", "incubating", "incubation_lines"]


@dataclass(frozen=True)
class Incubating:
    """An incubating strategy: approved on `approved` (a New York date), its forward record
    and its incubation test."""

    candidate: Candidate
    approved: dt.date
    record: ForwardRecord
    test: IncubationTest

    def text(self) -> str:
        """The strategy's incubation as one line, and what a person may do next."""
        then = (
            f"ready: confirm with `promote confirm {self.candidate.id} --note ...`"
            if self.test.passed
            else "trading on paper"
        )
        return (
            f"candidate {self.candidate.id} incubating since {self.approved}: {then}; "
            f"{self.test.text()}; {self.record.text()}"
        )


def incubating(
    session: Session, incubation: IncubationConfig, ids: list[int] | None = None
) -> list[Incubating]:
    """The incubating strategies (those of `ids` only, when given), oldest candidate first."""
    query = select(Candidate).where(Candidate.status == CandidateStatus.INCUBATING)
    if ids is not None:
        query = query.where(Candidate.id.in_(ids))
    candidates = readable(session, query.order_by(Candidate.id)).rows
    approved = _approval_days(session, [c.id for c in candidates])
    records = forward_records(session, [c.id for c in candidates])
    out = []
    for c in candidates:
        record = records.get(c.id)
        if record is None or c.id not in approved:
            continue
        day = approved[c.id]
        out.append(Incubating(c, day, record, incubation_test(record, day, incubation)))
    return out


def incubation_lines(session: Session, incubation: IncubationConfig) -> list[str]:
    """One line per incubating strategy, for the night's summary."""
    found = incubating(session, incubation)
    if not found:
        return []
    ready = sum(i.test.passed for i in found)
    return [
        f"incubation: {len(found)} strateg{'y' if len(found) == 1 else 'ies'}, {ready} ready"
    ] + ["  " + i.text() for i in found]


def _approval_days(session: Session, ids: list[int]) -> dict[int, dt.date]:
    # The New York date of each candidate's newest `incubate` decision.
    newest = (
        select(func.max(Decision.id))
        .where(Decision.candidate_id.in_(ids), Decision.action == "incubate")
        .group_by(Decision.candidate_id)
    )
    rows = readable(session, select(Decision).where(Decision.id.in_(newest))).rows
    return {d.candidate_id: new_york_day(d.decided_at.replace(tzinfo=dt.UTC)) for d in rows}
