"""Small labs for the promotion tests: a nightly discovery run on a given bars file, followed by
the gate, as the timer runs it."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from sqlalchemy import select

from configs import LabConfig, load_config
from evolve.nightly import NightOptions, run_nightly
from fitness.bars import read_bars_file
from fitness.market_data import BUNDLED_BARS
from fitness.problems import DataReport
from promotion.gating import gate_pending
from store import open_database
from store.models import Candidate, GateReport

# A discovery run big enough to find a strong edge in seconds.
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
workers = 1
subtree_cache_mb = 16
"""


def bundled_bars() -> pd.DataFrame:
    return read_bars_file(BUNDLED_BARS, DataReport(source="bundled"))


def trading_dates(since: str = "2005-01-01") -> pd.DatetimeIndex:
    dates = bundled_bars()["date"]
    return pd.DatetimeIndex(sorted(dates[dates >= pd.Timestamp(since)].unique()))


def lab_on(
    folder: Path, bars: pd.DataFrame, population: int = 32, extra: str = ""
) -> tuple[LabConfig, str]:
    """A lab in `folder` whose data is `bars` (written as CSV): its config and database URL."""
    folder.mkdir(parents=True, exist_ok=True)
    bars.to_csv(folder / "bars.csv", index=False)
    path = folder / "lab.toml"
    path.write_text(
        DISCOVERY.format(population=population) + f'\n[data]\nsource = "bars.csv"\n{extra}'
    )
    return load_config(path), f"sqlite:///{folder / 'research.db'}"


def night_then_gate(config: LabConfig, db_url: str, generations: int, seed: int) -> list[str]:
    """One discovery night of `generations` ending with the gate; the summary's gate lines."""
    summary = run_nightly(
        config,
        db_url,
        NightOptions(discovery=True, generations=generations, seed=seed),
        after=gate_pending(config),
    )
    return summary.gate


def verdicts(db_url: str) -> list[tuple[Candidate, GateReport]]:
    """Each gated candidate with its newest report."""
    database = open_database(db_url)
    with database.transaction() as session:
        out = []
        for candidate in session.scalars(select(Candidate).order_by(Candidate.id)):
            report = session.scalars(
                select(GateReport)
                .where(GateReport.candidate_id == candidate.id)
                .order_by(GateReport.id.desc())
            ).first()
            if report is not None:
                out.append((candidate, report))
        session.expunge_all()
    database.close()
    return out


def add_candidate(db_url: str, text: str, run_id: int = 1) -> int:
    """Put the genome `text` forward as a candidate of run `run_id` (as a user would); its
    number."""
    from evolve.evaluations import add_genomes
    from evolve.variation import child_of
    from genome.text import parse
    from store.models import Run

    database = open_database(db_url)
    with database.transaction() as session:
        child = child_of(parse(text), "user")
        add_genomes(session, [child], run_id)
        run = session.get_one(Run, run_id)
        candidate = Candidate(
            genome_id=child.id,
            run_id=run_id,
            window_id=run.train_window_id,
            score=0.0,
            fitness=0.0,
        )
        session.add(candidate)
        session.flush()
        number = candidate.id
    database.close()
    return number
