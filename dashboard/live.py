"""The Live page: the newest account (positions, settled and unsettled cash, the plan of its
newest session, its orders and fills, the last reconciliation), halted or not, and the decay
watch with the paper P&L of every approved or live strategy."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from configs.alerts import alert
from configs.output import shown
from dashboard.board import Board, text
from live.errors import LiveInputError
from live.halt import HaltFailed, HaltSwitch, halt_trading
from live.status import AccountView, account_view
from promotion.lifecycle import genome_texts
from promotion.watch import Watched, watch_strategies
from store.models import Candidate, LivePlan

__all__ = ["LivePage", "live_page", "routes", "warm_up", "watched_strategies"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LivePage:
    """What the Live page shows: halt state, the account, the newest plan's weights, watched
    strategies."""

    halted: str | None
    halt_file: str
    view: AccountView | None
    missing: str  # why there is no account to show
    # Of the newest plan: genome id, text, weight, capital; and the strategies left out.
    weights: list[tuple[str, str, float, float]]
    excluded: dict[str, str]
    watched: list[Watched]
    watch_problem: str  # why the decay watch could not run (the data cannot be read, ...)

    @property
    def paper_pnl(self) -> float:
        """The summed paper P&L of the watched (approved, not yet trading) strategies."""
        return sum(w.pnl or 0.0 for w in self.watched)


def live_page(
    session: Session,
    halted: str | None,
    halt_file: str,
    watched: list[Watched],
    watch_problem: str,
) -> LivePage:
    """The Live page's content (an account view, or why there is none)."""
    try:
        view: AccountView | None = account_view(session, None)
    except LiveInputError as e:
        view, missing = None, str(e)
    else:
        missing = ""
    weights: list[tuple[str, str, float, float]] = []
    excluded: dict[str, str] = {}
    if view is not None and view.plan is not None:
        record = view.plan.strategy_weights()
        excluded = {gid: w["excluded"] for gid, w in record.items() if "excluded" in w}
        texts = genome_texts(session, list(record))
        weights = [
            (gid, texts.get(gid, "?"), float(w["weight"]), float(w["capital"]))
            for gid, w in sorted(record.items())
        ]
    return LivePage(halted, halt_file, view, missing, weights, excluded, watched, watch_problem)


def routes(board: Board) -> list[Route]:
    """The Live page and its Halt form."""

    def page(request: Request) -> Response:
        halted = HaltSwitch(board.halt_file).reason()
        try:
            watched, problem = watched_strategies(board)
            with board.database.transaction() as session:
                found = live_page(session, halted, str(board.halt_file), watched, problem)
            # Once the transaction has ended, so that the rows it left out are counted.
            return board.render(request, "live.html", {"live": found, "page": "live"})
        except Exception as e:  # whatever the stored account holds, the Halt button is shown
            log.exception("the Live page could not show the account")
            why = shown(f"the account cannot be shown ({type(e).__name__}: {e})", 400)
            bare = LivePage(halted, str(board.halt_file), None, why, [], {}, [], "")
            return board.render(request, "live.html", {"live": bare, "page": "live"}, 503)

    async def halt(request: Request) -> Response:
        # The halt button: the same function as `live halt`.
        form = await board.form(request)
        if isinstance(form, Response):
            return form
        reason = form.get("reason", "").strip() or "halted from the dashboard"
        by = form.get("by") or board.reviewer_of(request)
        try:
            halted, warning = await run_in_threadpool(
                halt_trading, board.halt_file, lambda: board.database, reason, by
            )
        except HaltFailed as e:
            alert("halted", "live trading NOT halted: the HALT file cannot be made", str(e))
            return text(f"{e}\nHalt from the Pi's shell: touch {board.halt_file}\n", 503)
        alert("halted", "live trading halted", f"{halted.reason} (from the dashboard)")
        notes = [
            n
            for n in (halted.unwritten and f"HALT holds no reason ({halted.unwritten})", warning)
            if n
        ]
        request.session["flash"] = "trading halted" + "".join(f"; warning: {n}" for n in notes)
        return RedirectResponse("/live", status_code=303)

    return [Route("/live", page), Route("/live/halt", halt, methods=["POST"])]


def watched_strategies(board: Board) -> tuple[list[Watched], str]:
    """The decay watch of every approved or live strategy, measured once per data, plan and
    statuses; or none, and why (the data cannot be read, ...)."""
    try:
        panel, windows = board.data.get()
    except Exception as e:  # the page shows the account, and why the watch is missing
        return [], f"{type(e).__name__}: {e}"
    with board.database.transaction() as session:
        newest = session.scalar(select(func.max(LivePlan.id)))
        statuses = tuple(
            session.execute(select(Candidate.id, Candidate.status).order_by(Candidate.id))
        )
        key = (panel.fingerprint, newest, statuses)
        found = board.watch.get(
            key, lambda: watch_strategies(session, panel, windows, board.config)
        )
        return found, ""


def warm_up(board: Board) -> None:
    """Read the market data and compile the signal code before the first page asks for them (a
    few seconds on a Pi)."""
    watched_strategies(board)
