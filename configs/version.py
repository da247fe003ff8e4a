"""The lab's version: the installed package's, with the git commit when run from a checkout.
Every stored result records it (`store.data_records`), and `--version` prints it."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

__all__ = ["code_version"]


def code_version() -> str:
    """The lab's version, with the git commit when running from a checkout."""
    try:
        text = version("gplab")
    except PackageNotFoundError:
        text = "unknown"
    head = Path(__file__).resolve().parent.parent / ".git" / "HEAD"
    try:
        ref = head.read_text().strip()
        if ref.startswith("ref: "):
            ref = (head.parent / ref[5:]).read_text().strip()
        return f"{text}+{ref[:12]}"
    except OSError:
        return text
