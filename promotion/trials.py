"""How many trials were made to find a candidate, and how far their Sharpe ratios spread: the
deflation of the gate's DSR, read from research.db.

Every genome evaluated on the train window is a trial (evolve.evaluations keeps running counts,
sums and sums of squares of their Sharpe ratios per window). New data can rebuild the train
window under a new id while the history is the same: every stored train window with the same
dates counts, so a re-adjusted price history does not reset the count.

The effective number of trials (`method = "effective"`) uses the average pairwise correlation of
the daily returns of a sample of stored trials (the first `sample` by genome id, which is a hash:
a deterministic, unbiased sample).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from fitness.metrics import TRADING_DAYS
from promotion.statistics import effective_trials
from store import unpack
from store.models import Evaluation, TrialCount, WindowRecord

__all__ = ["Trials", "count_trials"]


@dataclass(frozen=True)
class Trials:
    """The trials behind a candidate.

    Attributes:
        trials: every genome evaluated on the train window(s), failed ones included.
        scored: those with a Sharpe ratio (the variance is theirs).
        var_sharpe: variance of their per-observation Sharpe ratios (annualised Sharpe^2 / 252).
        n: the N used by the DSR (trials, or the effective number).
        method: "all" or "effective".
        mean_correlation: average pairwise correlation of the sample ("effective" only).
        sample: how many trials the correlation was measured on.
        window_ids: the train windows counted.
    """

    trials: int
    scored: int
    var_sharpe: float
    n: float
    method: str
    mean_correlation: float | None
    sample: int
    window_ids: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "window_ids": list(self.window_ids)}

    def describe(self) -> str:
        how = (
            f"effective N = {self.n:.1f} from {self.trials} trials with average return "
            f"correlation {self.mean_correlation:.3f} (sample of {self.sample})"
            if self.method == "effective"
            else f"N = {self.trials} trials"
        )
        return (
            f"{how}; Sharpe variance {self.var_sharpe * TRADING_DAYS:.4f} (annualised) over "
            f"{self.scored} scored trials on {len(self.window_ids)} train window version(s)"
        )


def count_trials(
    session: Session, train_window_id: str, method: Literal["all", "effective"], sample: int
) -> Trials:
    """The trials of the train window `train_window_id` and of every stored window with the
    same name and dates (see the module docstring)."""
    window = session.get(WindowRecord, train_window_id)
    if window is None:
        raise LookupError(f"train window {train_window_id[:12]} is not in research.db")
    ids = tuple(
        session.scalars(
            select(WindowRecord.id)
            .where(
                WindowRecord.name == window.name,
                WindowRecord.first_day == window.first_day,
                WindowRecord.last_day == window.last_day,
            )
            .order_by(WindowRecord.id)
        ).all()
    )
    counts = session.scalars(select(TrialCount).where(TrialCount.window_id.in_(ids))).all()
    trials = sum(c.trials for c in counts)
    scored = sum(c.sharpe_n for c in counts)
    total = sum(c.sharpe_sum for c in counts)
    squares = sum(c.sharpe_sq_sum for c in counts)
    variance = (squares - total**2 / scored) / (scored - 1) if scored > 1 else 0.0
    var_sharpe = max(0.0, variance) / TRADING_DAYS
    if method == "all" or trials < 2:
        return Trials(trials, scored, var_sharpe, float(max(trials, 1)), "all", None, 0, ids)
    correlation, used = _mean_correlation(session, train_window_id, sample)
    n = effective_trials(trials, correlation)
    return Trials(trials, scored, var_sharpe, n, "effective", correlation, used, ids)


def _mean_correlation(session: Session, window_id: str, sample: int) -> tuple[float, int]:
    rows = session.scalars(
        select(Evaluation.returns)
        .where(Evaluation.window_id == window_id, Evaluation.returns.is_not(None))
        .order_by(Evaluation.genome_id)
        .limit(sample)
    ).all()
    series = [unpack(r) for r in rows if r is not None]
    series = [s for s in series if np.std(s) > 0]
    if len(series) < 2:
        return 0.0, len(series)
    matrix = np.corrcoef(np.vstack(series))
    upper = matrix[np.triu_indices(len(series), k=1)]
    return float(np.mean(upper)), len(series)
