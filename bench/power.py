"""Discovery power: does a night find and promote a real edge, and never a false one?

Each night is `evolve nightly --discovery` followed by the gate, as the timer runs them (the
default configuration, `population` x `generations`, in a fresh lab whose data is the market):

- **Planted cells** (bench.planted): one market per seed for each edge kind and strength, the
  strength being the annualised Sharpe after costs of the kind's ideal rule (calibrated on
  other seeds). Per night: *found*, some candidate's validation returns, after removing their
  buy-and-hold component (least squares on buy-and-hold's daily returns), correlate above 0.4
  with the ideal rule's, treated alike; *promoted*, such a candidate passed the gate; *ideal
  passes*, the ideal rule itself, put forward as one more candidate after the night's, passes;
  *other passes*, candidates that passed without being found.
- **Null cells**: the planted generator with no edge, and real bars (the full dataset's
  symbols that trade on every day) with the order of days shuffled. Every candidate that
  passes is a false promotion; the rate is over all candidates gated, with its one-sided 95 %
  upper bound (Clopper-Pearson).
"""

from __future__ import annotations

import math
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from statistics import NormalDist
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import func, select

from bench.markets import long_bars, shuffled_bars
from bench.night_lab import NightSize, night_in_fresh_lab
from bench.planted import EDGES, Edge, calibrate, planted_market
from configs import LabConfig, load_config
from evolve.variation import child_of
from fitness.buy_and_hold import beyond, buy_and_hold
from fitness.score import WindowScorer
from fitness.windows import Window, build_windows
from genome.text import parse
from labkit.lab import put_forward
from market.panel import Panel
from market.sources import load_panel
from promotion.gating import gate_candidates
from promotion.lifecycle import GATEABLE
from store import open_database
from store.models import Candidate, GateReport, Genome, Run

__all__ = [
    "EDGES",
    "NightOutcome",
    "detectable_sharpe",
    "measure",
    "protection",
    "run_night",
    "table",
    "upper_bound",
    "verdicts",
]

NULL_SEED_OFFSET = 5000


@dataclass
class NightOutcome:
    """What one night gave."""

    cell: str
    seed: int
    gated: int = 0
    passed: int = 0
    found: bool = False
    promoted: bool = False
    other_passes: int = 0
    ideal_passed: bool | None = None
    ideal_failed: list[str] = field(default_factory=list)
    candidates: list[dict[str, Any]] = field(default_factory=list)
    seconds: float = 0.0


def detectable_sharpe(n_days: int, alpha: float = 0.05, power: float = 0.8) -> float:
    """The annualised Sharpe one pre-registered one-sided test at `alpha` over `n_days` daily
    returns detects with `power` (normal returns)."""
    z = NormalDist()
    return (z.inv_cdf(1 - alpha) + z.inv_cdf(power)) * math.sqrt(252 / n_days)


def upper_bound(successes: int, trials: int, confidence: float = 0.95) -> float:
    """One-sided Clopper-Pearson upper bound of a rate: the p at which `successes` or fewer in
    `trials` has probability 1 - `confidence` (found by bisection)."""
    if trials == 0 or successes >= trials:
        return 1.0

    def at_most(p: float) -> float:
        return sum(
            math.comb(trials, k) * p**k * (1 - p) ** (trials - k) for k in range(successes + 1)
        )

    low, high = successes / trials, 1.0
    for _ in range(60):
        middle = (low + high) / 2
        if at_most(middle) > 1 - confidence:
            low = middle
        else:
            high = middle
    return high


def measure(
    kinds: list[str],
    strengths: list[float],
    seeds: list[int],
    null_seeds: list[int],
    size: NightSize,
    full_data: Path | None,
    progress: Callable[[str], None] = print,
    calibration_seeds: tuple[int, ...] = (9001, 9002, 9003),
) -> dict[str, Any]:
    """Every cell (see the module docstring): nights of `size` and their summary."""
    config = load_config()
    calendar, _ = load_panel(config.data, config.alpaca)
    dates = calendar.dates
    windows = build_windows(calendar, config.windows, config.backtest)
    train, validation = windows["train"], windows["validation"]
    span = (train.start, validation.stop)
    nights: list[NightOutcome] = []
    drifts: dict[str, float] = {}
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as scratch:

        def one(
            name: str, market: Panel | pd.DataFrame, edge: Edge | None, cell: str, seed: int
        ) -> None:
            folder = Path(scratch) / name
            night = run_night(folder, market, edge, cell, seed, size)
            nights.append(night)
            progress(_line(night))
            shutil.rmtree(folder)

        for kind in kinds:
            edge = EDGES[kind]
            for strength in strengths:
                cell = f"{kind} {strength:g}"
                drift = calibrate(
                    dates,
                    edge,
                    strength,
                    config.backtest,
                    span,
                    config.windows.warmup_days,
                    calibration_seeds,
                )
                drifts[cell] = drift
                for seed in seeds:
                    market = planted_market(dates, edge, drift, seed)
                    one(f"{kind}-{strength:g}-{seed}", market, edge, cell, seed)
        for seed in null_seeds:
            # Other seeds than the planted markets': the null's noise is its own.
            market = planted_market(dates, EDGES["trend"], 0.0, NULL_SEED_OFFSET + seed)
            one(f"null-{seed}", market, None, "null generated", seed)
        if full_data is not None and full_data.exists():
            from market.bars import read_bars_file
            from market.problems import DataReport

            real = read_bars_file(full_data, DataReport(source=str(full_data)))
            for seed in null_seeds:
                one(f"shuffled-{seed}", shuffled_bars(real, seed), None, "null shuffled", seed)
    return {
        **asdict(size),
        "validation_days": validation.n_days,
        "detectable_sharpe_80": detectable_sharpe(validation.n_days),
        "drifts": drifts,
        "cells": summarise(nights),
        "nights": [asdict(n) for n in nights],
        "seconds": time.perf_counter() - started,
    }


