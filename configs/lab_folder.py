"""What a lab's folder holds, looked at before any command opens its research database.

A folder is a lab when it holds its mark (`.gplab`, written once the lab's database was made)
or a research.db. A lab whose mark is there and whose SQLite research database is not has lost
it: no command makes an empty one in its place (the nights would then rotate the good backups
out), and each says where the newest backup is and how to restore it. A research database that
is not a SQLite file (a `.db.gz` backup copied in without `gunzip`, random bytes) is refused the
same way. Only regular files are read, a few bytes, and never waited on.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import shutil
import stat
from pathlib import Path

from configs.output import shown

__all__ = [
    "LAB_MARK",
    "backups",
    "database_file_problem",
    "full_disk",
    "is_lab",
    "mark_lab",
    "restore_advice",
]

LAB_MARK = ".gplab"  # written once the lab's database exists (a PostgreSQL lab has no research.db)
_SQLITE = b"SQLite format 3\x00"  # the first 16 bytes of every SQLite database file
_GZIP = b"\x1f\x8b"
_NEARLY_FULL = 2**20  # bytes free under which SQLite's "disk I/O error" is a full disk


def is_lab(home: Path) -> bool:
    """Whether `home` is a lab's folder: it holds its mark or a research.db."""
    return (home / LAB_MARK).exists() or (home / "research.db").exists()


def mark_lab(home: Path) -> None:
    """Write the lab's mark in `home` (its database exists now); a folder that cannot be written
    (a read-only disk) is left as it is."""
    mark = home / LAB_MARK
    if mark.exists():
        return
    with contextlib.suppress(OSError):
        mark.write_text("This folder is a gplab lab (its research.db, HALT, logs, backups).\n")


def backups(folder: Path, stem: str = "research") -> list[Path]:
    """The finished backups of database `<stem>` in `folder`, oldest first (never a
    half-written `.partial` file): the `.db.gz` copies, and the plain `.db` of earlier
    versions."""
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.glob(f"{stem}-*.db*") if p.name.endswith((".db.gz", ".db")))


def restore_advice(database: Path, backup_dir: Path) -> str:
    """How to put the newest backup of `database` in its place, as a command to type."""
    found = backups(backup_dir, database.stem)
    if not found:
        return f"no backup of it is in {shown(str(backup_dir))}"
    newest, target = shlex.quote(str(found[-1])), shlex.quote(str(database))
    command = (
        f"gunzip -c {newest} > {target}"
        if found[-1].name.endswith(".gz")
        else f"cp {newest} {target}"
    )
    return f"restore the newest backup, while nothing of the lab runs: {shown(command, 1000)}"


def database_file_problem(home: Path, database: Path, backup_dir: Path, create: bool) -> str | None:
    """What stops the SQLite research database `database` of the lab at `home` from being used,
    in one line with the way out, or None: it is missing from a lab (unless `create`), it is
    not a regular file, or it is not a SQLite database."""
    where = shown(str(database))
    try:
        found = os.stat(database)
    except FileNotFoundError:
        if create or not (home / LAB_MARK).exists():
            return None  # a new lab: its first night or `evolve init` makes the database
        return (
            f"the research database {where} is missing, and {shown(str(home))} is a lab (its "
            f"{LAB_MARK} is there): nothing was made in its place; "
            f"{restore_advice(database, backup_dir)} (or pass --create for a new, empty one)"
        )
    except OSError as e:
        return f"the research database {where} cannot be read ({e.strerror})"
    if not stat.S_ISREG(found.st_mode):
        return f"the research database {where} is not a regular file; " + restore_advice(
            database, backup_dir
        )
    if found.st_size == 0:
        if not (home / LAB_MARK).exists():
            return None  # an empty file is an empty SQLite database: a new lab
        head = b""
    else:
        try:
            head = _first_bytes(database, len(_SQLITE))
        except OSError as e:
            return f"the research database {where} cannot be read ({e.strerror})"
    if head == _SQLITE:
        return None
    what = (
        "a gzip file (a backup copied in without gunzip?)"
        if head.startswith(_GZIP)
        else "empty"
        if not head
        else f"not a SQLite database (it starts with {shown(repr(head[:8]))})"
    )
    return f"the research database {where} is {what}; {restore_advice(database, backup_dir)}"


def full_disk(database: Path | None, reason: str) -> str | None:
    """One line naming the full disk of `database` when SQLite's `reason` ("database or disk is
    full", or the "disk I/O error" it reports when its write-ahead log cannot grow) comes from
    a disk with almost no free space; None when the disk is not full."""
    if "disk is full" not in reason and "disk I/O error" not in reason:
        return None
    free = None
    if database is not None:
        with contextlib.suppress(OSError):
            free = shutil.disk_usage(database.parent).free
    if "disk is full" not in reason and (free is None or free >= _NEARLY_FULL):
        return None
    where = shown(str(database)) if database is not None else "research.db"
    left = "unknown" if free is None else f"{free:,} bytes"
    return (
        f"the disk of the research database {where} is full ({left} free; SQLite said: "
        f"{reason}): make room on it and run the command again; nothing was half-written"
    )


def _first_bytes(path: Path, count: int) -> bytes:
    # O_NONBLOCK: should the file become a FIFO after the stat, opening it never waits.
    descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    with os.fdopen(descriptor, "rb") as file:
        return file.read(count)
