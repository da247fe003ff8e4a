"""The candidates pages: every candidate with its status and newest verdict, and one candidate
with its genome as a tree, its gate report criterion by criterion, and the decisions on it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from dashboard.board import Board, text
from dashboard.charts import WIDE, svg, thin
from fitness.panel import Panel
from promotion.chart import review_chart
from promotion.gate import Criterion
from promotion.lifecycle import (
    QUARANTINED,
    ReportLeftOut,
    genome_texts,
    in_status,
    latest_report,
    latest_reports,
)
from promotion.review import (
    ValidationEquity,
    sitting_warnings,
    unreadable_part,
    validation_equity,
)
from promotion.views import costs_text, holdout_view, tree_lines
from store.models import Candidate, Decision, GateReport, WindowRecord
from store.quarantine import parse_stored, quarantine_reason

__all__ = [
    "CandidateDetail",
    "CandidateRow",
    "candidate_detail",
    "candidate_page",
    "candidate_rows",
    "routes",
]


@dataclass(frozen=True)
class CandidateRow:
    """One line of the candidates table (validation figures from the latest gate report)."""

    id: int
    status: str
    text: str
    train_score: float
    validation_sharpe: float | None
    dsr: float | None
    created_at: dt.datetime


@dataclass(frozen=True)
class CandidateDetail:
    """Everything the candidate page shows, with the window and costs of its figures."""

    row: CandidateRow
    genome_id: str
    run_id: int
    tree: list[str]  # the genome as an indented tree with the meaning of each node
    verdict: str  # "passed", "failed" or "not gated yet"
    window: str  # the validation window and the costs the verdict was measured with
    criteria: list[Criterion]
    trials: str
    decisions: list[Decision]
    correlations: dict[str, float]  # with each live strategy, validation window (gate report)
    holdout: list[str] | None  # its stored numbers once opened; None while sealed
    left_out: str  # what the review needs and cannot read (its report, its holdout), or ""

    @property
    def reviewable(self) -> bool:
        """Waiting for the review, as `promote review` takes them: passed the gate, and all the
        review shows can be read."""
        return self.row.status == "gate_passed" and not self.left_out


def candidate_rows(session: Session) -> list[CandidateRow]:
    """Every candidate, newest first, with its newest gate report's validation numbers."""
    candidates = session.scalars(select(Candidate).order_by(Candidate.id.desc())).all()
    texts = genome_texts(session, [c.genome_id for c in candidates])
    reports = latest_reports(session, [c.id for c in candidates])
    return [_row(c, texts.get(c.genome_id, QUARANTINED), reports.get(c.id)) for c in candidates]


def candidate_detail(session: Session, candidate_id: int) -> CandidateDetail | None:
    """The candidate page's content; None when no candidate has `candidate_id`."""
    candidate = session.get(Candidate, candidate_id)
    if candidate is None:
        return None
    stored = genome_texts(session, [candidate.genome_id]).get(candidate.genome_id)
    tree = None if stored is None else parse_stored(session, candidate.genome_id, stored)
    text = QUARANTINED if stored is None else stored
    left_out = unreadable_part(session, candidate)
    try:
        report = latest_report(session, candidate.id)
    except ReportLeftOut:
        report = None
    window, criteria, trials = "", [], ""
    verdict = f"unknown: {left_out}" if report is None and left_out else "not gated yet"
    correlations: dict[str, float] = {}
    if report is not None:
        verdict = "passed" if report.passed else "failed"
        validation = session.get(WindowRecord, report.validation_window_id)
        span = f"{validation.first_day}..{validation.last_day}" if validation else "?"
        window = (
            f"validation window {span} (id {report.validation_window_id[:12]}); costs: "
            f"{costs_text(report.details.get('costs', {}))}; report {report.id} of "
            f"{report.created_at:%Y-%m-%d %H:%M} UTC"
        )
        criteria = [Criterion.from_dict(c) for c in report.criteria]
        trials = str(report.details.get("trials_text", ""))
        correlations = dict(report.details.get("live_correlations", {}))
    decisions = session.scalars(
        select(Decision).where(Decision.candidate_id == candidate.id).order_by(Decision.id)
    ).all()
    return CandidateDetail(
        row=_row(candidate, text, report),
        genome_id=candidate.genome_id,
        run_id=candidate.run_id,
        tree=tree_lines(tree) if tree is not None else ["(the text does not parse: quarantined)"],
        verdict=verdict,
        window=window,
        criteria=criteria,
        trials=trials,
        decisions=list(decisions),
        correlations=correlations,
        holdout=holdout_view(session, candidate),
        left_out=left_out,
    )


