"""The risk check between the plan and the broker: it can deny an order (the denial is recorded
on the order and as an event; it is not an error).

Denied: every order while halted; a buy that would make its symbol more than
`max_symbol_weight` of equity; an order that would take the session's traded value above
`max_daily_turnover` x equity, or the session's orders above `max_orders_per_day`; an order
whose price (its limit, else the last close) is not positive or is more than
`max_price_deviation` away from the last close.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from configs import LiveConfig
from live.plan import PlannedOrder

__all__ = ["RiskCheck"]


@dataclass
class RiskCheck:
    """The session's risk state; `review` each order in sequence, then `sent` the approved."""

    live: LiveConfig
    equity: float
    positions: dict[str, float]
    traded_value: float = 0.0
    orders_sent: int = 0
    halted: str | None = None
    denials: list[tuple[str, str]] = field(default_factory=list)

    def review(self, order: PlannedOrder) -> str | None:
        """Why `order` must not be sent, or None."""
        live = self.live
        reason = self._reason(order, live)
        if reason is not None:
            self.denials.append((order.client_order_id, reason))
        return reason

    def sent(self, order: PlannedOrder) -> None:
        """Count `order` as sent: its position, traded value and the order count."""
        signed = order.qty if order.side == "buy" else -order.qty
        self.positions[order.symbol] = self.positions.get(order.symbol, 0.0) + signed
        self.traded_value += order.value
        self.orders_sent += 1

    def _reason(self, order: PlannedOrder, live: LiveConfig) -> str | None:
        if self.halted is not None:
            return f"halted: {self.halted}"
        close = order.last_close
        price = order.limit_price if order.limit_price is not None else close
        if not (math.isfinite(close) and close > 0 and math.isfinite(price) and price > 0):
            return f"price check: last close {close}, order price {price}"
        if abs(price / close - 1.0) > live.max_price_deviation:
            return (
                f"price check: {price:.4f} is {abs(price / close - 1):.1%} from the last close "
                f"{close:.4f} (max_price_deviation {live.max_price_deviation:.0%})"
            )
        if self.equity <= 0:
            return f"equity is {self.equity:.2f}"
        if self.orders_sent + 1 > live.max_orders_per_day:
            return f"order count: {live.max_orders_per_day} orders sent this session already"
        turnover = (self.traded_value + order.value) / self.equity
        if turnover > live.max_daily_turnover:
            return (
                f"turnover: {turnover:.2f} x equity this session with this order "
                f"(max_daily_turnover {live.max_daily_turnover:g})"
            )
        if order.side == "buy":
            after = (self.positions.get(order.symbol, 0.0) + order.qty) * close / self.equity
            if after > live.max_symbol_weight:
                return (
                    f"symbol cap: {order.symbol} would be {after:.1%} of equity "
                    f"(max_symbol_weight {live.max_symbol_weight:.0%})"
                )
        return None
