"""Does the gate protect the user? On markets where nothing is predictable it must promote
(almost) nothing; on a market with a real edge it must promote a strategy that exploits it.
Both run a real discovery night followed by the gate, as the timer does. The benchmark-sized
version is `python -m bench --gate` (BENCHMARKS.md, "Gate")."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from bench.markets import planted_bars, shuffled_bars
from fitness.market_data import load_panel
from fitness.score import WindowScorer
from fitness.windows import build_windows
from genome.text import parse
from store.models import Genome
from tests.evolve.nights import rows
from tests.promotion.labs import bundled_bars, lab_on, night_then_gate, trading_dates, verdicts

NULL_SEEDS = (1, 2, 3)
PLANTED_RULE = "lt(ret, -0.02)"


def test_on_shuffled_markets_the_gate_promotes_almost_nothing(tmp_path: Path) -> None:
    bars = bundled_bars()
    gated = passed = 0
    for seed in NULL_SEEDS:
        config, db = lab_on(tmp_path / f"null-{seed}", shuffled_bars(bars, seed))
        night_then_gate(config, db, generations=6, seed=seed)
        found = verdicts(db)
        assert found, "the night put no candidate through the gate"
        gated += len(found)
        passed += sum(report.passed for _, report in found)
        # Every failure says why, criterion by criterion.
        for _, report in found:
            assert len(report.criteria) == 11
            assert report.passed or report.reasons
    print(f"false promotions on shuffled markets: {passed} of {gated} candidates")
    assert gated >= 3 * len(NULL_SEEDS)
    assert passed <= 1


def test_on_a_market_with_a_planted_edge_the_gate_promotes_a_strategy_that_exploits_it(
    tmp_path: Path,
) -> None:
    config, db = lab_on(tmp_path / "planted", planted_bars(trading_dates(), seed=0))
    # A seed whose short search finds the edge (search luck is not what this test is about:
    # BENCHMARKS.md "Gate" reports how often searches find it and the gate passes it).
    night_then_gate(config, db, generations=6, seed=3)
    panel, _ = load_panel(config.data, config.alpaca)
    validation = build_windows(panel, config.windows, config.backtest)["validation"]
    scorer = WindowScorer(panel, validation, config.backtest)
    rule = scorer.score(parse(PLANTED_RULE)).result.returns
    texts = {g.id: g.text for g in rows(db, Genome)}

    def exploits(genome_id: str) -> bool:
        # Its validation returns move with those of the planted rule.
        returns = scorer.score(parse(texts[genome_id])).result.returns
        return float(np.corrcoef(returns, rule)[0, 1]) > 0.4

    gated = verdicts(db)
    exploiting = [(c, report) for c, report in gated if exploits(c.genome_id)]
    assert exploiting, "the search found no strategy that exploits the edge"
    promoted = [texts[c.genome_id] for c, report in exploiting if report.passed]
    print(f"promoted exploiting strategies: {promoted}")
    assert promoted, "the gate rejected every strategy that exploits a real edge"
