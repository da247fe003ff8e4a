"""The one record of a night (`RunSummary`): filled by the nightly run as it goes, printed by
the command, stored when the night ends (`runs.summary`) and read back, typed, by `evolve
status` and the dashboard's Nights page.

`stored_summary` takes a run that ended early (keys missing: their defaults) and says which
stored values it could not read instead of failing (counting its row as left out).
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

__all__ = ["NewCandidate", "RunSummary", "stored_summary"]


@dataclass(frozen=True)
class NewCandidate:
    """A candidate a night wrote, with its figures on the window it was chosen on (a summary
    stored before these were kept has its number only)."""

    number: int
    genome_id: str = ""
    text: str = ""
    score: float | None = None
    fitness: float | None = None
    sharpe: float | None = None
    cagr: float | None = None
    max_drawdown: float | None = None
    n_trades: int | None = None
    parent: str | None = None  # a refined candidate: the text it was refined from


@dataclass
class RunSummary:
    """A night: what it did, as the command prints it, the alert says it and its run row
    keeps it. The night fills it as it goes; `evolve status` and the Nights page read it back.

    Attributes:
        run_id: the run row.
        data_warning: why the night did not run on the configured data, when it did not.
        backup_skipped: why no backup of research.db was made, when none was.
        windows: each window as one line (`Window.describe`).
        rescored: living genomes scored again on the night's windows.
        generations: generations bred this night; `last_generation` the population's number.
        evaluations, cache_hits, failures: backtests run, answered from the cache, failed.
        trials: the trials counted for the gate's deflation after the night.
        best_fitness: the best train fitness seen (None: no generation).
        stagnation_events: each restart for stagnation, as a line.
        candidates, refined: the candidates written by the night and by its refinement.
        pruned_evaluations: stored evaluations removed by the retention rules.
        seconds, evolve_seconds: the whole night, and its generation loop alone.
        peak_memory_mb: peak resident memory ("main", "all_processes").
        stopped_by: what ended the loop (generations, budget, a signal, ...).
        gate: what the gate said after the night, as lines.
        unreadable: stored keys whose value could not be read (left at their default).
    """

    run_id: int = 0
    data_warning: str | None = None
    backup_skipped: str | None = None
    windows: dict[str, str] = field(default_factory=dict)
    rescored: int = 0
    generations: int = 0
    last_generation: int = 0
    evaluations: int = 0
    cache_hits: int = 0
    failures: int = 0
    trials: int = 0
    best_fitness: float | None = None
    stagnation_events: list[str] = field(default_factory=list)
    candidates: list[NewCandidate] = field(default_factory=list)
    refined: list[NewCandidate] = field(default_factory=list)
    pruned_evaluations: int = 0
    seconds: float | None = None
    evolve_seconds: float | None = None
    peak_memory_mb: dict[str, float] = field(default_factory=dict)
    stopped_by: str = ""
    gate: list[str] = field(default_factory=list)
    unreadable: tuple[str, ...] = ()

    @property
    def found(self) -> tuple[int, ...]:
        """The numbers of every candidate the night wrote: bred, then refined."""
        return tuple(c.number for c in self.candidates + self.refined)

    @property
    def minutes(self) -> float | None:
        """The night's length in minutes; None when it did not finish."""
        return None if self.seconds is None else self.seconds / 60

    @property
    def hit_rate(self) -> float:
        """The share of evaluations the cache answered."""
        total = self.evaluations + self.cache_hits
        return self.cache_hits / total if total else 0.0

    def as_record(self) -> dict[str, Any]:
        """The JSON stored in `runs.summary`."""
        record = dataclasses.asdict(self)
        del record["unreadable"]
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


def _candidates(value: Any) -> list[NewCandidate]:
    # Each a mapping of NewCandidate's fields, or a number alone (as earlier nights stored).
    if not isinstance(value, list):
        raise ValueError(value)
    return [_candidate(v) for v in value]


def _candidate(value: Any) -> NewCandidate:
    if not isinstance(value, dict):
        return NewCandidate(_int(value))
    known = {f.name: f for f in dataclasses.fields(NewCandidate)}
    if set(value) - set(known) or "number" not in value:
        raise ValueError(value)
    found: dict[str, Any] = {"number": _int(value["number"])}
    for name in ("genome_id", "text"):
        if name in value:
            found[name] = _text(value[name])
    for name in ("score", "fitness", "sharpe", "cagr", "max_drawdown"):
        if name in value:
            found[name] = _number(value[name])
    if value.get("n_trades") is not None:
        found["n_trades"] = _int(value["n_trades"])
    if value.get("parent") is not None:
        found["parent"] = _text(value["parent"])
    return NewCandidate(**found)


def _lines(value: Any) -> list[str]:
    # Lines of text; a count alone (as earlier nights stored their stagnation events) is that
    # many events not described.
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return ["(not recorded)"] * value
    if not isinstance(value, list):
        raise ValueError(value)
    return [_text(v) for v in value]


def _maybe_text(value: Any) -> str | None:
    return None if value is None else _text(value)


def _texts(value: Any) -> dict[str, str]:
    if not isinstance(value, dict):
        raise ValueError(value)
    return {str(k): _text(v) for k, v in value.items()}


def _memory(value: Any) -> dict[str, float]:
    if not isinstance(value, dict):
        raise ValueError(value)
    return {str(k): float(_number(v) or 0.0) for k, v in value.items()}


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError(value)
    return value


_READERS = {
    "run_id": _int,
    "data_warning": _maybe_text,
    "backup_skipped": _maybe_text,
    "windows": _texts,
    "rescored": _int,
    "generations": _int,
    "last_generation": _int,
    "evaluations": _int,
    "cache_hits": _int,
    "failures": _int,
    "trials": _int,
    "best_fitness": _number,
    "stagnation_events": _lines,
    "candidates": _candidates,
    "refined": _candidates,
    "pruned_evaluations": _int,
    "seconds": _number,
    "evolve_seconds": _number,
    "peak_memory_mb": _memory,
    "stopped_by": _text,
    "gate": _lines,
}
