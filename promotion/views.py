"""What `promote list`, `show` and `review` print: plain text, every number with its window and
costs."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from deap import gp
from sqlalchemy import select
from sqlalchemy.orm import Session

from configs import LabConfig
from configs.output import shown
from genome.grammar import SERIES, SIGNALS, Const, Lookback, function_of, window_of
from promotion.figures import (
    Ancestor,
    WindowFigures,
    costs_text,
    gate_figures,
    holdout_figures,
    lineage,
    window_figures,
)
from promotion.incubation import forward_lines
from promotion.lifecycle import (
    QUARANTINED,
    genome_texts,
    latest_report,
    latest_reports,
)
from store.models import (
    Candidate,
    Decision,
    GateReport,
    Genome,
    HoldoutResult,
)
from store.quarantine import parse_stored, quarantine_reason
from store.rows import LeftOut, get

__all__ = [
    "candidate_lines",
    "candidate_table",
    "costs_text",
    "holdout_lines",
    "metrics_text",
    "report_lines",
    "sparkline",
    "tree_lines",
    "window_lines",
]

_BARS = "▁▂▃▄▅▆▇█"


def tree_lines(tree: gp.PrimitiveTree) -> list[str]:
    """The genome as an indented tree, one node a line, each with its meaning."""
    rows: list[tuple[str, str]] = []

    def walk(index: int, prefix: str, last: bool, root: bool) -> int:
        node = tree[index]
        label, meaning = _node_words(node)
        branch = "" if root else ("└─ " if last else "├─ ")
        rows.append((prefix + branch + label, meaning))
        child_prefix = prefix if root else prefix + ("   " if last else "│  ")
        position = index + 1
        for k in range(node.arity):
            position = walk(position, child_prefix, k == node.arity - 1, False)
        return position

    walk(0, "", True, True)
    width = max(len(text) for text, _ in rows) + 2
    return [f"{text:<{width}}{meaning}".rstrip() for text, meaning in rows]


def _node_words(node: gp.Primitive | gp.Terminal) -> tuple[str, str]:
    if isinstance(node, gp.Primitive):
        function = function_of(node.name)
        return function.name, function.meaning
    if node.ret is Lookback:
        return str(window_of(node)), "lookback in sessions"
    if node.ret is Const:
        return f"{node.value:g}", "constant"
    name = str(node.name)
    leaf = SERIES.get(name)
    return name, leaf.meaning if leaf is not None else SIGNALS.get(name, "")


def sparkline(values: np.ndarray, width: int = 60) -> str:
    """`values` (e.g. daily equity) as one line of block characters, resampled to `width`."""
    v = np.asarray(values, dtype=float)
    if len(v) == 0:
        return ""
    points = v[np.linspace(0, len(v) - 1, min(width, len(v))).round().astype(int)]
    low, high = float(points.min()), float(points.max())
    if high == low:
        return _BARS[3] * len(points)
    steps = ((points - low) / (high - low) * (len(_BARS) - 1)).round().astype(int)
    return "".join(_BARS[s] for s in steps)


def candidate_table(session: Session, candidates: Sequence[Candidate]) -> list[str]:
    """One line per candidate: number, status, validation Sharpe and DSR of its newest gate
    report, train score, genome text."""
    lines = [f"{'id':>4}  {'status':<12} {'val sharpe':>10} {'dsr':>6} {'train':>6}  genome"]
    texts = genome_texts(session, [c.genome_id for c in candidates])
    reports = latest_reports(session, [c.id for c in candidates])
    for c in candidates:
        report = reports.get(c.id)
        sharpe = dsr = "-"
        if report is not None:
            sharpe = _number(report.details.get("validation", {}).get("sharpe"), 2)
            dsr = _number(report.details.get("statistics", {}).get("dsr"), 3)
        text = shown(texts.get(c.genome_id, QUARANTINED))
        lines.append(f"{c.id:>4}  {c.status:<12} {sharpe:>10} {dsr:>6} {c.score:>6.2f}  {text}")
    if not candidates:
        lines.append("  (none)")
    lines.append(
        "val sharpe and dsr: validation window, after costs, newest gate report; train: score on "
        "the train window"
    )
    return lines


def candidate_lines(session: Session, candidate: Candidate, config: LabConfig) -> list[str]:
    """Everything about a candidate: genome tree, metrics per window, the newest gate report,
    the holdout (if opened), the forward record (and incubation test), lineage, correlation
    with the live book and the decisions."""
    genome = session.get(Genome, candidate.genome_id)
    assert genome is not None
    tree = parse_stored(session, genome.id, genome.text)
    if tree is None:
        why = quarantine_reason(session, "genomes", genome.id)
        shape = [f"QUARANTINED, never gated or traded: {why}"]
        text = f"(quarantined) stored text: {shown(genome.text, 500)}"
    else:
        shape, text = tree_lines(tree), shown(genome.text, 500)
    figures, unreadable = window_figures(session, candidate)
    lines = [
        f"candidate {candidate.id}: {candidate.status}",
        f"genome: {text}",
        f"id: {genome.id}  origin: {genome.origin}  created {candidate.created_at:%Y-%m-%d %H:%M}"
        f" UTC by run {candidate.run_id}",
        "",
        *shape,
        "",
        "metrics per window (after costs):",
    ]
    for found in figures:
        lines += window_lines(found)
    if not any(f.name == "holdout" for f in figures):
        try:
            get(session, HoldoutResult, candidate.id)
            lines.append("  holdout: sealed (opened once, at `promote review`)")
        except LeftOut as e:
            lines.append(
                f"  holdout: opened, but its stored result cannot be read and is left out: {e.why}"
            )
    lines.append("")
    report = None if unreadable else latest_report(session, candidate.id)
    if report is not None:
        lines += report_lines(session, report)
    else:
        lines.append(unreadable or "gate: not run yet (`promote gate`)")
    lines.append("")
    lines += forward_lines(session, candidate, config.incubation, config.backtest.costs_text())
    lines += ["", "lineage:"]
    lines += [_ancestor_line(a) for a in lineage(session, genome)]
    lines += ["", "decisions:"]
    decisions = session.scalars(
        select(Decision).where(Decision.candidate_id == candidate.id).order_by(Decision.id)
    ).all()
    lines += [_decision_line(d) for d in decisions] or ["  none"]
    return lines


def report_lines(session: Session, report: GateReport) -> list[str]:
    """A gate report: verdict, each criterion, how the trials were counted, the statistics."""
    g = gate_figures(session, report)
    stats, pbo, bh = g.statistics, g.pbo, g.buy_and_hold
    lines = [
        f"gate report {g.report_id} ({g.created_at:%Y-%m-%d %H:%M} UTC): "
        + ("PASSED" if g.passed else "FAILED"),
        f"  window validation {g.span} (id {g.window_id[:12]}), costs: {g.costs}",
    ]
    lines += ["  " + c.line() for c in g.criteria]
    lines.append(f"  trials: {g.trials}")
    lines.append(
        f"  statistics: daily Sharpe {_number(stats.get('sharpe_per_day'), 4)} over "
        f"{stats.get('n_obs')} days, skew {_number(stats.get('skew'), 2)}, kurtosis (raw) "
        f"{_number(stats.get('kurtosis'), 2)}, PSR(0) {_number(stats.get('psr'), 3)}, expected "
        f"best daily Sharpe of the trials {_number(stats.get('expected_max_sharpe_per_day'), 4)},"
        f" MinTRL {_number(stats.get('min_trl_days'), 0)} days"
    )
    lines.append(
        f"  cohort PBO {_number(pbo.get('pbo'), 3)} ({pbo.get('n_strategies')} genomes), "
        f"degradation slope {_number(pbo.get('slope'), 2)}, P(out-of-sample loss) "
        f"{_number(pbo.get('prob_oos_loss'), 2)}"
    )
    lines.append(f"  buy-and-hold of the universe (validation, same costs): {_held_text(bh)}")
    if g.in_slots:
        lines.append(
            f"  buy-and-hold in the account's {g.slots} slots (validation, same costs): "
            + _held_text(g.in_slots)
        )
    if g.exposures:
        lines.append("  " + exposures_text(g.exposures))
    if g.years:
        lines.append("  Sharpe per year: " + ", ".join(f"{y} {_number(v, 2)}" for y, v in g.years))
    if g.weakest:
        lines.append(
            "  weakest variants: " + "; ".join(f"{c}: {_number(v, 2)}" for c, v in g.weakest)
        )
    lines.append(
        "  correlation with live strategies (validation): "
        + (
            ", ".join(f"{gid[:12]} {_number(rho, 2)}" for gid, rho in g.correlations.items())
            if g.correlations
            else "nothing is live"
        )
    )
    return lines


def exposures_text(found: dict[str, Any]) -> str:
    """A report's exposures (fitness.factors) as one line: what the rule is a bet on."""
    betas = ", ".join(
        f"{name} {_number(e.get('beta'), 2)} (t {_number(e.get('t'), 1)})"
        for name, e in found.get("betas", {}).items()
    )
    return (
        f"exposures (validation, after costs; beta and t): {betas}; R squared "
        f"{_number(found.get('r_squared'), 2)}"
    )


