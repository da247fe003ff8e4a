"""The nightly run in-process on real data and a real SQLite file: determinism across workers
and executors, fixed windows, the evaluation cache, stagnation on a flat landscape, failures."""

from __future__ import annotations

import dataclasses
import logging
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import func, select

from evolve.evaluations import EvaluationCache
from evolve.executor import DaskExecutor, LocalExecutor
from evolve.nightly import NightOptions, run_nightly
from evolve.variation import child_of
from fitness.assess import assess_texts, stored_precision
from fitness.buy_and_hold import held_anyway
from fitness.portfolio import WORST_FITNESS, Blocks, genome_score
from fitness.windows import build_windows
from genome import parse
from market.sources import load_panel
from store import open_database, unpack
from store.data_records import record_data
from store.models import (
    Candidate,
    Evaluation,
    Generation,
    Genome,
    HallOfFameEntry,
    Run,
    StagnationEvent,
    TrialCount,
    WindowRecord,
)
from tests.builders.calendar import sessions
from tests.builders.nights import populations, rows, small_config, two_histories
from tests.builders.postgres import PostgresServer


def _night(tmp_path: Path, name: str, generations: int, executor=None, extra: str = "", **kw):
    folder = tmp_path / name
    folder.mkdir(exist_ok=True)
    config, _ = small_config(folder, extra)
    url = f"sqlite:///{folder / 'research.db'}"
    options = NightOptions(discovery=True, generations=generations, **kw)
    summary = run_nightly(config, url, options, executor=executor)
    return url, summary


def test_same_seed_same_lineage_with_one_two_workers_and_dask(tmp_path: Path) -> None:
    from distributed import LocalCluster

    results = {}
    for name in ("one", "again"):
        results[name] = _night(tmp_path, name, 3, LocalExecutor(1))[0]
    two = LocalExecutor(2)
    try:
        results["two"] = _night(tmp_path, "two", 3, two)[0]
    finally:
        two.close()
    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        dask = DaskExecutor(cluster.scheduler_address)
        try:
            results["dask"] = _night(tmp_path, "dask", 3, dask)[0]
        finally:
            dask.close()
    lineages = {name: populations(url) for name, url in results.items()}
    assert len(lineages["one"]) == 3 and len(lineages["one"][3]) == 16
    for name in ("again", "two", "dask"):
        assert lineages[name] == lineages["one"], name
    candidates = {
        name: sorted(c.genome_id for c in rows(url, Candidate)) for name, url in results.items()
    }
    assert all(c == candidates["one"] for c in candidates.values())


def test_a_night_on_postgresql_keeps_the_lineage_and_candidates_of_sqlite(
    tmp_path: Path, postgres: PostgresServer
) -> None:
    on_sqlite = _night(tmp_path, "sqlite", 3, LocalExecutor(1))[0]
    config, _ = small_config(tmp_path)
    on_postgres = postgres.new_database()
    options = NightOptions(discovery=True, generations=3)
    run_nightly(config, on_postgres, options, executor=LocalExecutor(1))
    assert populations(on_postgres) == populations(on_sqlite)

    def candidates(url: str) -> list[tuple[str, str, float]]:
        return sorted((c.genome_id, c.status, c.score) for c in rows(url, Candidate))

    assert candidates(on_postgres) == candidates(on_sqlite) != []


def test_a_genome_gets_one_evaluation_per_window_and_the_same_fitness_every_time(
    tmp_path: Path,
) -> None:
    url, _ = _night(tmp_path, "n", 3, LocalExecutor(1))
    _, second = _night(tmp_path, "n", 2, LocalExecutor(1))
    assert second.cache_hits > 0
    lineage = populations(url)
    assert sorted(lineage) == [1, 2, 3, 4, 5]
    seen: dict[tuple[int, str], float] = {}
    scores: dict[str, float] = {}
    runs = {g.number: g.run_id for g in rows(url, Generation)}
    for number, members in lineage.items():
        for genome_id, score, fitness in members:
            # Within a run (one reference set) the fitness of a genome never changes...
            assert seen.setdefault((runs[number], genome_id), fitness) == fitness
            # ...and its window-bound score never changes at all.
            assert scores.setdefault(genome_id, score) == score
    evaluations = rows(url, Evaluation)
    pairs = [(e.genome_id, e.window_id) for e in evaluations]
    assert len(pairs) == len(set(pairs))
    # Trials: every fresh evaluation on the train window, stored per window.
    train_id = rows(url, Generation)[0].train_window_id
    trials = {t.window_id: t for t in rows(url, TrialCount)}
    assert trials[train_id].trials == sum(1 for e in evaluations if e.window_id == train_id)
    # Each stored window says which account and cost rules its numbers were measured with.
    assert {w.rules["slippage_bps"] for w in rows(url, WindowRecord)} == {5.0}


