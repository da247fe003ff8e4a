"""Golden metrics for a fixed equity curve, computed by hand (see the comments)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from fitness.backtest import BacktestResult, Trades
from fitness.metrics import compute_metrics

# Equity 100 -> 110 -> 99 -> 108.9 -> 108.9: daily returns +0.1, -0.1, +0.1, 0.
# mean 0.025; deviations .075 -.125 .075 -.025; sum of squares .0275.
#   sample std   sqrt(.0275 / 3)                    = 0.0957427
#   sharpe       .025 / 0.0957427 * sqrt(252)       = 4.1450987
#   downside     sqrt((0 + .01 + 0 + 0) / 4) = .05; sortino .025 * sqrt(252) / .05 = 7.9372539
#   m2 .0275/4 = .006875; m3 (2 * .075^3 - .125^3 - .025^3) / 4 = -.00028125
#   skew         -.00028125 / .006875^1.5          = -0.4933818
#   m4 (2 * .075^4 + .125^4 + .025^4) / 4 = 7.6953125e-5
#   kurtosis     7.6953125e-5 / .006875^2           = 1.6280992 (raw)
#   total        108.9 / 100 - 1 = .089; cagr 1.089^(252 / 4) - 1
#   drawdown     peak 110, trough 99: 1 - 99/110 = 0.1; calmar cagr / 0.1
# Trades: P&L +5 (held 3 days) and -2 (held 1 day): win rate .5, average holding 2 days.
# Turnover per day 1, 0, 1, 0 (of the previous equity): mean .5 * 252 / 2 = 63 a year.
# Exposure 1, 1, .5, 0: mean .625.
CAGR = 1.089**63 - 1
GOLDEN = {
    "n_days": 4,
    "total_return": 0.089,
    "cagr": CAGR,
    "sharpe": 4.1450987,
    "sortino": 7.9372539,
    "max_drawdown": 0.1,
    "calmar": CAGR / 0.1,
    "n_trades": 2,
    "win_rate": 0.5,
    "avg_holding_days": 2.0,
    "turnover": 63.0,
    "exposure": 0.625,
    "skew": -0.4933818,
    "kurtosis": 1.6280992,
}


def fixed_result(equity: list[float]) -> BacktestResult:
    n = len(equity)
    eq = np.array(equity)
    dates = np.datetime64("2021-01-04") + np.arange(n).astype("timedelta64[D]")
    trades = Trades(
        symbol=np.array(["A", "B"], dtype=object),
        entry_date=dates[[0, 2]],
        entry_price=np.array([10.0, 20.0]),
        exit_date=dates[[3, 3]],
        exit_price=np.array([10.5, 19.0]),
        quantity=np.array([10.0, 2.0]),
        cost=np.array([100.0, 40.0]),
        pnl=np.array([5.0, -2.0]),
        holding_days=np.array([3, 1]),
    )
    return BacktestResult(
        initial_cash=100.0,
        dates=dates,
        equity=eq,
        returns=eq / np.r_[100.0, eq[:-1]] - 1,
        exposure=np.array([1.0, 1.0, 0.5, 0.0]),
        turnover=np.array([1.0, 0.0, 1.0, 0.0]),
        cash=np.zeros(n),
        settled_cash=np.zeros(n),
        trades=trades,
    )


def test_golden_metrics() -> None:
    metrics = compute_metrics(fixed_result([110.0, 99.0, 108.9, 108.9])).as_dict()
    moved = {
        key: (metrics[key], expected)
        for key, expected in GOLDEN.items()
        if not np.isclose(metrics[key], expected, rtol=1e-6, atol=1e-9)
    }
    assert not moved, f"metrics that moved (got, expected): {moved}"
    assert set(metrics) == set(GOLDEN)


def test_flat_equity_has_neutral_statistics_not_nan() -> None:
    metrics = compute_metrics(fixed_result([100.0, 100.0, 100.0, 100.0]))
    assert (metrics.sharpe, metrics.sortino, metrics.skew, metrics.kurtosis) == (0, 0, 0, 3)
    assert metrics.max_drawdown == 0.0 and metrics.calmar == 0.0


def test_gain_without_loss_gives_infinite_sortino_and_calmar() -> None:
    metrics = compute_metrics(fixed_result([101.0, 102.0, 103.0, 104.0]))
    assert math.isinf(metrics.sortino) and math.isinf(metrics.calmar)
    assert metrics.sharpe > 0


@pytest.mark.parametrize("equity", [[110.0, 99.0, 108.9, 108.9], [90.0, 80.0, 95.0, 70.0]])
def test_no_metric_is_nan(equity: list[float]) -> None:
    assert not any(math.isnan(v) for v in compute_metrics(fixed_result(equity)).as_dict().values())
