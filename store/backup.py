"""Rotating, compact backups of a SQLite `research.db`.

A copy is made with `VACUUM INTO` (SQLite's consistent online copy, without the free pages that
pruning leaves), compressed with gzip, and renamed into place only once complete: a crash or a
full disk leaves no partial file behind. Before writing, the disk must have room for the copy
and its compressed form; otherwise no backup is made and the reason is raised. Restore with
`gunzip -c backups/research-<time>.db.gz > research.db` while nothing runs.
"""

from __future__ import annotations

import datetime as dt
import gzip
import shutil
import sqlite3
from pathlib import Path

from configs import ServiceError
from configs.lab_folder import backups

__all__ = ["BackupSkipped", "backup_sqlite", "backups", "rotate_backups"]


class BackupSkipped(ServiceError):
    """No backup was made (not enough disk space, or the copy failed); nothing was left
    behind."""


def backup_sqlite(
    database: Path, folder: Path, now: dt.datetime, min_free_mb: int = 0
) -> Path | None:
    """Copy `database` to `folder/<stem>-YYYYmmddTHHMMSS.db.gz` (`rotate_backups` then keeps
    the newest few). Returns the new copy, or None when there is no database yet. Half-written
    files of a backup that was killed are removed first.

    Raises:
        BackupSkipped: the disk would keep less than `min_free_mb` after the copy, or writing
            it failed (disk full, ...); no partial file is left.
    """
    if not database.exists():
        return None
    folder.mkdir(parents=True, exist_ok=True)
    for leftover in folder.glob(f"{database.stem}-*.partial*"):
        leftover.unlink(missing_ok=True)
    target = folder / f"{database.stem}-{now:%Y%m%dT%H%M%S}.db.gz"
    copy = folder / f"{target.name}.copy.partial"
    packed = folder / f"{target.name}.partial"
    source = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    try:
        used = _used_bytes(source)
        free = shutil.disk_usage(folder).free
        if free - 2 * used < min_free_mb * 2**20:
            raise BackupSkipped(
                f"no backup of {database}: {free / 2**20:.0f} MB free in {folder}, the copy "
                f"needs up to {2 * used / 2**20:.0f} MB and store.min_free_mb = {min_free_mb}"
            )
        source.execute("VACUUM INTO ?", (str(copy),))
        with copy.open("rb") as raw, gzip.open(packed, "wb", compresslevel=6) as out:
            shutil.copyfileobj(raw, out, 2**20)
        packed.replace(target)
    except (OSError, sqlite3.Error) as e:
        raise BackupSkipped(f"no backup of {database}: writing to {folder} failed ({e})") from e
    finally:
        source.close()
        for partial in (copy, Path(f"{copy}-journal"), packed):
            partial.unlink(missing_ok=True)
    return target


def rotate_backups(folder: Path, stem: str, keep: int) -> None:
    """Delete all but the newest `keep` finished backups of database `<stem>` in `folder`."""
    copies = backups(folder, stem)
    for old in copies[: max(0, len(copies) - keep)]:
        old.unlink()


def _used_bytes(connection: sqlite3.Connection) -> int:
    (page_size,) = connection.execute("PRAGMA page_size").fetchone()
    (pages,) = connection.execute("PRAGMA page_count").fetchone()
    (free,) = connection.execute("PRAGMA freelist_count").fetchone()
    return int(page_size) * (int(pages) - int(free))
