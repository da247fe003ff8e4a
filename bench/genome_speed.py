"""Genome evaluations per second (evaluate + backtest + metrics on the train window).

Measured in one run, single process unless said:
- engine: `fitness.score.WindowScorer` on random genomes (ramped half-and-half, heights 2-6);
- baseline: DEAP `gp.compile` over pandas functions plus the pandas/Python backtest loop with
  the same account rules, on the first genomes of the same list;
- floor: one plain numpy copy of a (days x symbols) float array per function node of the
  genomes (memory bandwidth), against the engine's signal time;
- memory: the peak RSS above the resident set during each evaluation (Linux clear_refs);
- cache: a population bred for a few generations (crossover and mutation share subtrees),
  scored with and without the subtree cache, with its hit rate;
- joblib: the same genomes in batches over 1 and 2 worker processes, results compared.
"""

from __future__ import annotations

import ctypes
import dataclasses
import gc
import random
import statistics
import time
import warnings
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from deap import gp
from joblib import Parallel, delayed

from bench.pandas_genome import frames, pandas_signal
from configs import LabConfig
from fitness.reference_backtest import reference_backtest
from fitness.score import WindowScorer
from fitness.windows import build_windows
from genome.generate import bounded, generate, half_and_half
from genome.grammar import PSET
from genome.text import parse, to_text
from labkit.lab import score_texts
from market.panel import Panel


def population(seed: int, size: int) -> list[gp.PrimitiveTree]:
    rng = random.Random(seed)
    return [half_and_half(rng, 2, 6) for _ in range(size)]


def evolution(
    scorer: WindowScorer, trees: list[gp.PrimitiveTree], seed: int, count: int
) -> tuple[float, int]:
    """A small evolution on the train window, as the nightly run breeds: each generation is
    scored (a genome already scored is looked up, not scored again), parents are drawn by
    3-way tournaments on Sharpe, then subtree crossover and uniform mutation (20%) under the
    usual limits. Returns the seconds spent scoring and the number of genomes scored."""
    random.seed(seed)  # DEAP's operators draw from the global generator
    rng = random.Random(seed)
    crossover = bounded(8, 60)(gp.cxOnePoint)
    grow = partial(lambda r, pset, type_, **_: generate(r, 0, 3, "grow", root=type_), rng)
    mutate = bounded(8, 60)(partial(gp.mutUniform, expr=grow, pset=PSET))
    sharpe: dict[str, float] = {}
    seconds = 0.0
    current = list(trees)
    for generation in range(count + 1):
        began = time.perf_counter()
        for tree in current:
            text = to_text(tree)
            if text not in sharpe:
                sharpe[text] = scorer.score(tree).metrics.sharpe
        seconds += time.perf_counter() - began
        if generation == count:
            break
        parents = [max(rng.sample(current, 3), key=lambda t: sharpe[to_text(t)]) for _ in current]
        children: list[gp.PrimitiveTree] = []
        for a, b in zip(parents[::2], parents[1::2], strict=False):
            children.extend(crossover(gp.PrimitiveTree(a), gp.PrimitiveTree(b)))
        current = [mutate(gp.PrimitiveTree(c))[0] if rng.random() < 0.2 else c for c in children]
    return seconds, len(sharpe)


def engine(scorer: WindowScorer, trees: list[gp.PrimitiveTree], repeats: int) -> dict[str, Any]:
    for tree in trees[:20]:
        scorer.score(tree)  # compile and load kernels
    totals, signals = [], []
    for _ in range(repeats):
        signal_time = 0.0
        for tree in trees:
            t0 = time.perf_counter()
            scorer.evaluator.signal(tree)
            signal_time += time.perf_counter() - t0
        signals.append(signal_time)
        began = time.perf_counter()
        for tree in trees:
            scorer.score(tree)
        totals.append(time.perf_counter() - began)
    total, signal = statistics.median(totals), statistics.median(signals)
    return {
        "genomes": len(trees),
        "engine_s": total,
        "engine_signal_s": signal,
        "engine_per_second": len(trees) / total,
    }


