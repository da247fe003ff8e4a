"""The gate's verdict: every criterion with its value, rule, threshold and outcome, from the
measurements of one candidate (pure: no database, no clock).

Criteria (thresholds from [gate] in the configuration; all on the validation window, after
costs, unless said otherwise):

    dsr                 Deflated Sharpe Ratio >= min_dsr: the probability that the true Sharpe
                        is positive, given that N candidates were tested on the validation
                        window (promotion.trials)
    sharpe              annualised Sharpe >= min_sharpe
    beats_buy_and_hold  Sharpe > that of equal-weight buy-and-hold of the universe and that
                        of buy-and-hold in the account's own slots (the always-on rule)
    edge_over_buy_and_hold
                        the same deflated test on the returns left after removing their least-
                        squares betas on both buy-and-holds (the edge that holding the market,
                        or holding the names the slot rule fills first, does not explain;
                        Jensen's alpha as a Sharpe ratio) >= buy_and_hold_confidence: on a
                        drifting market, a strategy that holds a slice of it looks good by its
                        beta alone, and one that is almost always on by the slot rule's size
                        tilt; this asks for an edge beyond both
    trades              trades >= min_trades
    max_drawdown        largest drawdown <= max_drawdown
    cost_stress         Sharpe with costs x cost_multiplier > min_stressed_sharpe
    live_correlation    highest correlation of daily returns with a live strategy
                        <= max_live_correlation (passes when nothing is live)
    pbo                 PBO of the night's cohort <= max_pbo (required with pbo_required)
    lookahead           signals on cut data == signals on the whole window (0 mismatches)
    robustness          median Sharpe of the one-step variants >= robustness_share x Sharpe
                        (passes when the genome has no lookback or constant to move)
    stability           share of positive calendar years (train and validation) >=
                        min_positive_years

A criterion that cannot be computed (too few observations, no cohort) fails, with the reason:
the gate fails closed.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from configs import BacktestConfig, GateConfig
from fitness.buy_and_hold import beyond
from fitness.metrics import moments
from market.exchange import TRADING_DAYS
from promotion.measure import Measurement, stressed_rules
from promotion.statistics import StatisticsError, dsr, expected_max_sharpe, min_trl, psr
from promotion.trials import Trials
from store.json_values import json_number, json_numbers

__all__ = ["CohortPBO", "Criterion", "Verdict", "judge", "unmeasurable"]


@dataclass(frozen=True)
class Criterion:
    """One criterion of the gate: the value, the rule and threshold, and whether it passed."""

    name: str
    meaning: str
    value: float | None
    rule: str  # ">=", "<=", ">" or "=="
    threshold: float | None
    required: bool
    passed: bool
    note: str = ""

    def as_dict(self) -> dict[str, Any]:
        """The criterion as JSON-ready values."""
        return {k: json_number(v) for k, v in dataclasses.asdict(self).items()}

    @classmethod
    def from_dict(cls, row: dict[str, Any]) -> Criterion:
        """The criterion from a stored dict (a missing field reads empty)."""
        return cls(**{f.name: row.get(f.name, "") for f in dataclasses.fields(cls)})

    def line(self) -> str:
        """One line: verdict, name, value against threshold, meaning."""
        mark = "pass" if self.passed else ("FAIL" if self.required else "fail (not required)")
        value = "n/a" if self.value is None else f"{self.value:.4g}"
        bound = "" if self.threshold is None else f" {self.rule} {self.threshold:.4g}"
        note = f" ({self.note})" if self.note else ""
        return f"{mark:<5} {self.name:<22} {value}{bound}  {self.meaning}{note}"


@dataclass(frozen=True)
class CohortPBO:
    """PBO of the cohort a candidate was gated with (None with the reason when it could not
    be computed)."""

    pbo: float | None
    n_strategies: int
    n_splits: int
    slope: float | None = None
    intercept: float | None = None
    prob_oos_loss: float | None = None
    reason: str = ""

    def as_dict(self) -> dict[str, Any]:
        """The PBO as JSON-ready values."""
        return {k: json_number(v) for k, v in dataclasses.asdict(self).items()}


@dataclass(frozen=True)
class Verdict:
    """The gate's verdict on a candidate: passed, every criterion, and the figures behind them."""

    passed: bool
    criteria: tuple[Criterion, ...]
    details: dict[str, Any]

    @property
    def reasons(self) -> list[str]:
        """One line per required criterion that failed."""
        return [c.line() for c in self.criteria if c.required and not c.passed]


