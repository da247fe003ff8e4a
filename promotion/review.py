"""One candidate at the morning review: the newest gate report, the validation equity as a
sparkline and a PNG chart against buy-and-hold, then the holdout, opened once."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.orm import Session

from configs import LabConfig
from fitness.buy_and_hold import buy_and_hold
from fitness.panel import Panel
from fitness.score import WindowScorer
from fitness.windows import Window
from genome.text import parse
from promotion.chart import review_chart
from promotion.holdout import open_holdout
from promotion.views import candidate_lines, holdout_lines, sparkline
from store.models import Candidate, Genome

__all__ = ["review_lines"]


def review_lines(
    session: Session,
    candidate: Candidate,
    panel: Panel,
    windows: dict[str, Window],
    config: LabConfig,
    reviewer: str,
) -> list[str]:
    """What the reviewer sees of `candidate`: `promote show`, the validation equity as
    sparklines and a chart (written to review.chart_dir), then the holdout. The holdout is
    opened only if it never was (added to `session`, which the caller commits before asking for
    a decision); otherwise its stored numbers are among the metrics shown."""
    genome = session.get(Genome, candidate.genome_id)
    assert genome is not None
    validation = windows["validation"]
    rules = config.backtest
    scored = WindowScorer(panel, validation, rules).score(parse(genome.text)).result
    market = buy_and_hold(panel, validation, rules).result
    chart = review_chart(
        Path(config.review.chart_dir) / f"candidate-{candidate.id}-validation.png",
        f"candidate {candidate.id}: {genome.text}",
        scored.dates,
        scored.equity,
        market.equity,
        f"validation {validation.first}..{validation.last}",
    )
    lines = candidate_lines(session, candidate)
    lines += [
        "",
        f"equity, validation {validation.first}..{validation.last} (after costs; each line "
        "scaled to its own range):",
        f"  candidate       {sparkline(scored.equity)}",
        f"  buy-and-hold    {sparkline(market.equity)}",
        f"  chart: {chart}",
        "",
    ]
    holdout, now = open_holdout(session, candidate, panel, windows["holdout"], rules, reviewer)
    if now:
        lines.append("holdout opened now, for the first and only time:")
        lines += holdout_lines(session, holdout)
    else:
        lines.append(
            "holdout (stored when it was first opened; not computed again): see the metrics above"
        )
    return lines
