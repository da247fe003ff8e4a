"""The dashboard's web application (Starlette): routes, templates, the session and the forms.

Reading pages are plain GETs. Every change is a POST form carrying the session's CSRF token, and
goes through the same functions as the command line: `promotion.holdout.open_holdout` and
`promotion.lifecycle.decide` for the review (as `promote review`), `live.halt.halt_trading` for
the halt button (as `live halt`).
"""

from __future__ import annotations

import contextlib
import getpass
import io
import threading
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route
from starlette.templating import Jinja2Templates
from starlette.types import ASGIApp, Receive, Scope, Send

from configs import LabConfig
from dashboard.candidates import candidate_detail, candidate_rows
from dashboard.health import health
from dashboard.lab_data import LabData
from dashboard.live import live_page
from dashboard.nights import nights
from dashboard.security import (
    csrf_token,
    has_password,
    same_token,
    session_secret,
    verify_password,
)
from fitness.panel import Panel
from promotion.lifecycle import PromotionError, decide, in_status, reviewer_name
from promotion.review import ValidationEquity, sitting_warnings, validation_equity
from promotion.watch import Watched, watch_strategies
from store import Database
from store.models import Candidate, Generation, Genome, HoldoutResult, LivePlan, Run

__all__ = ["make_app"]

TEMPLATES = Path(__file__).with_name("templates")
_SESSION_HOURS = 12


