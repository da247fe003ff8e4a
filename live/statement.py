"""An account's statement: its equity at every close since it began, marked to the data (cash
and positions at each close, a missing close carried from the day before), beside buy-and-hold
of the universe (equal amounts of every symbol, no costs) and of the benchmark symbol over the
same sessions; and its positions valued at the last close, with their weight, unrealised P&L
and the strategies whose books hold them. The sim report, `live status` and the Live page all
mark an account this one way, so the P&L they give for a day is the same figure.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from live.records import account_cash, account_fills, books, cash_ledger, ledger_positions
from market.panel import Panel
from store.models import LiveAccount, LivePlan

__all__ = ["Holding", "Statement", "account_statement", "average_costs", "equity_curve"]


@dataclass(frozen=True)
class Holding:
    """A position at the close of `Statement.day`; `strategies`: the genome ids whose books
    hold the symbol."""

    symbol: str
    qty: float
    average_cost: float
    price: float
    value: float
    weight: float  # of the account's equity
    unrealised: float
    strategies: tuple[str, ...]


@dataclass(frozen=True)
class Statement:
    """How the account is doing, marked at the close of each session of the data since it
    began (the first close is the one before its first session: its opening cash)."""

    dates: np.ndarray  # (n,) datetime64[D]
    equity: np.ndarray  # (n,) at each close
    market: np.ndarray  # (n,) equal amounts of every symbol bought at the first close, held
    benchmark: np.ndarray | None  # (n,) the benchmark symbol's close, scaled to start at 1
    benchmark_symbol: str
    contributed: float  # opening cash and adjustments
    cash: float
    holdings: list[Holding]

    @property
    def day(self) -> dt.date:
        """The close the account is marked at."""
        return dt.date.fromisoformat(str(self.dates[-1]))

    @property
    def pnl(self) -> float:
        """Equity at the last close less the cash paid in."""
        return float(self.equity[-1]) - self.contributed


def account_statement(
    session: Session, account: LiveAccount, panel: Panel, last: dt.date | None = None
) -> Statement | None:
    """The statement of `account` up to the close of `last` (default: the data's last day; a
    sim replay's, its last session); None before its first planned session, or when the data
    does not reach it."""
    first_session = session.scalar(
        select(LivePlan.session)
        .where(LivePlan.account_id == account.id)
        .order_by(LivePlan.session)
        .limit(1)
    )
    if first_session is None:
        return None
    if last is None and account.broker == "sim":
        last = dt.date.fromisoformat(str(account.settings["last_session"]))
    days = panel.dates.astype("datetime64[D]")
    first = int(np.searchsorted(days, np.datetime64(first_session)))
    stop = len(days) if last is None else int(np.searchsorted(days, np.datetime64(last), "right"))
    if first == 0 or first >= stop:
        return None
    ledger = cash_ledger(session, account.id)
    opening = sum(e.amount for e in ledger.entries if e.kind == "opening")
    # The close before its first session: the opening cash (credited on that session).
    equity = np.r_[opening, equity_curve(session, account.id, panel, first, stop - 1)]
    closes = _filled_close(panel)
    # Equal amounts of every symbol priced at the close before the first session, held.
    held = closes[first - 1 : stop]
    start = held[0]
    priced = np.isfinite(start) & (start > 0)
    market = np.nanmean(held[:, priced] / start[priced], axis=1)
    benchmark = None
    if panel.benchmark_symbol in panel.symbols:
        level = closes[first - 1 : stop, panel.symbols.index(panel.benchmark_symbol)]
        benchmark = level / level[0] if np.isfinite(level[0]) and level[0] > 0 else None
    contributed = sum(e.amount for e in ledger.entries if e.kind in ("opening", "adjust"))
    held_by: dict[str, list[str]] = {}
    for genome_id, book in books(session, account.id).items():
        for symbol, qty in book.items():
            if qty > 0:
                held_by.setdefault(symbol, []).append(genome_id)
    prices = closes[stop - 1]
    costs = average_costs(session, account.id)
    holdings = []
    for symbol, qty in ledger_positions(session, account.id).items():
        price = float(prices[panel.symbols.index(symbol)]) if symbol in panel.symbols else np.nan
        value = qty * price
        holdings.append(
            Holding(
                symbol,
                qty,
                costs.get(symbol, 0.0),
                price,
                value,
                value / float(equity[-1]),
                (price - costs.get(symbol, 0.0)) * qty,
                tuple(sorted(held_by.get(symbol, []))),
            )
        )
    return Statement(
        dates=days[first - 1 : stop],
        equity=equity,
        market=market,
        benchmark=benchmark,
        benchmark_symbol=panel.benchmark_symbol,
        contributed=contributed,
        cash=ledger.cash,
        holdings=sorted(holdings, key=lambda h: -h.value),
    )


def equity_curve(
    session: Session, account_id: int, panel: Panel, first: int, last: int
) -> np.ndarray:
    """Cash and positions at the close of each day `first`..`last` of `panel`, from the fills
    and the cash ledger (the cash of a fill counts on its session, whenever it settles)."""
    fills = account_fills(session, account_id)
    session_of = {f.id: f.session for f in fills}
    cash_on: dict[dt.date, float] = {}
    for entry in account_cash(session, account_id):
        day = session_of.get(entry.fill_id or 0, entry.settles_on)
        cash_on[day] = cash_on.get(day, 0.0) + entry.amount
    held_on: dict[dt.date, list[tuple[int, float]]] = {}
    column = {s: i for i, s in enumerate(panel.symbols)}
    for f in fills:
        held_on.setdefault(f.session, []).append((column[f.symbol], f.qty))
    closes = np.nan_to_num(_filled_close(panel), nan=0.0)
    held = np.zeros(panel.n_symbols)
    dates = [dt.date.fromisoformat(str(d)) for d in panel.dates]
    cash = sum(a for d, a in cash_on.items() if d < dates[first])
    held_before = [(j, q) for d, moves in held_on.items() if d < dates[first] for j, q in moves]
    for j, qty in held_before:
        held[j] += qty
    curve = np.empty(last - first + 1)
    for k, t in enumerate(range(first, last + 1)):
        cash += cash_on.get(dates[t], 0.0)
        for j, qty in held_on.get(dates[t], []):
            held[j] += qty
        curve[k] = cash + float(held @ closes[t])
    return curve


def _filled_close(panel: Panel) -> np.ndarray:
    # Each symbol's close, a missing one carried from the day before.
    return pd.DataFrame(panel.close).ffill().to_numpy(dtype=np.float64)


def average_costs(session: Session, account_id: int) -> dict[str, float]:
    """The average price paid for what is held, per symbol: buys raise it, sells keep it."""
    qty: dict[str, float] = {}
    cost: dict[str, float] = {}
    for f in account_fills(session, account_id):
        held = qty.get(f.symbol, 0.0)
        if f.qty > 0:
            cost[f.symbol] = (cost.get(f.symbol, 0.0) * held + f.qty * f.price) / (held + f.qty)
        qty[f.symbol] = held + f.qty
    return cost
