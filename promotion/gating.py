"""Run the gate on candidates and store the reports: the I/O around `promotion.gate.judge`.

    which        <- the pending candidates, or with a budget (gate.period_budget) the fittest
                    on train that the validation period still has room for (to_judge)
    trials       <- research.db: every candidate tested on the validation window, this batch
                    included (promotion.trials)
    live book    <- approved and live candidates, their validation returns
    cohort       <- the candidates gated together and the best genomes of the newest population
                    (by train score), up to gate.pbo_cohort; PBO of their validation returns
    per candidate: measure (promotion.measure) -> judge -> a new GateReport;
                   status gate_passed or gate_failed

Reports are never changed: gating a candidate again adds a report, and its status follows the
newest one. Only candidates whose status is candidate, gate_passed or gate_failed are gated.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from configs import BacktestConfig, GateConfig, LabConfig
from configs.version import code_version
from fitness.portfolio import WORST_FITNESS, highest_correlation
from fitness.windows import Window
from genome.errors import GenomeError
from genome.text import parse
from market.exchange import TRADING_DAYS
from market.panel import Panel
from promotion.following import record_forward
from promotion.gate import CohortPBO, Verdict, judge, unmeasurable
from promotion.incubation import incubation_lines
from promotion.lifecycle import GATEABLE, PromotionError, genome_texts, in_status
from promotion.measure import Measurer
from promotion.statistics import StatisticsError, pass_line, pbo
from promotion.trials import Trials, count_trials, judged_on
from promotion.watch import record_decays, watch_strategies
from store.data_records import record_data
from store.lifecycle import BOOK, CandidateStatus, move_candidate
from store.models import (
    Candidate,
    GateReport,
    Generation,
    Genome,
    PopulationMember,
)
from store.quarantine import quarantine

__all__ = ["GateOutcome", "gate_candidates", "gate_lines", "gate_pending"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class GateOutcome:
    """A gated candidate: its text, its stored report and the verdict."""

    candidate_id: int
    genome_text: str
    report_id: int
    verdict: Verdict


def gate_candidates(
    session: Session,
    panel: Panel,
    source: str,
    windows: dict[str, Window],
    config: LabConfig,
    candidates: Sequence[Candidate],
    run_id: int | None = None,
) -> list[GateOutcome]:
    """Gate `candidates` on `windows["validation"]` and store a report for each (added to
    `session`, not committed).

    Raises:
        PromotionError: a candidate whose status cannot be gated (approved, live, ...).
    """
    for candidate in candidates:
        if candidate.status not in GATEABLE:
            raise PromotionError(
                f"candidate {candidate.id} is {candidate.status}: only "
                f"{', '.join(GATEABLE)} candidates go through the gate"
            )
    # A candidate whose genome text is quarantined (it does not parse, or it is not the
    # genome its id names) is left out: it stays where it is, named in the quarantine.
    texts = genome_texts(session, [c.genome_id for c in candidates])
    candidates = [c for c in candidates if c.genome_id in texts]
    if not candidates:
        return []
    rules, gate = config.backtest, config.gate
    train, validation = windows["train"], windows["validation"]
    record_data(session, panel, source, windows, rules)
    measurer = Measurer(panel, train, validation, rules, gate)
    trials = count_trials(
        session,
        validation.id,
        train.id,
        [c.genome_id for c in candidates],
        gate.trials,
        gate.correlation_sample,
        partial(_returns, measurer),
        gate.period_budget,
    )
    live = _live_returns(session, measurer)
    cohort = _cohort_pbo(session, measurer, [texts[c.genome_id] for c in candidates], config)
    version = code_version()
    against = _Against(measurer, trials, live, cohort, gate, rules)
    out = []
    for candidate in candidates:
        text = texts[candidate.genome_id]
        verdict = _verdict(session, candidate, text, against)
        report = GateReport(
            candidate_id=candidate.id,
            genome_id=candidate.genome_id,
            run_id=run_id,
            config_id=config.id,
            code_version=version,
            panel_fingerprint=panel.fingerprint,
            train_window_id=train.id,
            validation_window_id=validation.id,
            passed=verdict.passed,
            reasons=verdict.reasons,
            criteria=[c.as_dict() for c in verdict.criteria],
            details=verdict.details,
        )
        session.add(report)
        session.flush()
        move_candidate(
            session,
            candidate,
            "gate_pass" if verdict.passed else "gate_fail",
            "gate",
            _gate_note(verdict),
            gate_report_id=report.id,
        )
        # One short line (the summary and `promote show` give each criterion's value).
        log.info("candidate %d %s: %s", candidate.id, candidate.status, _gate_note(verdict))
        out.append(GateOutcome(candidate.id, text, report.id, verdict))
    return out


@dataclass(frozen=True)
class _Against:
    # What every candidate of one gating is judged against.
    measurer: Measurer
    trials: Trials
    live: dict[str, np.ndarray]
    cohort: CohortPBO
    gate: GateConfig
    rules: BacktestConfig


def _verdict(session: Session, candidate: Candidate, text: str, against: _Against) -> Verdict:
    try:
        m = against.measurer.measure(parse(text))
    except Exception as e:  # a genome that cannot be measured fails, the others go on
        if isinstance(e, GenomeError):
            quarantine(session, "genomes", candidate.genome_id, str(e))
        log.warning("candidate %d cannot be measured: %s: %s", candidate.id, type(e).__name__, e)
        return unmeasurable(f"{type(e).__name__}: {e}")
    returns = m.validation.result.returns
    correlations = {
        gid: highest_correlation(returns, [series])
        for gid, series in against.live.items()
        if gid != candidate.genome_id
    }
    return judge(m, against.trials, correlations, against.cohort, against.gate, against.rules)


def _gate_note(verdict: Verdict) -> str:
    failed = [c.name for c in verdict.criteria if c.required and not c.passed]
    if verdict.passed:
        return "passed every required criterion"
    return f"failed: {', '.join(failed)}" if failed else "; ".join(verdict.reasons)


def gate_pending(config: LabConfig) -> Callable[..., list[str]]:
    """The step that ends a nightly run: gate the pending candidates with the night's data (all
    of them, or with `gate.period_budget` those the period still has room for, see `to_judge`),
    record the forward sessions of the candidates followed (promotion.following), say which
    incubating strategies passed their test (promotion.incubation), watch the incubating,
    approved and live strategies for decay (promotion.watch), and say how it went (see
    evolve.nightly.AfterRun)."""

    def run(
        session: Session, panel: Panel, source: str, windows: dict[str, Window], run_id: int
    ) -> list[str]:
        pending = in_status(session, CandidateStatus.CANDIDATE).rows
        budget = config.gate.period_budget
        spent = judged_on(session, windows["validation"].id) if budget else 0
        candidates, waiting = to_judge(pending, spent, budget)
        outcomes = gate_candidates(session, panel, source, windows, config, candidates, run_id)
        lines = gate_lines(outcomes, windows["validation"], config.backtest, config.gate.min_dsr)
        if budget:
            lines.insert(1, budget_line(spent + len(outcomes), budget, len(waiting)))
        lines.append(record_forward(session, panel, config, run_id))
        lines += incubation_lines(session, config.incubation)
        watched = watch_strategies(session, panel, windows, config)
        return lines + record_decays(session, watched, run_id)

    return run


def to_judge(
    pending: Sequence[Candidate], spent: int, budget: int
) -> tuple[list[Candidate], list[Candidate]]:
    """The pending candidates a night judges, and those that wait: all of them without a budget
    (`budget` 0); with one, the fittest on the train window they were bred on (ties: the older
    first) until `budget` candidates have been judged on the period, `spent` already."""
    if not budget:
        return list(pending), []
    ranked = sorted(pending, key=lambda c: (-_finite(c.fitness), c.id))
    room = max(budget - spent, 0)
    return ranked[:room], ranked[room:]


def _finite(fitness: float) -> float:
    return fitness if math.isfinite(fitness) else -math.inf


def budget_line(spent: int, budget: int, waiting: int) -> str:
    """What is spent of the validation period's budget, and how many candidates wait."""
    wait = f"; {waiting} candidate(s) wait for the next period" if waiting else ""
    return f"  budget: {spent} of {budget} candidate(s) judged on this validation period{wait}"


