"""Decay watch: has a strategy's edge gone since its validation window promised it?

A one-sided CUSUM (Page 1954) on the strategy's daily returns since it began trading,
standardised by what the validation window showed (mean m, standard deviation s):

    z_t = (r_t - m) / s
    C_0 = 0,  C_t = max(0, C_{t-1} - z_t - k),   k = (m / s) / 2
    alarm when C_t > h

k is half the validation's daily Sharpe: the test is tuned to a fall of the mean from m to 0
(no edge left). h is chosen so that a strategy still performing as on validation raises a
false alarm once in `arl_sessions` sessions on average, from Siegmund's approximation of the
in-control average run length (Siegmund 1985; Basseville & Nikiforov 1993, eq. 5.2.44):

    ARL0(h) = (exp(2 k b) - 2 k b - 1) / (2 k^2),   b = h + 1.166

The PSR of the returns against the validation Sharpe (Bailey & Lopez de Prado 2012) is shown
with it: the probability that the strategy's true Sharpe since trading is still at least the
validation's. An alarm proposes retirement to a human; nothing retires by itself.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from market.exchange import TRADING_DAYS
from promotion.statistics import StatisticsError, psr

__all__ = ["DecayWatch", "cusum_threshold", "decay_watch"]

_SIEGMUND = 1.166


@dataclass(frozen=True)
class DecayWatch:
    """The test on `n_days` daily returns since trading began.

    Attributes:
        sharpe: annualised Sharpe of those returns (None below 2 days or without variation).
        expected_sharpe: annualised Sharpe of the validation window's returns.
        psr: probability that the true Sharpe since trading is at least the validation's
            (None below 2 days).
        cusum: C at the last day; `peak`: its highest value; `threshold`: h.
        alarm_day: index of the first day C crossed h (None: it never did).

    The alarm stands while C is above h at the last day: a strategy that crossed once and
    recovered since (C falls back towards 0 on good days) is not proposed for retirement.
    """

    n_days: int
    sharpe: float | None
    expected_sharpe: float
    psr: float | None
    cusum: float
    peak: float
    threshold: float
    alarm_day: int | None

    @property
    def alarm(self) -> bool:
        """Whether the CUSUM has crossed its threshold."""
        return self.cusum > self.threshold


def cusum_threshold(k: float, arl_sessions: float) -> float:
    """The threshold h such that Siegmund's ARL0(h) equals `arl_sessions` for drift `k` (> 0)."""
    if not (k > 0 and arl_sessions > 1):
        raise StatisticsError(f"cusum needs k > 0 and arl_sessions > 1, got {k}, {arl_sessions}")

    def arl(h: float) -> float:
        x = 2 * k * (h + _SIEGMUND)
        # exp(x) - x - 1 without cancellation for the small x of a weak edge.
        return math.expm1(x) - x if x > 1e-4 else x * x / 2 * (1 + x / 3)

    target = arl_sessions * 2 * k * k
    low, high = 0.0, 1.0
    while arl(high) < target:
        high *= 2
    for _ in range(100):
        middle = (low + high) / 2
        low, high = (middle, high) if arl(middle) < target else (low, middle)
    return (low + high) / 2


def decay_watch(returns: np.ndarray, validation: np.ndarray, arl_sessions: float) -> DecayWatch:
    """The decay test of daily `returns` since trading began against the `validation` window's
    daily returns (both after the same costs).

    Raises:
        StatisticsError: validation returns without a positive mean or without variation (no
            promise to test against).
    """
    m, s = float(np.mean(validation)), float(np.std(validation, ddof=1))
    if not (math.isfinite(m) and math.isfinite(s) and s > 0 and m > 0):
        raise StatisticsError(
            f"the validation returns promise no edge to watch (mean {m:.3g}, sd {s:.3g})"
        )
    k = m / s / 2
    h = cusum_threshold(k, arl_sessions)
    c, peak, alarm_day = 0.0, 0.0, None
    for t, r in enumerate(np.asarray(returns, dtype=float).tolist()):
        c = max(0.0, c - (r - m) / s - k)
        peak = max(peak, c)
        if alarm_day is None and c > h:
            alarm_day = t
    n = len(returns)
    sharpe = probability = None
    if n >= 2 and float(np.std(returns, ddof=1)) > 0:
        daily = float(np.mean(returns) / np.std(returns, ddof=1))
        sharpe = daily * math.sqrt(TRADING_DAYS)
        centred = returns - np.mean(returns)
        sd = float(np.sqrt(np.mean(centred**2)))
        skew = float(np.mean(centred**3) / sd**3)
        kurtosis = float(np.mean(centred**4) / sd**4)
        try:
            probability = psr(daily, n, skew, kurtosis, sr_benchmark=m / s)
        except StatisticsError:  # a sample too odd for the PSR's variance formula
            probability = None
    return DecayWatch(
        n_days=n,
        sharpe=sharpe,
        expected_sharpe=m / s * math.sqrt(TRADING_DAYS),
        psr=probability,
        cusum=float(c),
        peak=float(peak),
        threshold=h,
        alarm_day=alarm_day,
    )
