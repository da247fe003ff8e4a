"""The genome package's error."""

from __future__ import annotations

from configs import InputError
from configs.output import shown

__all__ = ["GenomeError"]


class GenomeError(InputError):
    """A genome text or tree that is not a valid genome. `position` is the 0-based character
    offset in the text where the problem is (None when there is no text)."""

    def __init__(self, reason: str, position: int | None = None, text: str = "") -> None:
        where = f"at position {position}: " if position is not None else ""
        quoted = shown(text, 120)  # control characters escaped: the text may come from anywhere
        super().__init__(f"genome error {where}{reason}" + (f" (in: {quoted})" if text else ""))
        self.reason = reason
        self.position = position
