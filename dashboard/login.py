"""Signing in and out, and the rule that every page but the sign-in asks for the password while
one is set (`live dashboard --set-password`).

Sign-ins are rate-limited: after `FAILURES` wrong passwords within `WINDOW_SECONDS`, every
attempt is refused unchecked (429) until the window has passed, and an alert says so once per
burst. A session is signed in only while it is listed in the lab's session file
(`dashboard.security.Sessions`).
"""

from __future__ import annotations

import threading
import time
from collections import deque
from pathlib import Path

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from configs.alerts import alert
from dashboard.board import Board, text
from dashboard.security import Sessions, password_state, verify_password

__all__ = ["FAILURES", "WINDOW_SECONDS", "LoginRequired", "routes"]

FAILURES = 5
WINDOW_SECONDS = 60.0
SESSION_HOURS = 12.0


class _Attempts:
    """The recent failed sign-ins (of every caller: one person signs in to a lab)."""

    def __init__(self) -> None:
        self.failed: deque[float] = deque()
        self.lock = threading.Lock()

    def blocked(self) -> bool:
        with self.lock:
            self._forget()
            return len(self.failed) >= FAILURES

    def fail(self) -> bool:
        """Count a failure; True when it is the one that blocks further attempts."""
        with self.lock:
            self._forget()
            self.failed.append(time.monotonic())
            return len(self.failed) == FAILURES

    def _forget(self) -> None:
        while self.failed and self.failed[0] < time.monotonic() - WINDOW_SECONDS:
            self.failed.popleft()


def routes(board: Board) -> list[Route]:
    """The login page, signing in and signing out."""

    def page(request: Request) -> Response:
        return board.render(request, "login.html", {"page": "login", "error": ""})

    attempts = _Attempts()
    sessions = Sessions(board.home)

    async def sign_in(request: Request) -> Response:
        form = await board.form(request)
        if isinstance(form, Response):
            return form
        if attempts.blocked():
            return text(f"too many wrong passwords: try again in {WINDOW_SECONDS:.0f} s", 429)
        if not await run_in_threadpool(verify_password, board.home, form.get("password", "")):
            if attempts.fail():
                alert(
                    "login_failed",
                    "dashboard: repeated wrong passwords",
                    f"{FAILURES} wrong passwords within {WINDOW_SECONDS:.0f} s on the dashboard "
                    f"of {board.home}; sign-ins are refused for a while",
                )
            context = {"page": "login", "error": "wrong password"}
            return board.render(request, "login.html", context, 401)
        csrf = request.session.get("csrf")
        request.session.clear()  # a new session on signing in
        sid = await run_in_threadpool(sessions.start, SESSION_HOURS)
        request.session.update({"signed_in": True, "sid": sid, "csrf": csrf})
        return RedirectResponse("/nights", status_code=303)

    async def sign_out(request: Request) -> Response:
        form = await board.form(request)
        if isinstance(form, Response):
            return form
        await run_in_threadpool(sessions.end, request.session.get("sid"))
        request.session.clear()
        return RedirectResponse("/login", status_code=303)

    return [
        Route("/login", page),
        Route("/login", sign_in, methods=["POST"]),
        Route("/logout", sign_out, methods=["POST"]),
    ]


class LoginRequired:
    """Every page but the login asks for the password while one is set; a dashboard that
    listens beyond this machine (`beyond`) serves nothing without a readable password."""

    def __init__(self, app: ASGIApp, home: Path, beyond: bool) -> None:
        self.app = app
        self.home = home
        self.beyond = beyond
        self.sessions = Sessions(home)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Refuse while the password is missing or unreadable beyond this machine; redirect a
        visitor not signed in to the login page while a password is set."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        state = password_state(self.home)
        if state == "unreadable" or (self.beyond and state == "none"):
            why = "cannot be read" if state == "unreadable" else "is missing"
            answer = text(
                f"the dashboard's password file {why}, so it serves nobody: set a password "
                "with `live dashboard --set-password` on the lab's machine",
                503,
            )
            await answer(scope, receive, send)
            return
        session = scope["session"]
        signed_in = session.get("signed_in") and self.sessions.valid(session.get("sid"))
        if scope["path"] != "/login" and not signed_in and state == "set":
            await RedirectResponse("/login", status_code=303)(scope, receive, send)
            return
        await self.app(scope, receive, send)