def _row(candidate: Candidate, text: str, report: GateReport | None) -> CandidateRow:
    details = report.details if report is not None else {}
    return CandidateRow(
        id=candidate.id,
        status=candidate.status,
        text=text,
        train_score=candidate.score,
        validation_sharpe=details.get("validation", {}).get("sharpe"),
        dsr=details.get("statistics", {}).get("dsr"),
        created_at=candidate.created_at,
    )


def routes(board: Board) -> list[Route]:
    """The candidates list and one candidate's page."""

    def listed(request: Request) -> Response:
        with board.database.transaction() as session:
            rows = candidate_rows(session)
        return board.render(request, "candidates.html", {"candidates": rows, "page": "candidates"})

    def one(request: Request) -> Response:
        return candidate_page(board, request, int(request.path_params["candidate_id"]))

    def validation_svg(request: Request) -> Response:
        candidate_id = int(request.path_params["candidate_id"])
        with board.database.transaction() as session:
            candidate = session.get(Candidate, candidate_id)
            if candidate is None:
                return _missing(session, candidate_id)
            genome_text = genome_texts(session, [candidate.genome_id]).get(candidate.genome_id)
        if genome_text is None:
            return text("no chart: this candidate's stored genome text is quarantined", 503)
        try:
            _, curve = validation_curve(board, candidate_id, genome_text)
        except Exception as e:  # no chart, and why (the data, or a genome that does not parse)
            return text(f"no chart: {type(e).__name__}: {e}", 503)
        title = f"candidate {candidate_id}: {genome_text}"
        image = board.charts.get((candidate_id, curve.window.id), lambda: _chart(title, curve))
        return Response(image, media_type="image/svg+xml")

    return [
        Route("/candidates", listed),
        Route("/candidates/{candidate_id:row}", one),
        Route("/candidates/{candidate_id:row}/validation.svg", validation_svg),
    ]


def _missing(session: Session, candidate_id: int) -> Response:
    """The answer for a candidate that is not there, or that cannot be read (named)."""
    why = quarantine_reason(session, "candidates", str(candidate_id))
    if why is None:
        return text("no such candidate", 404)
    return text(f"candidate {candidate_id} cannot be read and is left out: {why}", 404)


def candidate_page(
    board: Board, request: Request, candidate_id: int, error: str = "", status_code: int = 200
) -> Response:
    """One candidate's page (with `error`, the refusal of a form posted from it)."""
    warnings: list[str] = []
    data_problem = ""
    with board.database.transaction() as session:
        detail = candidate_detail(session, candidate_id)
        if detail is None:
            return _missing(session, candidate_id)
        if detail.reviewable:
            try:
                panel, curve = validation_curve(board, candidate_id, detail.row.text)
                candidate = session.get_one(Candidate, candidate_id)
                warnings = sitting_warnings(session, candidate, curve, panel, board.config)
            except Exception as e:  # the page shows the rest, and why this part is missing
                data_problem = f"{type(e).__name__}: {e}"
        waiting = [c.id for c in in_status(session, "gate_passed") if c.id != candidate_id]
    context = {
        "c": detail,
        "page": "candidates",
        "warnings": warnings,
        "data_problem": data_problem,
        "error": error,
        "next_waiting": waiting[0] if waiting else None,
    }
    return board.render(request, "candidate.html", context, status_code)


def validation_curve(
    board: Board, candidate_id: int, genome_text: str
) -> tuple[Panel, ValidationEquity]:
    """The candidate's validation equity (and buy-and-hold's), measured once per window."""
    panel, windows = board.data.get()
    validation = windows["validation"]
    curve = board.curves.get(
        (candidate_id, validation.id),
        lambda: validation_equity(panel, validation, board.config, genome_text),
    )
    return panel, curve


def _chart(title: str, curve: ValidationEquity) -> bytes:
    days = thin([curve.equity, curve.market])
    return svg(
        lambda image: review_chart(
            image,
            title,
            curve.dates[days],
            curve.equity[days],
            curve.market[days],
            curve.text(),
            "svg",
            WIDE,
        )
    )
