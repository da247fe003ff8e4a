"""What a rule is a bet on: simple factor portfolios built from the panel, and a strategy's
exposures to them.

Each factor is a long-short portfolio with equal weights: the third of the symbols with the
highest score less the third with the lowest, formed at each close from data up to that close
and earning the next day's close-to-close returns (no costs: it is a yardstick, not a
strategy):

    liquidity       mean dollar volume (close x volume) over the last 63 sessions
    momentum 12-1   the return from 252 to 21 sessions ago
    low volatility  minus the standard deviation of daily returns over the last 63 sessions

A strategy's exposures are the least-squares betas (with an intercept) of its daily returns on
equal-weight buy-and-hold of the universe and the three factors, each with its t statistic, and
the share of the returns' variance they explain (R squared). A rule whose alpha is a liquidity
or momentum tilt shows it here, beside the gate's verdict.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from fitness.windows import Window
from market.panel import Panel

__all__ = ["FACTORS", "Exposure", "Exposures", "exposures", "factor_returns"]

FACTORS = ("liquidity", "momentum 12-1", "low volatility")
_SPAN = 63  # sessions of the liquidity and volatility scores
_YEAR, _MONTH = 252, 21


@dataclass(frozen=True)
class Exposure:
    """One beta and its t statistic (None when it cannot be estimated)."""

    beta: float
    t: float | None


@dataclass(frozen=True)
class Exposures:
    """A strategy's betas on the market and the factors, and R squared."""

    by_factor: dict[str, Exposure]  # "market" first, then FACTORS
    r_squared: float
    days: int

    def as_dict(self) -> dict[str, object]:
        """As stored with a gate report (JSON)."""
        return {
            "betas": {k: {"beta": e.beta, "t": e.t} for k, e in self.by_factor.items()},
            "r_squared": self.r_squared,
            "days": self.days,
        }


def factor_returns(panel: Panel, window: Window) -> np.ndarray:
    """The daily returns (window days x FACTORS) of the factor portfolios on `window`, each
    day's portfolio formed from the data up to the day before."""
    data = window.panel(panel)
    close = pd.DataFrame(np.asarray(data.close, dtype=np.float64))
    returns = close / close.shift(1) - 1.0
    scores = (
        (close * np.asarray(data.volume, dtype=np.float64)).rolling(_SPAN).mean(),
        close.shift(_MONTH) / close.shift(_YEAR) - 1.0,
        -returns.rolling(_SPAN).std(),
    )
    start = window.warmup_days
    out = np.zeros((window.n_days, len(FACTORS)))
    following = returns.to_numpy()
    for k, score in enumerate(scores):
        formed = score.to_numpy()
        for day in range(start, len(data.dates)):
            out[day - start, k] = _spread(formed[day - 1], following[day])
    return out


def _spread(score: np.ndarray, following: np.ndarray) -> float:
    # Top third less bottom third by `score`, both on the symbols with a score and a return.
    known = np.isfinite(score) & np.isfinite(following)
    if known.sum() < 3:
        return 0.0
    ordered = np.argsort(score[known], kind="stable")
    third = len(ordered) // 3
    r = following[known][ordered]
    return float(r[-third:].mean() - r[:third].mean())


def exposures(returns: np.ndarray, market: np.ndarray, factors: np.ndarray) -> Exposures | None:
    """The betas of daily `returns` on `market` (buy-and-hold of the universe) and `factors`
    (days x FACTORS), same days; None when there are too few days, or values that are not
    finite, to estimate them."""
    x = np.column_stack([np.ones(len(returns)), market, factors])
    n, k = x.shape
    if n <= k + 1 or not (np.isfinite(x).all() and np.isfinite(returns).all()):
        return None
    coef, *_ = np.linalg.lstsq(x, returns, rcond=None)
    residual = returns - x @ coef
    spread = float(np.sum((returns - returns.mean()) ** 2))
    r_squared = 1.0 - float(residual @ residual) / spread if spread > 0 else 0.0
    sigma2 = float(residual @ residual) / (n - k)
    # Factors that cannot be told apart (too few symbols to form one): betas, but no t.
    full_rank = np.linalg.matrix_rank(x) == k
    covariance = sigma2 * np.linalg.inv(x.T @ x) if full_rank else None
    names = ("market", *FACTORS)
    found = {}
    for j, name in enumerate(names, start=1):
        variance = None if covariance is None else float(covariance[j, j])
        t = coef[j] / math.sqrt(variance) if variance and variance > 0 else None
        found[name] = Exposure(float(coef[j]), None if t is None else float(t))
    return Exposures(found, r_squared, n)
