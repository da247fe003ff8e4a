"""Assess genomes on one window: everything evolution keeps of an evaluation, computed where the
work runs (a joblib or Dask worker) and sent back small.

A genome that fails (an error in its evaluation or backtest) is reported with its reason, never
raised: one bad genome must not end a night.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from configs import BacktestConfig
from fitness.behaviour import descriptor
from fitness.metrics import Metrics
from fitness.rank_ic import RankIC
from fitness.score import WindowScorer
from fitness.windows import Window
from market.panel import Panel

__all__ = ["Assessment", "assess_texts", "stored_precision"]


@dataclass(frozen=True)
class Assessment:
    """One genome on one window.

    Attributes:
        metrics: None when the evaluation failed (`reason` says why).
        returns: daily returns over the window's counted days, at the precision research.db
            stores them (float16, see store.arrays), so a fresh and a stored evaluation give
            the same numbers.
        descriptor: the behaviour descriptor (fitness.behaviour), float64.
        rank_ic: the signal's rank IC (fitness.rank_ic); None when the evaluation failed.
    """

    text: str
    metrics: Metrics | None
    returns: np.ndarray | None
    descriptor: np.ndarray | None
    reason: str | None = None
    rank_ic: RankIC | None = None

    @property
    def ok(self) -> bool:
        """Whether the genome could be backtested (it has metrics)."""
        return self.metrics is not None

    def stored_metrics(self) -> dict[str, float | int]:
        """The figures research.db keeps beside the returns: the backtest's metrics and the
        rank IC ({} when the evaluation failed)."""
        if self.metrics is None:
            return {}
        rank_ic = {} if self.rank_ic is None else self.rank_ic.as_dict()
        return {**self.metrics.as_dict(), **rank_ic}


def stored_precision(values: np.ndarray) -> np.ndarray:
    """`values` at the precision research.db keeps return series (float16; store.arrays)."""
    return np.asarray(values, dtype="<f2").astype(np.float64)


def assess_texts(
    data: Panel, window: Window, rules: BacktestConfig, texts: list[str], cache_bytes: int = 0
) -> list[Assessment]:
    """Assess each genome text on `window`, given the window's own data (`window.panel(full)`:
    warm-up and window, nothing later), in order."""
    from genome.text import parse

    scorer = WindowScorer.on_window_data(data, window, rules, cache_bytes)
    out = []
    for text in texts:
        try:
            scored = scorer.score(parse(text))
            out.append(
                Assessment(
                    text,
                    scored.metrics,
                    stored_precision(scored.result.returns),
                    descriptor(scored.result),
                    rank_ic=scored.rank_ic,
                )
            )
        except Exception as e:  # any failure of one genome is its own verdict
            out.append(Assessment(text, None, None, None, f"{type(e).__name__}: {e}"))
    return out
