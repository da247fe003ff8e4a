"""One candidate at the morning review, for `promote review` and the dashboard alike: the
newest gate report, the validation equity against buy-and-hold, a warning for every strategy
approved after the gate report that moves with it, then the holdout, opened once."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from configs import BacktestConfig, LabConfig
from fitness.buy_and_hold import buy_and_hold
from fitness.portfolio import highest_correlation
from fitness.score import WindowScorer
from fitness.windows import Window
from genome.text import parse
from market.panel import Panel
from promotion.chart import MARKET, review_chart
from promotion.holdout import open_holdout
from promotion.lifecycle import PromotionError, ReportLeftOut, genome_texts, latest_report
from promotion.views import candidate_lines, holdout_lines, sparkline
from store import unpack
from store.lifecycle import BOOK
from store.models import Candidate, Decision, HoldoutResult
from store.rows import LeftOut, get

__all__ = [
    "ValidationEquity",
    "holdout_equity",
    "review_data",
    "review_lines",
    "sitting_warnings",
    "validation_equity",
]


@dataclass(frozen=True)
class ValidationEquity:
    """A genome and equal-weight buy-and-hold of the universe on a window (the validation
    window; the holdout once opened), after costs: (n,) arrays of the window's days."""

    window: Window
    dates: np.ndarray
    equity: np.ndarray
    returns: np.ndarray
    market: np.ndarray

    def text(self) -> str:
        """Which window the equity is of, as words."""
        return f"{self.window.name} {self.window.first}..{self.window.last}"


def review_data(config: LabConfig, now: dt.datetime) -> tuple[Panel, str, dict[str, Window]]:
    """The configured data at `now` and its windows, read without a network (for Alpaca: its
    last cache)."""
    from fitness.windows import build_windows
    from market.lab_panel import lab_panel

    found = lab_panel(config, now, "offline")
    windows = build_windows(found.panel, config.windows, config.backtest)
    return found.panel, found.report.source, windows


def validation_equity(
    panel: Panel, validation: Window, config: LabConfig, text: str
) -> ValidationEquity:
    """The validation equity of genome `text` and of buy-and-hold beside it, after costs."""
    rules = config.backtest
    scored = WindowScorer(panel, validation, rules).score(parse(text)).result
    market = buy_and_hold(panel, validation, rules).result
    return ValidationEquity(validation, scored.dates, scored.equity, scored.returns, market.equity)


def holdout_equity(
    session: Session, candidate: Candidate, panel: Panel, holdout: Window
) -> ValidationEquity:
    """The candidate's opened holdout as an equity curve: its daily returns as stored when it
    was opened (not computed again), and buy-and-hold of the universe beside them, after the same
    costs.

    Raises:
        PromotionError: the holdout is sealed, or was opened on another window than `holdout`.
    """
    stored = session.get(HoldoutResult, candidate.id)
    if stored is None:
        raise PromotionError(f"candidate {candidate.id}'s holdout is sealed")
    if stored.window_id != holdout.id:
        raise PromotionError(
            f"candidate {candidate.id}'s holdout was opened on window {stored.window_id[:12]}, "
            f"not on the configured holdout {holdout.describe()}"
        )
    returns = unpack(stored.returns).astype(np.float64)
    market = buy_and_hold(panel, holdout, BacktestConfig(**stored.costs)).result
    equity = np.cumprod(1.0 + returns)
    return ValidationEquity(holdout, market.dates, equity, returns, market.equity)


def sitting_warnings(
    session: Session, candidate: Candidate, curve: ValidationEquity, panel: Panel, config: LabConfig
) -> list[str]:
    """A warning for each incubating, approved or live strategy that was approved after
    `candidate`'s newest gate report (so the gate's correlation criterion did not see it: an
    earlier approval of the same sitting, say) and whose validation returns correlate with the
    candidate's above the gate's limit."""
    report = latest_report(session, candidate.id)
    if report is None:
        return []
    since = session.execute(
        select(Candidate.id, Candidate.genome_id, Decision.decided_at)
        .join(Decision, Decision.candidate_id == Candidate.id)
        .where(
            Candidate.status.in_(BOOK),
            Candidate.id != candidate.id,
            Decision.action.in_(("approve", "incubate")),
            Decision.decided_at >= report.created_at,
        )
        .order_by(Decision.id)
    ).all()
    texts = genome_texts(session, [gid for _, gid, _ in since])
    limit = config.gate.max_live_correlation
    scorer = WindowScorer(panel, curve.window, config.backtest)
    warnings = []
    for other, gid, when in since:
        if gid not in texts:  # quarantined: it trades no more
            continue
        theirs = scorer.score(parse(texts[gid])).result.returns
        rho = highest_correlation(curve.returns, [theirs])
        if rho > limit:
            warnings.append(
                f"candidate {other}, approved {when:%Y-%m-%d %H:%M} UTC after this gate report, "
                f"correlates {rho:.2f} with this one on {curve.text()} (the gate's limit is "
                f"{limit:.2f}): approving both doubles one bet"
            )
    return warnings


def unreadable_part(session: Session, candidate: Candidate) -> str:
    """What of `candidate` the reviewer must see and cannot, because it cannot be read (its
    newest gate report, its opened holdout); "" when nothing."""
    try:
        latest_report(session, candidate.id)
    except ReportLeftOut as e:
        return str(e)
    try:
        get(session, HoldoutResult, candidate.id)
    except LeftOut as e:
        return f"its opened holdout cannot be read: {e.why}"
    return ""


class NotReviewable(PromotionError):
    """A candidate the review cannot show (its genome text is quarantined): it is named and
    left out, and the review goes on with the others."""


def review_lines(
    session: Session,
    candidate: Candidate,
    panel: Panel,
    windows: dict[str, Window],
    config: LabConfig,
    reviewer: str,
) -> list[str]:
    """What the reviewer sees of `candidate`: `promote show`, the validation equity as
    sparklines and a chart (written to review.chart_dir), the same-sitting warnings, then the
    holdout. The holdout is opened only if it never was (added to `session`, which the caller
    commits before asking for a decision); otherwise its stored numbers are among the metrics
    shown."""
    text = genome_texts(session, [candidate.genome_id]).get(candidate.genome_id)
    if text is None:
        raise NotReviewable(
            f"candidate {candidate.id} is left out of the review: its stored genome text is "
            "quarantined (`promote show` says why)"
        )
    unseen = unreadable_part(session, candidate)
    if unseen:
        raise NotReviewable(f"candidate {candidate.id} is left out of the review: {unseen}")
    curve = validation_equity(panel, windows["validation"], config, text)
    chart = review_chart(
        Path(config.review.chart_dir) / f"candidate-{candidate.id}-validation.png",
        f"candidate {candidate.id}: {text}",
        curve.dates,
        (("candidate", curve.equity), (MARKET, curve.market)),
        curve.text(),
    )
    lines = candidate_lines(session, candidate, config)
    lines += [
        "",
        f"equity, {curve.text()} (after costs; each line scaled to its own range):",
        f"  candidate       {sparkline(curve.equity)}",
        f"  buy-and-hold    {sparkline(curve.market)}",
        f"  chart: {chart}",
        "",
    ]
    lines += [f"WARNING: {w}" for w in sitting_warnings(session, candidate, curve, panel, config)]
    holdout, now = open_holdout(
        session, candidate, panel, windows["holdout"], config.backtest, reviewer
    )
    if now:
        lines.append("holdout opened now, for the first and only time:")
        lines += holdout_lines(session, holdout)
    else:
        lines.append(
            "holdout (stored when it was first opened; not computed again): see the metrics above"
        )
    return lines
