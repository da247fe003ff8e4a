"""Does the gate protect the user? Discovery nights followed by the gate on markets with a known
answer (bench.markets), as the nightly timer runs them.

- Null: shuffled real markets, one per seed. Every candidate the gate passes is a false
  promotion; the rate is passed / gated over all seeds.
- Planted: a market with a real rebound edge, one night per seed. A candidate exploits the edge
  when its validation returns correlate above 0.4 with those of the planted rule
  `lt(ret, -0.02)`; the figures say how often a night's search finds such a candidate and how
  often the gate then passes one.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import select

from bench.markets import planted_bars, shuffled_bars
from configs import LabConfig, load_config
from evolve.nightly import NightOptions, run_nightly
from fitness.bars import read_bars_file
from fitness.market_data import load_panel
from fitness.problems import DataReport
from fitness.score import WindowScorer
from fitness.windows import build_windows
from genome.text import parse
from promotion.gating import gate_pending
from store import open_database
from store.models import Candidate, GateReport, Genome

__all__ = ["PLANTED_RULE", "exploiting", "measure", "night_then_gate", "verdicts", "write_lab"]

PLANTED_RULE = "lt(ret, -0.02)"
DISCOVERY = """
[evolve]
population = {population}
elite = 2
tournament = 3
novelty_k = 5
hall_of_fame = 5
candidates = 5
refine_candidates = 1
refine_trials = 4
workers = {workers}
subtree_cache_mb = 16
lock_file = "evolve-nightly.lock"
"""


def write_lab(
    folder: Path, bars: pd.DataFrame, population: int = 32, workers: int = 1, extra: str = ""
) -> tuple[LabConfig, str]:
    """A lab in `folder` whose data is `bars` (written as CSV): its config and database URL."""
    folder.mkdir(parents=True, exist_ok=True)
    bars.to_csv(folder / "bars.csv", index=False)
    path = folder / "lab.toml"
    text = DISCOVERY.format(population=population, workers=workers)
    path.write_text(text + f'\n[data]\nsource = "bars.csv"\n{extra}')
    return load_config(path), f"sqlite:///{folder / 'research.db'}"


def night_then_gate(config: LabConfig, db_url: str, generations: int, seed: int) -> list[str]:
    """One discovery night of `generations`, ending with the gate; the gate's summary lines."""
    options = NightOptions(discovery=True, generations=generations, seed=seed)
    return run_nightly(config, db_url, options, after=gate_pending(config)).gate


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


def exploiting(config: LabConfig, texts: list[str], rule: str = PLANTED_RULE) -> list[bool]:
    """For each genome text: do its validation returns correlate above 0.4 with `rule`'s?"""
    panel, _ = load_panel(config.data, config.alpaca)
    validation = build_windows(panel, config.windows, config.backtest)["validation"]
    scorer = WindowScorer(panel, validation, config.backtest)
    reference = scorer.score(parse(rule)).result.returns
    out = []
    for text in texts:
        returns = scorer.score(parse(text)).result.returns
        moves = np.std(returns) > 0
        out.append(bool(moves and np.corrcoef(returns, reference)[0, 1] > 0.4))
    return out


def measure(
    data: Path,
    null_seeds: int,
    planted_seeds: int,
    population: int,
    generations: int,
    workers: int,
    planted_symbols: int = 20,
) -> dict[str, Any]:
    """Null and planted nights (see the module docstring) and their rates."""
    bars = read_bars_file(data, DataReport(source=str(data)))
    started = time.perf_counter()
    gated = passed = 0
    per_seed = []
    with tempfile.TemporaryDirectory() as scratch:
        for seed in range(1, null_seeds + 1):
            config, db = write_lab(
                Path(scratch) / f"null-{seed}", shuffled_bars(bars, seed), population, workers
            )
            night_then_gate(config, db, generations, seed)
            found = verdicts(db)
            gated += len(found)
            passed += sum(report.passed for _, report, _ in found)
            per_seed.append(sum(report.passed for _, report, _ in found))
        null_seconds = time.perf_counter() - started
        dates = pd.DatetimeIndex(
            sorted(bars[bars["date"] >= pd.Timestamp("2005-01-01")]["date"].unique())
        )
        market = planted_bars(dates, n_symbols=planted_symbols, seed=0)
        found_edge = promoted_edge = other_promotions = 0
        exploiters = []
        for seed in range(1, planted_seeds + 1):
            config, db = write_lab(Path(scratch) / f"planted-{seed}", market, population, workers)
            night_then_gate(config, db, generations, seed)
            rows = verdicts(db)
            exploits = exploiting(config, [text for _, _, text in rows])
            found_edge += any(exploits)
            promoted_edge += any(
                e and r.passed for e, (_, r, _) in zip(exploits, rows, strict=True)
            )
            other_promotions += sum(
                (not e) and r.passed for e, (_, r, _) in zip(exploits, rows, strict=True)
            )
            exploiters += [
                {"seed": seed, "genome": text, "failed": _failed(report.criteria)}
                for e, (_, report, text) in zip(exploits, rows, strict=True)
                if e
            ]
    return {
        "data": data.name,
        "population": population,
        "generations": generations,
        "workers": workers,
        "null_seeds": null_seeds,
        "null_candidates_gated": gated,
        "null_candidates_passed": passed,
        "false_promotion_rate": passed / gated if gated else 0.0,
        "null_passed_per_seed": per_seed,
        "null_seconds": null_seconds,
        "planted_seeds": planted_seeds,
        "planted_symbols": planted_symbols,
        "planted_nights_that_found_the_edge": found_edge,
        "planted_nights_whose_gate_passed_an_exploiter": promoted_edge,
        "planted_promotions_not_exploiting": other_promotions,
        "planted_exploiters": exploiters,
        "seconds": time.perf_counter() - started,
    }


def _failed(criteria: list[dict[str, Any]]) -> list[str]:
    return [c["name"] for c in criteria if c["required"] and not c["passed"]]
