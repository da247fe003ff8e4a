"""Does the gate protect the user? On markets where nothing is predictable it must promote
(almost) nothing; on a market with a real edge it must promote a strategy that exploits it.
Both run a real discovery night followed by the gate, as the timer does. The benchmark-sized
version is `python -m bench --gate` (BENCHMARKS.md, "Gate")."""

from __future__ import annotations

from pathlib import Path

from bench.gate import exploiting, night_then_gate, verdicts, write_lab
from bench.markets import planted_bars, shuffled_bars
from tests.promotion.labs import bundled_bars, trading_dates

NULL_SEEDS = (1, 2, 3)


def test_on_shuffled_markets_the_gate_promotes_almost_nothing(tmp_path: Path) -> None:
    bars = bundled_bars()
    gated = passed = 0
    for seed in NULL_SEEDS:
        config, db = write_lab(tmp_path / f"null-{seed}", shuffled_bars(bars, seed))
        night_then_gate(config, db, generations=6, seed=seed)
        found = verdicts(db)
        assert found, "the night put no candidate through the gate"
        gated += len(found)
        passed += sum(report.passed for _, report, _ in found)
        # Every verdict is stored criterion by criterion, and a failure says why.
        for _, report, _ in found:
            assert len(report.criteria) == 12
            assert report.passed or report.reasons
    print(f"false promotions on shuffled markets: {passed} of {gated} candidates")
    assert gated >= 3 * len(NULL_SEEDS)
    assert passed <= 1


def test_on_a_market_with_a_planted_edge_the_gate_promotes_a_strategy_that_exploits_it(
    tmp_path: Path,
) -> None:
    config, db = write_lab(tmp_path / "planted", planted_bars(trading_dates(), seed=0))
    # A seed whose short search finds the edge (search luck is not what this test is about:
    # BENCHMARKS.md "Gate" reports how often searches find it and the gate passes it).
    night_then_gate(config, db, generations=6, seed=3)
    gated = verdicts(db)
    exploits = exploiting(config, [text for _, _, text in gated])
    assert any(exploits), "the search found no strategy that exploits the edge"
    promoted = [
        text for e, (_, report, text) in zip(exploits, gated, strict=True) if e and report.passed
    ]
    print(f"promoted strategies that exploit the edge: {promoted}")
    assert promoted, "the gate rejected every strategy that exploits a real edge"
