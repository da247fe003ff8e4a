"""Peak memory of a job and all its worker processes together, sampled in the background.

`ru_maxrss` only knows one process at a time (and children only once they have exited), so a
thread samples the resident memory of this process plus every descendant (joblib's workers)
every `interval` seconds and keeps the largest sum. Dask workers on other machines are not
included.
"""

from __future__ import annotations

import threading
from types import TracebackType

import psutil

__all__ = ["MemoryPeak"]


class MemoryPeak:
    """`with MemoryPeak() as peak: ...` then `peak.total_mb` and `peak.main_mb`."""

    def __init__(self, interval: float = 0.25) -> None:
        self.interval = interval
        self.total_mb = 0.0
        self.main_mb = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="memory-peak", daemon=True)

    def sample(self) -> None:
        """Record the memory in use now (this process and its children) if it is a new peak."""
        me = psutil.Process()
        own = _rss(me)
        total = own + sum(_rss(child) for child in me.children(recursive=True))
        self.main_mb = max(self.main_mb, own / 2**20)
        self.total_mb = max(self.total_mb, total / 2**20)

    def _watch(self) -> None:
        while not self._stop.wait(self.interval):
            self.sample()

    def __enter__(self) -> MemoryPeak:
        self.sample()
        self._thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._stop.set()
        self._thread.join()
        self.sample()


def _rss(process: psutil.Process) -> int:
    try:
        rss: int = process.memory_info().rss
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return 0
    return rss
