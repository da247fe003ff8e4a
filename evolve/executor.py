"""Where genomes are assessed: worker processes on this machine (joblib) or a Dask cluster.

Either way the work is the same pure function, `fitness.assess.assess_texts`, over contiguous
chunks of the genome texts, and the results come back in input order, so the number and kind of
workers never change a result.
"""

from __future__ import annotations

import os
import threading
import time
from typing import Any, Protocol

from configs import BacktestConfig, ServiceError
from fitness.assess import Assessment, assess_texts
from fitness.windows import Window
from market.panel import Panel

__all__ = ["Executor", "open_executor"]


class Executor(Protocol):
    """Where genomes are backtested: in this process or in worker processes."""

    workers: int

    def assess(
        self, data: Panel, window: Window, rules: BacktestConfig, texts: list[str], cache_bytes: int
    ) -> list[Assessment]:
        """Backtest each of `texts` on `window` of `data` under `rules`, in order."""
        ...

    def close(self) -> None:
        """Stop the workers, if any."""
        ...


def open_executor(spec: str, workers: int) -> Executor:
    """The executor `spec` names: "joblib" with `workers` processes (0: one per core), or
    "dask://HOST:PORT"."""
    if spec.startswith("dask://"):
        return DaskExecutor(spec.removeprefix("dask://"))
    return LocalExecutor(workers or os.cpu_count() or 1)


def chunks(texts: list[str], parts: int) -> list[list[str]]:
    """`texts` cut into at most `parts` contiguous chunks of near-equal length."""
    parts = max(1, min(parts, len(texts)))
    size, extra = divmod(len(texts), parts)
    out, start = [], 0
    for k in range(parts):
        stop = start + size + (k < extra)
        out.append(texts[start:stop])
        start = stop
    return out


class LocalExecutor:
    """joblib worker processes (loky), kept alive between generations."""

    def __init__(self, workers: int) -> None:
        from joblib import Parallel
        from joblib._parallel_backends import LokyBackend

        self.workers = workers
        self._parallel = None
        if workers > 1:
            # Each worker watches its parent from the moment it starts, not from its first task.
            backend = LokyBackend(initializer=_die_with, initargs=(os.getpid(),))
            self._parallel = Parallel(n_jobs=workers, backend=backend)
        if self._parallel is not None:
            self._parallel.__enter__()

    def assess(
        self, data: Panel, window: Window, rules: BacktestConfig, texts: list[str], cache_bytes: int
    ) -> list[Assessment]:
        if not texts:
            return []
        if self._parallel is None:
            return assess_texts(data, window, rules, texts, cache_bytes)
        from joblib import delayed

        jobs = (
            delayed(assess_texts)(data, window, rules, part, cache_bytes)
            for part in chunks(texts, self.workers)
        )
        return [a for part in self._parallel(jobs) for a in part]

    def close(self) -> None:
        if self._parallel is not None:
            self._parallel.__exit__(None, None, None)
            self._parallel = None


_watched: set[int] = set()


def _die_with(parent: int) -> None:
    # A worker outlives a killed run (kill -9, or SIGTERM before joblib shuts it down) by
    # minutes, holding hundreds of MB: as each worker starts (loky's initializer), a daemon
    # thread is set to end it within a second of its parent going away (its parent pid changes
    # when it is orphaned), whether or not it was ever given a task.
    if parent in _watched or os.getpid() == parent:
        return
    _watched.add(parent)

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(1)

    threading.Thread(target=watch, name="die-with-parent", daemon=True).start()


class DaskExecutor:
    """A dask.distributed scheduler; a window's data is sent to every worker once."""

    def __init__(self, address: str) -> None:
        from distributed import Client

        try:
            self._client = Client(address, timeout=30)
        except OSError as e:
            raise ServiceError(f"cannot reach the Dask scheduler at {address}: {e}") from e
        self.workers = max(1, len(self._client.scheduler_info()["workers"]))
        self._scattered: dict[str, Any] = {}

    def assess(
        self, data: Panel, window: Window, rules: BacktestConfig, texts: list[str], cache_bytes: int
    ) -> list[Assessment]:
        if not texts:
            return []
        if window.id not in self._scattered:
            self._scattered = {window.id: self._client.scatter(data, broadcast=True)}
        shared = self._scattered[window.id]
        futures = [
            self._client.submit(assess_texts, shared, window, rules, part, cache_bytes, pure=False)
            for part in chunks(texts, 2 * self.workers)
        ]
        return [a for part in self._client.gather(futures) for a in part]

    def close(self) -> None:
        self._client.close()