def judge(
    m: Measurement,
    trials: Trials,
    live: dict[str, float],
    cohort: CohortPBO,
    gate: GateConfig,
    rules: BacktestConfig,
) -> Verdict:
    """The verdict on a candidate measured as `m`, found among `trials`, whose validation
    returns correlate with the live strategies as `live` (genome id -> correlation)."""
    stats, dsr_value, dsr_note = _deflation(m, trials)
    criteria = (
        *_return_criteria(m, stats, (dsr_value, dsr_note), trials, gate),
        *_soundness_criteria(m, live, cohort, gate),
    )
    details = {
        "statistics": stats,
        "trials": trials.as_dict(),
        "trials_text": trials.describe(),
        "validation": json_numbers(m.validation.metrics.as_dict()),
        "stressed": json_numbers(m.stressed.as_dict()),
        "buy_and_hold": json_numbers(m.buy_and_hold.as_dict()),
        "in_slots": json_numbers(m.in_slots.as_dict()),
        "costs": dataclasses.asdict(rules),
        "stressed_costs": dataclasses.asdict(stressed_rules(rules, gate.cost_multiplier)),
        "variants": [dataclasses.asdict(v) for v in m.variants],
        "years": [dataclasses.asdict(y) for y in m.years],
        "lookahead": [dataclasses.asdict(c) for c in m.lookahead],
        "pbo": cohort.as_dict(),
        "live_correlations": {k: json_number(v) for k, v in live.items()},
        "exposures": None if m.exposures is None else m.exposures.as_dict(),
    }
    passed = all(c.passed for c in criteria if c.required)
    return Verdict(passed, criteria, details)


def _return_criteria(
    m: Measurement,
    stats: dict[str, Any],
    dsr: tuple[float | None, str],
    trials: Trials,
    gate: GateConfig,
) -> tuple[Criterion, ...]:
    # What the validation returns must show: deflated and plain Sharpe, an edge over
    # buy-and-hold, enough trades, a bounded drawdown, a Sharpe that survives higher costs.
    metrics = m.validation.metrics
    sharpe = metrics.sharpe
    dsr_value, dsr_note = dsr
    edge, edge_note = _edge_over(m, stats)
    bh = max(m.buy_and_hold.sharpe, m.in_slots.sharpe)
    return (
        _at_least(
            "dsr",
            f"Deflated Sharpe Ratio (validation; N = {trials.n:.4g} tested there)",
            dsr_value,
            gate.min_dsr,
            dsr_note,
        ),
        _at_least("sharpe", "annualised Sharpe after costs", sharpe, gate.min_sharpe),
        Criterion(
            "beats_buy_and_hold",
            "Sharpe above buy-and-hold of the universe and in the account's slots",
            sharpe,
            ">",
            bh,
            gate.beat_buy_and_hold,
            sharpe > bh,
        ),
        Criterion(
            "edge_over_buy_and_hold",
            "deflated Sharpe of the returns beyond both buy-and-holds (alpha)",
            edge,
            ">=",
            gate.buy_and_hold_confidence,
            gate.beat_buy_and_hold,
            edge is not None and edge >= gate.buy_and_hold_confidence,
            edge_note,
        ),
        _at_least("trades", "trades", float(metrics.n_trades), float(gate.min_trades)),
        _at_most("max_drawdown", "largest drawdown", metrics.max_drawdown, gate.max_drawdown),
        Criterion(
            "cost_stress",
            f"Sharpe with costs x{gate.cost_multiplier:g}",
            m.stressed.sharpe,
            ">",
            gate.min_stressed_sharpe,
            True,
            m.stressed.sharpe > gate.min_stressed_sharpe,
        ),
    )


def _soundness_criteria(
    m: Measurement, live: dict[str, float], cohort: CohortPBO, gate: GateConfig
) -> tuple[Criterion, ...]:
    # What the rule must be besides profitable: new beside the live strategies, not the best
    # of an overfit cohort, free of look-ahead, robust to a step of its lookbacks and
    # constants, positive across years.
    sharpe = m.validation.metrics.sharpe
    typical = float(np.median([v.sharpe for v in m.variants])) if m.variants else None
    positive = [y for y in m.years if y.sharpe > 0]
    share = len(positive) / len(m.years) if m.years else None
    highest = max(live.values()) if live else None
    mismatches = sum(c.mismatches for c in m.lookahead)
    return (
        Criterion(
            "live_correlation",
            "highest correlation with a live strategy",
            highest,
            "<=",
            gate.max_live_correlation,
            True,
            highest is None or highest <= gate.max_live_correlation,
            "" if live else "nothing is live",
        ),
        Criterion(
            "pbo",
            f"PBO of the night's cohort ({cohort.n_strategies} genomes, {cohort.n_splits} blocks)",
            cohort.pbo,
            "<=",
            gate.max_pbo,
            gate.pbo_required,
            cohort.pbo is not None and cohort.pbo <= gate.max_pbo,
            cohort.reason,
        ),
        Criterion(
            "lookahead",
            f"signal cells that change when later data arrives ({len(m.lookahead)} cuts)",
            float(mismatches),
            "==",
            0.0,
            True,
            mismatches == 0 and len(m.lookahead) > 0,
        ),
        Criterion(
            "scale_free",
            "signals unchanged when a symbol's prices or volume are rescaled (no price levels)",
            None,
            "==",
            None,
            True,
            m.scale_problem is None,
            m.scale_problem or "",
        ),
        Criterion(
            "robustness",
            f"median Sharpe of {len(m.variants)} one-step variants",
            typical,
            ">=",
            gate.robustness_share * sharpe,
            True,
            typical is None or (sharpe > 0 and typical >= gate.robustness_share * sharpe),
            "no lookback or constant to move"
            if typical is None
            else ("" if sharpe > 0 else "the candidate's own Sharpe is not positive"),
        ),
        _at_least(
            "stability",
            f"share of positive years ({len(positive)} of {len(m.years)})",
            share,
            gate.min_positive_years,
        ),
    )


