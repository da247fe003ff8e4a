"""The nights page (also the front page): every nightly run with how it went, newest first,
and the lineage chart of `evolve report`."""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from dashboard.board import Board, text
from evolve.charts import lineage_chart
from evolve.status import history
from store.models import Generation, Run

__all__ = ["Night", "nights", "routes"]


@dataclass(frozen=True)
class Night:
    run_id: int
    status: str
    discovery: bool
    started_at: dt.datetime
    minutes: float | None
    generations: int
    evaluations: int
    best_fitness: float | None
    stagnation_events: int
    candidates: int
    stopped_by: str


def nights(session: Session, limit: int = 60) -> list[Night]:
    """The newest `limit` runs (their summary as the run stored it when it ended)."""
    runs = session.scalars(select(Run).order_by(Run.id.desc()).limit(limit)).all()
    out = []
    for run in runs:
        summary = run.summary or {}
        seconds = summary.get("seconds")
        out.append(
            Night(
                run_id=run.id,
                status=run.status,
                discovery=run.discovery,
                started_at=run.started_at,
                minutes=None if seconds is None else float(seconds) / 60,
                generations=int(summary.get("generations", 0)),
                evaluations=int(summary.get("evaluations", 0)),
                best_fitness=summary.get("best_fitness"),
                stagnation_events=int(summary.get("stagnation_events", 0)),
                candidates=len(summary.get("candidates", [])) + len(summary.get("refined", [])),
                stopped_by=str(summary.get("stopped_by", "")),
            )
        )
    return out


def routes(board: Board) -> list[Route]:
    def index(_request: Request) -> Response:
        return RedirectResponse("/nights", status_code=303)

    def page(request: Request) -> Response:
        with board.database.transaction() as session:
            found = nights(session)
        return board.render(request, "nights.html", {"nights": found, "page": "nights"})

    def lineage_svg(_request: Request) -> Response:
        with board.database.transaction() as session:
            newest = tuple(session.execute(select(func.max(Generation.id), func.max(Run.id))).one())
            image = board.lineage.get(newest, lambda: _lineage(session))
        if image is None:
            return text("no generations yet", 404)
        return Response(image, media_type="image/svg+xml")

    return [
        Route("/", index),
        Route("/nights", page),
        Route("/nights/lineage.svg", lineage_svg),
    ]


def _lineage(session: Session) -> bytes | None:
    # The lineage chart as SVG; None before the first generation.
    lineage = history(session)
    if not lineage.number:
        return None
    image = io.BytesIO()
    lineage_chart(lineage, image, "svg")
    return image.getvalue()
