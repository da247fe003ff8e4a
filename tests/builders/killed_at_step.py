"""Run one of the lab's commands and kill it with SIGKILL just before its n-th database step
(an SQL statement or a commit): a real crash at a chosen moment of a real command.

    python -m tests.builders.killed_at_step N COMMAND [ARGS...]

N = 0 kills nothing. With LAB_STEPS_FILE set, every step is appended to that file (one line
each, flushed before the step runs), so a reference run lists the moments to kill at. With
LAB_STEP_SIGNAL=TERM the process gets SIGTERM instead (a stop it may handle), once.
"""

from __future__ import annotations

import os
import signal
import sys
from importlib.metadata import entry_points
from typing import Any, TextIO

from sqlalchemy import Engine, event


def main() -> None:
    """Install the counter, then run the command as its console script would."""
    kill_at, command, args = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
    record_to = os.environ.get("LAB_STEPS_FILE")
    record: TextIO | None = open(record_to, "a") if record_to else None  # noqa: SIM115
    sent = signal.Signals[f"SIG{os.environ.get('LAB_STEP_SIGNAL', 'KILL')}"]
    count = 0

    def step(what: str) -> None:
        nonlocal count
        count += 1
        if record is not None:
            record.write(" ".join(what.split()) + "\n")
            record.flush()
        if count == kill_at:
            os.kill(os.getpid(), sent)

    def statement(_conn: Any, _cursor: Any, sql: str, *_: Any) -> None:
        step(sql)

    event.listen(Engine, "before_cursor_execute", statement)
    event.listen(Engine, "commit", lambda _conn: step("COMMIT"))
    (script,) = entry_points(group="console_scripts", name=command)
    sys.argv = [command, *args]
    script.load()()


if __name__ == "__main__":
    main()
