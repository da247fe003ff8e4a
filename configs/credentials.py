"""Alpaca API keys: from the environment only, never shown (the data client's and the trading
client's; `live.alpaca_broker` names the trading keys)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from configs.errors import ConfigurationError

__all__ = ["DATA_KEYS", "Credentials"]

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
