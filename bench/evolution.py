"""A discovery run against DEAP's `eaSimple` with the same evaluator, in the same process tree.

- engine: `evolve.nightly.run_nightly` (novelty, archive, stagnation, hall of fame, evaluation
  cache, research.db written after every generation) with `population` genomes for
  `generations` generations on `workers` joblib workers;
- eaSimple: `deap.algorithms.eaSimple` with the same population size, generations, crossover and
  mutation rates and operators, tournament selection, and fitness = Sharpe after costs minus
  parsimony (no novelty, no cache, no database); evaluation through the same `fitness.assess`
  on the same workers.

Figures: wall time (of the whole run, and of the generation loop that compares with eaSimple's
loop: data loading and set-up excluded on both sides), evaluations and evaluations per second,
the engine's cache hit rate, the peak resident memory of all processes together (sampled every
0.25 s), the size of research.db, and a projected night on a Raspberry Pi 5.
"""

from __future__ import annotations

import dataclasses
import random
import tempfile
import time
from pathlib import Path
from typing import Any

from configs import LabConfig
from evolve.executor import LocalExecutor
from evolve.memory import MemoryPeak
from evolve.nightly import NightOptions, run_nightly
from evolve.variation import Breeder, child_of
from fitness.portfolio import genome_score
from fitness.windows import build_windows
from market.sources import load_panel

# Assumed, not measured here: a Pi 5 core (Cortex-A76, 2.4 GHz) runs this numba/numpy work at
# about half the speed of one core of the benchmark machine; the Pi runs 4 workers.
PI5_CORE_SPEED = 0.5
PI5_WORKERS = 4
NIGHT_SECONDS = 45 * 60


def measure(
    data: Path, config: LabConfig, population: int, generations: int, workers: int
) -> dict[str, Any]:
    evolve = dataclasses.replace(
        config.evolve,
        population=population,
        workers=workers,
        refine_candidates=0,
        budget_minutes=24 * 60.0,
    )
    with tempfile.TemporaryDirectory() as folder:
        lab = dataclasses.replace(
            config,
            data=dataclasses.replace(config.data, source=str(data)),
            evolve=dataclasses.replace(evolve, lock_file=str(Path(folder) / "lock")),
            store=dataclasses.replace(config.store, backup_dir=str(Path(folder) / "backups")),
        )
        url = f"sqlite:///{Path(folder) / 'research.db'}"
        summary = run_nightly(lab, url, NightOptions(discovery=True, generations=generations))
        engine_seconds = summary.evolve_seconds or float("nan")
        db_mb = (Path(folder) / "research.db").stat().st_size / 2**20
    simple = ea_simple(lab, population, generations, workers)
    per_worker = summary.evaluations / engine_seconds / workers
    night = per_worker * PI5_CORE_SPEED * PI5_WORKERS * NIGHT_SECONDS
    return {
        "population": population,
        "generations": summary.generations,
        "workers": workers,
        "run_seconds": summary.seconds,
        "engine_seconds": engine_seconds,
        "engine_evaluations": summary.evaluations,
        "engine_evals_per_s": summary.evaluations / engine_seconds,
        "engine_cache_hit_rate": summary.hit_rate,
        "engine_peak_mb_all": summary.peak_memory_mb["all_processes"],
        "engine_peak_mb_main": summary.peak_memory_mb["main"],
        "engine_db_mb": db_mb,
        "engine_best_fitness": summary.best_fitness,
        "easimple_seconds": simple["seconds"],
        "easimple_evaluations": simple["evaluations"],
        "easimple_evals_per_s": simple["evaluations"] / simple["seconds"],
        "easimple_peak_mb_all": simple["peak_mb"],
        "easimple_best_score": simple["best"],
        "x_engine_vs_easimple_time": simple["seconds"] / engine_seconds,
        "pi5_night_evaluations": night,
        "pi5_night_generations": night / max(1.0, summary.evaluations / summary.generations),
    }


def ea_simple(config: LabConfig, population: int, generations: int, workers: int) -> dict[str, Any]:
    """DEAP's textbook loop with the project's operators and evaluator."""
    from deap import algorithms, base, creator, gp, tools

    panel, _ = load_panel(config.data, config.alpaca)
    train = build_windows(panel, config.windows, config.backtest)["train"]
    data = train.panel(panel)
    cfg = config.evolve
    breeder = Breeder.of(cfg)
    if not hasattr(creator, "BenchFitness"):
        creator.create("BenchFitness", base.Fitness, weights=(1.0,))
        creator.create("BenchTree", gp.PrimitiveTree, fitness=creator.BenchFitness)
    rng = random.Random(cfg.seed)
    random.seed(cfg.seed)  # eaSimple's varAnd draws from the global generator
    executor = LocalExecutor(workers)
    evaluations = 0

    def evaluate_all(_: Any, individuals: list[Any]) -> list[tuple[float]]:
        nonlocal evaluations
        texts = [child_of(i, "bench").text for i in individuals]
        evaluations += len(texts)
        found = executor.assess(data, train, config.backtest, texts, 0)
        return [
            (
                genome_score(
                    a.metrics.sharpe if a.metrics else None,
                    a.metrics.n_trades if a.metrics else 0,
                    len(i),
                    cfg.parsimony,
                    cfg.min_trades,
                ),
            )
            for a, i in zip(found, individuals, strict=True)
        ]

    def mate(a: Any, b: Any) -> tuple[Any, Any]:
        x, y = breeder._crossover(a, b, rng=rng)
        return creator.BenchTree(x), creator.BenchTree(y)

    def mutate(a: Any) -> tuple[Any]:
        _, operator = breeder._mutations[rng.randrange(len(breeder._mutations))]
        (x,) = operator(a, rng=rng)
        return (creator.BenchTree(x),)

    toolbox = base.Toolbox()
    toolbox.register("evaluate", lambda i: (0.0,))
    toolbox.register("map", evaluate_all)
    toolbox.register("mate", mate)
    toolbox.register("mutate", mutate)
    toolbox.register("select", tools.selTournament, tournsize=cfg.tournament)
    start = [creator.BenchTree(breeder.fresh(rng).tree) for _ in range(population)]
    started = time.monotonic()
    try:
        with MemoryPeak() as peak:
            final, _ = algorithms.eaSimple(
                start, toolbox, cfg.crossover, cfg.mutation, generations, verbose=False
            )
    finally:
        executor.close()
    seconds = time.monotonic() - started
    best = max(i.fitness.values[0] for i in final)
    return {"seconds": seconds, "evaluations": evaluations, "peak_mb": peak.total_mb, "best": best}