def _held_text(held: dict[str, Any]) -> str:
    return (
        f"Sharpe {_number(held.get('sharpe'), 2)}, CAGR {_percent(held.get('cagr'))}, "
        f"max drawdown {_percent(held.get('max_drawdown'))}"
    )


def holdout_lines(session: Session, holdout: HoldoutResult) -> list[str]:
    """The opened holdout as lines: window, who opened it when, costs and figures."""
    found = holdout_figures(session, holdout)
    return [] if found is None else window_lines(found)


def window_lines(f: WindowFigures) -> list[str]:
    """A candidate's figures on one window as lines (the holdout with buy-and-hold beside)."""
    if f.name == "holdout":
        return [
            f"  holdout {f.span} (id {f.window_id[:12]}), {f.source}; costs: {f.costs}",
            "    " + metrics_text(f.metrics or {}),
            "    buy-and-hold of the universe: " + metrics_text(f.buy_and_hold or {}),
        ]
    head = f"  {f.name} {f.span} (id {f.window_id[:12]}; costs: {f.costs})"
    if f.metrics is None:
        return [head, f"    not measured on this window ({f.source})"]
    return [head, f"    {metrics_text(f.metrics)}  [{f.source}]"]


def _ancestor_line(a: Ancestor) -> str:
    indent = "  " * (a.level + 1)
    if a.text is None:
        return f"{indent}{a.genome_id[:12]} (pruned: a parent that died)"
    return f"{indent}{a.genome_id[:12]} {a.origin:<20} {shown(a.text)}"


def _decision_line(d: Decision) -> str:
    flag = " OVERRIDE of a failed gate" if d.override else ""
    return (
        f"  {d.decided_at:%Y-%m-%d %H:%M} UTC {shown(d.reviewer)}: {d.action} ({d.from_status} -> "
        f"{d.to_status}){flag}: {d.note}"
    )


def metrics_text(m: dict[str, Any]) -> str:
    """Sharpe, CAGR, drawdown, trades, turnover and exposure in one line."""
    return (
        f"Sharpe {_number(m.get('sharpe'), 2)}  CAGR {_percent(m.get('cagr'))}  max drawdown "
        f"{_percent(m.get('max_drawdown'))}  trades {m.get('n_trades', '-')}  turnover "
        f"{_number(m.get('turnover'), 1)}/yr  exposure {_percent(m.get('exposure'))}"
    )


def _number(value: Any, digits: int) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def _percent(value: Any) -> str:
    return "-" if value is None else f"{100 * value:.1f}%"
