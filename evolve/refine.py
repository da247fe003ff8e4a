"""Refine the constants of a genome with Optuna, on the train window only.

The genome's structure stays; its tunable leaves are searched:
- each constant c within [c - d, c + d], d = max(0.5 |c|, 0.05), rounded to 3 significant digits;
- each lookback among `WINDOWS`.

Optuna's TPE sampler, seeded, runs `trials` trials one after another (so the same seed gives the
same trials). Every trial is a genome scored through the evaluation cache, so it counts as a
trial of the train window like any bred genome. The best trial, if it beats the original score,
is a new genome (its own id) whose parent is the original.
"""

from __future__ import annotations

from collections.abc import Callable

from deap import gp

from evolve.variation import Child, child_of, significant
from genome import PSET, WINDOWS
from genome.grammar import CONST_LIMIT, Const, Constant, Window, window_of

__all__ = ["refine"]

Score = Callable[[Child], float]


def tunable(tree: gp.PrimitiveTree) -> list[int]:
    return [i for i, node in enumerate(tree) if node.arity == 0 and node.ret in (Const, Window)]


def refine(original: Child, score: Score, trials: int, seed: int) -> tuple[Child, float] | None:
    """The best refinement of `original` and its score, or None when nothing beat it (or it has
    nothing to tune)."""
    import optuna

    spots = tunable(original.tree)
    if not spots or trials <= 0:
        return None
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    window_leaf = {window_of(t): t for t in PSET.terminals[Window]}
    baseline = score(original)
    made: dict[int, Child] = {}

    def objective(trial: optuna.Trial) -> float:
        tree = gp.PrimitiveTree(original.tree)
        for k, i in enumerate(spots):
            node = tree[i]
            if node.ret is Const:
                d = max(0.5 * abs(node.value), 0.05)
                value = trial.suggest_float(f"c{k}", node.value - d, node.value + d)
                tree[i] = Constant(max(-CONST_LIMIT, min(CONST_LIMIT, significant(value, 3))))
            else:
                lookback = trial.suggest_categorical(f"w{k}", list(WINDOWS))
                tree[i] = window_leaf[int(lookback)]
        child = child_of(tree, "refined", (original.id,))
        made[trial.number] = child
        return score(child)

    study = optuna.create_study(direction="maximize", sampler=optuna.samplers.TPESampler(seed=seed))
    study.enqueue_trial(_original_params(original.tree, spots))
    study.optimize(objective, n_trials=trials)
    best = made[study.best_trial.number]
    if study.best_value <= baseline or best.id == original.id:
        return None
    return best, float(study.best_value)


def _original_params(tree: gp.PrimitiveTree, spots: list[int]) -> dict[str, float | int]:
    out: dict[str, float | int] = {}
    for k, i in enumerate(spots):
        node = tree[i]
        out[f"c{k}" if node.ret is Const else f"w{k}"] = (
            node.value if node.ret is Const else window_of(node)
        )
    return out
