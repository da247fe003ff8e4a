"""What a night stores of itself when it ends (`runs.summary`), typed for its readers.

The nightly run writes it with `as_record`; `evolve status` and the dashboard's Nights page read
it with `stored_summary`, which takes a run that ended early (keys missing: their defaults) and
says which stored values it could not read instead of failing (counting its row as left out).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from store.models import Run
from store.unreadable import note_left_out

__all__ = ["RunSummary", "stored_summary"]


@dataclass(frozen=True)
class RunSummary:
    """A finished (or failed) night's totals.

    Attributes:
        generations: generations bred this night; `last_generation` the population's number.
        evaluations, cache_hits, failures: backtests run, answered from the cache, failed.
        trials: the trials counted for the gate's deflation after the night.
        best_fitness: the best train fitness seen (None: no generation).
        stagnation_events: restarts for stagnation.
        candidates, refined: candidate numbers written by the night and by its refinement.
        pruned_evaluations: stored evaluations removed by the retention rules.
        seconds, evolve_seconds: the whole night, and its generation loop alone.
        peak_memory_mb: peak resident memory by process ("main", "workers").
        stopped_by: what ended the loop (generations, budget, a signal, ...).
        unreadable: stored keys whose value could not be read (left at their default).
    """

    generations: int = 0
    last_generation: int = 0
    evaluations: int = 0
    cache_hits: int = 0
    failures: int = 0
    trials: int = 0
    best_fitness: float | None = None
    stagnation_events: int = 0
    candidates: tuple[int, ...] = ()
    refined: tuple[int, ...] = ()
    pruned_evaluations: int = 0
    seconds: float | None = None
    evolve_seconds: float | None = None
    peak_memory_mb: dict[str, float] = field(default_factory=dict)
    stopped_by: str = ""
    unreadable: tuple[str, ...] = ()

    @property
    def found(self) -> tuple[int, ...]:
        """The numbers of every candidate the night wrote: bred, then refined."""
        return self.candidates + self.refined

    @property
    def minutes(self) -> float | None:
        """The night's length in minutes; None when it did not finish."""
        return None if self.seconds is None else self.seconds / 60

    def as_record(self) -> dict[str, Any]:
        """The JSON stored in `runs.summary`."""
        record = dataclasses.asdict(self)
        del record["unreadable"]
        record["candidates"] = list(self.candidates)
        record["refined"] = list(self.refined)
        return record

    @classmethod
    def read(cls, stored: Mapping[str, Any] | None) -> RunSummary:
        """The summary in `stored` (None or {}: a run that has not ended)."""
        values: dict[str, Any] = {}
        unreadable = []
        for f in dataclasses.fields(cls):
            if f.name == "unreadable" or stored is None or f.name not in stored:
                continue
            try:
                values[f.name] = _READERS[f.name](stored[f.name])
            except (TypeError, ValueError):
                unreadable.append(f.name)
        return cls(**values, unreadable=tuple(unreadable))


def stored_summary(session: Session, run: Run) -> RunSummary:
    """The summary `run` stored when it ended; a field that cannot be read is left at its
    default and its run row counted as a row left out (quarantined and named on the Health
    page), as any damaged column is."""
    summary = RunSummary.read(run.summary)
    if summary.unreadable:
        fields = ", ".join(summary.unreadable)
        note_left_out(session, "runs", str(run.id), f"summary: {fields} cannot be read")
    return summary


def _int(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError(value)
    return int(value)


def _number(value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(value)
    return float(value)


def _ids(value: Any) -> tuple[int, ...]:
    if not isinstance(value, list):
        raise ValueError(value)
    return tuple(_int(v) for v in value)


def _memory(value: Any) -> dict[str, float]:
    if not isinstance(value, dict):
        raise ValueError(value)
    return {str(k): float(_number(v) or 0.0) for k, v in value.items()}


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError(value)
    return value


_READERS = {
    "generations": _int,
    "last_generation": _int,
    "evaluations": _int,
    "cache_hits": _int,
    "failures": _int,
    "trials": _int,
    "best_fitness": _number,
    "stagnation_events": _int,
    "candidates": _ids,
    "refined": _ids,
    "pruned_evaluations": _int,
    "seconds": _number,
    "evolve_seconds": _number,
    "peak_memory_mb": _memory,
    "stopped_by": _text,
}
