"""The cash-account backtest: a hold signal in, daily equity and trades out.

Rules (each pinned by a test in tests/fitness/test_backtest_scenarios.py):

- The signal is decided at the close of day t; orders fill at the open of day t+1.
- Long only: never a negative position, never below zero cash, no leverage.
- Sale proceeds settle after `settlement_days` trading days (0, 1 or 2) and only settled cash buys,
  so the account can never commit a good-faith violation. Unsettled cash still counts in equity.
- Positions change only when the signal changes (no daily rebalancing): on each day, first every
  held symbol whose signal turned off is sold at the open; then symbols whose signal is on and
  that are not held are bought, while fewer than `max_positions` are held. Each entry is sized at
  equity (at the previous close) / `max_positions`, or the settled cash left if that is less.
- Tie-break when more symbols want in than there are free slots: the most liquid first, by dollar
  volume (close x volume) at the decision close; equal dollar volume: the earlier column.
- Costs: the fill price is the open moved against the order by `slippage_bps`; a fee per order
  and per share is paid on top (never more than a sale's proceeds). Whole or fractional shares
  (fractional quantities are rounded down to 1e-9).
- A symbol without a tradable bar on the fill day is not traded that day (an exit waits, an entry
  is skipped). A position in a symbol whose data has ended (no tradable bar later in the panel,
  as after a delisting) is valued at its last close and closed at that price, less slippage and
  fees, on the first day after its last bar.
- Positions still open on the last day are marked at the last close; their exit date is NaT.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from configs import BacktestConfig
from fitness.costs import slippage_fraction
from fitness.simulate_nb import simulate_nb
from market.panel import Panel

__all__ = ["BacktestResult", "Trades", "backtest"]


@dataclass(frozen=True)
class Trades:
    """Round trips, one per entry. Arrays of equal length; `exit_date` NaT for open trades."""

    symbol: np.ndarray
    entry_date: np.ndarray
    entry_price: np.ndarray
    exit_date: np.ndarray
    exit_price: np.ndarray
    quantity: np.ndarray
    cost: np.ndarray
    pnl: np.ndarray
    holding_days: np.ndarray

    def __len__(self) -> int:
        return len(self.symbol)

    def frame(self) -> pd.DataFrame:
        """The trades as a DataFrame, one row a trade."""
        return pd.DataFrame({name: getattr(self, name) for name in self.__dataclass_fields__})


@dataclass(frozen=True)
class BacktestResult:
    """The account over the counted days.

    Attributes:
        dates: (n,) trading dates whose returns count.
        equity: (n,) cash (settled and unsettled) plus positions at each close.
        returns: (n,) daily returns of equity; the first is against `initial_cash`.
        exposure: (n,) position value / equity at each close.
        turnover: (n,) value traded that day (buys and sells) / equity at the previous close.
        cash: (n,) cash at each close, settled or not.
        settled_cash: (n,) settled cash at each close (what may buy).
        trades: the round trips entered in these days.
    """

    initial_cash: float
    dates: np.ndarray
    equity: np.ndarray
    returns: np.ndarray
    exposure: np.ndarray
    turnover: np.ndarray
    cash: np.ndarray
    settled_cash: np.ndarray
    trades: Trades


def backtest(
    panel: Panel, signal: np.ndarray, rules: BacktestConfig, start: int = 0
) -> BacktestResult:
    """Trade `signal` (bool, (T, N), True = hold at that close) in a cash account.

    Days before `start` are warm-up: no trading, no returns. The first fill can happen at the
    open of `start` (from the signal at the close of `start - 1`).
    """
    if signal.shape != (panel.n_days, panel.n_symbols):
        raise ValueError(
            f"signal has shape {signal.shape}, panel is {panel.n_days, panel.n_symbols}"
        )
    if signal.dtype != np.bool_:
        raise ValueError(f"signal must be bool, got {signal.dtype}")
    if not 0 <= start < panel.n_days:
        raise ValueError(f"start {start} is outside the panel's {panel.n_days} days")
    run = simulate_nb(
        panel.open,
        panel.close,
        panel.volume,
        panel.tradable,
        np.ascontiguousarray(signal),
        start,
        rules.initial_cash,
        rules.settlement_days,
        rules.max_positions,
        rules.fractional,
        slippage_fraction(rules.slippage_bps),
        rules.fee_per_order,
        rules.fee_per_share,
        rules.min_position_value,
    )
    equity = run.equity
    previous = np.r_[rules.initial_cash, equity[start:-1]]
    last_day = panel.n_days - 1
    t_exit = run.trade_exit
    exit_date = np.where(t_exit >= 0, panel.dates[np.maximum(t_exit, 0)], np.datetime64("NaT", "D"))
    trades = Trades(
        symbol=np.asarray(panel.symbols, dtype=object)[run.trade_symbol],
        entry_date=panel.dates[run.trade_entry],
        entry_price=run.trade_entry_price,
        exit_date=exit_date,
        exit_price=run.trade_exit_price,
        quantity=run.trade_quantity,
        cost=run.trade_cost,
        pnl=run.trade_pnl,
        holding_days=np.where(t_exit >= 0, t_exit, last_day) - run.trade_entry,
    )
    return BacktestResult(
        initial_cash=rules.initial_cash,
        dates=panel.dates[start:],
        equity=equity[start:],
        returns=equity[start:] / previous - 1.0,
        exposure=run.exposure[start:],
        turnover=run.traded[start:] / previous,
        cash=run.cash[start:],
        settled_cash=run.settled_cash[start:],
        trades=trades,
    )
