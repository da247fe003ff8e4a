"""Helpers of the promotion tests: the bundled bars and calendar, and a user's own genome put
forward as a candidate. (Nights on markets with a known answer are the benchmarks':
`python -m bench --protection`.)"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from configs import LabConfig, load_config
from fitness.windows import Window, build_windows
from labkit.lab import put_forward, user_run
from market.bars import read_bars_file
from market.panel import Panel
from market.problems import DataReport
from market.sources import BUNDLED_BARS, load_panel
from store import Database, open_database


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


def review_lab(folder: Path) -> tuple[LabConfig, Panel, dict[str, Window], Database]:
    """A research.db in `folder` on the bundled data, with a run (number 1) that genomes are put
    forward under."""
    config = load_config()
    panel, report = load_panel(config.data, config.alpaca)
    windows = build_windows(panel, config.windows, config.backtest)
    database = open_database(f"sqlite:///{folder / 'research.db'}")
    with database.transaction() as session:
        user_run(session, config, panel, report.source, windows)
    return config, panel, windows, database
