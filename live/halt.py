"""The kill switch: while the HALT file exists, no order is sent.

Anything at that path halts, whatever it is or holds: an empty file (`touch HALT`), a file
with who halted, when and why (JSON), a folder, a FIFO, a link to nothing. Halting creates the
file first, with no temporary file, which needs no free space, and then writes the record into
it when there is room: on a full disk the halt still holds, without its reason. Reading is
bounded and never blocks: only a regular file (or a link to one) is read, at most
`READ_LIMIT` bytes, as bytes. Checked before every order.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import stat
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from configs import LabError, ServiceError
from configs.output import shown
from store import Database

__all__ = ["READ_LIMIT", "HaltFailed", "HaltSwitch", "Halted", "halt_trading"]

READ_LIMIT = 4096  # bytes of HALT read for its reason


class HaltFailed(ServiceError):
    """The HALT file could not be created: trading is NOT halted."""


class HaltSwitch:
    """The kill switch: trading is halted while its file exists."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def reason(self) -> str | None:
        """Why trading is halted, or None when it is not (one line, at most a few hundred
        characters, control characters escaped)."""
        where = shown(str(self.path))
        try:
            found = os.stat(self.path)  # follows a link
        except FileNotFoundError:
            if self.path.is_symlink():  # fail closed: someone meant to halt
                return f"halt file {where} is a link to nothing ({shown(os.readlink(self.path))})"
            return None
        except OSError as e:
            return f"halt file {where} exists but cannot be read ({e.strerror})"
        if not stat.S_ISREG(found.st_mode):
            return f"halt file {where} exists (not a regular file)"
        try:
            # O_NONBLOCK: should the file become a FIFO after the stat, opening it never waits.
            descriptor = os.open(self.path, os.O_RDONLY | os.O_NONBLOCK)
            with os.fdopen(descriptor, "rb") as file:
                raw = file.read(READ_LIMIT)
        except OSError as e:
            return f"halt file {where} exists but cannot be read ({e.strerror})"
        text = raw.decode("utf-8", errors="replace")
        try:
            record = json.loads(text)
            return shown(f"{record['reason']} (by {record['by']} at {record['at']})", 300)
        except (ValueError, KeyError, TypeError):
            return f"halt file {where} exists" + (
                f": {shown(text.strip())}" if text.strip() else ""
            )

    def halt(self, reason: str, by: str) -> Halted:
        """Halt trading: create the file, then write who, when and why into it if the disk has
        room for it.

        Raises:
            HaltFailed: nothing exists at the path afterwards (trading is not halted).
        """
        record = {"reason": reason, "by": by, "at": dt.datetime.now(dt.UTC).isoformat()}
        problem = None
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # O_NONBLOCK: a FIFO already there (it halts as it is) must not hang the halt.
            descriptor = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_NONBLOCK, 0o644)
        except OSError as e:
            descriptor, problem = None, e.strerror
        if descriptor is not None:
            try:
                if stat.S_ISREG(os.fstat(descriptor).st_mode):
                    os.ftruncate(descriptor, 0)
                    os.write(descriptor, (json.dumps(record) + "\n").encode())
                    os.fsync(descriptor)
            except OSError as e:  # a full disk: the empty file halts all the same
                problem = e.strerror
            finally:
                os.close(descriptor)
        if not os.path.lexists(self.path):
            raise HaltFailed(
                f"trading is NOT halted: cannot create {shown(str(self.path))} ({problem})"
            )
        _sync_folder(self.path.parent)
        return Halted(self.path, self.reason() or "", problem)

    def resume(self) -> str | None:
        """Remove the halt; what it said (None if trading was not halted)."""
        reason = self.reason()
        self.path.unlink(missing_ok=True)
        return reason


@dataclass(frozen=True)
class Halted:
    """A halt that holds: its file, what it says, and why its reason could not be written
    (None when it was)."""

    path: Path
    reason: str
    unwritten: str | None


def halt_trading(
    path: Path, database: Callable[[], Database], reason: str, by: str
) -> tuple[Halted, str | None]:
    """Halt trading (`live halt` and the dashboard's button): the HALT file first, since it is
    the switch, then its record in research.db (opened by `database`). Also a warning when the
    reason is neither in the file nor in research.db (trading is halted all the same).

    Raises:
        HaltFailed: the HALT file could not be created.
    """
    from sqlalchemy.exc import SQLAlchemyError

    from live.records import add_event

    reason = reason.strip() or "no reason given"
    halted = HaltSwitch(path).halt(reason, by)
    try:
        with database().transaction() as session:
            add_event(
                session,
                None,
                "halt",
                False,
                shown(f"halted: {reason} (by {by})", 1000),
                {"file": str(path)},
            )
    except (SQLAlchemyError, LabError) as e:  # missing, damaged, locked, on a full disk
        why = getattr(e, "orig", None) or e
        return halted, f"trading is halted, but research.db did not record it: {why}"
    return halted, None


def _sync_folder(folder: Path) -> None:
    # The new name survives a power cut once its folder is on disk.
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)
