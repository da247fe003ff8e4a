"""A night in a fresh lab: the benchmarks' way to run the lab as a user would, on data of their
choosing (bars written as the lab's CSV, a `lab.toml` beside it, the night and its gate)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from configs import LabConfig, load_config
from evolve.nightly import NightOptions, run_nightly
from evolve.run_summary import RunSummary
from promotion.gating import gate_pending

__all__ = ["NightSize", "night_in_fresh_lab"]

LAB = """
[evolve]
population = {population}
workers = {workers}
lock_file = "evolve-nightly.lock"
{evolve_extra}

[data]
source = "bars.csv"
benchmark = "{benchmark}"
"""


@dataclass(frozen=True)
class NightSize:
    """How large each night is: its population, generations and workers, and more `[evolve]`
    settings (`evolve_extra`, one `key = value` a line) to measure what a setting does."""

    population: int
    generations: int
    workers: int = 1
    evolve_extra: str = ""


def night_in_fresh_lab(
    folder: Path,
    bars: pd.DataFrame,
    benchmark: str,
    size: NightSize,
    seed: int,
    extra: str = "",
) -> tuple[LabConfig, str, RunSummary]:
    """Write `bars` (long format) and a lab.toml into the new `folder`, run a discovery night
    of `size` with `seed` and the gate after it; the lab's configuration, database URL and the
    night's summary. `extra`: more sections of the lab.toml (its `[windows]`, say)."""
    folder.mkdir(parents=True)
    bars.to_csv(folder / "bars.csv", index=False)
    (folder / "lab.toml").write_text(
        LAB.format(
            population=size.population,
            workers=size.workers,
            benchmark=benchmark,
            evolve_extra=size.evolve_extra,
        )
        + extra
    )
    config = load_config(folder / "lab.toml")
    db = f"sqlite:///{folder / 'research.db'}"
    options = NightOptions(discovery=True, generations=size.generations, seed=seed)
    summary = run_nightly(config, db, options, after=gate_pending(config))
    return config, db, summary
