"""The environment of the lab's commands when tests run them as subprocesses."""

from __future__ import annotations

import os
from pathlib import Path


def lab_environment(home: Path | None = None, /, **extra: str) -> dict[str, str]:
    """This process's environment without broker keys or lab settings (APCA_*, LAB_*), with
    LAB_HOME set to `home` when given (the lab in that folder), and `extra`."""
    found = {k: v for k, v in os.environ.items() if not k.startswith(("APCA_", "LAB_"))}
    if home is not None:
        found["LAB_HOME"] = str(home)
    return found | extra
