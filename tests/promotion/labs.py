"""Helpers of the promotion tests: the bundled bars and calendar, and a user's own genome put
forward as a candidate. (Nights on markets with a known answer come from bench.power.)"""

from __future__ import annotations

import pandas as pd
from sqlalchemy.orm import Session

from fitness.bars import read_bars_file
from fitness.market_data import BUNDLED_BARS
from fitness.problems import DataReport
from store import open_database
from store.models import Candidate


def bundled_bars() -> pd.DataFrame:
    return read_bars_file(BUNDLED_BARS, DataReport(source="bundled"))


def add_candidate(db_url: str, text: str, run_id: int = 1) -> int:
    """Put the genome `text` forward as a candidate of run `run_id` (as a user would); its
    number."""
    database = open_database(db_url)
    with database.transaction() as session:
        number = add_candidate_in(session, text, run_id).id
    database.close()
    return number


def add_candidate_in(session: Session, text: str, run_id: int) -> Candidate:
    """`add_candidate` in an open session (flushed, not committed)."""
    from evolve.evaluations import add_genomes
    from evolve.variation import child_of
    from genome.text import parse
    from store.models import Run

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
    return candidate
