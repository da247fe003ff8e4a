"""The nights page (also the front page): every nightly run with how it went, newest first,
and the lineage chart of `evolve report`."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from dashboard.board import Board, text
from dashboard.charts import TALL, svg, thin_history
from evolve.charts import lineage_chart
from evolve.run_summary import stored_summary
from evolve.status import history
from store.models import Generation, Run

__all__ = ["NightRow", "nights", "routes"]


@dataclass(frozen=True)
class NightRow:
    """One night on the Nights page, from its run row and typed summary."""

    run_id: int
    status: str
    discovery: bool
    started_at: dt.datetime
    minutes: float | None
    generations: int
    evaluations: int
    best_fitness: float | None
    stagnation_events: int
    candidates: tuple[int, ...]  # their numbers: bred, then refined
    stopped_by: str


def nights(session: Session, limit: int = 60) -> list[NightRow]:
    """The newest `limit` runs (their summary as the run stored it when it ended)."""
    runs = session.scalars(select(Run).order_by(Run.id.desc()).limit(limit)).all()
    out = []
    for run in runs:
        summary = stored_summary(session, run)
        out.append(
            NightRow(
                run_id=run.id,
                status=run.status,
                discovery=run.discovery,
                started_at=run.started_at,
                minutes=summary.minutes,
                generations=summary.generations,
                evaluations=summary.evaluations,
                best_fitness=summary.best_fitness,
                stagnation_events=len(summary.stagnation_events),
                candidates=summary.found,
                stopped_by=summary.stopped_by,
            )
        )
    return out


def routes(board: Board) -> list[Route]:
    """The Nights page (also the index) and its lineage chart."""

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
    return svg(lambda image: lineage_chart(thin_history(lineage), image, "svg", TALL))