def protection(population: int = 32, generations: int = 6) -> dict[str, Any]:
    """The gate's protection, small enough for every test run: two generated null markets and
    the bundled bars with their days shuffled (every pass a false promotion), and a market
    with a planted momentum edge (drift 0.0025 a day) that a night should find and promote."""
    from market.bars import read_bars_file
    from market.problems import DataReport
    from market.sources import BUNDLED_BARS

    bundled = read_bars_file(BUNDLED_BARS, DataReport(source="bundled"))
    dates = np.sort(bundled["date"].unique()).astype("datetime64[D]")
    size = NightSize(population, generations)
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        nulls = [
            run_night(folder / f"null-{seed}", market, None, "null", seed, size)
            for seed, market in (
                (seed, planted_market(dates, EDGES["trend"], 0.0, seed)) for seed in (1, 2)
            )
        ]
        shuffled = shuffled_bars(bundled, 1)
        nulls.append(run_night(folder / "shuffled", shuffled, None, "null", 1, size))
        reports = [r for _, r, _ in verdicts(f"sqlite:///{folder / 'shuffled' / 'research.db'}")]
        edge = EDGES["momentum"]
        market = planted_market(dates, edge, 0.0025, seed=1)
        planted = run_night(
            folder / "planted", market, edge, "momentum", 1, NightSize(population, 6)
        )
    return {
        "null": {
            "nights": len(nulls),
            "nights_gated": sum(bool(n.gated) for n in nulls),
            "gated": sum(n.gated for n in nulls),
            "passed": sum(n.passed for n in nulls),
            "criteria_per_report": sorted({len(r.criteria) for r in reports}),
            "failures_without_reason": sum(not r.passed and not r.reasons for r in reports),
        },
        "planted": asdict(planted),
    }


def summarise(nights: list[NightOutcome]) -> dict[str, dict[str, Any]]:
    """Per cell: nights, found, promoted, ideal passes, false promotions and their bound."""
    out: dict[str, dict[str, Any]] = {}
    for cell in dict.fromkeys(n.cell for n in nights):
        group = [n for n in nights if n.cell == cell]
        gated = sum(n.gated for n in group)
        passed = sum(n.passed for n in group)
        row: dict[str, Any] = {"nights": len(group), "gated": gated, "passed": passed}
        if cell.startswith("null"):
            row["false_promotion_rate"] = passed / gated if gated else 0.0
            row["false_promotion_bound"] = upper_bound(passed, gated)
        else:
            row["found"] = sum(n.found for n in group) / len(group)
            row["promoted"] = sum(n.promoted for n in group) / len(group)
            ideal = [n.ideal_passed for n in group if n.ideal_passed is not None]
            row["ideal_passes"] = sum(ideal) / len(ideal) if ideal else None
            row["other_passes"] = sum(n.other_passes for n in group)
            failed: dict[str, int] = {}
            for n in group:
                for name in n.ideal_failed:
                    failed[name] = failed.get(name, 0) + 1
            row["ideal_failed"] = failed
        out[cell] = row
    return out


def table(figures: dict[str, Any]) -> list[str]:
    """The figures as a Markdown table, with the single-test detection line."""
    lines = [
        f"validation {figures['validation_days']} days: one pre-registered one-sided 5 % test "
        f"detects an annualised Sharpe of {figures['detectable_sharpe_80']:.2f} with 80 % power",
        "",
        "| cell | drift/day | nights | found | promoted | ideal passes | ideal fails on |"
        " other passes |",
        "|---|---|---|---|---|---|---|---|",
    ]
    nulls = []
    for cell, row in figures["cells"].items():
        if cell.startswith("null"):
            nulls.append(
                f"| {cell} | {row['nights']} | {row['gated']} | {row['passed']} | "
                f"{row['false_promotion_rate']:.1%} | {row['false_promotion_bound']:.1%} |"
            )
            continue
        ideal = row["ideal_passes"]
        fails = ", ".join(f"{k} {v}" for k, v in sorted(row["ideal_failed"].items())) or "-"
        lines.append(
            f"| {cell} | {figures['drifts'].get(cell, 0):.5f} | {row['nights']} | "
            f"{row['found']:.0%} | {row['promoted']:.0%} | "
            f"{'-' if ideal is None else f'{ideal:.0%}'} | {fails} | {row['other_passes']} |"
        )
    lines += [
        "",
        "| null market | nights | candidates gated | passed | false-promotion rate |"
        " 95 % upper bound |",
        "|---|---|---|---|---|---|",
        *nulls,
    ]
    return lines