def make_app(database: Database, home: Path, config: LabConfig) -> Starlette:
    """The dashboard of the lab at `home` (its `config`), reading and deciding on `database`."""
    templates = Jinja2Templates(directory=str(TEMPLATES))
    templates.env.globals["home"] = str(home)
    data = LabData(config)
    reviewer = getpass.getuser()
    halt_file = Path(config.live.halt_file)
    curves: dict[tuple[int, str], ValidationEquity] = {}
    charts: dict[tuple[int, str], bytes] = {}
    lineages: dict[tuple[Any, ...], bytes] = {}
    watches: dict[tuple[Any, ...], list[Watched]] = {}
    watch_lock = threading.Lock()
    draw_lock = threading.Lock()  # pyplot keeps global state: one chart at a time

    def render(
        request: Request, name: str, context: dict[str, Any], status_code: int = 200
    ) -> Response:
        context = context | {
            "csrf": csrf_token(request),
            "flash": request.session.pop("flash", None),
            "signed_in": bool(request.session.get("signed_in")),
            "reviewer": reviewer,
        }
        return templates.TemplateResponse(request, name, context, status_code=status_code)

    async def form_of(request: Request) -> dict[str, str] | Response:
        # The posted fields, or the refusal of a form without this session's token.
        form = await request.form()
        if not same_token(request, form.get("csrf")):
            return Response(
                "this form is stale or came from another site: reload the page and try again",
                status_code=403,
                media_type="text/plain",
            )
        return {k: v for k, v in form.items() if isinstance(v, str)}

    # --- reading pages -----------------------------------------------------------------------

    def index(_request: Request) -> Response:
        return RedirectResponse("/nights", status_code=303)

    def nights_page(request: Request) -> Response:
        with database.transaction() as session:
            found = nights(session)
        return render(request, "nights.html", {"nights": found, "page": "nights"})

    def lineage_svg(_request: Request) -> Response:
        from evolve.charts import lineage_chart
        from evolve.status import history

        with database.transaction() as session:
            key = tuple(session.execute(select(func.max(Generation.id), func.max(Run.id))).one())
            if key not in lineages:
                lineage = history(session)
                if not lineage.number:
                    return Response("no generations yet", status_code=404, media_type="text/plain")
                image = io.BytesIO()
                with draw_lock:
                    lineage_chart(lineage, image, "svg")
                lineages.clear()  # only the newest is asked for
                lineages[key] = image.getvalue()
        return Response(lineages[key], media_type="image/svg+xml")

    def candidates_page(request: Request) -> Response:
        with database.transaction() as session:
            rows = candidate_rows(session)
        return render(request, "candidates.html", {"candidates": rows, "page": "candidates"})

    def validation_curve(candidate_id: int, text: str) -> tuple[Panel, ValidationEquity]:
        # The candidate's validation equity (and buy-and-hold's), measured once per window.
        panel, windows = data.get()
        key = (candidate_id, windows["validation"].id)
        if key not in curves:
            if len(curves) > 64:
                curves.clear()
            curves[key] = validation_equity(panel, windows["validation"], config, text)
        return panel, curves[key]

    def candidate_page(
        request: Request, candidate_id: int, error: str = "", status_code: int = 200
    ) -> Response:
        warnings: list[str] = []
        data_problem = ""
        with database.transaction() as session:
            detail = candidate_detail(session, candidate_id)
            if detail is None:
                return Response("no such candidate", status_code=404, media_type="text/plain")
            if detail.reviewable:
                try:
                    panel, curve = validation_curve(candidate_id, detail.row.text)
                    candidate = session.get_one(Candidate, candidate_id)
                    warnings = sitting_warnings(session, candidate, curve, panel, config)
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
        return render(request, "candidate.html", context, status_code)

    def candidate_get(request: Request) -> Response:
        return candidate_page(request, int(request.path_params["candidate_id"]))

    def validation_svg(request: Request) -> Response:
        from promotion.chart import review_chart

        candidate_id = int(request.path_params["candidate_id"])
        with database.transaction() as session:
            candidate = session.get(Candidate, candidate_id)
            genome = session.get(Genome, candidate.genome_id) if candidate else None
            text = genome.text if genome else None
        if text is None:
            return Response("no such candidate", status_code=404, media_type="text/plain")
        try:
            _, curve = validation_curve(candidate_id, text)
        except Exception as e:  # no chart, and why (the data, or a genome that does not parse)
            return Response(f"no chart: {type(e).__name__}: {e}", 503, media_type="text/plain")
        key = (candidate_id, curve.window.id)
        if key not in charts:
            image = io.BytesIO()
            with draw_lock:
                review_chart(
                    image,
                    f"candidate {candidate_id}: {text}",
                    curve.dates,
                    curve.equity,
                    curve.market,
                    curve.text(),
                    "svg",
                )
            if len(charts) > 64:
                charts.clear()
            charts[key] = image.getvalue()
        return Response(charts[key], media_type="image/svg+xml")

    def review_next(request: Request) -> Response:
        # The first candidate waiting for the review (after ?after=N: past the skipped ones).
        asked = request.query_params.get("after", "")
        after = int(asked) if asked.isdigit() else 0
        with database.transaction() as session:
            waiting = [c.id for c in in_status(session, "gate_passed")]
        later = [n for n in waiting if n > after]
        if not later:
            context = {"page": "candidates", "waiting": waiting}
            return render(request, "review_done.html", context)
        return RedirectResponse(f"/candidates/{later[0]}", status_code=303)

    def watched_strategies() -> tuple[list[Watched], str]:
        try:
            panel, windows = data.get()
        except Exception as e:  # the page shows the account, and why the watch is missing
            return [], f"{type(e).__name__}: {e}"
        with database.transaction() as session:
            newest = session.scalar(select(func.max(LivePlan.id)))
            statuses = tuple(
                session.execute(select(Candidate.id, Candidate.status).order_by(Candidate.id))
            )
            key = (panel.fingerprint, newest, statuses)
            with watch_lock:
                if key not in watches:
                    watches.clear()
                    watches[key] = watch_strategies(session, panel, windows, config)
                return watches[key], ""

    def live_get(request: Request) -> Response:
        from live.halt import HaltSwitch

        watched, problem = watched_strategies()
        halted = HaltSwitch(halt_file).reason()
        with database.transaction() as session:
            found = live_page(session, halted, str(halt_file), watched, problem)
            return render(request, "live.html", {"live": found, "page": "live"})

    def health_page(request: Request) -> Response:
        with database.transaction() as session:
            found = health(session, home, config, database.url)
        return render(request, "health.html", {"h": found, "page": "health"})

    # --- forms ---------------------------------------------------------------------------------

    async def holdout_post(request: Request) -> Response:
        from promotion.holdout import open_holdout

        form = await form_of(request)
        if isinstance(form, Response):
            return form
        candidate_id = int(request.path_params["candidate_id"])

        def work() -> str:
            panel, windows = data.get()
            with database.transaction() as session:
                candidate = session.get(Candidate, candidate_id)
                if candidate is None or candidate.status != "gate_passed":
                    raise PromotionError(
                        f"candidate {candidate_id} is not waiting for the review: the holdout is "
                        "opened for candidates that passed the gate"
                    )
                by = reviewer_name(form.get("by", ""))
                _, now = open_holdout(
                    session, candidate, panel, windows["holdout"], config.backtest, by
                )
            return "holdout opened now, for the first and only time" if now else "holdout: stored"

        return await _act(request, work, f"/candidates/{candidate_id}", on_page(candidate_id))

    async def decision_post(request: Request) -> Response:
        form = await form_of(request)
        if isinstance(form, Response):
            return form
        candidate_id = int(request.path_params["candidate_id"])
        action = form.get("action", "")
        if action == "skip":
            request.session["flash"] = f"skipped: candidate {candidate_id} stays gate_passed"
            return RedirectResponse(f"/review?after={candidate_id}", status_code=303)

        def work() -> str:
            with database.transaction() as session:
                candidate = session.get(Candidate, candidate_id)
                if candidate is None:
                    raise PromotionError(f"no candidate {candidate_id}")
                if action in ("approve", "reject") and (
                    session.get(HoldoutResult, candidate_id) is None
                ):
                    raise PromotionError(
                        "open the holdout first: the review shows it before any decision, as "
                        "`promote review` does"
                    )
                decision = decide(
                    session, candidate, action, form.get("by", ""), form.get("note", "")
                )
                return (
                    f"recorded: candidate {candidate_id} {decision.to_status} by "
                    f"{decision.reviewer}"
                )

        if action == "retire":  # from the Live page's decay watch: back there either way
            return await _act(request, work, "/live", flashed("/live"))
        return await _act(request, work, f"/candidates/{candidate_id}", on_page(candidate_id))

    async def _act(
        request: Request,
        work: Callable[[], str],
        back: str,
        refused: Callable[[Request, str], Response],
    ) -> Response:
        # Do `work` (which says what it recorded) and go `back`; a refusal is shown by `refused`.
        try:
            request.session["flash"] = await run_in_threadpool(work)
        except PromotionError as e:
            return refused(request, str(e))
        return RedirectResponse(back, status_code=303)

    def on_page(candidate_id: int) -> Callable[[Request, str], Response]:
        def refused(request: Request, why: str) -> Response:
            return candidate_page(request, candidate_id, error=why, status_code=400)

        return refused

    def flashed(back: str) -> Callable[[Request, str], Response]:
        def refused(request: Request, why: str) -> Response:
            request.session["flash"] = f"not recorded: {why}"
            return RedirectResponse(back, status_code=303)

        return refused

    async def halt_post(request: Request) -> Response:
        from live.halt import halt_trading

        form = await form_of(request)
        if isinstance(form, Response):
            return form
        reason = form.get("reason", "").strip() or "halted from the dashboard"
        warning = await run_in_threadpool(
            halt_trading, halt_file, lambda: database, reason, form.get("by") or reviewer
        )
        request.session["flash"] = "trading halted" + (f"; warning: {warning}" if warning else "")
        return RedirectResponse("/live", status_code=303)

    def login_get(request: Request) -> Response:
        return render(request, "login.html", {"page": "login", "error": ""})

    async def login_post(request: Request) -> Response:
        form = await form_of(request)
        if isinstance(form, Response):
            return form
        if not await run_in_threadpool(verify_password, home, form.get("password", "")):
            return render(request, "login.html", {"page": "login", "error": "wrong password"}, 401)
        csrf = request.session.get("csrf")
        request.session.clear()  # a new session on signing in
        request.session.update({"signed_in": True, "csrf": csrf})
        return RedirectResponse("/nights", status_code=303)

    async def logout_post(request: Request) -> Response:
        form = await form_of(request)
        if isinstance(form, Response):
            return form
        request.session.clear()
        return RedirectResponse("/login", status_code=303)

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        # Read the market data and compile the signal code before the first page asks for them
        # (a few seconds on a Pi), in the background: the pages that do not need them answer
        # at once.
        threading.Thread(target=watched_strategies, name="warm-up", daemon=True).start()
        yield

    return Starlette(
        lifespan=lifespan,
        routes=[
            Route("/", index),
            Route("/nights", nights_page),
            Route("/nights/lineage.svg", lineage_svg),
            Route("/candidates", candidates_page),
            Route("/candidates/{candidate_id:int}", candidate_get),
            Route("/candidates/{candidate_id:int}/validation.svg", validation_svg),
            Route("/candidates/{candidate_id:int}/holdout", holdout_post, methods=["POST"]),
            Route("/candidates/{candidate_id:int}/decision", decision_post, methods=["POST"]),
            Route("/review", review_next),
            Route("/live", live_get),
            Route("/live/halt", halt_post, methods=["POST"]),
            Route("/health", health_page),
            Route("/login", login_get),
            Route("/login", login_post, methods=["POST"]),
            Route("/logout", logout_post, methods=["POST"]),
        ],
        middleware=[
            Middleware(
                SessionMiddleware,
                secret_key=session_secret(home),
                session_cookie="gplab_session",
                max_age=_SESSION_HOURS * 3600,
                same_site="strict",
            ),
            Middleware(LoginRequired, home=home),
        ],
    )


class LoginRequired:
    """Every page but the login asks for the password while one is set."""

    def __init__(self, app: ASGIApp, home: Path) -> None:
        self.app = app
        self.home = home

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] == "http"
            and scope["path"] != "/login"
            and not scope["session"].get("signed_in")
            and has_password(self.home)
        ):
            await RedirectResponse("/login", status_code=303)(scope, receive, send)
            return
        await self.app(scope, receive, send)
