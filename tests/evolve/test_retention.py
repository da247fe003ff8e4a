"""Retention: a night that prunes what died breeds the same lineage, puts forward the same
candidates and gets the same verdicts as one that keeps everything, while research.db keeps only
what lives."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from sqlalchemy import select

from configs import load_config
from evolve.executor import LocalExecutor
from evolve.nightly import NightOptions, run_nightly
from promotion.gating import gate_pending
from promotion.views import candidate_lines
from store import open_database
from store.models import (
    ArchiveEntry,
    Candidate,
    Evaluation,
    GateReport,
    Generation,
    Genome,
    HallOfFameEntry,
    PopulationMember,
    Run,
    WindowRecord,
)
from tests.builders.nights import SMALL, rows, small_config, two_histories

GENERATIONS = 6


def _night(folder: Path, prune_every: int, generations: int = GENERATIONS) -> str:
    folder.mkdir(exist_ok=True)
    path = folder / "lab.toml"
    path.write_text(SMALL.replace("prune_every = 0", f"prune_every = {prune_every}"))
    config = load_config(path)
    url = f"sqlite:///{folder / 'research.db'}"
    options = NightOptions(discovery=True, generations=generations)
    run_nightly(config, url, options, executor=LocalExecutor(1), after=gate_pending(config))
    return url


def _outcome(url: str) -> dict[str, Any]:
    generations = [
        (g.number, g.best_fitness, g.median_fitness, g.diversity, g.unique_genomes, g.archive_size)
        for g in sorted(rows(url, Generation), key=lambda g: g.number)
    ]
    newest = max(g.id for g in rows(url, Generation))
    population = sorted(
        (m.position, m.genome_id, m.score, m.fitness)
        for m in rows(url, PopulationMember)
        if m.generation_id == newest
    )
    candidates = {c.id: (c.genome_id, c.status, c.score) for c in rows(url, Candidate)}
    verdicts = sorted(
        (candidates[r.candidate_id][0], r.passed, _without_search(r.details), r.criteria)
        for r in rows(url, GateReport)
    )
    return {
        "generations": generations,
        "population": population,
        "hall": sorted((h.genome_id, h.score) for h in rows(url, HallOfFameEntry)),
        "archive": sorted(a.genome_id for a in rows(url, ArchiveEntry)),
        "candidates": sorted(candidates.values()),
        "verdicts": verdicts,
    }


def _without_search(details: dict[str, Any]) -> dict[str, Any]:
    # The search's size counts assessments, and a pruned genome met again is assessed again.
    trials = {k: v for k, v in details["trials"].items() if k != "search"}
    return {**details, "trials": trials}


def test_a_pruning_night_breeds_and_gates_like_one_that_keeps_everything(tmp_path: Path) -> None:
    kept = _night(tmp_path / "kept", prune_every=0)
    pruned = _night(tmp_path / "pruned", prune_every=2)
    assert _outcome(pruned) == _outcome(kept)
    assert _outcome(kept)["verdicts"], "no candidate was gated"
    # Nothing was lost that lives; most of what died is gone.
    living = {m.genome_id for m in rows(pruned, PopulationMember)}
    living |= {h.genome_id for h in rows(pruned, HallOfFameEntry)}
    living |= {a.genome_id for a in rows(pruned, ArchiveEntry)}
    living |= {c.genome_id for c in rows(pruned, Candidate)}
    living |= {g for run in rows(pruned, Run) for g in run.reference}
    assert {g.id for g in rows(pruned, Genome)} == living
    assert {e.genome_id for e in rows(pruned, Evaluation)} <= living
    assert len(rows(pruned, Evaluation)) < len(rows(kept, Evaluation)) / 2
    assert {m.generation_id for m in rows(pruned, PopulationMember)} == {
        max(g.id for g in rows(pruned, Generation))
    }
    # A lineage says where an ancestor was pruned, instead of ending silently there.
    database = open_database(pruned)
    with database.transaction() as session:
        candidate = session.scalars(select(Candidate).order_by(Candidate.id)).first()
        assert candidate is not None
        genome = session.get(Genome, candidate.genome_id)
        assert genome is not None
        genome.first_parent_id = "f" * 64  # as retention leaves a child whose parent died
        session.flush()
        lineage = "\n".join(candidate_lines(session, candidate, load_config())).split("lineage:")[1]
        session.rollback()
    database.close()
    assert "  ffffffffffff (pruned: a parent that died)" in lineage


def test_the_next_night_continues_a_pruned_lineage_as_it_would_a_full_one(
    tmp_path: Path,
) -> None:
    urls = {}
    for name, every in (("kept", 0), ("pruned", 3)):
        _night(tmp_path / name, every, generations=3)
        urls[name] = _night(tmp_path / name, every, generations=3)
    assert _outcome(urls["pruned"]) == _outcome(urls["kept"])
    runs = sorted(rows(urls["pruned"], Run), key=lambda r: r.id)
    assert [r.summary["pruned_evaluations"] > 0 for r in runs] == [True, True]


def test_new_data_leaves_only_the_current_windows_and_each_candidates_own(tmp_path: Path) -> None:
    folder = tmp_path / "lab"
    folder.mkdir()
    config, _ = small_config(folder)
    first, second = two_histories(folder, config)
    url = f"sqlite:///{folder / 'research.db'}"
    for path in (first, second):
        extra = f'[data]\nsource = "{path.name}"\n'
        night, _ = small_config(folder, extra)
        night = dataclasses.replace(night, store=dataclasses.replace(night.store, prune_every=2))
        run_nightly(
            night, url, NightOptions(discovery=True, generations=2), executor=LocalExecutor(1)
        )
    newest = max(rows(url, Run), key=lambda r: r.id)
    current = {
        w.id for w in rows(url, WindowRecord) if w.panel_fingerprint == newest.panel_fingerprint
    }
    own = {(c.genome_id, c.window_id) for c in rows(url, Candidate)}
    evaluations = rows(url, Evaluation)
    old = [e for e in evaluations if e.window_id not in current]
    assert old and {(e.genome_id, e.window_id) for e in old} <= own
    # Every candidate, of either night, is scored on the current windows.
    assert {c.genome_id for c in rows(url, Candidate)} <= {
        e.genome_id for e in evaluations if e.window_id == newest.train_window_id
    }


def test_vacuum_reports_the_size_the_file_has_after_it(tmp_path: Path) -> None:
    from sqlalchemy import create_engine, event

    from evolve.retention import vacuum_sqlite

    path = tmp_path / "research.db"
    engine = create_engine(f"sqlite:///{path}")
    event.listen(engine, "connect", lambda c, _: c.execute("PRAGMA journal_mode=WAL"))
    with engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE padding (x BLOB)")
        for _ in range(200):
            connection.exec_driver_sql("INSERT INTO padding VALUES (randomblob(10000))")
    with engine.begin() as connection:
        connection.exec_driver_sql("DELETE FROM padding")
    before, after = vacuum_sqlite(engine, path)
    engine.dispose()
    assert before > 1_000_000 and after < 100_000
    assert after == path.stat().st_size
