"""Refine the constants of a genome with Optuna, on the train window only.

The genome's structure stays; its tunable leaves are searched:
- each constant c within [c - d, c + d], d = max(0.5 |c|, 0.05), rounded to 3 significant digits;
- each lookback among `WINDOWS`.

Optuna's TPE sampler, seeded, runs `trials` trials one after another (so the same seed gives the
same trials), the first one being the genome as it is. Every trial is a genome scored through the
evaluation cache, so it counts as a trial of the train window like any bred genome. The best
trial, if it beats the original score, is a new genome (its own id) whose parent is the original.
"""

from __future__ import annotations

from collections.abc import Callable

from evolve.variation import Child, tunable_leaves, with_leaves
from genome import WINDOWS

__all__ = ["refine"]

Score = Callable[[Child], float]


def refine(original: Child, score: Score, trials: int, seed: int) -> tuple[Child, float] | None:
    """The best refinement of `original` and its score, or None when nothing beat it (or it has
    nothing to tune)."""
    import optuna

    leaves = tunable_leaves(original.tree)
    if not leaves or trials <= 0:
        return None
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    baseline = score(original)
    made: dict[int, Child] = {}

    def objective(trial: optuna.Trial) -> float:
        values: list[float | int] = []
        for k, leaf in enumerate(leaves):
            if isinstance(leaf, float):
                d = max(0.5 * abs(leaf), 0.05)
                values.append(trial.suggest_float(f"c{k}", leaf - d, leaf + d))
            else:
                values.append(int(trial.suggest_categorical(f"w{k}", list(WINDOWS))))
        child = with_leaves(original, values, "refined")
        made[trial.number] = child
        return score(child)

    study = optuna.create_study(direction="maximize", sampler=optuna.samplers.TPESampler(seed=seed))
    study.enqueue_trial(
        {(f"c{k}" if isinstance(v, float) else f"w{k}"): v for k, v in enumerate(leaves)}
    )
    study.optimize(objective, n_trials=trials)
    best = made[study.best_trial.number]
    if study.best_value <= baseline or best.id == original.id:
        return None
    return best, float(study.best_value)