def test_a_stored_evaluation_equals_a_fresh_one_in_another_process_and_night(
    tmp_path: Path,
) -> None:
    url, _ = _night(tmp_path, "n", 2, LocalExecutor(1))
    config, _ = small_config(tmp_path / "n")
    panel, _ = load_panel(config.data, config.alpaca)
    train = build_windows(panel, config.windows, config.backtest)["train"]
    stored = [e for e in rows(url, Evaluation) if e.window_id == train.id and e.ok][:5]
    database = open_database(url)
    with database.transaction() as session:
        from evolve.lineage import children_of

        texts = [children_of(session, [e.genome_id])[e.genome_id].text for e in stored]
    fresh = assess_texts(train.panel(panel), train, config.backtest, texts)
    for row, again in zip(stored, fresh, strict=True):
        assert again.metrics is not None and again.returns is not None
        assert row.sharpe == again.metrics.sharpe
        np.testing.assert_array_equal(unpack(row.returns or b""), again.returns)
        assert again.descriptor is not None
        np.testing.assert_array_equal(np.frombuffer(row.descriptor or b"", "<f8"), again.descriptor)


def test_changed_data_rebuilds_the_windows_and_rescores_the_living_first(tmp_path: Path) -> None:
    folder = tmp_path / "n"
    folder.mkdir()
    config, _ = small_config(folder)
    first, second = two_histories(folder, config)
    url = f"sqlite:///{folder / 'research.db'}"
    for path, count in ((first, 2), (second, 1)):
        data_config, _ = small_config(folder, f'[data]\nsource = "{path.name}"\n')
        run_nightly(
            data_config,
            url,
            NightOptions(discovery=True, generations=count),
            executor=LocalExecutor(1),
        )
    generations = sorted(rows(url, Generation), key=lambda g: g.number)
    old_window, new_window = generations[0].train_window_id, generations[-1].train_window_id
    assert old_window != new_window
    evaluated_on_new = {e.genome_id for e in rows(url, Evaluation) if e.window_id == new_window}
    runs = sorted(rows(url, Run), key=lambda r: r.id)
    assert runs[1].train_window_id == new_window
    # The living genomes of night one were all scored on the new window...
    famous_then = {g for g in runs[1].reference}
    assert famous_then and famous_then <= evaluated_on_new
    # ...and the hall of fame now holds scores from the new window only.
    assert {h.window_id for h in rows(url, HallOfFameEntry)} == {new_window}


def test_a_flat_market_makes_stagnation_inject_then_restart(tmp_path: Path) -> None:
    folder = tmp_path / "flat"
    folder.mkdir()
    days = sessions("2015-01-02", 700)
    frame = pd.DataFrame(
        [
            {
                "date": d.date(),
                "symbol": s,
                "open": 10.0,
                "high": 10.0,
                "low": 10.0,
                "close": 10.0,
                "volume": 1000.0,
            }
            for d in days
            for s in ("AAA", "BBB", "CCC")
        ]
    )
    frame.to_csv(folder / "flat.csv", index=False)
    extra = f"""
        [data]
        source = "flat.csv"
        [windows]
        train = [{days[260].date()}, {days[450].date()}]
        validation = [{days[451].date()}, {days[560].date()}]
        holdout = [{days[561].date()}, {days[699].date()}]
        warmup_days = 250
        min_days = 50
    """
    config, _ = small_config(folder, extra.replace("[evolve]", ""))
    config = config.__class__(
        **{
            **config.__dict__,
            "evolve": config.evolve.__class__(
                **{**config.evolve.__dict__, "stagnation_generations": 2}
            ),
        }
    )
    url = f"sqlite:///{folder / 'research.db'}"
    summary = run_nightly(
        config, url, NightOptions(discovery=True, generations=6), executor=LocalExecutor(1)
    )
    assert summary.best_fitness == WORST_FITNESS
    events = sorted(rows(url, StagnationEvent), key=lambda e: e.generation)
    assert [(e.generation, e.action) for e in events] == [(3, "inject"), (5, "restart")]
    assert events[0].replaced == 8 and events[1].replaced == 16
    database = open_database(url)
    with database.transaction() as session:
        from store.models import Genome, PopulationMember

        def origins(number: int) -> list[str]:
            generation = session.scalars(
                select(Generation).where(Generation.number == number)
            ).one()
            return list(
                session.scalars(
                    select(Genome.origin)
                    .join(PopulationMember, PopulationMember.genome_id == Genome.id)
                    .where(PopulationMember.generation_id == generation.id)
                )
            )

        assert "injected" in origins(4)
        assert origins(6).count("restart") + origins(6).count("random") >= 1
        assert session.scalar(select(func.count()).select_from(HallOfFameEntry)) == 0