def gate_lines(
    outcomes: Sequence[GateOutcome], validation: Window, rules: BacktestConfig, min_dsr: float
) -> list[str]:
    """A summary: one line per candidate with its verdict and the criteria it failed."""
    passed = sum(o.verdict.passed for o in outcomes)
    lines = [
        f"gate: {len(outcomes)} candidate(s), {passed} passed (window {validation.describe()}; "
        f"costs: {rules.costs_text()})"
    ]
    trials = outcomes[0].verdict.details.get("trials") if outcomes else None
    if trials is not None and validation.n_days >= 2 and 0 < min_dsr < 1:
        line = pass_line(trials["n"], validation.n_days, min_dsr) * math.sqrt(TRADING_DAYS)
        lines.append(
            f"  N = {trials['n']:g} on this validation period: a candidate with no skew and "
            f"normal tails passes the deflation at a validation Sharpe of {line:.2f} "
            f"(DSR >= {min_dsr:g})"
        )
    for o in outcomes:
        failed = [c.name for c in o.verdict.criteria if c.required and not c.passed]
        verdict = "passed" if o.verdict.passed else "failed: " + ", ".join(failed)
        lines.append(f"  candidate {o.candidate_id} {verdict}  {o.genome_text}")
    if passed:
        lines.append("  review them with `promote review`")
    return lines


