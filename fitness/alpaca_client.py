"""What every alpaca-py client of the lab shares: keys from the environment only, never shown;
a timeout on every HTTP call (alpaca-py sets none, so an unanswered socket would hang forever);
and a hook run before every request (the trading client's rate limit)."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from configs import ConfigurationError

__all__ = ["DATA_KEYS", "Credentials", "impose_timeout"]

DATA_KEYS = ("APCA_API_KEY_ID", "APCA_API_SECRET_KEY")


@dataclass(frozen=True)
class Credentials:
    """Alpaca API keys (never shown in a repr)."""

    key_id: str = field(repr=False)
    secret_key: str = field(repr=False)

    @classmethod
    def from_environment(
        cls, names: tuple[str, str] = DATA_KEYS, needed_for: str = "data.source = 'alpaca'"
    ) -> Credentials:
        """The keys from the environment variables `names`; ConfigurationError if one is missing."""
        key, secret = (os.environ.get(name, "") for name in names)
        if not key or not secret:
            raise ConfigurationError(
                f"{needed_for} needs {names[0]} and {names[1]} in the environment"
            )
        return cls(key, secret)

    def scrub(self, text: str) -> str:
        """`text` with the keys replaced by ***."""
        for secret in (self.key_id, self.secret_key):
            text = text.replace(secret, "***")
        return text


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