def test_a_genome_that_fails_gets_the_worst_fitness_and_a_logged_reason(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    config, _ = small_config(tmp_path)
    panel, _ = load_panel(config.data, config.alpaca)
    train = build_windows(panel, config.windows, config.backtest)["train"]
    database = open_database(f"sqlite:///{tmp_path / 'research.db'}")
    cache = EvaluationCache(panel, train, config.backtest, LocalExecutor(1))
    good = child_of(parse("gt(close, sma(close, 50))"), "user")
    # A genome whose text cannot be evaluated (as a tampered database row would be).
    broken = good.__class__(good.tree, "gt(close, sma(close, 7))", "f" * 64, "user", ())
    with database.transaction() as session, caplog.at_level(logging.WARNING):
        record_data(session, panel, "bundled", {"train": train}, config.backtest)
        found = cache.records(session, [good, broken])
    assert found[good.id].ok and not found[broken.id].ok
    assert "expected a window" in (found[broken.id].reason or "")
    assert any("failed on train" in r.message for r in caplog.records)
    assert genome_score(found[broken.id].sharpe, 0, 5, 0.0, 0) == WORST_FITNESS
    with database.transaction() as session:
        stored = session.scalars(select(Evaluation).where(Evaluation.genome_id == "f" * 64)).one()
        assert not stored.ok and stored.reason


def test_a_fresh_population_is_the_fittest_of_the_genomes_drawn(tmp_path: Path) -> None:
    config, _ = small_config(tmp_path)
    evolve = dataclasses.replace(config.evolve, initial_draws=3)
    url = f"sqlite:///{tmp_path / 'research.db'}"
    options = NightOptions(discovery=True, generations=1)
    run_nightly(dataclasses.replace(config, evolve=evolve), url, options, executor=LocalExecutor(1))
    kept = {genome_id: score for genome_id, score, _ in populations(url)[1]}
    assert len(populations(url)[1]) == evolve.population
    sizes = {g.id: g.size for g in rows(url, Genome) if g.origin == "random"}
    panel, _ = load_panel(config.data, config.alpaca)
    train = build_windows(panel, config.windows, config.backtest)["train"]
    # By hand, with the default fitness_slot_tilt = "paid": beyond the universe alone.
    assert evolve.fitness_slot_tilt == "paid"
    universe = stored_precision(held_anyway(panel, train, config.backtest))[:, :1]
    drawn = {
        e.genome_id: genome_score(
            e.sharpe,
            e.n_trades,
            sizes[e.genome_id],
            evolve.parsimony,
            evolve.min_trades,
            None if e.returns is None else unpack(e.returns),
            Blocks(evolve.fitness_blocks, evolve.fitness_spread),
            universe,
        )
        for e in rows(url, Evaluation)
        if e.genome_id in sizes  # not the refinement's trials after the generation
    }
    # Three times the population was drawn and evaluated (a few draws repeat a genome).
    assert len(drawn) > 2 * evolve.population
    dropped = [score for genome_id, score in drawn.items() if genome_id not in kept]
    assert min(kept.values()) >= max(dropped)


def test_a_stored_genome_that_reads_price_levels_breeds_no_more(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from evolve.evaluations import add_genomes
    from store.models import PopulationMember

    url, _ = _night(tmp_path, "levels", 1, executor=LocalExecutor(1))
    levels = child_of(parse("gt(rank(close), 0.5)"), "random")  # stored before the rule
    database = open_database(url)
    with database.transaction() as session:
        add_genomes(session, [levels], None)
        last = session.scalars(select(Generation).order_by(Generation.number.desc())).first()
        assert last is not None
        for member in session.scalars(
            select(PopulationMember).where(PopulationMember.generation_id == last.id)
        ).all()[:4]:
            member.genome_id = levels.id  # a third of the population reads levels
    database.close()
    with caplog.at_level(logging.INFO, logger="evolve.lineage"):
        _night(tmp_path, "levels", 1, executor=LocalExecutor(1))
    assert "1 stored genomes are not scale-free: left out of breeding" in caplog.text
    newest = populations(url)
    assert all(gid != levels.id for gid, _, _ in newest[max(newest)])
    assert levels.id not in {h.genome_id for h in rows(url, HallOfFameEntry)}
    assert levels.id not in {c.genome_id for c in rows(url, Candidate)}
