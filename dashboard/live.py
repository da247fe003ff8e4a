"""The Live page: the newest account (positions, settled and unsettled cash, the plan of its
newest session, its orders and fills, the last reconciliation), halted or not, and the decay
watch with the paper P&L of every approved or live strategy."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from configs.alerts import alert
from configs.output import shown
from dashboard.board import Board, text
from dashboard.charts import WIDE, svg, thin
from live.errors import LiveInputError
from live.halt import HaltFailed, HaltSwitch, halt_trading
from live.statement import Statement, account_statement
from live.status import (
    AccountHistory,
    AccountView,
    account_history,
    account_view,
    accounts,
)
from market.panel import Panel
from promotion.chart import review_chart
from promotion.incubation import Incubating, incubating
from promotion.lifecycle import genome_texts
from promotion.watch import Watched, watch_strategies
from store.models import Candidate, LiveAccount, LivePlan

__all__ = ["LivePage", "live_page", "routes", "warm_up", "watched_strategies"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LivePage:
    """What the Live page shows: halt state, the accounts, the chosen account (its statement,
    plan and history), watched strategies."""

    halted: str | None
    halt_file: str
    view: AccountView | None
    missing: str  # why there is no account to show
    # Of the newest plan: genome id, text, weight, capital; and the strategies left out.
    weights: list[tuple[str, str, float, float]]
    excluded: dict[str, str]
    watched: list[Watched]
    watch_problem: str  # why the decay watch could not run (the data cannot be read, ...)
    accounts: list[LiveAccount] = field(default_factory=list)
    statement: Statement | None = None
    statement_problem: str = ""  # why there is no statement (no data, no session yet...)
    history: AccountHistory | None = None
    candidates: dict[str, int] = field(default_factory=dict)  # genome id -> candidate number
    incubating: list[Incubating] = field(default_factory=list)  # on paper until confirmed

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
    account: str | None = None,
    page: int = 1,
    panel: Panel | None = None,
) -> LivePage:
    """The Live page's content for `account` (default: the newest), its history at `page`, its
    statement marked on `panel` (an account view, or why there is none)."""
    try:
        view: AccountView | None = account_view(session, account)
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
    statement, problem = None, "the market data could not be read"
    if view is not None and view.unshown is not None:
        problem = view.unshown
    elif view is not None and panel is not None:
        statement = account_statement(session, view.account, panel)
        problem = "" if statement is not None else "no session of it is in the market data yet"
    return LivePage(
        halted,
        halt_file,
        view,
        missing,
        weights,
        excluded,
        watched,
        watch_problem,
        accounts=accounts(session),
        statement=statement,
        statement_problem=problem,
        history=account_history(session, view.account.id, page) if view is not None else None,
        candidates={g: n for g, n in session.execute(select(Candidate.genome_id, Candidate.id))},
    )


def routes(board: Board) -> list[Route]:
    """The Live page and its Halt form."""

    def page(request: Request) -> Response:
        halted = HaltSwitch(board.halt_file).reason()
        account = request.query_params.get("account") or None
        asked = request.query_params.get("page", "1")
        number = int(asked) if asked.isdigit() and len(asked) < 7 else 1
        try:
            watched, problem = watched_strategies(board)
            panel = _panel(board)
            with board.database.transaction() as session:
                found = live_page(
                    session, halted, str(board.halt_file), watched, problem, account, number, panel
                )
                found = replace(found, incubating=incubating(session, board.config.incubation))
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

    def equity_svg(request: Request) -> Response:
        account = request.query_params.get("account") or None
        panel = _panel(board)
        if panel is None:
            return text("no chart: the market data cannot be read", 503)
        with board.database.transaction() as session:
            try:
                view = account_view(session, account)
            except LiveInputError as e:
                return text(f"no chart: {e}", 404)
            if view.unshown is not None:
                return text(f"no chart: {view.unshown}", 404)
            statement = account_statement(session, view.account, panel)
            name = view.account.name
        if statement is None:
            return text("no chart: no session of this account is in the market data yet", 404)
        key = ("account", name, statement.day.isoformat(), float(statement.equity[-1]))
        return Response(
            board.charts.get(key, lambda: _account_chart(name, statement)),
            media_type="image/svg+xml",
        )

    return [
        Route("/live", page),
        Route("/live/halt", halt, methods=["POST"]),
        Route("/live/equity.svg", equity_svg),
    ]


def _panel(board: Board) -> Panel | None:
    try:
        return board.data.get()[0]
    except Exception:  # the page shows the account without its marking, and says why
        return None


def _account_chart(name: str, statement: Statement) -> bytes:
    days = thin([statement.equity, statement.market])
    curves = [
        (f"account {name}", statement.equity[days]),
        ("buy-and-hold of the universe, no costs", statement.market[days]),
    ]
    if statement.benchmark is not None:
        curves.append((statement.benchmark_symbol, statement.benchmark[days]))
    return svg(
        lambda image: review_chart(
            image,
            f"account {name}: equity against buy-and-hold",
            statement.dates[days],
            curves,
            f"sessions {statement.dates[1]}..{statement.day}",
            "svg",
            WIDE,
        )
    )


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
