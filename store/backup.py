"""Rotating backups of a SQLite `research.db`, taken with SQLite's online backup API (consistent
even while another process reads it)."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

__all__ = ["backup_sqlite"]


def backup_sqlite(database: Path, folder: Path, keep: int, now: dt.datetime) -> Path | None:
    """Copy `database` to `folder/<stem>-YYYYmmddTHHMMSS.db` and delete all but the newest
    `keep` copies. Returns the new copy, or None when there is no database yet."""
    if not database.exists():
        return None
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{database.stem}-{now:%Y%m%dT%H%M%S}.db"
    partial = target.with_suffix(".partial")
    source = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    try:
        copy = sqlite3.connect(partial)
        try:
            source.backup(copy)
        finally:
            copy.close()
    finally:
        source.close()
    partial.replace(target)
    copies = sorted(folder.glob(f"{database.stem}-*.db"))
    for old in copies[: max(0, len(copies) - keep)]:
        old.unlink()
    return target
