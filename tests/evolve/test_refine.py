"""Constant refinement with Optuna on the train window, scored for real."""

from __future__ import annotations

import io
from pathlib import Path

from configs import load_config
from evolve.engine import GenerationReport
from evolve.evaluations import EvaluationCache
from evolve.executor import LocalExecutor
from evolve.night_report import progress_printer
from evolve.nightly import NightOptions, refine_pool, run_nightly
from evolve.refine import refine
from evolve.variation import Child, child_of, tunable_leaves
from fitness.portfolio import genome_score
from fitness.windows import build_windows
from genome import parse
from market.sources import load_panel
from promotion.gating import gate_pending
from store import open_database
from store.data_records import record_data
from store.lifecycle import CandidateStatus
from store.models import Candidate, Evaluation, GateReport, Genome
from tests.builders.nights import rows, small_config


def test_a_refined_genome_is_a_new_genome_with_a_parent_and_a_better_score(
    tmp_path: Path,
) -> None:
    config, _ = small_config(tmp_path)
    panel, _ = load_panel(config.data, config.alpaca)
    train = build_windows(panel, config.windows, config.backtest)["train"]
    url = f"sqlite:///{tmp_path / 'research.db'}"
    database = open_database(url)
    cache = EvaluationCache(panel, train, config.backtest, LocalExecutor(1))
    original = child_of(parse("and(gt(rsi(close, 14), 55), gt(close, sma(close, 100)))"), "user")
    assert sorted(tunable_leaves(original.tree)) == [14, 55.0, 100]
    with database.transaction() as session:
        record_data(session, panel, "bundled", {"train": train}, config.backtest)

        def score(child: Child) -> float:
            record = cache.records(session, [child])[child.id]
            return genome_score(record.sharpe, record.n_trades, len(child.tree), 0.002, 20)

        first = refine(original, score, trials=12, seed=1)
        again = refine(original, score, trials=12, seed=1)
    assert first is not None and again is not None
    child, value = first
    assert (child.id, value) == (again[0].id, again[1])  # seeded: the same trials
    assert child.id != original.id and child.parents == (original.id,)
    assert child.origin == "refined" and value > score_of(cache, original)
    # Every trial was scored once and stored as an evaluation of the train window.
    stored = [e for e in rows(url, Evaluation) if e.window_id == train.id]
    assert 2 <= len(stored) <= 13


def score_of(cache: EvaluationCache, child: Child) -> float:
    record = cache.memory[child.id]
    return genome_score(record.sharpe, record.n_trades, len(child.tree), 0.002, 20)


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_is_a_bar_on_a_terminal_and_log_lines_elsewhere(caplog) -> None:
    report = GenerationReport(7, [], 1.25, 0.5, 1.3, 0.4, 16, 1, None, None, 0, 0.1)
    terminal = _Terminal()
    with progress_printer(terminal, 3, 60.0) as progress:
        progress(report, 1.0)
    assert "generation 7: best 1.250" in terminal.getvalue()
    plain = io.StringIO()
    with caplog.at_level("INFO"), progress_printer(plain, 3, 60.0) as progress:
        progress(report, 1.0)
    assert plain.getvalue() == ""
    assert any("generation 7: best 1.250" in r.getMessage() for r in caplog.records)


def test_with_a_gate_budget_a_night_refines_its_own_candidates_and_the_rest_wait(
    tmp_path: Path,
) -> None:
    _, path = small_config(tmp_path, "[gate]\nperiod_budget = 2\n")
    path.write_text(path.read_text().replace("refine_trials = 4", "refine_trials = 30"))
    config = load_config(path)
    url = f"sqlite:///{tmp_path / 'research.db'}"
    for _ in range(2):
        options = NightOptions(discovery=True, generations=2)
        run_nightly(config, url, options, executor=LocalExecutor(1), after=gate_pending(config))
    candidates = rows(url, Candidate)
    genomes = {g.id: g for g in rows(url, Genome)}
    by_genome = {c.genome_id: c for c in candidates}
    refined = [c for c in candidates if genomes[c.genome_id].origin == "refined"]
    assert refined  # a night refined one of its own candidates, never one that waits
    for child in refined:
        parent = genomes[child.genome_id].first_parent_id
        assert parent is not None and by_genome[parent].run_id == child.run_id
    database = open_database(url)
    with database.transaction() as session:
        pool = refine_pool(session, 2)
    database.close()
    assert pool and all(by_genome[g].run_id == 2 for g in pool)
    assert any(c.run_id == 1 and c.status == CandidateStatus.CANDIDATE for c in candidates)
    # Fixed windows are one validation period: its budget of 2 went to night one's fittest,
    # and every other candidate waits.
    judged = {r.candidate_id for r in rows(url, GateReport)}
    first = sorted((c for c in candidates if c.run_id == 1), key=lambda c: -c.fitness)
    assert judged == {first[0].id, first[1].id}
    waiting = [c for c in candidates if c.status == CandidateStatus.CANDIDATE]
    assert len(waiting) == len(candidates) - 2 > 2
