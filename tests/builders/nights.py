"""Small nightly runs for tests: a config file in a temporary folder and helpers to read the
lineage back from research.db."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import select

from configs import LabConfig, load_config
from market.panel import Panel
from market.sources import load_panel
from promotion.lifecycle import ACTIONS
from store import open_database
from store.models import Decision, Generation, PopulationMember

SMALL = """
[store]
backup_dir = "backups"
# Keep every generation's population and every evaluation, for tests that read the lineage
# back (tests/evolve/test_retention.py runs nights that prune).
prune_every = 0

[evolve]
population = 16
elite = 2
tournament = 3
novelty_k = 5
hall_of_fame = 5
candidates = 3
refine_candidates = 1
refine_trials = 4
workers = 1
subtree_cache_mb = 16
# In the lab's folder, not the working directory (the checkout).
lock_file = "evolve-nightly.lock"
"""


def small_config(folder: Path, extra: str = "") -> tuple[LabConfig, Path]:
    """A small configuration written to `folder/lab.toml` (`extra`: more TOML, merged by
    section: a section already in SMALL must not be repeated)."""
    path = folder / "lab.toml"
    path.write_text(textwrap.dedent(SMALL) + textwrap.dedent(extra))
    return load_config(path), path


def small_nights(folder: Path, *generations: int) -> str:
    """Discovery nights of the small lab in `folder` (one for each number of generations, in
    one worker), each followed by the gate, as `evolve nightly` runs them; the database URL."""
    from evolve.executor import LocalExecutor
    from evolve.nightly import NightOptions, run_nightly
    from promotion.gating import gate_pending

    config, _ = small_config(folder)
    url = f"sqlite:///{folder / 'research.db'}"
    for number in generations:
        options = NightOptions(discovery=True, generations=number)
        run_nightly(config, url, options, executor=LocalExecutor(1), after=gate_pending(config))
    return url


def populations(db_url: str) -> dict[int, list[tuple[str, float, float]]]:
    """Per generation number: (genome id, score, fitness) in population order."""
    database = open_database(db_url)
    out: dict[int, list[tuple[str, float, float]]] = {}
    with database.transaction() as session:
        for generation in session.scalars(select(Generation).order_by(Generation.number)):
            members = session.scalars(
                select(PopulationMember)
                .where(PopulationMember.generation_id == generation.id)
                .order_by(PopulationMember.position)
            )
            out[generation.number] = [(m.genome_id, m.score, m.fitness) for m in members]
    database.close()
    return out


def rows(db_url: str, model: Any) -> list[Any]:
    database = open_database(db_url)
    with database.transaction() as session:
        found = list(session.scalars(select(model)).all())
        session.expunge_all()
    database.close()
    return found


def reviewer_decisions(db_url: str) -> list[Decision]:
    """The reviewers' decisions (approve or incubate, confirm, reject, retire), without the
    gate's and live trading's moves."""
    return [d for d in rows(db_url, Decision) if d.action in {*ACTIONS, "incubate"}]


def bars_frame(panel: Panel) -> pd.DataFrame:
    """`panel`'s bars in the long format of a lab's CSV (date, symbol, open ... volume), the
    days a symbol has no bar left out."""
    columns = ("open", "high", "low", "close", "volume")
    return pd.DataFrame(
        {
            "date": np.repeat(panel.dates, panel.n_symbols).astype("datetime64[ns]"),
            "symbol": np.tile(panel.symbols, panel.n_days),
            **{name: getattr(panel, name).ravel() for name in columns},
        }
    ).dropna()


def two_histories(folder: Path, config: LabConfig) -> tuple[Path, Path]:
    """Two CSV files of 12 bundled symbols in `folder`: a.csv, and b.csv, the same history
    re-adjusted (one symbol's prices in 2005 scaled by 1 %), so its windows are new ones."""
    panel, _ = load_panel(config.data, config.alpaca)
    frame = bars_frame(panel)
    frame = frame[frame["symbol"].isin(panel.symbols[:12])]
    first, second = folder / "a.csv", folder / "b.csv"
    frame.to_csv(first, index=False)
    moved = frame.copy()
    in_train = (moved["symbol"] == panel.symbols[0]) & (moved["date"].dt.year == 2005)
    for column in ("open", "high", "low", "close"):
        moved.loc[in_train, column] *= 1.01
    moved.to_csv(second, index=False)
    return first, second