def _live_returns(session: Session, measurer: Measurer) -> dict[str, np.ndarray]:
    ids = session.scalars(
        select(Candidate.genome_id).where(Candidate.status.in_(BOOK)).order_by(Candidate.id)
    ).all()
    texts = genome_texts(session, ids)
    found = {gid: _returns(measurer, text) for gid, text in texts.items()}
    return {gid: returns for gid, returns in found.items() if returns is not None}


def _cohort_pbo(
    session: Session, measurer: Measurer, candidates: list[str], config: LabConfig
) -> CohortPBO:
    gate = config.gate
    members = list(dict.fromkeys(candidates))
    newest = session.scalars(select(Generation).order_by(Generation.number.desc()).limit(1)).first()
    if newest is not None and len(members) < gate.pbo_cohort:
        best = session.scalars(
            select(Genome.text)
            .join(PopulationMember, PopulationMember.genome_id == Genome.id)
            .where(
                PopulationMember.generation_id == newest.id,
                PopulationMember.score > WORST_FITNESS,
            )
            .order_by(PopulationMember.score.desc(), Genome.id)
        ).all()
        for text in dict.fromkeys(best):
            if len(members) >= gate.pbo_cohort:
                break
            if text not in members:
                members.append(text)
    columns = [r for r in (_returns(measurer, t) for t in members) if r is not None]
    try:
        result = pbo(np.column_stack(columns), gate.pbo_splits)
    except StatisticsError as e:
        return CohortPBO(None, len(columns), gate.pbo_splits, reason=str(e))
    return CohortPBO(
        result.pbo,
        len(columns),
        gate.pbo_splits,
        result.slope,
        result.intercept,
        result.prob_oos_loss,
    )


def _returns(measurer: Measurer, text: str) -> np.ndarray | None:
    # The validation returns of a genome; one that does not parse or evaluate is left out (of
    # the cohort, or of the live book's correlations) with a warning.
    try:
        return measurer.returns(parse(text))
    except Exception as e:  # one genome's failure is its own
        log.warning("genome %r failed on the validation window: %s: %s", text, type(e).__name__, e)
        return None
