"""Text from files, the database or a user, made safe to print on a terminal, in a log or on a
page: control characters escaped (an escape sequence in a genome text must not retitle the
terminal or rewrite the journal), and long texts cut with their full length shown."""

from __future__ import annotations

__all__ = ["shown"]


def shown(text: str, limit: int = 200) -> str:
    r"""`text` with every control character written as its escape (`\x1b`, `\n`), cut to `limit`
    characters with the full length noted when longer."""
    cut = text if len(text) <= limit else text[:limit]
    safe = "".join(c if c.isprintable() else repr(c)[1:-1] for c in cut)
    return safe if cut is text else f"{safe}... ({len(text):,} characters)"
