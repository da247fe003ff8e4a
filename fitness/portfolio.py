"""Portfolio-level fitness: a genome's score, less a penalty for resembling what the lab already
owns.

    score   = consistent Sharpe - parsimony x size           (WORST_FITNESS if it trades fewer
                                                               than min_trades times, or failed)
    consistent Sharpe = mean - spread x standard error of the annualised Sharpe ratios of
              `blocks` equal, consecutive blocks of the window's days (blocks = 1: the Sharpe
              ratio; spread = 1 by default, sqrt(blocks): mean less their standard deviation)
    rho     = max(0, highest Pearson correlation of the genome's daily returns with each
              reference strategy's daily returns over the same window)
    fitness = score - penalty x rho                          (WORST_FITNESS stays as it is)

The reference strategies are the live book and the hall of fame. A clone of a reference (rho =
1) loses `penalty` units of annualised Sharpe; a strategy that never moves (zero variance) has
rho = 0. Sharpe is annualised (see fitness.metrics).

Why blocks: thousands of genomes tried on one history find rules that time that history's few
big moves (hold everything while the market index is below some level, say). Their Sharpe over
the whole window can beat a real, steady edge's, but it comes from one or two stretches of
time; the block Sharpe ratios of such a rule are uneven, those of a real edge alike. The
benchmark of discovery power (BENCHMARKS.md) measured the difference.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from fitness.buy_and_hold import beyond
from market.exchange import TRADING_DAYS

__all__ = [
    "ONE_BLOCK",
    "WORST_FITNESS",
    "Blocks",
    "consistent_sharpe",
    "genome_score",
    "highest_correlation",
    "portfolio_fitness",
]

# Below any reachable score: failed genomes and those that hardly trade.
WORST_FITNESS = -100.0


@dataclass(frozen=True)
class Blocks:
    """How the consistent Sharpe cuts a window: `count` equal consecutive blocks, and how many
    standard errors of their Sharpe ratios it gives up (`spread`)."""

    count: int = 1
    spread: float = 1.0


ONE_BLOCK = Blocks()  # the plain Sharpe ratio


def genome_score(
    sharpe: float | None,
    n_trades: int,
    size: int,
    parsimony: float,
    min_trades: int,
    returns: np.ndarray | None = None,
    blocks: Blocks = ONE_BLOCK,
    held: np.ndarray | None = None,
) -> float:
    """The window-bound score of a genome (see the module docstring); `sharpe` None = failed.
    With more than one of `blocks` the daily `returns` give the consistent Sharpe instead of
    `sharpe`; with
    `held` (the daily returns of what the account holds anyway on the same days, one column a
    portfolio: fitness.buy_and_hold.held_anyway) it is that of the returns beyond them."""
    if sharpe is None or not np.isfinite(sharpe) or n_trades < min_trades:
        return WORST_FITNESS
    if returns is not None and (blocks.count > 1 or held is not None):
        if held is not None:
            returns = beyond(returns, held)[1]
        sharpe = consistent_sharpe(returns, blocks.count, blocks.spread)
    return max(WORST_FITNESS, sharpe - parsimony * size)


def consistent_sharpe(returns: np.ndarray, blocks: int, spread: float = 1.0) -> float:
    """Mean less `spread` standard errors of the annualised Sharpe ratios of `returns` (daily)
    cut into `blocks` equal consecutive blocks; a block whose returns do not vary counts as 0."""
    parts = np.array_split(np.asarray(returns, dtype=np.float64), blocks)
    sharpes = np.zeros(len(parts))
    for k, part in enumerate(parts):
        std = float(np.std(part, ddof=1)) if len(part) > 1 else 0.0
        if std > 0:
            sharpes[k] = float(np.mean(part)) / std * math.sqrt(TRADING_DAYS)
    deviation = float(np.std(sharpes, ddof=1)) if len(sharpes) > 1 else 0.0
    return float(np.mean(sharpes)) - spread * deviation / math.sqrt(len(sharpes))


def highest_correlation(returns: np.ndarray, references: Sequence[np.ndarray]) -> float:
    """The largest Pearson correlation of `returns` with any of `references` (equal lengths),
    or 0.0 when there is none or a series does not vary."""
    best = 0.0
    x = returns - returns.mean()
    sx = float(np.sqrt(x @ x))
    if sx == 0.0:
        return 0.0
    for reference in references:
        if len(reference) != len(returns):
            raise ValueError(
                f"correlation needs series of equal length, got {len(returns)} and "
                f"{len(reference)} days"
            )
        y = reference - reference.mean()
        sy = float(np.sqrt(y @ y))
        if sy > 0.0:
            best = max(best, float(x @ y) / (sx * sy))
    return best


def portfolio_fitness(
    score: float, returns: np.ndarray | None, references: Sequence[np.ndarray], penalty: float
) -> tuple[float, float]:
    """(fitness, rho) of a genome with `score` and daily `returns` against `references`."""
    if score <= WORST_FITNESS or returns is None:
        return WORST_FITNESS, 0.0
    rho = max(0.0, highest_correlation(returns, references))
    return score - penalty * rho, rho