def unmeasurable(reason: str) -> Verdict:
    """The verdict on a candidate that could not be measured at all (its stored genome text
    does not parse, or it fails to evaluate): failed, with the reason."""
    criterion = Criterion(
        "measurable",
        "the genome parses and can be measured on the validation window",
        None,
        "==",
        None,
        True,
        False,
        reason,
    )
    return Verdict(False, (criterion,), {"error": reason})


def _daily(m: Measurement) -> tuple[float, int, float, float]:
    # What the PSR family takes: per-observation Sharpe, observations, skew, raw kurtosis.
    metrics = m.validation.metrics
    return metrics.sharpe / math.sqrt(TRADING_DAYS), metrics.n_days, metrics.skew, metrics.kurtosis


def _deflation(m: Measurement, trials: Trials) -> tuple[dict[str, Any], float | None, str]:
    # SR0 is the best Sharpe expected of N candidates with no edge, each measured on the same
    # n_obs days: their Sharpe estimates spread with the variance of an estimate under that
    # null, 1 / (n_obs - 1) (not with the spread of the candidates' Sharpe ratios, which grows
    # with the very edges the gate is meant to pass).
    sr, n_obs, skew, kurtosis = _daily(m)
    stats: dict[str, Any] = {
        "sharpe_per_day": sr,
        "n_obs": n_obs,
        "skew": skew,
        "kurtosis": kurtosis,
    }
    try:
        null_variance = 1.0 / (n_obs - 1) if n_obs > 1 else 0.0
        stats["null_variance"] = null_variance
        sr0 = expected_max_sharpe(trials.n, null_variance)
        stats["expected_max_sharpe_per_day"] = sr0
        stats["psr"] = psr(sr, n_obs, skew, kurtosis)
        value = dsr(sr, n_obs, skew, kurtosis, trials.n, null_variance)
        stats["dsr"] = value
    except StatisticsError as e:
        return {k: json_number(v) for k, v in stats.items()}, None, str(e)
    try:
        stats["min_trl_days"] = min_trl(sr, skew, kurtosis, sr0)
    except StatisticsError:
        stats["min_trl_days"] = None  # not above SR0: no track record is long enough
    return {k: json_number(v) for k, v in stats.items()}, value, ""


def _edge_over(m: Measurement, stats: dict[str, Any]) -> tuple[float | None, str]:
    # The excess returns x = r - beta r_bh - beta_slots r_slots (betas by least squares on the
    # validation days) and their PSR against the same SR0 as the DSR; written into `stats`.
    r = m.validation.result.returns
    sr0 = stats.get("expected_max_sharpe_per_day")
    if sr0 is None:
        return None, "no deflation benchmark (see dsr)"
    (beta, beta_slots), excess = beyond(r, m.held)
    sd = float(np.std(excess, ddof=1)) if len(excess) > 1 else 0.0
    # Nothing left beyond both buy-and-holds (up to rounding): there is no edge to test.
    if sd <= 1e-9 * float(np.std(r)):
        return None, "the returns beyond buy-and-hold (universe and slots) do not vary"
    sr_x = float(np.mean(excess)) / sd
    skew, kurtosis = moments(excess)
    stats.update(
        beta=json_number(beta),
        beta_slots=json_number(beta_slots),
        excess_sharpe_per_day=json_number(sr_x),
        excess_skew=json_number(skew),
        excess_kurtosis=json_number(kurtosis),
    )
    try:
        value = psr(sr_x, len(excess), skew, kurtosis, sr0)
        stats["psr_over_buy_and_hold_sharpe"] = psr(
            *_daily(m), m.buy_and_hold.sharpe / math.sqrt(TRADING_DAYS)
        )
    except StatisticsError as e:
        return None, str(e)
    stats["edge"] = value
    return value, ""


def _at_least(
    name: str, meaning: str, value: float | None, threshold: float, note: str = ""
) -> Criterion:
    ok = value is not None and value >= threshold
    return Criterion(name, meaning, value, ">=", threshold, True, ok, note)


def _at_most(
    name: str, meaning: str, value: float | None, threshold: float, note: str = ""
) -> Criterion:
    ok = value is not None and value <= threshold
    return Criterion(name, meaning, value, "<=", threshold, True, ok, note)
