"""Helpers of the promotion tests: the bundled bars and calendar, and a user's own genome put
forward as a candidate. (Nights on markets with a known answer are the benchmarks':
`python -m bench --protection`.)"""

from __future__ import annotations

import pandas as pd

from evolve.candidates import put_forward
from fitness.bars import read_bars_file
from fitness.market_data import BUNDLED_BARS
from fitness.problems import DataReport
from store import open_database


def bundled_bars() -> pd.DataFrame:
    return read_bars_file(BUNDLED_BARS, DataReport(source="bundled"))


def add_candidate(db_url: str, text: str, run_id: int = 1) -> int:
    """Put the genome `text` forward as a candidate of run `run_id` (as a user would); its
    number."""
    database = open_database(db_url)
    with database.transaction() as session:
        number = put_forward(session, text, run_id).id
    database.close()
    return number
