"""Signing in and out, and the rule that every page but the sign-in asks for the password while
one is set (`live dashboard --set-password`)."""

from __future__ import annotations

from pathlib import Path

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from dashboard.board import Board
from dashboard.security import has_password, verify_password

__all__ = ["LoginRequired", "routes"]


def routes(board: Board) -> list[Route]:
    """The login page, signing in and signing out."""

    def page(request: Request) -> Response:
        return board.render(request, "login.html", {"page": "login", "error": ""})

    async def sign_in(request: Request) -> Response:
        form = await board.form(request)
        if isinstance(form, Response):
            return form
        if not await run_in_threadpool(verify_password, board.home, form.get("password", "")):
            context = {"page": "login", "error": "wrong password"}
            return board.render(request, "login.html", context, 401)
        csrf = request.session.get("csrf")
        request.session.clear()  # a new session on signing in
        request.session.update({"signed_in": True, "csrf": csrf})
        return RedirectResponse("/nights", status_code=303)

    async def sign_out(request: Request) -> Response:
        form = await board.form(request)
        if isinstance(form, Response):
            return form
        request.session.clear()
        return RedirectResponse("/login", status_code=303)

    return [
        Route("/login", page),
        Route("/login", sign_in, methods=["POST"]),
        Route("/logout", sign_out, methods=["POST"]),
    ]


class LoginRequired:
    """Every page but the login asks for the password while one is set."""

    def __init__(self, app: ASGIApp, home: Path) -> None:
        self.app = app
        self.home = home

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Redirect a visitor not signed in to the login page while a password is set."""
        if (
            scope["type"] == "http"
            and scope["path"] != "/login"
            and not scope["session"].get("signed_in")
            and has_password(self.home)
        ):
            await RedirectResponse("/login", status_code=303)(scope, receive, send)
            return
        await self.app(scope, receive, send)
