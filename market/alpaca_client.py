"""What every alpaca-py client of the lab shares beyond its keys (`configs.credentials`): a
timeout on every HTTP call (alpaca-py sets none, so an unanswered socket would hang forever),
and a hook run before every request (the trading client's rate limit)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = ["impose_timeout"]


def impose_timeout(client: Any, seconds: float, before: Callable[[], None] | None = None) -> None:
    """Give every HTTP call of an alpaca-py client a timeout of `seconds` (connect and read);
    call `before` ahead of each one."""
    session = client._session
    send = session.request

    def request_with_timeout(method: str, url: str, **options: Any) -> Any:
        if before is not None:
            before()
        options.setdefault("timeout", seconds)
        return send(method, url, **options)

    session.request = request_with_timeout
