"""The nights page: every nightly run with how it went, newest first."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from store.models import Run

__all__ = ["Night", "nights"]


@dataclass(frozen=True)
class Night:
    run_id: int
    status: str
    discovery: bool
    started_at: dt.datetime
    minutes: float | None
    generations: int
    evaluations: int
    best_fitness: float | None
    stagnation_events: int
    candidates: int
    stopped_by: str


def nights(session: Session, limit: int = 60) -> list[Night]:
    """The newest `limit` runs (their summary as the run stored it when it ended)."""
    runs = session.scalars(select(Run).order_by(Run.id.desc()).limit(limit)).all()
    out = []
    for run in runs:
        summary = run.summary or {}
        seconds = summary.get("seconds")
        out.append(
            Night(
                run_id=run.id,
                status=run.status,
                discovery=run.discovery,
                started_at=run.started_at,
                minutes=None if seconds is None else float(seconds) / 60,
                generations=int(summary.get("generations", 0)),
                evaluations=int(summary.get("evaluations", 0)),
                best_fitness=summary.get("best_fitness"),
                stagnation_events=int(summary.get("stagnation_events", 0)),
                candidates=len(summary.get("candidates", [])) + len(summary.get("refined", [])),
                stopped_by=str(summary.get("stopped_by", "")),
            )
        )
    return out
