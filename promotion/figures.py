"""What the review shows of a candidate, as data: its figures on each window, its newest gate
report's statistics and its lineage. `promotion.views` writes them as the command line's text and
the page draws them as tables: one source, so both show the same."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

import configs
from promotion.gate import Criterion
from promotion.lifecycle import ReportLeftOut, latest_report
from store.models import Candidate, Evaluation, GateReport, Genome, HoldoutResult, WindowRecord

__all__ = [
    "Ancestor",
    "GateFigures",
    "WindowFigures",
    "costs_text",
    "gate_figures",
    "holdout_figures",
    "lineage",
    "window_figures",
]

LINEAGE_DEPTH = 6


def costs_text(costs: dict[str, Any]) -> str:
    """The costs stored with a result, and its number of slots."""
    return f"{configs.costs_text(costs)}, {costs.get('max_positions', '?')} slots"


@dataclass(frozen=True)
class WindowFigures:
    """A candidate's metrics on one window, after the costs they were measured with.

    Attributes:
        metrics: None when not measured there (or the evaluation failed: `source` says why).
        source: where the figures come from ("stored evaluation", "gate report", "opened ...").
        buy_and_hold: equal-weight buy-and-hold of the universe on the same window and costs,
            where it was stored with the figures (the gate report, the holdout).
    """

    name: str
    span: str
    window_id: str
    costs: str
    metrics: dict[str, Any] | None
    source: str
    buy_and_hold: dict[str, Any] | None = None


def window_figures(session: Session, candidate: Candidate) -> tuple[list[WindowFigures], str]:
    """The candidate's figures on the train window (its stored evaluation), the validation
    window (its newest gate report) and, once opened, the holdout; and why its newest gate
    report cannot be read ("" when it can). The holdout is never computed here."""
    try:
        report, unreadable = latest_report(session, candidate.id), ""
    except ReportLeftOut as e:
        report, unreadable = None, f"gate: {e}; left out"
    found: list[WindowFigures | None] = []
    if report is None:
        found.append(_evaluated(session, candidate.genome_id, candidate.window_id))
    else:
        found.append(_evaluated(session, candidate.genome_id, report.train_window_id))
        validation = report.details.get("validation")
        bh = report.details.get("buy_and_hold")
        found.append(_figures(session, report.validation_window_id, validation, "gate report", bh))
    holdout = session.get(HoldoutResult, candidate.id)
    if holdout is not None:
        found.append(holdout_figures(session, holdout))
    return [f for f in found if f is not None], unreadable


def holdout_figures(session: Session, holdout: HoldoutResult) -> WindowFigures | None:
    """The figures of an opened holdout, as stored when it was opened."""
    opened = f"opened {holdout.opened_at:%Y-%m-%d %H:%M} UTC by {holdout.opened_by}"
    return _figures(session, holdout.window_id, holdout.metrics, opened, holdout.buy_and_hold)


def _evaluated(session: Session, genome_id: str, window_id: str) -> WindowFigures | None:
    row = session.scalars(
        select(Evaluation).where(
            Evaluation.genome_id == genome_id, Evaluation.window_id == window_id
        )
    ).first()
    if row is not None and not row.ok:
        return _figures(session, window_id, None, f"failed: {row.reason}")
    return _figures(session, window_id, row.metrics if row else None, "stored evaluation")


def _figures(
    session: Session,
    window_id: str,
    metrics: dict[str, Any] | None,
    source: str,
    buy_and_hold: dict[str, Any] | None = None,
) -> WindowFigures | None:
    window = session.get(WindowRecord, window_id)
    if window is None:
        return None
    return WindowFigures(
        window.name,
        f"{window.first_day}..{window.last_day}",
        window.id,
        costs_text(window.rules),
        metrics,
        source,
        buy_and_hold,
    )


@dataclass(frozen=True)
class GateFigures:
    """A gate report: its verdict criterion by criterion and the statistics behind it, all on
    the validation window (`span`) after `costs`."""

    report_id: int
    created_at: dt.datetime
    passed: bool
    span: str
    window_id: str
    costs: str
    criteria: list[Criterion]
    trials: str
    statistics: dict[str, Any]  # sharpe_per_day, n_obs, skew, kurtosis, psr, dsr, min_trl_days...
    pbo: dict[str, Any]  # pbo, n_strategies, slope, prob_oos_loss
    buy_and_hold: dict[str, Any]
    in_slots: dict[str, Any]  # buy-and-hold in the account's slots ({} in reports before it)
    slots: int | None  # the account's max_positions
    exposures: dict[str, Any] | None  # betas on the market and factors (fitness.factors)
    years: list[tuple[int, float]]  # Sharpe per calendar year
    weakest: list[tuple[str, float]]  # the 3 nearby variants with the lowest Sharpe
    correlations: dict[str, float]  # with each live strategy at the report


def gate_figures(session: Session, report: GateReport) -> GateFigures:
    """The figures of `report`."""
    details = report.details
    validation = session.get(WindowRecord, report.validation_window_id)
    variants = sorted(details.get("variants", []), key=lambda v: v["sharpe"])
    return GateFigures(
        report_id=report.id,
        created_at=report.created_at,
        passed=report.passed,
        span=f"{validation.first_day}..{validation.last_day}" if validation else "?",
        window_id=report.validation_window_id,
        costs=costs_text(details.get("costs", {})),
        criteria=[Criterion.from_dict(c) for c in report.criteria],
        trials=str(details.get("trials_text", "?")),
        statistics=dict(details.get("statistics", {})),
        pbo=dict(details.get("pbo", {})),
        buy_and_hold=dict(details.get("buy_and_hold", {})),
        in_slots=dict(details.get("in_slots", {})),
        slots=details.get("costs", {}).get("max_positions"),
        exposures=details.get("exposures"),
        years=[(int(y["year"]), y["sharpe"]) for y in details.get("years", [])],
        weakest=[(str(v["change"]), v["sharpe"]) for v in variants[:3]],
        correlations=dict(details.get("live_correlations", {})),
    )


@dataclass(frozen=True)
class Ancestor:
    """A genome of a candidate's lineage, `level` generations up (0: the candidate's own);
    `text` None: pruned (a parent that died, deleted by retention)."""

    level: int
    genome_id: str
    origin: str
    text: str | None


def lineage(session: Session, genome: Genome, depth: int = LINEAGE_DEPTH) -> list[Ancestor]:
    """`genome` and its parents, breadth first, up to `depth` levels."""
    found: list[Ancestor] = []
    frontier = [(genome, 0)]
    seen = {genome.id}
    while frontier:
        current, level = frontier.pop(0)
        found.append(Ancestor(level, current.id, current.origin, current.text))
        if level + 1 >= depth:
            continue
        for parent_id in (current.first_parent_id, current.second_parent_id):
            if parent_id and parent_id not in seen:
                seen.add(parent_id)
                parent = session.get(Genome, parent_id)
                if parent is None:  # retention deleted it (evolve prune, README "Storage")
                    found.append(Ancestor(level + 1, parent_id, "pruned", None))
                else:
                    frontier.append((parent, level + 1))
    return found
