"""An always-on rule holds what the account holds anyway, so the fitness, the gate and the
lottery give it no alpha on any fold's windows: by construction, on real data."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from bench.folds import PERIODS, Period
from bench.lottery import Universe, _alpha, universes
from bench.night_lab import LAB
from configs import load_config
from evolve.evaluations import Record
from fitness.assess import assess_texts, stored_precision
from fitness.buy_and_hold import held_anyway
from fitness.market_data import load_panel
from fitness.score import WindowScorer
from fitness.windows import build_windows
from genome.text import parse
from promotion.gate import CohortPBO, judge
from promotion.measure import Measurer
from promotion.trials import Trials

FULL_DATA = Path(__file__).resolve().parents[3] / "shared" / "data" / "daily_bars.csv.gz"
ALWAYS_ON = "true"


@pytest.mark.parametrize("period", PERIODS, ids=lambda p: p.name.split(" (")[0])
def test_an_always_on_rule_has_no_alpha_on_any_fold(tmp_path: Path, period: Period) -> None:
    for universe in universes(FULL_DATA):
        _no_alpha(tmp_path / universe.name, universe, period)


def _no_alpha(folder: Path, universe: Universe, period: Period) -> None:
    folder.mkdir()
    universe.bars.to_csv(folder / "bars.csv", index=False)
    lab = LAB.format(population=8, workers=1, benchmark=universe.benchmark, evolve_extra="")
    (folder / "lab.toml").write_text(lab + period.toml())
    config = load_config(folder / "lab.toml")
    panel, _ = load_panel(config.data, config.alpaca)
    windows = build_windows(panel, config.windows, config.backtest)
    rules = config.backtest
    evolve = dataclasses.replace(config.evolve, min_trades=0, parsimony=0.0)
    for name in ("train", "validation", "holdout"):
        window = windows[name]
        held = held_anyway(panel, window, rules)
        # The fitness: the night's own record of it, at research.db's precision.
        (a,) = assess_texts(window.panel(panel), window, rules, [ALWAYS_ON])
        assert a.metrics is not None
        record = Record("g", window.id, a.metrics.sharpe, a.metrics.n_trades, {}, a.returns,
                        None, None, stored_precision(held))  # fmt: skip
        assert record.score(1, evolve) == 0.0, (universe.name, name)
        # The lottery's alpha.
        returns = WindowScorer(panel, window, rules).score(parse(ALWAYS_ON)).result.returns
        assert _alpha(returns, held) == 0.0, (universe.name, name)
        # Beyond the universe alone, the slot rule's tilt was paid (or charged) for.
        assert _alpha(returns, held[:, 0]) != 0.0
    # The gate: nothing beyond both buy-and-holds to test, so no edge.
    m = Measurer(panel, windows["train"], windows["validation"], rules, config.gate)
    verdict = judge(
        m.measure(parse(ALWAYS_ON)),
        Trials(1, 1.0, "all", None, 0, 0, ("w",)),
        {},
        CohortPBO(0.1, 10, 16),
        config.gate,
        rules,
    )
    edge = {c.name: c for c in verdict.criteria}["edge_over_buy_and_hold"]
    assert edge.value is None and "do not vary" in edge.note, universe.name
    assert not verdict.passed
