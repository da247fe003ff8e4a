"""Following candidates forward: the I/O around `promotion.forward`.

Every night, after the data refresh and the gate, each followed candidate is backtested (the
lab's rules and costs, started flat) from the first session after the data of its newest gate
report to the newest session, and each session not recorded yet becomes a `forward_returns`
row beside equal-weight buy-and-hold's return. A session's row is written once and never
changed, so the record is what the lab saw the night it saw it.

Followed: the candidates that passed the gate (awaiting review, incubating, approved, live) and
the near misses, failed with a deflated Sharpe ratio of at least `forward.near_miss_dsr`, for
their first `forward.near_miss_sessions` sessions. A rejected or retired candidate is followed
no more (its record stays).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from configs import LabConfig
from fitness.buy_and_hold import buy_and_hold
from fitness.score import WindowScorer
from fitness.windows import Window, build_window
from genome.text import parse
from market.panel import Panel
from promotion.forward import ForwardRecord, forward_record
from promotion.lifecycle import genome_texts, latest_reports
from store.lifecycle import BOOK, CandidateStatus
from store.models import Candidate, ForwardReturn, GateReport, PanelRecord
from store.rows import readable

__all__ = ["Followed", "followed", "forward_records", "record_forward"]

log = logging.getLogger(__name__)

# Followed whatever their deflated Sharpe ratio.
_PASSED = (CandidateStatus.GATE_PASSED, *BOOK)


@dataclass(frozen=True)
class Followed:
    """A candidate followed forward: its newest gate report, the last day of that report's
    data (its forward sessions come after it), and for a near miss the sessions it is
    followed for."""

    candidate: Candidate
    report: GateReport
    judged_until: dt.date
    sessions: int | None = None


def followed(session: Session, config: LabConfig) -> list[Followed]:
    """The candidates followed forward tonight, oldest first (see the module docstring)."""
    statuses = (*_PASSED, CandidateStatus.GATE_FAILED)
    candidates = readable(
        session, select(Candidate).where(Candidate.status.in_(statuses)).order_by(Candidate.id)
    ).rows
    reports = latest_reports(session, [c.id for c in candidates])
    recorded = _sessions_recorded(session, [r.id for r in reports.values()])
    until = _data_ends(session, [r.panel_fingerprint for r in reports.values()])
    out = []
    for c in candidates:
        report = reports.get(c.id)
        if report is None or report.panel_fingerprint not in until:
            continue
        limit = None
        if c.status == CandidateStatus.GATE_FAILED:
            if not _near_miss(report, recorded.get(report.id, 0), config):
                continue
            limit = config.forward.near_miss_sessions
        out.append(Followed(c, report, until[report.panel_fingerprint], limit))
    return out


def record_forward(
    session: Session, panel: Panel, config: LabConfig, run_id: int | None = None
) -> str:
    """Record the sessions of `panel` not recorded yet for every followed candidate (added to
    `session`); a line that says how many."""
    following = followed(session, config)
    texts = genome_texts(session, [f.candidate.genome_id for f in following])
    last_rows = _last_days(session, [f.report.id for f in following])
    market: dict[int, np.ndarray] = {}
    added = 0
    for f in following:
        text = texts.get(f.candidate.genome_id)
        window = _forward_window(panel, f.judged_until, config)
        if text is None or window is None:
            continue
        if window.start not in market:
            market[window.start] = buy_and_hold(panel, window, config.backtest).result.returns
        try:
            returns = WindowScorer(panel, window, config.backtest).score(parse(text)).result.returns
        except Exception as e:  # one genome's failure is its own
            log.warning(
                "candidate %d cannot be followed: %s: %s", f.candidate.id, type(e).__name__, e
            )
            continue
        newest = last_rows.get(f.report.id)
        days = _days(panel, window)[: f.sessions]
        for i, day in enumerate(days):
            if newest is not None and day <= newest:
                continue
            session.add(
                ForwardReturn(
                    candidate_id=f.candidate.id,
                    day=day,
                    gate_report_id=f.report.id,
                    strategy=float(returns[i]),
                    market=float(market[window.start][i]),
                    run_id=run_id,
                )
            )
            added += 1
    session.flush()
    return (
        f"forward: {len(following)} candidate(s) followed, {added} new session return(s) "
        f"recorded (paper, costs: {config.backtest.costs_text()})"
    )


def forward_records(session: Session, candidate_ids: Sequence[int]) -> dict[int, ForwardRecord]:
    """The forward record of each of `candidate_ids` that has a newest gate report: its rows
    that follow that report (rows that cannot be read are left out of the record), among every
    strategy ever followed forward."""
    reports = latest_reports(session, candidate_ids)
    followed_ever = session.scalar(select(func.count(func.distinct(ForwardReturn.candidate_id))))
    rows = readable(
        session,
        select(ForwardReturn)
        .where(ForwardReturn.gate_report_id.in_([r.id for r in reports.values()]))
        .order_by(ForwardReturn.candidate_id, ForwardReturn.day),
    ).rows
    by_candidate: dict[int, list[ForwardReturn]] = {}
    for row in rows:
        by_candidate.setdefault(row.candidate_id, []).append(row)
    return {
        cid: forward_record(
            [r.day for r in found],
            np.array([r.strategy for r in found]),
            np.array([r.market for r in found]),
            max(int(followed_ever or 0), 1),
        )
        for cid in reports
        for found in [by_candidate.get(cid, [])]
    }


def _near_miss(report: GateReport, sessions: int, config: LabConfig) -> bool:
    dsr = next((c.get("value") for c in report.criteria if c.get("name") == "dsr"), None)
    close = isinstance(dsr, int | float) and dsr >= config.forward.near_miss_dsr
    return close and sessions < config.forward.near_miss_sessions


def _forward_window(panel: Panel, judged_until: dt.date, config: LabConfig) -> Window | None:
    # The sessions of `panel` after `judged_until`, with the warm-up before them; None when
    # there is none yet, or too little data before them to warm up on.
    dates = panel.dates
    start = int(np.searchsorted(dates, np.datetime64(judged_until, "D"), side="right"))
    if start >= len(dates) or start < config.windows.warmup_days:
        return None
    first, last = dates[start].item(), dates[-1].item()
    return build_window(
        panel, "forward", first, last, config.windows.warmup_days, 1, config.backtest
    )


def _days(panel: Panel, window: Window) -> list[dt.date]:
    return [d.item() for d in panel.dates[window.start : window.stop].astype("datetime64[D]")]


def _sessions_recorded(session: Session, report_ids: list[int]) -> dict[int, int]:
    found = session.execute(
        select(ForwardReturn.gate_report_id, func.count())
        .where(ForwardReturn.gate_report_id.in_(report_ids))
        .group_by(ForwardReturn.gate_report_id)
    ).all()
    return {rid: int(n) for rid, n in found}


def _last_days(session: Session, report_ids: list[int]) -> dict[int, dt.date]:
    found = session.execute(
        select(ForwardReturn.gate_report_id, func.max(ForwardReturn.day))
        .where(ForwardReturn.gate_report_id.in_(report_ids))
        .group_by(ForwardReturn.gate_report_id)
    ).all()
    return {rid: day for rid, day in found}


def _data_ends(session: Session, fingerprints: list[str]) -> dict[str, dt.date]:
    found = session.execute(
        select(PanelRecord.fingerprint, PanelRecord.last_day).where(
            PanelRecord.fingerprint.in_(list(set(fingerprints)))
        )
    ).all()
    return {fp: day for fp, day in found}