def _line(night: NightOutcome) -> str:
    ideal = (
        ""
        if night.ideal_passed is None
        else f" ideal {'pass' if night.ideal_passed else 'FAIL ' + ','.join(night.ideal_failed)}"
    )
    return (
        f"{night.cell} seed {night.seed}: gated {night.gated} passed {night.passed} "
        f"found {night.found} promoted {night.promoted}{ideal} ({night.seconds:.0f} s)"
    )


def run_night(
    folder: Path,
    market: Panel | pd.DataFrame,
    edge: Edge | None,
    cell: str,
    seed: int,
    size: NightSize,
) -> NightOutcome:
    """One night of `size` in a fresh lab in `folder` whose data is `market`; with an `edge`,
    also whether the night found and promoted it and the gate's verdict on its ideal rule."""
    started = time.perf_counter()
    if isinstance(market, Panel):
        fields = ("open", "high", "low", "close", "volume")
        arrays = {f: getattr(market, f) for f in fields}
        bars = long_bars(pd.Index(market.dates), list(market.symbols), arrays)
    else:
        bars = market
    # A planted market's benchmark is its first symbol; real data has SPY.
    benchmark = "S00" if isinstance(market, Panel) else "SPY"
    config, db, _ = night_in_fresh_lab(folder, bars, benchmark, size, seed)
    rows = verdicts(db)
    night = NightOutcome(cell, seed, gated=len(rows), passed=sum(r.passed for _, r, _ in rows))
    found: list[bool | None] = [None] * len(rows)
    if edge is not None:
        panel, report = load_panel(config.data, config.alpaca)
        windows = build_windows(panel, config.windows, config.backtest)
        exploits = _exploiting(
            panel, windows["validation"], config, edge.rule, [text for _, _, text in rows]
        )
        found = list(exploits)
        night.found = any(exploits)
        night.promoted = any(f and r.passed for f, (_, r, _) in zip(exploits, rows, strict=True))
        night.other_passes = sum(
            (not f) and r.passed for f, (_, r, _) in zip(exploits, rows, strict=True)
        )
        night.ideal_passed, night.ideal_failed = _ideal(
            db, config, panel, report.source, windows, edge.rule
        )
    night.candidates = [
        {"genome": text, "found": f, "passed": r.passed, "failed": _failed(r.criteria)}
        for f, (_, r, text) in zip(found, rows, strict=True)
    ]
    night.seconds = time.perf_counter() - started
    return night


def verdicts(db_url: str) -> list[tuple[Candidate, GateReport, str]]:
    """Each gated candidate with its newest report and genome text."""
    database = open_database(db_url)
    out = []
    with database.transaction() as session:
        for candidate in session.scalars(select(Candidate).order_by(Candidate.id)):
            report = session.scalars(
                select(GateReport)
                .where(GateReport.candidate_id == candidate.id)
                .order_by(GateReport.id.desc())
            ).first()
            if report is not None:
                text = session.get_one(Genome, candidate.genome_id).text
                out.append((candidate, report, text))
        session.expunge_all()
    database.close()
    return out


def _exploiting(
    panel: Panel, validation: Window, config: LabConfig, rule: str, texts: list[str]
) -> list[bool]:
    # Does each genome's validation return, beyond buy-and-hold, follow the ideal rule's?
    scorer = WindowScorer(panel, validation, config.backtest)
    market = buy_and_hold(panel, validation, config.backtest).result.returns
    _, reference = beyond(scorer.score(parse(rule)).result.returns, market)
    out = []
    for text in texts:
        _, own = beyond(scorer.score(parse(text)).result.returns, market)
        moves = np.std(own) > 0 and np.std(reference) > 0
        out.append(bool(moves and np.corrcoef(own, reference)[0, 1] > 0.4))
    return out


def _ideal(
    db: str, config: LabConfig, panel: Panel, source: str, windows: dict[str, Window], rule: str
) -> tuple[bool, list[str]]:
    # The ideal rule put forward as one more candidate, after the night's, and gated.
    database = open_database(db)
    try:
        with database.transaction() as session:
            gid = child_of(parse(rule), "user").id
            candidate = session.scalars(select(Candidate).where(Candidate.genome_id == gid)).first()
            if candidate is None:
                run_id = session.scalars(select(func.max(Run.id))).one()
                candidate = put_forward(session, rule, run_id)
            elif candidate.status not in GATEABLE:
                return False, ["status"]
            (outcome,) = gate_candidates(session, panel, source, windows, config, [candidate])
            return outcome.verdict.passed, _failed([c.as_dict() for c in outcome.verdict.criteria])
    finally:
        database.close()


def _failed(criteria: list[dict[str, Any]]) -> list[str]:
    return [c["name"] for c in criteria if c["required"] and not c["passed"]]
