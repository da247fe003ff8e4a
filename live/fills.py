"""Taking the broker's view of an order: its status, and the fill since the last one recorded.

Alpaca reports an order's filled quantity and average price cumulatively. The fill recorded is
the change since the last report the lab took, at the price that makes the cumulative average
right:

    qty   = filled_qty (now) - filled_qty (recorded)
    price = (filled_qty x filled_avg_price (now) - recorded qty x recorded average) / qty

Each fill moves the position (`live_fills`) and cash (`live_cash`, with its settlement day);
fees follow the backtest's cost model (per order on its first fill, per share on each).
"""

from __future__ import annotations

import datetime as dt
import math

from sqlalchemy.orm import Session

from configs import BacktestConfig
from fitness.costs import order_fees, sell_fees
from live.broker import TERMINAL, BrokerOrder
from live.ledger import fill_entries
from store.lifecycle import OrderStatus, move_order
from store.models import LiveCashEntry, LiveFill, LiveOrder

__all__ = ["take_broker_view"]


def take_broker_view(
    session: Session,
    order: LiveOrder,
    found: BrokerOrder,
    day: dt.date,
    settles_on: dt.date,
    costs: BacktestConfig,
) -> int:
    """Update `order` from the broker's `found`; record the new fill, if any, as traded on
    session `day` and settling on `settles_on`. The number of fills recorded (0 or 1)."""
    order.broker_id = found.id
    reason = None
    if (
        found.status in TERMINAL
        and found.status != OrderStatus.FILLED
        and found.status != order.status
    ):
        reason = order.reason or f"{found.status} by the broker"
    move_order(session, order, found.status, reason)
    delta = round(found.filled_qty - order.filled_qty, 9)
    if delta <= 0:
        return 0
    price = _delta_price(order, found, delta)
    fill = LiveFill(
        account_id=order.account_id,
        order_id=order.id,
        kind="fill",
        symbol=order.symbol,
        qty=delta if order.side == "buy" else -delta,
        price=price,
        session=day,
    )
    session.add(fill)
    session.flush()
    per_order = costs.fee_per_order if not order.filled_qty else 0.0  # once, on the first fill
    if order.side == "sell":
        fees = sell_fees(delta, delta * price, per_order, costs.fee_per_share)
    else:
        fees = order_fees(delta, per_order, costs.fee_per_share)
    for entry in fill_entries(order.side, delta, price, fees, day, settles_on):
        session.add(
            LiveCashEntry(
                account_id=order.account_id,
                kind=entry.kind,
                amount=entry.amount,
                settles_on=entry.settles_on,
                fill_id=fill.id,
            )
        )
    order.filled_qty, order.filled_avg_price = found.filled_qty, found.filled_avg_price
    return 1


def _delta_price(order: LiveOrder, found: BrokerOrder, delta: float) -> float:
    new_avg = found.filled_avg_price or 0.0
    old_value = order.filled_qty * (order.filled_avg_price or 0.0)
    price = (found.filled_qty * new_avg - old_value) / delta
    return price if math.isfinite(price) and price > 0 else new_avg
