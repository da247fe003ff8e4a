"""A session's plan, decided without a database or a broker.

    equity    = cash in the ledger + positions at the last closes
    capital   = the allocation of equity across the strategies (live.allocation)
    books     = each strategy's book after the last signals (live.books.update_book)
    targets   = the books netted per symbol
    orders    = from the positions to the targets, paid from settled cash (live.plan)

`Trader` gathers the inputs, calls `plan_session` and saves what it returns.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

import numpy as np

from configs import BacktestConfig, LiveConfig
from live.allocation import Allocation, allocate
from live.books import Market, update_book
from live.plan import Holdings, OrderPlan, plan_orders, strategy_set_tag

__all__ = ["SessionPlan", "Strategies", "plan_session", "positions_value"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Strategies:
    """The strategies that trade in a session and what they bring to its plan.

    Attributes:
        signals: genome id -> bool (N,) over the market's symbols at the last close; its
            keys are the strategies that trade.
        books: genome id -> {symbol: qty} before the session (a strategy no longer trading
            may still have one: its positions are sold).
        volatility: genome id -> daily volatility, for the inverse_volatility allocation.
    """

    signals: dict[str, np.ndarray]
    books: dict[str, dict[str, float]]
    volatility: dict[str, float] | None = None


@dataclass(frozen=True)
class SessionPlan:
    """What a session's plan decided.

    Attributes:
        session: the session whose open the orders are for.
        equity: ledger cash plus the positions at the last closes.
        settled_cash: the cash that may pay for buys on `session`.
        allocation: each strategy's weight and capital.
        books: genome id -> {symbol: qty} after the last signals.
        targets: symbol -> net quantity the account should hold (sorted by symbol).
        orders: the orders from the positions to the targets, and those not sent.
    """

    session: dt.date
    equity: float
    settled_cash: float
    allocation: Allocation
    books: dict[str, dict[str, float]]
    targets: dict[str, float]
    orders: OrderPlan


def plan_session(
    account: str,
    session: dt.date,
    strategies: Strategies,
    market: Market,
    holdings: Holdings,
    live: LiveConfig,
    rules: BacktestConfig,
) -> SessionPlan:
    """Plan `session` for `account` from the `strategies` at `market`'s last bars and what
    the account `holdings`."""
    ids = sorted(strategies.signals)
    equity = holdings.cash + positions_value(holdings.positions, market)
    allocation = allocate(
        ids,
        live.allocation,
        equity,
        live.cash_buffer,
        live.max_strategy_weight,
        strategies.volatility,
    )
    changes = {
        gid: update_book(
            strategies.books.get(gid, {}),
            strategies.signals[gid],
            market,
            allocation.capital[gid],
            rules.max_positions,
            rules.min_position_value,
        )
        for gid in ids
    }
    books = {gid: change.book for gid, change in changes.items()}
    tag = strategy_set_tag(ids)
    orders = plan_orders(account, session, tag, _netted(books), holdings, market, live, rules)
    # An entry the account cannot buy today (no settled cash for min_position_value, no price)
    # is not made: the slot stays free and the signal may enter again tomorrow, as in the
    # backtest, where an entry is made only when it is bought.
    unbought = {s for s, side, _ in orders.skipped if side == "buy" and s not in holdings.positions}
    for gid, change in changes.items():
        for symbol in unbought.intersection(change.entered):
            del books[gid][symbol]
    targets = _netted(books)
    sorted_targets = dict(sorted(targets.items()))
    return SessionPlan(
        session, equity, holdings.settled_cash, allocation, books, sorted_targets, orders
    )


def _netted(books: dict[str, dict[str, float]]) -> dict[str, float]:
    # The books summed per symbol (9 decimals, as quantities are kept).
    targets: dict[str, float] = {}
    for book in books.values():
        for symbol, qty in book.items():
            targets[symbol] = round(targets.get(symbol, 0.0) + qty, 9)
    return targets


def positions_value(positions: dict[str, float], market: Market) -> float:
    """The positions at `market`'s last closes; one without a price counts 0 (logged)."""
    total = 0.0
    for symbol, qty in positions.items():
        close = market.last_close(symbol) if symbol in market.symbols else float("nan")
        if np.isfinite(close):
            total += qty * close
        else:
            log.warning("no price for %s: its %g shares are valued at 0", symbol, qty)
    return total