def baseline(scorer: WindowScorer, trees: list[gp.PrimitiveTree]) -> dict[str, Any]:
    data = scorer.data
    tables = frames(data)
    window = scorer.window
    signal_time = backtest_time = 0.0
    agree = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pandas' own warnings (log of 0, etc.)
        for tree in trees:
            t0 = time.perf_counter()
            hold = pandas_signal(tree, tables)
            t1 = time.perf_counter()
            result = reference_backtest(
                tables["open"],
                tables["close"],
                tables["volume"],
                pd.DataFrame(data.tradable, columns=list(data.symbols)),
                pd.DataFrame(hold, columns=list(data.symbols)),
                scorer.rules,
                start=window.warmup_days,
            )
            equity = pd.Series(result.equity)
            returns = equity.pct_change().fillna(equity.iloc[0] / scorer.rules.initial_cash - 1)
            _ = returns.mean() / returns.std() * np.sqrt(252) if returns.std() > 0 else 0.0
            t2 = time.perf_counter()
            signal_time += t1 - t0
            backtest_time += t2 - t1
            agree.append(float((hold == scorer.evaluator.signal(tree)).mean()))
    n = len(trees)
    return {
        "baseline_genomes": n,
        "baseline_per_second": n / (signal_time + backtest_time),
        "baseline_signal_s_each": signal_time / n,
        "baseline_backtest_s_each": backtest_time / n,
        "baseline_signal_agreement": statistics.mean(agree),
    }


def floor(
    scorer: WindowScorer, trees: list[gp.PrimitiveTree], engine_signal: float
) -> dict[str, Any]:
    """One copy per function node (each computes an array), and the same per tree node of any
    kind (windows and constants included), as the issue words it."""
    nodes = sum(isinstance(n, gp.Primitive) for t in trees for n in t)
    every = sum(len(t) for t in trees)
    source = np.array(scorer.data.close)
    target = np.empty_like(source)
    np.copyto(target, source)
    began = time.perf_counter()
    for _ in range(nodes):
        np.copyto(target, source)
    copies = time.perf_counter() - began
    return {
        "function_nodes": nodes,
        "tree_nodes": every,
        "floor_s": copies,
        "x_floor": engine_signal / copies,
        "x_floor_tree_nodes": engine_signal / (copies * every / nodes),
    }


def memory(panel: Panel, scorer: WindowScorer, trees: list[gp.PrimitiveTree]) -> dict[str, Any]:
    """Peak resident memory above the resident set while scoring one genome: with the
    scorer's buffers warm (steady state), and with a fresh scorer after freed memory went back
    to the system (the worst case: every array of the evaluation allocated anew)."""
    clear = Path("/proc/self/clear_refs")
    if not clear.exists():
        return {"extra_mb_max": None}
    libc = ctypes.CDLL("libc.so.6")
    warm, fresh = [], []
    for tree in trees:
        before = _status("VmRSS")
        clear.write_text("5")  # reset the peak to the current resident set
        scorer.score(tree)
        warm.append(_status("VmHWM") - before)
    for tree in sorted(trees, key=len)[-20:]:
        new = WindowScorer(panel, scorer.window, scorer.rules)
        gc.collect()
        libc.malloc_trim(0)
        before = _status("VmRSS")
        clear.write_text("5")
        new.score(tree)
        fresh.append(_status("VmHWM") - before)
    return {
        "extra_mb_max": max(fresh),
        "extra_mb_warm_max": max(warm),
        "resident_mb": _status("VmRSS"),
    }


