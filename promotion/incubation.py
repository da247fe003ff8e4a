"""The strategies incubating (approved, trading on paper) and their incubation tests, read from
research.db; the lines the night, the review and `live status` show of them."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from configs import IncubationConfig, costs_text
from market.exchange import new_york_day
from promotion.following import forward_records
from promotion.forward import ForwardRecord, IncubationTest, incubation_test
from promotion.lifecycle import latest_reports
from store.lifecycle import CandidateStatus
from store.models import Candidate, Decision, GateReport, WindowRecord
from store.rows import readable

__all__ = [
    "Incubating",
    "forward_lines",
    "incubating",
    "incubation_lines",
    "incubation_status",
]


@dataclass(frozen=True)
class Incubating:
    """An incubating strategy: approved on `approved` (a New York date), its forward record
    and its incubation test."""

    candidate: Candidate
    approved: dt.date
    record: ForwardRecord
    test: IncubationTest
    validation: str  # its validation figures at its newest gate report, with the window

    def text(self) -> str:
        """The strategy's incubation as one line, and what a person may do next."""
        then = (
            f"ready: confirm with `promote confirm {self.candidate.id} --note ...`"
            if self.test.passed
            else "trading on paper"
        )
        return (
            f"candidate {self.candidate.id} incubating since {self.approved}: {then}; "
            f"{self.test.text()}; {self.record.text()}; {self.validation}"
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
    reports = latest_reports(session, [c.id for c in candidates])
    out = []
    for c in candidates:
        record = records.get(c.id)
        if record is None or c.id not in approved:
            continue
        day = approved[c.id]
        test = incubation_test(record, day, incubation)
        out.append(Incubating(c, day, record, test, _validation_text(session, reports[c.id])))
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


def incubation_status(session: Session, incubation: IncubationConfig) -> list[str]:
    """The incubating strategies for `live status`: each one's forward record beside its
    validation figures, and whether it may be confirmed for real orders."""
    found = incubating(session, incubation)
    head = (
        f"incubating on paper (real orders only after `promote confirm`; the test: "
        f"{incubation.sessions} sessions since approval, P(forward Sharpe > 0) >= "
        f"{incubation.confidence:.2f}):"
    )
    return [head] + ([f"  {i.text()}" for i in found] or ["  none"])


def forward_lines(
    session: Session, candidate: Candidate, incubation: IncubationConfig, costs: str
) -> list[str]:
    """A candidate's forward record, and its incubation test while it incubates, as lines
    (`costs`: the configuration's, with which each night recorded its sessions)."""
    record = forward_records(session, [candidate.id]).get(candidate.id)
    lines = [
        "forward record (paper returns on the sessions after the data of its newest gate "
        f"report, which nobody chose it on; costs: {costs}):",
        "  " + (record.text() if record is not None else "none: not gated yet"),
    ]
    if candidate.status == CandidateStatus.INCUBATING:
        found = incubating(session, incubation, [candidate.id])
        lines.append(
            f"  incubating since {found[0].approved}: {found[0].test.text()}"
            if found
            else "  incubating: its forward record cannot be read"
        )
    return lines


def _validation_text(session: Session, report: GateReport) -> str:
    # Its validation Sharpe and DSR at the gate report, with the window and costs.
    window = session.get(WindowRecord, report.validation_window_id)
    span = f"{window.first_day}..{window.last_day}" if window is not None else "(window unread)"
    sharpe = report.details.get("validation", {}).get("sharpe")
    dsr = report.details.get("statistics", {}).get("dsr")
    costs = costs_text(report.details.get("costs", {}))
    return (
        f"validation {span}: Sharpe {_num(sharpe)}, DSR {_num(dsr)} (gate report "
        f"{report.id}; costs: {costs})"
    )


def _num(value: object) -> str:
    return f"{value:.2f}" if isinstance(value, int | float) else "-"


def _approval_days(session: Session, ids: list[int]) -> dict[int, dt.date]:
    # The New York date of each candidate's newest `incubate` decision.
    newest = (
        select(func.max(Decision.id))
        .where(Decision.candidate_id.in_(ids), Decision.action == "incubate")
        .group_by(Decision.candidate_id)
    )
    rows = readable(session, select(Decision).where(Decision.id.in_(newest))).rows
    return {d.candidate_id: new_york_day(d.decided_at.replace(tzinfo=dt.UTC)) for d in rows}
