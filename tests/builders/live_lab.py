"""Helpers of the live tests: a research.db with approved strategies, as `promote approve`
leaves it."""

from __future__ import annotations

import dataclasses
from typing import Any

from configs import LabConfig
from fitness.windows import build_windows
from labkit.lab import put_forward, user_run
from market.sources import load_panel
from store import open_database
from store.statuses import CandidateStatus

# Two strategies that trade often on the bundled data: trend following and a dip buyer.
STRATEGIES = ["gt(close, sma(close, 50))", "lt(rsi(close, 14), 30)"]
# For the decay watch: a strategy that holds on to its validation form, one that loses it, and a
# watch quick enough to alarm within a short replay.
HOLDING, GONE = "gt(close, sma(close, 50))", "lt(close, sma(close, 20))"
QUICK_WATCH = "[review]\ndecay_arl_sessions = 20\n"


def with_live(config: LabConfig, **changes: Any) -> LabConfig:
    return dataclasses.replace(config, live=dataclasses.replace(config.live, **changes))


def approve(db_url: str, config: LabConfig, texts: list[str]) -> list[str]:
    """Put each genome text forward and approve it (status approved); their genome ids."""
    panel, report = load_panel(config.data, config.alpaca)
    windows = build_windows(panel, config.windows, config.backtest)
    database = open_database(db_url)
    with database.transaction() as session:
        run = user_run(session, config, panel, report.source, windows)
        candidates = [put_forward(session, text, run.id) for text in texts]
        for candidate in candidates:
            candidate.status = CandidateStatus.APPROVED
        ids = [c.genome_id for c in candidates]
    database.close()
    return ids
