"""The candidates pages: every candidate with its status and newest verdict, and one candidate
with all that `promote show` and `promote review` print (its genome as a tree, its figures per
window, its gate report and statistics, its lineage), its charts and the decisions on it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from configs import LabConfig
from dashboard.board import Board, text
from dashboard.charts import WIDE, svg, thin
from market.panel import Panel
from promotion.chart import MARKET, review_chart
from promotion.figures import (
    Ancestor,
    GateFigures,
    WindowFigures,
    gate_figures,
    lineage,
    window_figures,
)
from promotion.incubation import forward_lines, incubating
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
    holdout_equity,
    sitting_warnings,
    unreadable_part,
    validation_equity,
)
from promotion.views import tree_lines
from store.lifecycle import CandidateStatus
from store.models import Candidate, Decision, GateReport, Genome
from store.quarantine import parse_stored
from store.rows import LeftOut, get

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
    """Everything the candidate page shows, as `promote show` and `promote review` do (the same
    `promotion.figures`), each figure with its window and costs."""

    row: CandidateRow
    genome_id: str
    run_id: int
    tree: list[str]  # the genome as an indented tree with the meaning of each node
    verdict: str  # "passed", "failed" or "not gated yet"
    gate: GateFigures | None  # the newest gate report
    figures: list[WindowFigures]  # train, validation and, once opened, holdout
    lineage: list[Ancestor]
    decisions: list[Decision]
    left_out: str  # what the review needs and cannot read (its report, its holdout), or ""
    forward: list[str]  # its forward record and, while it incubates, its incubation test
    ready: bool  # incubating, and its incubation test passed: a person may confirm it

    @property
    def reviewable(self) -> bool:
        """Waiting for the review, as `promote review` takes them: passed the gate, and all the
        review shows can be read."""
        return self.row.status == CandidateStatus.GATE_PASSED and not self.left_out

    @property
    def holdout(self) -> WindowFigures | None:
        """The opened holdout's figures; None while it is sealed."""
        return next((f for f in self.figures if f.name == "holdout"), None)


def candidate_rows(session: Session) -> list[CandidateRow]:
    """Every candidate, newest first, with its newest gate report's validation numbers."""
    candidates = session.scalars(select(Candidate).order_by(Candidate.id.desc())).all()
    texts = genome_texts(session, [c.genome_id for c in candidates])
    reports = latest_reports(session, [c.id for c in candidates])
    return [_row(c, texts.get(c.genome_id, QUARANTINED), reports.get(c.id)) for c in candidates]


def candidate_detail(
    session: Session, candidate_id: int, config: LabConfig
) -> CandidateDetail | None:
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
    verdict = f"unknown: {left_out}" if report is None and left_out else "not gated yet"
    if report is not None:
        verdict = "passed" if report.passed else "failed"
    decisions = session.scalars(
        select(Decision).where(Decision.candidate_id == candidate.id).order_by(Decision.id)
    ).all()
    genome = session.get(Genome, candidate.genome_id)
    return CandidateDetail(
        row=_row(candidate, text, report),
        genome_id=candidate.genome_id,
        run_id=candidate.run_id,
        tree=tree_lines(tree) if tree is not None else ["(the text does not parse: quarantined)"],
        verdict=verdict,
        gate=gate_figures(session, report) if report is not None else None,
        figures=window_figures(session, candidate)[0],
        lineage=lineage(session, genome) if genome is not None else [],
        decisions=list(decisions),
        left_out=left_out,
        forward=forward_lines(session, candidate, config.incubation, config.backtest.costs_text()),
        ready=any(i.test.passed for i in incubating(session, config.incubation, [candidate.id])),
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

    def chart(request: Request, which: str) -> Response:
        candidate_id = int(request.path_params["candidate_id"])
        with board.database.transaction() as session:
            candidate = session.get(Candidate, candidate_id)
            if candidate is None:
                return _missing(session, candidate_id)
            genome_text = genome_texts(session, [candidate.genome_id]).get(candidate.genome_id)
            if genome_text is None:
                return text("no chart: this candidate's stored genome text is quarantined", 503)
            try:
                if which == "validation":
                    _, curve = validation_curve(board, candidate_id, genome_text)
                else:
                    panel, windows = board.data.get()
                    curve = holdout_equity(session, candidate, panel, windows["holdout"])
            except Exception as e:  # no chart, and why (the data, a sealed holdout...)
                return text(f"no chart: {type(e).__name__}: {e}", 503)
        title = f"candidate {candidate_id}: {genome_text}"
        image = board.charts.get((candidate_id, curve.window.id), lambda: _chart(title, curve))
        return Response(image, media_type="image/svg+xml")

    return [
        Route("/candidates", listed),
        Route("/candidates/{candidate_id:row}", one),
        Route("/candidates/{candidate_id:row}/validation.svg", lambda r: chart(r, "validation")),
        Route("/candidates/{candidate_id:row}/holdout.svg", lambda r: chart(r, "holdout")),
    ]


def _missing(session: Session, candidate_id: int) -> Response:
    """The answer for a candidate that is not there, or that cannot be read (named)."""
    try:
        get(session, Candidate, candidate_id)
    except LeftOut as e:
        return text(f"candidate {candidate_id} cannot be read and is left out: {e.why}", 404)
    return text("no such candidate", 404)


def candidate_page(
    board: Board, request: Request, candidate_id: int, error: str = "", status_code: int = 200
) -> Response:
    """One candidate's page (with `error`, the refusal of a form posted from it)."""
    warnings: list[str] = []
    data_problem = ""
    with board.database.transaction() as session:
        detail = candidate_detail(session, candidate_id, board.config)
        if detail is None:
            return _missing(session, candidate_id)
        if detail.reviewable:
            try:
                panel, curve = validation_curve(board, candidate_id, detail.row.text)
                candidate = session.get_one(Candidate, candidate_id)
                warnings = sitting_warnings(session, candidate, curve, panel, board.config)
            except Exception as e:  # the page shows the rest, and why this part is missing
                data_problem = f"{type(e).__name__}: {e}"
        passed = in_status(session, CandidateStatus.GATE_PASSED).rows
        waiting = [c.id for c in passed if c.id != candidate_id]
    context = {
        "c": detail,
        "page": "candidates",
        "warnings": warnings,
        "data_problem": data_problem,
        "error": error,
        "next_waiting": waiting[0] if waiting else None,
        "incubation_sessions": board.config.incubation.sessions,
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
            (("candidate", curve.equity[days]), (MARKET, curve.market[days])),
            curve.text(),
            "svg",
            WIDE,
        )
    )
