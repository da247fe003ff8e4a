"""The run lock: one holder at a time, and a lock left by a killed process is taken over."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from configs import InputError
from store import LockBusy, RunLock

HOLD = """
import sys, time
from pathlib import Path
from store import RunLock
lock = RunLock(Path(sys.argv[1]), "test job")
lock.acquire()
print("held", flush=True)
time.sleep(60)
"""


def _holder(path: Path) -> subprocess.Popen[str]:
    process = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(path)], stdout=subprocess.PIPE, text=True
    )
    assert process.stdout is not None and process.stdout.readline().strip() == "held"
    return process


def _stop(process: subprocess.Popen[str]) -> None:
    process.kill()
    process.wait()
    assert process.stdout is not None
    process.stdout.close()


def test_a_second_holder_is_refused_while_the_first_lives(tmp_path: Path) -> None:
    path = tmp_path / "job.lock"
    process = _holder(path)
    try:
        with pytest.raises(LockBusy, match=f"pid {process.pid}"):
            RunLock(path, "test job").acquire()
    finally:
        _stop(process)


def test_a_lock_left_by_a_killed_process_is_stale_and_taken_over(tmp_path: Path) -> None:
    path = tmp_path / "job.lock"
    process = _holder(path)
    os.kill(process.pid, signal.SIGKILL)
    _stop(process)
    time.sleep(0.05)
    with RunLock(path, "test job") as lock:
        assert lock.stale is not None and lock.stale["pid"] == process.pid
    # A clean release leaves nothing stale behind.
    with RunLock(path, "test job") as again:
        assert again.stale is None


def test_a_lock_file_that_cannot_be_made_is_an_input_error_naming_it(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    with pytest.raises(InputError, match=r"cannot use the lock file .*a-file/x.lock of evolve"):
        RunLock(blocker / "x.lock", "evolve nightly").acquire()
