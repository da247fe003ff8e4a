"""Helpers of the live tests: a research.db with approved strategies, as `promote approve`
leaves it."""

from __future__ import annotations

import dataclasses
from typing import Any

from configs import LabConfig
from store import open_database
from store.models import Candidate, Run

# Two strategies that trade often on the bundled data: trend following and a dip buyer.
STRATEGIES = ["gt(close, sma(close, 50))", "lt(rsi(close, 14), 30)"]


def with_live(config: LabConfig, **changes: Any) -> LabConfig:
    return dataclasses.replace(config, live=dataclasses.replace(config.live, **changes))


def approve(db_url: str, config: LabConfig, texts: list[str]) -> list[str]:
    """Put each genome text forward and approve it (status approved); their genome ids."""
    from evolve.evaluations import add_genomes
    from evolve.variation import child_of
    from fitness.market_data import load_panel
    from fitness.windows import build_windows
    from genome.text import parse
    from store.data_records import record_data

    panel, report = load_panel(config.data, config.alpaca)
    windows = build_windows(panel, config.windows, config.backtest)
    database = open_database(db_url)
    ids = []
    with database.transaction() as session:
        record_data(session, panel, report.source, windows, config.backtest)
        run = Run(
            discovery=True,
            config_id=config.id,
            config=config.to_dict(),
            seed=1,
            code_version="test",
            status="finished",
            pid=0,
            panel_fingerprint=panel.fingerprint,
            train_window_id=windows["train"].id,
        )
        session.add(run)
        session.flush()
        children = [child_of(parse(text), "user") for text in texts]
        add_genomes(session, children, run.id)
        for child in children:
            session.add(
                Candidate(
                    genome_id=child.id,
                    run_id=run.id,
                    window_id=windows["train"].id,
                    score=0.0,
                    fitness=0.0,
                    status="approved",
                )
            )
            ids.append(child.id)
    database.close()
    return ids
