"""The forward record of a candidate and the incubation test, from its forward returns.

A candidate's forward sessions come after the data of its gate report: no search, gate or
person chose it on them, so they are the only evidence about it that nobody selected. On them:

- forward Sharpe ratio (annualised) and alpha, the annualised intercept of its daily returns on
  equal-weight buy-and-hold of the universe (least squares), both after the backtest's costs;
- PSR: the probability that its true forward Sharpe ratio is above 0 (Bailey & Lopez de Prado
  2012), one strategy on its own;
- DSR: the same against the best Sharpe ratio expected of N strategies with no edge followed on
  the same number of sessions (Bailey & Lopez de Prado 2014), N counting only the strategies
  ever followed forward: the thousands of genomes the search tried never touched these
  sessions, so they are not tries at them.

The incubation test (README "Incubation") of a strategy approved to trade on paper: at least
`incubation.sessions` sessions since its approval, and a forward PSR of at least
`incubation.confidence` on every forward session since its gate report.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

import numpy as np

from configs import IncubationConfig
from fitness.metrics import moments
from market.exchange import TRADING_DAYS
from promotion.statistics import StatisticsError, dsr, psr

__all__ = ["ForwardRecord", "IncubationTest", "forward_record", "incubation_test"]


@dataclass(frozen=True)
class ForwardRecord:
    """A candidate's paper returns on the sessions after its gate report's data.

    Attributes:
        days: the forward sessions, oldest first; `strategy` and `market` their daily returns
            (the candidate's and buy-and-hold's of the universe), after costs.
        followed: N, the strategies ever followed forward (this one included).
        sharpe, alpha, beta: annualised Sharpe ratio and alpha, and the beta on buy-and-hold
            (None below 2 sessions or without variation).
        psr: P(true forward Sharpe > 0); dsr: the same deflated for `followed` (None below 2
            sessions or without variation).
    """

    days: tuple[dt.date, ...]
    strategy: np.ndarray
    market: np.ndarray
    followed: int
    sharpe: float | None
    alpha: float | None
    beta: float | None
    psr: float | None
    dsr: float | None

    @property
    def sessions(self) -> int:
        """How many forward sessions there are."""
        return len(self.days)

    def text(self) -> str:
        """The record as one line, with its sessions."""
        if not self.days:
            return "forward: no session since its gate report yet"
        span = f"{self.days[0]}..{self.days[-1]} ({self.sessions} sessions)"
        if self.sharpe is None:
            return f"forward {span}: too few sessions for a Sharpe ratio"
        return (
            f"forward {span}: Sharpe {self.sharpe:.2f}, alpha {_pct(self.alpha)} a year "
            f"(beta {_num(self.beta)}), P(Sharpe > 0) {_num(self.psr)}, deflated for "
            f"{self.followed} strateg{'y' if self.followed == 1 else 'ies'} followed "
            f"forward {_num(self.dsr)}"
        )


def forward_record(
    days: list[dt.date], strategy: np.ndarray, market: np.ndarray, followed: int
) -> ForwardRecord:
    """The record of daily `strategy` returns on `days` beside `market`'s (same length), among
    `followed` strategies followed forward."""
    strategy = np.asarray(strategy, dtype=float)
    market = np.asarray(market, dtype=float)
    n = len(strategy)
    base = ForwardRecord(tuple(days), strategy, market, followed, None, None, None, None, None)
    sd = float(np.std(strategy, ddof=1)) if n > 1 else 0.0
    if n < 2 or not sd > 0:
        return base
    daily = float(np.mean(strategy)) / sd
    skew, kurtosis = moments(strategy)
    alpha = beta = None
    if float(np.std(market)) > 0:
        beta, intercept = np.polyfit(market, strategy, 1)
        alpha, beta = float(intercept) * TRADING_DAYS, float(beta)
    probability: float | None
    deflated: float | None
    try:
        probability = psr(daily, n, skew, kurtosis)
        deflated = dsr(daily, n, skew, kurtosis, max(followed, 1), 1.0 / (n - 1))
    except StatisticsError:  # a sample too odd for the PSR's variance formula
        probability = deflated = None
    return ForwardRecord(
        tuple(days),
        strategy,
        market,
        followed,
        daily * math.sqrt(TRADING_DAYS),
        alpha,
        beta,
        probability,
        deflated,
    )


@dataclass(frozen=True)
class IncubationTest:
    """The incubation test of one strategy: `sessions` forward sessions since its approval
    (`needed` required) and its forward PSR (`confidence` required)."""

    sessions: int
    needed: int
    psr: float | None
    confidence: float

    @property
    def passed(self) -> bool:
        """Whether the strategy may go to real orders once a person confirms it."""
        return self.sessions >= self.needed and self.psr is not None and self.psr >= self.confidence

    def text(self) -> str:
        """The test as one line."""
        verdict = "passed" if self.passed else "not passed"
        return (
            f"incubation test {verdict}: {self.sessions} of {self.needed} sessions since "
            f"approval, P(forward Sharpe > 0) {_num(self.psr)} (needs {self.confidence:.2f})"
        )


def incubation_test(
    record: ForwardRecord, approved: dt.date, incubation: IncubationConfig
) -> IncubationTest:
    """The incubation test of a strategy approved on `approved` (its first session on paper is
    the next), on its forward `record`."""
    return IncubationTest(
        sum(d > approved for d in record.days),
        incubation.sessions,
        record.psr,
        incubation.confidence,
    )


def _num(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:+.1%}"
