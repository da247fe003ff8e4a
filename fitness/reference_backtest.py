"""A plain-Python, day-by-day implementation of the cash-account rules in fitness.backtest.

Written separately from the numba kernel, on pandas DataFrames and Python dicts, so that the two
can be compared on random signals (tests) and timed against each other (bench). It favours
obviousness over speed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import pandas as pd

from configs import BacktestConfig


@dataclass
class RefTrade:
    symbol: str
    entry_day: int
    entry_price: float
    quantity: float
    cost: float
    exit_day: int = -1
    exit_price: float = math.nan
    pnl: float = 0.0


@dataclass
class ReferenceResult:
    equity: list[float] = field(default_factory=list)
    cash: list[float] = field(default_factory=list)
    settled_cash: list[float] = field(default_factory=list)
    trades: list[RefTrade] = field(default_factory=list)


def reference_backtest(
    open_: pd.DataFrame,
    close: pd.DataFrame,
    volume: pd.DataFrame,
    tradable: pd.DataFrame,
    signal: pd.DataFrame,
    rules: BacktestConfig,
    start: int = 0,
) -> ReferenceResult:
    symbols = list(close.columns)
    slip = rules.slippage_bps / 10_000.0
    last_bar = {}
    for s in symbols:
        rows = [i for i, ok in enumerate(tradable[s]) if ok]
        last_bar[s] = rows[-1] if rows else -1
    settled = rules.initial_cash
    pending: dict[int, float] = {}  # settlement day -> proceeds
    positions: dict[str, RefTrade] = {}  # symbol -> the open trade
    last_close: dict[str, float] = {}
    out = ReferenceResult()
    equity_before = rules.initial_cash
    for t in range(start, len(close)):
        settled += pending.pop(t, 0.0)
        if t >= 1:
            decided = signal.iloc[t - 1]
            bar_today = tradable.iloc[t]
            for s in symbols:  # exits, in column order
                if s not in positions:
                    continue
                if bar_today[s]:
                    if decided[s]:
                        continue
                    price = open_.iloc[t][s] * (1 - slip)
                elif t > last_bar[s]:
                    price = last_close[s] * (1 - slip)
                else:
                    continue
                trade = positions.pop(s)
                gross = trade.quantity * price
                fee = rules.fee_per_order + rules.fee_per_share * trade.quantity
                proceeds = gross - min(fee, gross)
                trade.exit_day, trade.exit_price = t, price
                trade.pnl = proceeds - trade.cost
                if rules.settlement_days == 0:
                    settled += proceeds
                else:
                    day = t + rules.settlement_days
                    pending[day] = pending.get(day, 0.0) + proceeds
            free = rules.max_positions - len(positions)
            wanted = [s for s in symbols if s not in positions and decided[s] and bar_today[s]]

            # Most liquid first (dollar volume at the decision close, NaN last), then column.
            decided_close, decided_volume = close.iloc[t - 1], volume.iloc[t - 1]
            dollar_volume = {s: decided_close[s] * decided_volume[s] for s in wanted}
            wanted.sort(
                key=lambda s: (
                    -(dollar_volume[s] if not math.isnan(dollar_volume[s]) else -1.0),
                    symbols.index(s),
                )
            )
            for s in wanted[: max(free, 0)]:
                budget = min(equity_before / rules.max_positions, settled)
                price = open_.iloc[t][s] * (1 + slip)
                units = (budget - rules.fee_per_order) / (price + rules.fee_per_share)
                units = math.floor(units * 1e9) / 1e9 if rules.fractional else math.floor(units)
                if units <= 0:
                    continue
                cost = min(
                    units * price + rules.fee_per_order + rules.fee_per_share * units, settled
                )
                settled -= cost
                positions[s] = RefTrade(s, t, price, units, cost)
                out.trades.append(positions[s])
        value = 0.0
        for s in symbols:
            if s in positions:
                if not math.isnan(close.iloc[t][s]):
                    last_close[s] = close.iloc[t][s]
                value += positions[s].quantity * last_close[s]
        cash = settled + sum(amount for day, amount in pending.items() if day > t)
        out.equity.append(cash + value)
        out.cash.append(cash)
        out.settled_cash.append(settled)
        equity_before = cash + value
    for s, trade in positions.items():
        trade.pnl = trade.quantity * last_close[s] - trade.cost
    return out
