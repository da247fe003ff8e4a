"""One process at a time: an exclusive lock on a file that names its holder.

The lock is an `fcntl.flock` on the file, which the kernel releases when the holding process
dies, however it dies (`kill -9` included). So a lock file left by a dead process is stale by
construction: the next process takes it over and reports the dead holder it found.
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
import stat
from pathlib import Path
from types import TracebackType

from configs import InputError

__all__ = ["LockBusy", "RunLock"]


class LockBusy(InputError):
    """Another live process holds the lock."""


class RunLock:
    """`with RunLock(path, "evolve nightly"):` runs the block as the only holder.

    Attributes:
        stale: what the previous, dead holder wrote in the file (None if there was none).
    """

    def __init__(self, path: Path, job: str) -> None:
        self.path = path
        self.job = job
        self.stale: dict[str, object] | None = None
        self._fd: int | None = None

    def acquire(self) -> None:
        """Take the lock; InputError naming the holder if another process has it."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as e:
            raise InputError(
                f"cannot use the lock file {self.path} of {self.job}: {e.strerror} "
                "(see the lock_file setting)"
            ) from e
        if not stat.S_ISREG(os.fstat(fd).st_mode):  # /dev/null, a folder's device...
            os.close(fd)
            raise InputError(
                f"cannot use the lock file {self.path} of {self.job}: it is not a regular file "
                "(see the lock_file setting)"
            )
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _read(fd)
            os.close(fd)
            raise LockBusy(
                f"{self.job} cannot run now: {holder.get('job', 'another job of the lab')} is "
                f"already running (pid {holder.get('pid', '?')} on {holder.get('host', '?')}, lock "
                f"{self.path}); try again once it has finished"
            ) from None
        previous = _read(fd)
        self.stale = previous or None
        os.ftruncate(fd, 0)
        holder = {"pid": os.getpid(), "host": socket.gethostname(), "job": self.job}
        os.pwrite(fd, json.dumps(holder).encode(), 0)
        os.fsync(fd)
        self._fd = fd

    def release(self) -> None:
        """Let the lock go (no-op when not held)."""
        if self._fd is None:
            return
        os.ftruncate(self._fd, 0)
        fcntl.flock(self._fd, fcntl.LOCK_UN)
        os.close(self._fd)
        self._fd = None

    def __enter__(self) -> RunLock:
        self.acquire()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.release()


def _read(fd: int) -> dict[str, object]:
    raw = os.pread(fd, 4096, 0)
    try:
        holder = json.loads(raw) if raw.strip() else {}
    except ValueError:
        return {}
    return holder if isinstance(holder, dict) else {}
