"""The kill switch: while the HALT file exists, no order is sent.

The file holds who halted, when and why (JSON); any file at that path halts, whatever it holds,
so `touch HALT` works too. Checked before every order.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Callable
from pathlib import Path

from configs.alerts import alert
from store import Database

__all__ = ["HaltSwitch", "halt_trading"]


class HaltSwitch:
    """The kill switch: trading is halted while its file exists."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def reason(self) -> str | None:
        """Why trading is halted, or None when it is not."""
        try:
            text = self.path.read_text()
        except FileNotFoundError:
            if self.path.is_symlink():  # fail closed: someone meant to halt
                return f"halt file {self.path} is a link to nothing ({os.readlink(self.path)})"
            return None
        except OSError as e:
            return f"halt file {self.path} exists but cannot be read ({e.strerror})"
        try:
            record = json.loads(text)
            return f"{record['reason']} (by {record['by']} at {record['at']})"
        except (ValueError, KeyError, TypeError):
            return f"halt file {self.path} exists" + (f": {text.strip()}" if text.strip() else "")

    def halt(self, reason: str, by: str) -> None:
        """Halt trading: write the file (atomically) with the reason, who and when, and alert."""
        record = {"reason": reason, "by": by, "at": dt.datetime.now(dt.UTC).isoformat()}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        partial = self.path.with_name(self.path.name + ".partial")
        partial.write_text(json.dumps(record) + "\n")
        os.replace(partial, self.path)
        alert("halted", "live trading halted", f"{reason} (by {by}; {self.path})")

    def resume(self) -> str | None:
        """Remove the halt; what it said (None if trading was not halted)."""
        reason = self.reason()
        self.path.unlink(missing_ok=True)
        return reason


def halt_trading(path: Path, database: Callable[[], Database], reason: str, by: str) -> str | None:
    """Halt trading (`live halt` and the dashboard's button): the HALT file first, since it is
    the switch, then its record in research.db (opened by `database`). A warning when
    research.db could not record it (trading is halted all the same)."""
    from sqlalchemy.exc import OperationalError

    from configs import ServiceError
    from live.records import add_event

    HaltSwitch(path).halt(reason.strip() or "no reason given", by)
    try:
        with database().transaction() as session:
            add_event(session, None, "halt", False, f"halted: {reason}", {"file": str(path)})
    except (OperationalError, ServiceError) as e:
        return f"trading is halted, but research.db did not record it: {e}"
    return None
