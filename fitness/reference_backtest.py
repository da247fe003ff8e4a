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
    """One trade of the reference backtest."""

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
    """The reference backtest's daily equity, cash and settled cash, and its trades."""

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
    """The backtest of `signal` (days x symbols, bool) from day `start`, day by day."""
    account = _ReferenceAccount(open_, close, volume, tradable, signal, rules)
    for t in range(start, len(close)):
        account.settled += account.pending.pop(t, 0.0)
        if t >= 1:
            account.exit(t)
            account.enter(t)
        account.mark(t)
    for s, trade in account.positions.items():
        trade.pnl = trade.quantity * account.last_close[s] - trade.cost
    return account.out


class _ReferenceAccount:
    def __init__(
        self,
        open_: pd.DataFrame,
        close: pd.DataFrame,
        volume: pd.DataFrame,
        tradable: pd.DataFrame,
        signal: pd.DataFrame,
        rules: BacktestConfig,
    ) -> None:
        self.open, self.close, self.volume = open_, close, volume
        self.tradable, self.signal, self.rules = tradable, signal, rules
        self.symbols = list(close.columns)
        self.slip = rules.slippage_bps / 10_000.0
        self.last_bar = {}
        for s in self.symbols:
            rows = [i for i, ok in enumerate(tradable[s]) if ok]
            self.last_bar[s] = rows[-1] if rows else -1
        self.settled = rules.initial_cash
        self.pending: dict[int, float] = {}  # settlement day -> proceeds
        self.positions: dict[str, RefTrade] = {}  # symbol -> the open trade
        self.last_close: dict[str, float] = {}
        self.out = ReferenceResult()
        self.equity_before = rules.initial_cash

    def exit(self, t: int) -> None:
        rules, decided, bar_today = self.rules, self.signal.iloc[t - 1], self.tradable.iloc[t]
        for s in self.symbols:  # exits, in column order
            if s not in self.positions:
                continue
            if bar_today[s]:
                if decided[s]:
                    continue
                price = self.open.iloc[t][s] * (1 - self.slip)
            elif t > self.last_bar[s]:
                price = self.last_close[s] * (1 - self.slip)
            else:
                continue
            trade = self.positions.pop(s)
            gross = trade.quantity * price
            fee = rules.fee_per_order + rules.fee_per_share * trade.quantity
            proceeds = gross - min(fee, gross)
            trade.exit_day, trade.exit_price = t, price
            trade.pnl = proceeds - trade.cost
            if rules.settlement_days == 0:
                self.settled += proceeds
            else:
                day = t + rules.settlement_days
                self.pending[day] = self.pending.get(day, 0.0) + proceeds

    def enter(self, t: int) -> None:
        rules, decided, bar_today = self.rules, self.signal.iloc[t - 1], self.tradable.iloc[t]
        symbols, positions = self.symbols, self.positions
        free = rules.max_positions - len(positions)
        wanted = [s for s in symbols if s not in positions and decided[s] and bar_today[s]]
        # Most liquid first (dollar volume at the decision close, NaN last), then column.
        decided_close, decided_volume = self.close.iloc[t - 1], self.volume.iloc[t - 1]
        dollar_volume = {s: decided_close[s] * decided_volume[s] for s in wanted}
        wanted.sort(
            key=lambda s: (
                -(dollar_volume[s] if not math.isnan(dollar_volume[s]) else -1.0),
                symbols.index(s),
            )
        )
        for s in wanted[: max(free, 0)]:
            budget = min(self.equity_before / rules.max_positions, self.settled)
            price = self.open.iloc[t][s] * (1 + self.slip)
            units = (budget - rules.fee_per_order) / (price + rules.fee_per_share)
            units = math.floor(units * 1e9) / 1e9 if rules.fractional else math.floor(units)
            if units <= 0 or units * price < rules.min_position_value:
                continue
            cost = min(
                units * price + rules.fee_per_order + rules.fee_per_share * units, self.settled
            )
            self.settled -= cost
            positions[s] = RefTrade(s, t, price, units, cost)
            self.out.trades.append(positions[s])

    def mark(self, t: int) -> None:
        value = 0.0
        for s in self.symbols:
            if s in self.positions:
                if not math.isnan(self.close.iloc[t][s]):
                    self.last_close[s] = self.close.iloc[t][s]
                value += self.positions[s].quantity * self.last_close[s]
        cash = self.settled + sum(amount for day, amount in self.pending.items() if day > t)
        self.out.equity.append(cash + value)
        self.out.cash.append(cash)
        self.out.settled_cash.append(self.settled)
        self.equity_before = cash + value
