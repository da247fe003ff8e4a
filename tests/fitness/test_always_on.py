"""An always-on rule holds what the account holds anyway, so the gate gives it no alpha on any
window, nor does the fitness unless it is told to pay for the slot rule's tilt: by construction, on real data (the bundled universe, and the whole
200-symbol file where it is present), on two-year windows from 2002 to 2017. The lottery's
alpha of it is checked on its folds by the fold lottery's smoke run (test_smoke.py)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
from pathlib import Path

import pytest

from configs import LabConfig, load_config
from evolve.evaluations import Record
from fitness.assess import assess_texts, stored_precision
from fitness.buy_and_hold import held_anyway
from fitness.windows import build_window
from genome.text import parse
from market.sources import load_panel
from promotion.gate import CohortPBO, judge
from promotion.measure import Measurer
from promotion.trials import Trials

FULL_DATA = Path(__file__).resolve().parents[3] / "shared" / "data" / "daily_bars.csv.gz"
ALWAYS_ON = "true"
YEARS = range(2002, 2017, 2)  # [Jan 2 of the year, Dec 31 of the next]


def _labs() -> list[LabConfig]:
    bundled = load_config()
    if not FULL_DATA.exists():
        return [bundled]
    data = dataclasses.replace(bundled.data, source=str(FULL_DATA))
    return [bundled, dataclasses.replace(bundled, data=data)]


@pytest.mark.parametrize("config", _labs(), ids=lambda c: Path(c.data.source).name)
def test_an_always_on_rule_has_no_alpha_on_any_window(config: LabConfig) -> None:
    panel, _ = load_panel(config.data, config.alpaca)
    rules = config.backtest
    evolve = dataclasses.replace(config.evolve, min_trades=0, parsimony=0.0)
    windows = [
        build_window(
            panel,
            "validation",
            dt.date(year, 1, 2),
            min(dt.date(year + 1, 12, 31), dt.date(2017, 4, 13)),
            config.windows.warmup_days,
            config.windows.min_days,
            rules,
        )
        for year in YEARS
    ]
    for before, window in itertools.pairwise(windows):
        held = held_anyway(panel, window, rules)
        # The fitness: the night's own record of it, at research.db's precision.
        (a,) = assess_texts(window.panel(panel), window, rules, [ALWAYS_ON])
        assert a.metrics is not None
        record = Record("g", window.id, a.metrics.sharpe, a.metrics.n_trades, {}, a.returns,
                        None, None, stored_precision(held))  # fmt: skip
        removed = dataclasses.replace(evolve, fitness_slot_tilt="removed")
        assert record.score(1, removed) == 0.0, window.describe()
        unpaid = dataclasses.replace(evolve, fitness_slot_tilt="unpaid")
        assert record.score(1, unpaid) == pytest.approx(0.0, abs=1e-9), window.describe()
        paid = dataclasses.replace(evolve, fitness_slot_tilt="paid")
        assert record.score(1, paid) != 0.0  # the slot rule's tilt, paid or charged
        # The gate: nothing beyond both buy-and-holds to test, so no edge.
        m = Measurer(panel, before, window, rules, config.gate)
        verdict = judge(
            m.measure(parse(ALWAYS_ON)),
            Trials(1, 1.0, "all", None, 0, 0, ("w",)),
            {},
            CohortPBO(0.1, 10, 16),
            config.gate,
            rules,
        )
        edge = {c.name: c for c in verdict.criteria}["edge_over_buy_and_hold"]
        assert edge.value is None and "do not vary" in edge.note, window.describe()
        assert not verdict.passed
