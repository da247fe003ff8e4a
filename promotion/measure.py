"""What the gate measures of one genome, on the data it is allowed to see: pure functions of a
panel, windows, account rules and a tree.

- `Measurer.measure`: validation metrics and daily returns after costs, the same with costs
  stressed, equal-weight buy-and-hold on the same window, the validation Sharpe of every small
  move of the genome's lookbacks and constants, Sharpe per calendar year over train and
  validation, and the look-ahead re-check.
- `lookahead_cuts`: signals computed on data that ends at day c must equal the signals of the
  whole window up to c, at several cuts.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

import numpy as np
from deap import gp

from configs import BacktestConfig, GateConfig
from fitness.buy_and_hold import buy_and_hold, in_slots
from fitness.factors import Exposures, exposures, factor_returns
from fitness.metrics import Metrics
from fitness.score import Scored, WindowScorer
from fitness.windows import Window
from genome.evaluate import evaluate
from genome.leaves import neighbours
from genome.sense import scale_problem
from market.exchange import TRADING_DAYS
from market.panel import Panel

__all__ = [
    "LookaheadCut",
    "Measurement",
    "Measurer",
    "Variant",
    "YearSharpe",
    "lookahead_cuts",
    "stressed_rules",
    "yearly_sharpe",
]


@dataclass(frozen=True)
class Variant:
    """A genome one small move away from the candidate, and its validation Sharpe."""

    change: str
    sharpe: float


@dataclass(frozen=True)
class YearSharpe:
    """The Sharpe of one calendar year of the measured windows."""

    year: int
    window: str  # the window(s) the year's days come from
    n_days: int
    sharpe: float  # annualised, after costs


@dataclass(frozen=True)
class LookaheadCut:
    """A look-ahead check: the signal recomputed on data cut after `day`; cells that differ."""

    day: str  # the last day of the cut data
    mismatches: int  # (day, symbol) cells whose signal differs from the whole window's


@dataclass(frozen=True)
class Measurement:
    """Everything the gate's criteria are computed from, for one genome."""

    validation: Scored
    stressed: Metrics
    buy_and_hold: Metrics  # of the universe
    in_slots: Metrics  # buy-and-hold in the account's slots (fitness.buy_and_hold.in_slots)
    held: np.ndarray  # daily returns of both, days x 2, the same days as validation's
    variants: tuple[Variant, ...]
    years: tuple[YearSharpe, ...]
    lookahead: tuple[LookaheadCut, ...]
    # Why the genome's signals read price or volume levels (genome.units); None: scale-free.
    scale_problem: str | None
    # Betas on the market and simple factors (fitness.factors); None: not measured.
    exposures: Exposures | None = None


def stressed_rules(rules: BacktestConfig, multiplier: float) -> BacktestConfig:
    """`rules` with slippage and fees times `multiplier`."""
    return dataclasses.replace(
        rules,
        slippage_bps=rules.slippage_bps * multiplier,
        fee_per_order=rules.fee_per_order * multiplier,
        fee_per_share=rules.fee_per_share * multiplier,
    )


class Measurer:
    """Measures genomes for the gate on `panel`'s train and validation windows. The scorers
    and equal-weight buy-and-hold are built once, for every genome of a gate run. Only the train
    and validation windows are looked at (with their warm-ups): nothing after the validation
    window's last day."""

    def __init__(
        self,
        panel: Panel,
        train: Window,
        validation: Window,
        rules: BacktestConfig,
        gate: GateConfig,
    ) -> None:
        self.gate = gate
        self.on_validation = WindowScorer(panel, validation, rules)
        self.on_train = WindowScorer(panel, train, rules)
        self.stressed = WindowScorer(panel, validation, stressed_rules(rules, gate.cost_multiplier))
        universe, slots = buy_and_hold(panel, validation, rules), in_slots(panel, validation, rules)
        self.buy_and_hold, self.in_slots = universe.metrics, slots.metrics
        self.held = np.column_stack([universe.result.returns, slots.result.returns])
        self.factors = factor_returns(panel, validation) if gate.exposures else None
        self.data = validation.panel(panel)
        self.start = validation.warmup_days

    def returns(self, tree: gp.PrimitiveTree) -> np.ndarray:
        """Daily returns on the validation window, after costs."""
        return self.on_validation.score(tree).result.returns

    def measure(self, tree: gp.PrimitiveTree) -> Measurement:
        """Everything the gate judges of `tree`, measured on the validation window."""
        gate = self.gate
        scored = self.on_validation.score(tree)
        variants = tuple(
            Variant(change, self.on_validation.score(neighbour).metrics.sharpe)
            for change, neighbour in neighbours(tree, gate.constant_step)
        )
        on_train = self.on_train.score(tree).result
        years = yearly_sharpe(
            [
                ("train", on_train.dates, on_train.returns),
                ("validation", scored.result.dates, scored.result.returns),
            ],
            gate.min_year_days,
        )
        cuts = lookahead_cuts(partial(evaluate, tree), self.data, self.start, gate.lookahead_cuts)
        return Measurement(
            validation=scored,
            stressed=self.stressed.score(tree).metrics,
            buy_and_hold=self.buy_and_hold,
            in_slots=self.in_slots,
            held=self.held,
            variants=variants,
            years=tuple(years),
            lookahead=tuple(cuts),
            scale_problem=scale_problem(tree),
            exposures=(
                None
                if self.factors is None
                else exposures(scored.result.returns, self.held[:, 0], self.factors)
            ),
        )


def yearly_sharpe(
    parts: list[tuple[str, np.ndarray, np.ndarray]], min_days: int
) -> list[YearSharpe]:
    """Annualised Sharpe per calendar year of daily returns given in parts (name, dates,
    returns), in date order; years with fewer than `min_days` sessions are left out. A year
    whose returns do not vary has Sharpe 0."""
    by_year: dict[int, tuple[list[str], list[np.ndarray]]] = {}
    for name, dates, returns in parts:
        years = dates.astype("datetime64[Y]").astype(int) + 1970
        for year in np.unique(years):
            names, chunks = by_year.setdefault(int(year), ([], []))
            if name not in names:
                names.append(name)
            chunks.append(returns[years == year])
    out = []
    for year, (names, chunks) in sorted(by_year.items()):
        r = np.concatenate(chunks)
        if len(r) < min_days:
            continue
        std = float(np.std(r, ddof=1))
        sharpe = float(np.mean(r)) / std * math.sqrt(TRADING_DAYS) if std > 0 else 0.0
        out.append(YearSharpe(year, "+".join(names), len(r), sharpe))
    return out


def lookahead_cuts(
    signals: Callable[[Panel], np.ndarray], data: Panel, start: int, cuts: int
) -> list[LookaheadCut]:
    """Compare `signals(data)` ((days x symbols) bool, `data` a window's warm-up and days) with
    the signals computed on the same data cut after day c, for `cuts` days c spread evenly over
    [start, end). A genome that looks ahead (or a primitive that does) changes its past signals
    when later data arrives: any mismatch is counted."""
    full = signals(data)
    days = np.unique(np.linspace(start, data.n_days - 1, cuts + 1)[:-1].astype(int))
    out = []
    for day in days:
        part = signals(data.days(0, int(day) + 1))
        mismatches = int(np.count_nonzero(part != full[: day + 1]))
        out.append(LookaheadCut(str(data.dates[day]), mismatches))
    return out
