"""Score genomes on one evaluation window: evaluate the hold signal, backtest it, measure it."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from deap import gp

from configs import BacktestConfig
from fitness.backtest import BacktestResult, backtest
from fitness.metrics import Metrics, compute_metrics
from fitness.rank_ic import ForwardRanks, RankIC
from fitness.windows import Window
from genome.evaluate import Evaluator
from market.panel import Panel

__all__ = ["Scored", "WindowScorer"]


@dataclass(frozen=True)
class Scored:
    """A genome's backtest on a window, its metrics and its rank IC (fitness.rank_ic)."""

    window: Window
    result: BacktestResult
    metrics: Metrics
    rank_ic: RankIC


class WindowScorer:
    """Scores many genomes on one window. The genome sees the window's warm-up and days and
    nothing after them; returns count from the window's first day."""

    def __init__(
        self, panel: Panel, window: Window, rules: BacktestConfig, cache_bytes: int = 0
    ) -> None:
        self.window = window
        self.rules = rules
        self.data = window.panel(panel)
        self.evaluator = Evaluator(self.data, cache_bytes=cache_bytes)
        self.forward = ForwardRanks(self.data, window.warmup_days)

    @classmethod
    def on_window_data(
        cls, data: Panel, window: Window, rules: BacktestConfig, cache_bytes: int = 0
    ) -> WindowScorer:
        """A scorer given the window's own data (`window.panel(full)`), as a worker receives
        it: the rest of the panel need not travel."""
        if len(data.dates) != window.stop - window.warmup_start or (
            data.dates[window.warmup_days] != window.first
        ):
            raise ValueError(f"the data given is not the data of window {window.describe()}")
        # Shift the window so that its data is the whole panel; the id stays.
        local = dataclasses.replace(
            window, warmup_start=0, start=window.warmup_days, stop=len(data.dates)
        )
        scorer = cls(data, local, rules, cache_bytes)
        return scorer

    def score(self, tree: gp.PrimitiveTree) -> Scored:
        """Backtest `tree` on the window (signals from the warm-up on) and measure it."""
        signal = self.evaluator.signal(tree)
        result = backtest(self.data, signal, self.rules, start=self.window.warmup_days)
        return Scored(self.window, result, compute_metrics(result), self.forward.of(signal))
