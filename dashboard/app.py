"""The dashboard's web application (Starlette): routes, templates and the database."""

from __future__ import annotations

import io
from pathlib import Path

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route
from starlette.templating import Jinja2Templates

from configs import LabConfig
from dashboard.candidates import candidate_detail, candidate_rows
from dashboard.health import health
from dashboard.nights import nights
from store import Database

__all__ = ["make_app"]

TEMPLATES = Path(__file__).with_name("templates")


def make_app(database: Database, home: Path, config: LabConfig) -> Starlette:
    """The dashboard of the lab at `home` (its `config`), reading `database`."""
    templates = Jinja2Templates(directory=str(TEMPLATES))
    templates.env.globals["home"] = str(home)

    def index(_request: Request) -> Response:
        return RedirectResponse("/nights", status_code=303)

    def nights_page(request: Request) -> Response:
        with database.transaction() as session:
            found = nights(session)
        return templates.TemplateResponse(
            request, "nights.html", {"nights": found, "page": "nights"}
        )

    def candidates_page(request: Request) -> Response:
        with database.transaction() as session:
            rows = candidate_rows(session)
        return templates.TemplateResponse(
            request, "candidates.html", {"candidates": rows, "page": "candidates"}
        )

    def candidate_page(request: Request) -> Response:
        with database.transaction() as session:
            detail = candidate_detail(session, int(request.path_params["candidate_id"]))
        if detail is None:
            return Response("no such candidate", status_code=404, media_type="text/plain")
        return templates.TemplateResponse(
            request, "candidate.html", {"c": detail, "page": "candidates"}
        )

    def health_page(request: Request) -> Response:
        with database.transaction() as session:
            found = health(session, home, config, database.url)
        return templates.TemplateResponse(request, "health.html", {"h": found, "page": "health"})

    def lineage_svg(_request: Request) -> Response:
        from evolve.charts import lineage_chart
        from evolve.status import history

        with database.transaction() as session:
            lineage = history(session)
        if not lineage.number:
            return Response("no generations yet", status_code=404, media_type="text/plain")
        image = io.BytesIO()
        lineage_chart(lineage, image, "svg")
        return Response(image.getvalue(), media_type="image/svg+xml")

    return Starlette(
        routes=[
            Route("/", index),
            Route("/nights", nights_page),
            Route("/nights/lineage.svg", lineage_svg),
            Route("/candidates", candidates_page),
            Route("/candidates/{candidate_id:int}", candidate_page),
            Route("/health", health_page),
        ]
    )
