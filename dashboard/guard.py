"""Who may ask the dashboard anything, checked before any page runs.

- **Host.** A page on another site can make the user's browser reach the dashboard through DNS
  rebinding (its own name, resolved to this machine): the request then names that site in its
  Host header. Only these names are answered: an IP address (a browser that typed one is on
  the dashboard's own origin), `localhost`, this machine's host name (and `<name>.local`), and
  the names given with `live dashboard --name`. Anything else: 421.
- **Origin.** Every POST must come from a page of the dashboard itself: its Origin header (or,
  without one, its Referer) names the same host and port as the request. Anything else,
  missing headers included: 403. With the session's CSRF token this is belt and braces.
- **Size.** A request body is at most `MAX_BODY` bytes, refused (413) before it is read.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable
from urllib.parse import urlsplit

from starlette.datastructures import Headers
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["MAX_BODY", "RequestGuard", "host_names"]

MAX_BODY = 64 * 1024  # the dashboard's forms are a few hundred bytes


def host_names(configured: Iterable[str] = ()) -> frozenset[str]:
    """The names (besides IP addresses) the dashboard answers to, lower case."""
    own = socket.gethostname().lower()
    return frozenset({"localhost", own, f"{own}.local", *(n.lower() for n in configured)})


class RequestGuard:
    """The Host, Origin and size checks of the module docstring, as ASGI middleware."""

    def __init__(self, app: ASGIApp, names: frozenset[str]) -> None:
        self.app = app
        self.names = names

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Answer a refused request at once; pass the others on, their body counted."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        host = headers.get("host", "")
        refusal = None
        if not self._known(host):
            refusal = 421, f"this dashboard does not answer to the name {host!r}"
        elif scope["method"] not in ("GET", "HEAD") and not _same_origin(headers, host):
            refusal = 403, "a form may be sent only from the dashboard's own pages"
        elif int(headers.get("content-length") or 0) > MAX_BODY:
            refusal = 413, f"a request body may have at most {MAX_BODY} bytes"
        if refusal is not None:
            status, why = refusal
            await PlainTextResponse(why + "\n", status_code=status)(scope, receive, send)
            return
        started = False

        async def sending(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, _counted(receive), sending)
        except _TooLarge as e:
            if started:
                raise
            await PlainTextResponse(f"{e}\n", status_code=413)(scope, receive, send)

    def _known(self, host: str) -> bool:
        name = _hostname(host)
        if not name:
            return False
        try:
            ipaddress.ip_address(name)
        except ValueError:
            return name in self.names
        return True


def _hostname(host: str) -> str:
    # "name:8765" -> "name"; "[::1]:8765" -> "::1".
    return (urlsplit(f"//{host}").hostname or "").lower()


def _same_origin(headers: Headers, host: str) -> bool:
    origin = headers.get("origin") or headers.get("referer")
    if not origin or origin == "null":
        return False
    return urlsplit(origin).netloc.lower() == host.lower()


class _TooLarge(Exception):
    pass


def _counted(receive: Receive) -> Receive:
    # A body sent without Content-Length (chunked) is cut off once it passes MAX_BODY.
    seen = 0

    async def counted() -> Message:
        nonlocal seen
        message = await receive()
        if message["type"] == "http.request":
            seen += len(message.get("body", b""))
            if seen > MAX_BODY:
                raise _TooLarge(f"a request body may have at most {MAX_BODY} bytes")
        return message

    return counted
