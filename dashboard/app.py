"""The dashboard's web application (Starlette): each page's module serves its own routes
(`dashboard.pages`), on one `Board` built here, behind the signed session and the login.

Reading pages are plain GETs. Every change is a POST form carrying the session's CSRF token,
and goes through the same functions as the command line (see `dashboard.review` and
`dashboard.live`).
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import AsyncIterator
from pathlib import Path

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware

from configs import LabConfig
from dashboard.board import Board
from dashboard.guard import RequestGuard, host_names
from dashboard.login import SESSION_HOURS, LoginRequired
from dashboard.pages import MENU, PAGES
from dashboard.security import session_secret
from store import Database

__all__ = ["make_app"]


def make_app(
    database: Database,
    home: Path,
    config: LabConfig,
    names: frozenset[str] = frozenset(),
    beyond: bool = False,
    https: bool = False,
) -> Starlette:
    """The dashboard of the lab at `home` (its `config`), reading and deciding on `database`:
    answering to host `names` (dashboard.guard), listening `beyond` this machine or not, its
    cookie sent over HTTPS only (`https`: served behind an HTTPS proxy)."""
    board = Board(database, home, config, MENU)

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        # What the pages warm up runs in the background: the others answer at once.
        for page in PAGES:
            if hasattr(page, "warm_up"):
                threading.Thread(target=page.warm_up, args=(board,), daemon=True).start()
        yield

    return Starlette(
        lifespan=lifespan,
        routes=[route for page in PAGES for route in page.routes(board)],
        middleware=[
            Middleware(RequestGuard, names=host_names(names)),
            Middleware(
                SessionMiddleware,
                secret_key=session_secret(home),
                session_cookie="gplab_session",
                max_age=int(SESSION_HOURS * 3600),
                same_site="strict",
                https_only=https,
            ),
            Middleware(LoginRequired, home=home, beyond=beyond),
        ],
    )
