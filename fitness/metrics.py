"""Metrics of a backtest: one pure function of its equity, returns and trades.

Conventions: 252 trading days a year; Sharpe and Sortino are annualised from daily returns with
a zero risk-free rate (Sharpe uses the sample standard deviation, ddof = 1; Sortino the root
mean square of the negative returns); skewness and **raw** kurtosis (3 for a normal) are
population moments of the daily returns, as the promotion gate's formulas expect. When returns
do not vary, Sharpe and Sortino are 0, skewness 0 and kurtosis 3. Sortino and Calmar are +inf
when there is a gain and no loss (no negative day, no drawdown).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np

from fitness.backtest import BacktestResult
from market.exchange import TRADING_DAYS

__all__ = ["Metrics", "compute_metrics", "moments"]


@dataclass(frozen=True)
class Metrics:
    """Summary of a backtest over its counted days.

    turnover is annual and one-way: the value bought and sold per year divided by two, relative
    to equity (1.0 = the book replaced once a year). exposure is the mean share of equity held
    in positions at the close. win_rate and avg_holding_days include open trades, marked at the
    last close.
    """

    n_days: int
    total_return: float
    cagr: float
    sharpe: float
    sortino: float
    max_drawdown: float
    calmar: float
    n_trades: int
    win_rate: float
    avg_holding_days: float
    turnover: float
    exposure: float
    skew: float
    kurtosis: float

    def as_dict(self) -> dict[str, float | int]:
        """The metrics as a dict of plain numbers."""
        return asdict(self)


def compute_metrics(result: BacktestResult) -> Metrics:
    """Sharpe, CAGR, drawdown, exposure and trade figures of a backtest, after costs."""
    r = result.returns
    n = len(r)
    years = n / TRADING_DAYS
    final = float(result.equity[-1]) / result.initial_cash
    cagr = final ** (1.0 / years) - 1.0 if final > 0 else -1.0
    peaks = np.maximum.accumulate(np.r_[result.initial_cash, result.equity])
    max_dd = float(np.max(1.0 - np.r_[result.initial_cash, result.equity] / peaks))
    mean = float(np.mean(r))
    std = float(np.std(r, ddof=1)) if n > 1 else 0.0
    downside = math.sqrt(float(np.mean(np.minimum(r, 0.0) ** 2)))
    skew, kurtosis = moments(r)
    trades = result.trades
    return Metrics(
        n_days=n,
        total_return=final - 1.0,
        cagr=cagr,
        sharpe=mean / std * math.sqrt(TRADING_DAYS) if std > 0 else 0.0,
        sortino=_ratio(mean * math.sqrt(TRADING_DAYS), downside),
        max_drawdown=max_dd,
        calmar=_ratio(cagr, max_dd),
        n_trades=len(trades),
        win_rate=float(np.mean(trades.pnl > 0)) if len(trades) else 0.0,
        avg_holding_days=float(np.mean(trades.holding_days)) if len(trades) else 0.0,
        turnover=float(np.mean(result.turnover)) * TRADING_DAYS / 2.0,
        exposure=float(np.mean(result.exposure)),
        skew=skew,
        kurtosis=kurtosis,
    )


def moments(returns: np.ndarray) -> tuple[float, float]:
    """Skewness and raw kurtosis (population moments) of `returns`; 0 and 3 when they do not
    vary."""
    centred = returns - np.mean(returns)
    m2 = float(np.mean(centred**2))
    if m2 <= 0:
        return 0.0, 3.0
    return float(np.mean(centred**3)) / m2**1.5, float(np.mean(centred**4)) / m2**2


def _ratio(gain: float, risk: float) -> float:
    if risk > 0:
        return gain / risk
    return math.inf if gain > 0 else 0.0
