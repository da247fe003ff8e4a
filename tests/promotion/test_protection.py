"""Does the gate protect the user, and does it let a real edge through? On markets where nothing
is predictable it must promote (almost) nothing; on a market with a planted edge it must promote
a strategy that exploits it. Each runs a real discovery night followed by the gate, as the timer
does. The benchmark-sized version is `python -m bench --power` (BENCHMARKS.md, "Discovery
power")."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from bench.markets import shuffled_bars
from bench.planted import EDGES, planted_market
from bench.power import run_night, verdicts
from tests.promotion.labs import bundled_bars

POPULATION, GENERATIONS = 32, 6


def calendar() -> np.ndarray:
    dates = bundled_bars()["date"].unique()
    return np.sort(dates).astype("datetime64[D]")


def test_on_null_markets_the_gate_promotes_almost_nothing(tmp_path: Path) -> None:
    markets = [planted_market(calendar(), EDGES["trend"], 0.0, seed) for seed in (1, 2)]
    nights = [
        run_night(tmp_path / f"null-{k}", market, None, "null", k, POPULATION, GENERATIONS, 1)
        for k, market in enumerate(markets)
    ]
    shuffled = shuffled_bars(bundled_bars(), 1)
    nights.append(
        run_night(tmp_path / "shuffled", shuffled, None, "null", 1, POPULATION, GENERATIONS, 1)
    )
    gated = sum(n.gated for n in nights)
    passed = sum(n.passed for n in nights)
    print(f"false promotions on null markets: {passed} of {gated} candidates")
    assert all(n.gated for n in nights), "a night put no candidate through the gate"
    assert passed <= 1
    # Every verdict is stored criterion by criterion, and a failure says why.
    for _, report, _ in verdicts(f"sqlite:///{tmp_path / 'shuffled' / 'research.db'}"):
        assert len(report.criteria) == 12
        assert report.passed or report.reasons


def test_on_a_market_with_a_planted_edge_the_gate_promotes_a_strategy_that_exploits_it(
    tmp_path: Path,
) -> None:
    edge = EDGES["momentum"]
    market = planted_market(calendar(), edge, 0.0025, seed=1)
    night = run_night(tmp_path / "planted", market, edge, "momentum", 1, POPULATION, 6, 1)
    print(night.candidates)
    # The rule that made the edge, put forward as a candidate, passes the gate.
    assert night.ideal_passed, night.ideal_failed
    assert night.found, "the search found no strategy that exploits the edge"
    assert night.promoted, "the gate rejected every strategy that exploits a real edge"