def _status(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    raise KeyError(field)


def cache(
    panel: Panel, config: LabConfig, trees: list[gp.PrimitiveTree], count: int, cache_mb: int
) -> dict[str, Any]:
    """The same small evolution scored without and with a subtree cache that lives across its
    generations (same seed and scores, so the same genomes)."""
    window = build_windows(panel, config.windows, config.backtest)["train"]
    warm = WindowScorer(panel, window, config.backtest)
    for tree in trees[:20]:
        warm.score(tree)
    plain_s, scored = evolution(WindowScorer(panel, window, config.backtest), trees, 7, count)
    cached = WindowScorer(panel, window, config.backtest, cache_bytes=cache_mb * 2**20)
    cached_s, scored_again = evolution(cached, trees, 7, count)
    assert scored == scored_again and cached.evaluator.cache is not None
    return {
        "generations": count + 1,
        "genomes_scored": scored,
        "cache_mb": cache_mb,
        "no_cache_s": plain_s,
        "cache_s": cached_s,
        "x_cache": plain_s / cached_s,
        "hit_rate": cached.evaluator.cache.stats.hit_rate,
    }


def parallel(
    panel: Panel, config: LabConfig, trees: list[gp.PrimitiveTree], batch: int
) -> dict[str, Any]:
    full_window = build_windows(panel, config.windows, config.backtest)["train"]
    # Workers get the window's data only (and the same window, re-based on it).
    data = full_window.panel(panel)
    window = dataclasses.replace(
        full_window, warmup_start=0, start=full_window.warmup_days, stop=data.n_days
    )
    panel = data
    texts = [to_text(t) for t in trees]
    batches = [texts[i : i + batch] for i in range(0, len(texts), batch)]
    results = {}
    seconds = {}
    for workers in (1, 2):
        with Parallel(n_jobs=workers, backend="loky") as run:
            run(delayed(score_texts)(panel, window, config.backtest, b[:4]) for b in batches[:2])
            began = time.perf_counter()
            out = run(delayed(score_texts)(panel, window, config.backtest, b) for b in batches)
            seconds[workers] = time.perf_counter() - began
        results[workers] = [m for part in out for m in part]
    return {
        "batch": batch,
        "one_worker_s": seconds[1],
        "two_workers_s": seconds[2],
        "x_two_workers": seconds[1] / seconds[2],
        "same_results": results[1] == results[2],
    }


# One call of each costly primitive (and of a few elementwise ones), each in `gt(P, c)`: its time
# is that tree's less the time of `gt(close, c)`.
PRIMITIVE_TREES = {
    "sma": "gt(sma(close, 20), 10.0)",
    "ema": "gt(ema(close, 20), 10.0)",
    "std": "gt(std(close, 20), 10.0)",
    "zscore": "gt(zscore(close, 20), 0.5)",
    "rsi": "gt(rsi(close, 14), 50.0)",
    "min": "gt(min(close, 20), 10.0)",
    "max": "gt(max(close, 20), 10.0)",
    "rank": "gt(rank(close), 0.5)",
    "log": "gt(log(close), 1.0)",
    "change": "gt(change(close, 20), 0.1)",
    "div": "gt(div(close, open), 1.0)",
}

# The primitives whose call costs a rolling pass, a sort or a logarithm (0.5-2.5 ms on the full
# panel; an elementwise one costs 0.03-0.1 ms).
COSTLY = ("sma", "ema", "std", "zscore", "rsi", "min", "max", "rank", "log")


def primitives(scorer: WindowScorer, repeats: int) -> dict[str, float]:
    """Milliseconds one call of each primitive of `PRIMITIVE_TREES` takes (median of
    `repeats` rounds of 20 calls), and of the comparison they sit in ("ms_gt")."""

    def seconds(text: str) -> float:
        tree = parse(text)
        scorer.evaluator.signal(tree)
        rounds = []
        for _ in range(repeats):
            began = time.perf_counter()
            for _ in range(20):
                scorer.evaluator.signal(tree)
            rounds.append((time.perf_counter() - began) / 20)
        return statistics.median(rounds)

    base = seconds("gt(close, 10.0)")
    found = {"ms_gt": 1000 * base}
    for name, text in PRIMITIVE_TREES.items():
        found[f"ms_{name}"] = 1000 * max(seconds(text) - base, 0.0)
    return found


def node_mix(trees: list[gp.PrimitiveTree], engine_figures: dict[str, Any]) -> dict[str, Any]:
    """Where a genome's time goes: its signal per function node and its backtest, and the
    share of costly (rolling, rank, log) nodes among the function nodes."""
    names = [n.name for t in trees for n in t if isinstance(n, gp.Primitive)]
    costly = sum(n.split("_")[0] in COSTLY for n in names)
    count = len(trees)
    return {
        "signal_ms_each": 1000 * engine_figures["engine_signal_s"] / count,
        "backtest_ms_each": 1000
        * (engine_figures["engine_s"] - engine_figures["engine_signal_s"])
        / count,
        "signal_ms_per_function_node": 1000 * engine_figures["engine_signal_s"] / len(names),
        "function_nodes_each": len(names) / count,
        "costly_node_share": costly / len(names),
    }


def measure(panel: Panel, config: LabConfig, smoke: bool) -> dict[str, Any]:
    window = build_windows(panel, config.windows, config.backtest)["train"]
    scorer = WindowScorer(panel, window, config.backtest)
    trees = population(2026, 20 if smoke else 200)
    figures = engine(scorer, trees, repeats=1 if smoke else 3)
    figures.update(node_mix(trees, figures))
    figures.update(primitives(scorer, 2 if smoke else 7))
    figures.update(baseline(scorer, trees[: 2 if smoke else 10]))
    figures["x_baseline"] = figures["engine_per_second"] / figures["baseline_per_second"]
    baseline_signal = figures["baseline_signal_s_each"]
    figures["x_baseline_signal"] = baseline_signal / (figures["engine_signal_s"] / len(trees))
    figures.update(floor(scorer, trees, figures["engine_signal_s"]))
    figures.update(memory(panel, scorer, trees[:20] if smoke else trees))
    figures["window"] = (
        f"{window.name} {window.first}..{window.last} + {window.warmup_days} warm-up"
    )
    figures["days"], figures["symbols"] = scorer.data.n_days, scorer.data.n_symbols
    return figures


def measure_population(panel: Panel, config: LabConfig, smoke: bool) -> dict[str, Any]:
    trees = population(2026, 20 if smoke else 200)
    figures = cache(panel, config, trees, 2 if smoke else 8, 64 if smoke else 512)
    many = population(2027, 40 if smoke else 800)
    figures.update(parallel(panel, config, many, batch=20 if smoke else 200))
    return figures
