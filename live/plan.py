"""The orders of a session: from the positions to the netted targets of the strategies.

    sells: every symbol held above its target, down to the target (a whole position is sold
           exactly; never more than is held, so never short, never through zero);
    buys:  every symbol below its target, largest first, each at most what the settled cash
           left pays for at its limit price (last close x (1 + buy_limit_margin), on the tick)
           plus fees; sale proceeds of the same session are not settled, so they never pay;
    an order worth less than `min_order_value` at the last close is not sent (recorded), nor
    an entry (a symbol not held) worth less than `backtest.min_position_value`.

Sells come first in the sequence. Every order's client id is derived from the plan, so the same
plan always gives the same ids.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
from dataclasses import dataclass

from configs import BacktestConfig, LiveConfig
from fitness.costs import affordable_quantity, buy_cost
from live.books import Market
from live.broker import Side
from live.quantities import floor_qty, tick_price

__all__ = [
    "Holdings",
    "OrderPlan",
    "PlannedOrder",
    "client_order_id",
    "plan_orders",
    "strategy_set_tag",
]


@dataclass(frozen=True)
class Holdings:
    """What the account holds when a session is planned.

    Attributes:
        positions: symbol -> quantity held.
        cash: the cash in the ledger, settled or not.
        settled_cash: the part of `cash` that may pay for buys in the session.
    """

    positions: dict[str, float]
    cash: float
    settled_cash: float


@dataclass(frozen=True)
class PlannedOrder:
    """One order of a session's plan, valued at the last close."""

    sequence: int
    client_order_id: str
    symbol: str
    side: Side
    qty: float
    limit_price: float | None
    last_close: float

    @property
    def value(self) -> float:
        """The order's value at the last close."""
        return self.qty * self.last_close


@dataclass(frozen=True)
class OrderPlan:
    """A session's orders and those not sent (symbol, side, why)."""

    orders: tuple[PlannedOrder, ...]
    # (symbol, side, why it is not sent)
    skipped: tuple[tuple[str, str, str], ...]


def strategy_set_tag(genome_ids: list[str]) -> str:
    """8 hex characters naming the set of strategies a plan is for."""
    return hashlib.sha256(",".join(sorted(genome_ids)).encode()).hexdigest()[:8]


def client_order_id(
    account: str, session: dt.date, tag: str, sequence: int, side: str, symbol: str
) -> str:
    """`lab-<account>-<yyyymmdd>-<strategy set>-<sequence>-<side>-<symbol>` (at most 128
    characters, Alpaca's limit)."""
    text = f"lab-{account}-{session:%Y%m%d}-{tag}-{sequence:03d}-{side}-{symbol}"
    if len(text) > 128:
        raise ValueError(f"client order id {text!r} is longer than 128 characters")
    return text


def plan_orders(
    account: str,
    session: dt.date,
    tag: str,
    targets: dict[str, float],
    holdings: Holdings,
    market: Market,
    live: LiveConfig,
    costs: BacktestConfig,
) -> OrderPlan:
    """The session's orders from `holdings` to `targets` (see the module's rules)."""
    positions = holdings.positions
    sells: list[tuple[str, float]] = []
    buys: list[tuple[str, float]] = []
    skipped: list[tuple[str, str, str]] = []
    for symbol in sorted(set(targets) | set(positions)):
        held, target = positions.get(symbol, 0.0), max(targets.get(symbol, 0.0), 0.0)
        whole = market.whole(symbol)
        # Positions and targets carry at most 9 decimals, so their difference rounded to 9
        # is exact (the float subtraction alone may fall a nano-share short).
        if held > target:
            qty = held if target <= 0 else min(held, floor_qty(round(held - target, 9), whole))
            sells.append((symbol, qty))
        elif target > held:
            buys.append((symbol, floor_qty(round(target - held, 9), whole)))
    orders: list[PlannedOrder] = []

    def add(symbol: str, side: Side, qty: float, limit: float | None, close: float) -> None:
        sequence = len(orders) + 1
        cid = client_order_id(account, session, tag, sequence, side, symbol)
        orders.append(PlannedOrder(sequence, cid, symbol, side, qty, limit, close))

    for symbol, qty in sells:
        close = _close(market, symbol)
        if close is None:
            skipped.append((symbol, "sell", "no last close to value the order"))
        elif qty <= 0 or qty * close < live.min_order_value:
            skipped.append((symbol, "sell", f"worth {qty * close:.2f} < min_order_value"))
        else:
            add(symbol, "sell", qty, None, close)
    cash = holdings.settled_cash
    priced = [(symbol, qty, _close(market, symbol)) for symbol, qty in buys]
    priced.sort(key=lambda b: (-(b[1] * (b[2] or 0.0)), b[0]))
    for symbol, want, close in priced:
        if close is None:
            skipped.append((symbol, "buy", "no last close to price the order"))
            continue
        limit = tick_price(close * (1.0 + live.buy_limit_margin), "buy")
        affordable = affordable_quantity(cash, limit, costs.fee_per_order, costs.fee_per_share)
        qty = floor_qty(min(want, affordable), market.whole(symbol))
        entry = positions.get(symbol, 0.0) <= 0.0
        if qty <= 0 or qty * close < live.min_order_value:
            reason = "no settled cash left" if qty < want else "below min_order_value"
            skipped.append((symbol, "buy", f"worth {qty * close:.2f}: {reason}"))
            continue
        if entry and qty * close < costs.min_position_value:
            skipped.append((symbol, "buy", f"worth {qty * close:.2f}: below min_position_value"))
            continue
        add(symbol, "buy", qty, limit, close)
        cash -= buy_cost(qty, limit, costs.fee_per_order, costs.fee_per_share)
    return OrderPlan(tuple(orders), tuple(skipped))


def _close(market: Market, symbol: str) -> float | None:
    if symbol not in market.symbols:
        return None
    close = market.last_close(symbol)
    return close if math.isfinite(close) and close > 0 else None
