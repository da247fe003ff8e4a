"""The numba kernel of the cash-account backtest. See `fitness.backtest` for the rules."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import njit

from fitness import costs

__all__ = ["KernelResult", "simulate_nb"]

_buy_price = njit(cache=True)(costs.buy_price)
_sell_price = njit(cache=True)(costs.sell_price)
_sell_fees = njit(cache=True)(costs.sell_fees)
_buy_cost = njit(cache=True)(costs.buy_cost)
_entry_quantity = njit(cache=True)(costs.entry_quantity)

_NO_PRIORITY = -1.0


class KernelResult(NamedTuple):
    """What `simulate_nb` returns: per-day arrays (T,), then one entry per trade."""

    equity: np.ndarray
    exposure: np.ndarray
    traded: np.ndarray  # value bought and sold that day
    cash: np.ndarray  # settled and unsettled
    settled_cash: np.ndarray
    trade_symbol: np.ndarray  # column in the panel
    trade_entry: np.ndarray  # day index of the buy
    trade_entry_price: np.ndarray
    trade_exit: np.ndarray  # day index of the sell, -1 while open
    trade_exit_price: np.ndarray
    trade_quantity: np.ndarray
    trade_cost: np.ndarray  # cash the buy took, fees included
    trade_pnl: np.ndarray  # open trades marked at the last close


@njit(cache=True)
def _capacity_nb(signal: np.ndarray, start: int) -> int:
    # Entries of a symbol <= 1 + the signal's rising edges: each re-entry needs an exit (signal
    # off, or the data ended, after which there is no bar to buy) and then the signal on again.
    n_days, n_symbols = signal.shape
    count = n_symbols
    for t in range(max(start, 1), n_days):
        for j in range(n_symbols):
            if signal[t - 1, j] and (t < 2 or not signal[t - 2, j]):
                count += 1
    return count


@njit(cache=True)
def _last_bars_nb(tradable: np.ndarray) -> np.ndarray:
    n_days, n_symbols = tradable.shape
    last = np.full(n_symbols, -1, dtype=np.int64)
    for j in range(n_symbols):
        for t in range(n_days - 1, -1, -1):
            if tradable[t, j]:
                last[j] = t
                break
    return last


@njit(cache=True)
def simulate_nb(
    open_: np.ndarray,
    close: np.ndarray,
    volume: np.ndarray,
    tradable: np.ndarray,
    signal: np.ndarray,
    start: int,
    initial_cash: float,
    settlement_days: int,
    max_positions: int,
    fractional: bool,
    slippage: float,
    fee_per_order: float,
    fee_per_share: float,
    min_position_value: float,
) -> KernelResult:
    """Simulate the account over days [start, T). Arrays are (T, N); prices and fees follow
    `fitness.costs`."""
    n_days, n_symbols = close.shape
    equity = np.full(n_days, initial_cash)
    exposure = np.zeros(n_days)
    traded = np.zeros(n_days)
    cash = np.full(n_days, initial_cash)
    settled_cash = np.full(n_days, initial_cash)

    capacity = _capacity_nb(signal, start)
    t_symbol = np.empty(capacity, dtype=np.int64)
    t_entry = np.empty(capacity, dtype=np.int64)
    t_entry_price = np.empty(capacity)
    t_exit = np.full(capacity, -1, dtype=np.int64)
    t_exit_price = np.full(capacity, np.nan)
    t_qty = np.empty(capacity)
    t_cost = np.empty(capacity)
    t_pnl = np.zeros(capacity)
    n_trades = 0

    last_bar = _last_bars_nb(tradable)
    qty = np.zeros(n_symbols)
    open_trade = np.full(n_symbols, -1, dtype=np.int64)
    last_close = np.full(n_symbols, np.nan)
    pending = np.zeros(n_days + settlement_days + 1)  # proceeds settling on each day
    candidates = np.empty(n_symbols, dtype=np.int64)
    priority = np.empty(n_symbols)
    settled = initial_cash
    unsettled = 0.0
    equity_prev = initial_cash

    for t in range(start, n_days):
        settled += pending[t]
        unsettled -= pending[t]
        pending[t] = 0.0
        traded_today = 0.0
        if t >= 1:
            # Exits: signal off at the close of t-1 -> sell at the open of t. A symbol whose
            # data has ended is closed at its last close on the first day after its last bar.
            held = 0
            for j in range(n_symbols):
                if qty[j] <= 0.0:
                    continue
                if tradable[t, j]:
                    if signal[t - 1, j]:
                        held += 1
                        continue
                    price = _sell_price(open_[t, j], slippage)
                elif t > last_bar[j]:
                    price = _sell_price(last_close[j], slippage)
                else:
                    held += 1  # no bar today: cannot trade, keep it
                    continue
                gross = qty[j] * price
                proceeds = gross - _sell_fees(qty[j], gross, fee_per_order, fee_per_share)
                k = open_trade[j]
                t_exit[k] = t
                t_exit_price[k] = price
                t_pnl[k] = proceeds - t_cost[k]
                traded_today += gross
                qty[j] = 0.0
                open_trade[j] = -1
                if settlement_days == 0:
                    settled += proceeds
                else:
                    pending[t + settlement_days] += proceeds
                    unsettled += proceeds

            # Entries: signal on at the close of t-1, not held, a bar to buy at today's open.
            free = max_positions - held
            n_cand = 0
            if free > 0:
                for j in range(n_symbols):
                    if qty[j] == 0.0 and signal[t - 1, j] and tradable[t, j]:
                        candidates[n_cand] = j
                        dollar_volume = close[t - 1, j] * volume[t - 1, j]
                        priority[n_cand] = (
                            dollar_volume if dollar_volume == dollar_volume else _NO_PRIORITY
                        )
                        n_cand += 1
            target = equity_prev / max_positions
            for _ in range(min(free, n_cand)):
                # Most liquid first (dollar volume at the close of t-1); equal: lower column.
                best = -1
                for c in range(n_cand):
                    if candidates[c] >= 0 and (best < 0 or priority[c] > priority[best]):
                        best = c
                j = candidates[best]
                candidates[best] = -1
                budget = min(target, settled)
                price = _buy_price(open_[t, j], slippage)
                units = _entry_quantity(
                    budget, price, fee_per_order, fee_per_share, fractional, min_position_value
                )
                if units <= 0.0:
                    continue
                cost = min(_buy_cost(units, price, fee_per_order, fee_per_share), settled)
                settled -= cost
                qty[j] = units
                t_symbol[n_trades] = j
                t_entry[n_trades] = t
                t_entry_price[n_trades] = price
                t_qty[n_trades] = units
                t_cost[n_trades] = cost
                open_trade[j] = n_trades
                n_trades += 1
                traded_today += units * price

        # Valuation at the close of t (a symbol with no close keeps its last one).
        value = 0.0
        for j in range(n_symbols):
            if qty[j] > 0.0:
                if close[t, j] == close[t, j]:
                    last_close[j] = close[t, j]
                value += qty[j] * last_close[j]
        equity[t] = settled + unsettled + value
        exposure[t] = value / equity[t] if equity[t] > 0.0 else 0.0
        traded[t] = traded_today
        cash[t] = settled + unsettled
        settled_cash[t] = settled
        equity_prev = equity[t]

    # Open trades are marked at the last close (exit day stays -1).
    for j in range(n_symbols):
        k = open_trade[j]
        if k >= 0:
            t_pnl[k] = qty[j] * last_close[j] - t_cost[k]
    return KernelResult(
        equity,
        exposure,
        traded,
        cash,
        settled_cash,
        t_symbol[:n_trades],
        t_entry[:n_trades],
        t_entry_price[:n_trades],
        t_exit[:n_trades],
        t_exit_price[:n_trades],
        t_qty[:n_trades],
        t_cost[:n_trades],
        t_pnl[:n_trades],
    )
