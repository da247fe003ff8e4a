"""The `sim` broker: a replay of the configured data, day by day, as a broker account.

The account is a cash account at a broker that fills day orders at the next open with the
backtest's cost model (`fitness.backtest`): a buy fills at open x (1 + slippage) if that is
within its limit, a sell at open x (1 - slippage); fees per order and per share. A symbol
without a tradable bar that day does not fill; unfilled day orders expire at the close.

It checks what Alpaca checks when an order arrives: a unique client id, a positive quantity,
no sell beyond the shares not already held for open sells (no shorting), and buying power
(cash less what open buys may cost). Like Alpaca, it reports cash, not settled cash: the
lab's ledger keeps that.

Its state (cash, positions, orders, day) is saved through `save` after every change, the way a
real broker keeps its side whatever happens to the lab. It remembers the orders of its last
`KEPT_SESSIONS` sessions (the lab's client ids carry their session, so older ones never
come back).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import numpy as np
from typing_extensions import override

from configs import BacktestConfig
from fitness.costs import buy_price, order_fees, sell_fees, sell_price, slippage_fraction
from live.broker import (
    OPEN,
    Account,
    Broker,
    BrokerOrder,
    Clock,
    OrderRequest,
    Position,
    TradingSession,
)
from live.errors import DuplicateOrder, OrderRejected
from market.exchange import NEW_YORK
from market.panel import Panel

__all__ = ["SimBroker", "new_sim_state"]

KEPT_SESSIONS = 5
_OPEN_TIME, _CLOSE_TIME, _PLANNING_TIME = dt.time(9, 30), dt.time(16, 0), dt.time(9, 0)


def new_sim_state(first_session: int, cash: float) -> dict[str, Any]:
    """A new simulated account starting at session `first_session` with `cash`."""
    return {
        "day": first_session,
        "phase": "pre_open",
        "cash": cash,
        "positions": {},
        "orders": [],
    }


class SimBroker(Broker):
    """A replay of the data as a cash-account broker (see the module docstring)."""

    name = "sim"

    def __init__(
        self,
        panel: Panel,
        costs: BacktestConfig,
        state: dict[str, Any],
        save: Callable[[dict[str, Any]], None],
    ) -> None:
        self.panel = panel
        self.costs = costs
        self.state = state
        self._save = save
        self._dates = [dt.date.fromisoformat(str(d)) for d in panel.dates]
        self._column = {s: i for i, s in enumerate(panel.symbols)}

    # --- the replay -----------------------------------------------------------------------

    @property
    def day(self) -> int:
        """The index of the current session in the panel."""
        return int(self.state["day"])

    @property
    def session(self) -> dt.date:
        """The current session's date."""
        return self._dates[self.day]

    def open_session(self) -> None:
        """The open and the close of the current session: fill what can fill, expire the
        rest of the day orders."""
        if self.state["phase"] != "pre_open":
            return
        day, rules = self.day, self.costs
        slip = slippage_fraction(rules.slippage_bps)
        for order in self.state["orders"]:
            if order["status"] not in OPEN:
                continue
            column = self._column.get(order["symbol"])
            opened = self.panel.open[day, column] if column is not None else np.nan
            tradable = column is not None and bool(self.panel.tradable[day, column])
            buying = order["side"] == "buy"
            price = buy_price(opened, slip) if buying else sell_price(opened, slip)
            limit = order["limit_price"]
            if not tradable or (limit is not None and buying and price > limit):
                order["status"] = "expired"
                continue
            qty = order["qty"]
            signed = qty if buying else -qty
            value = qty * price
            if buying:
                self.state["cash"] -= value + order_fees(
                    qty, rules.fee_per_order, rules.fee_per_share
                )
            else:
                self.state["cash"] += value - sell_fees(
                    qty, value, rules.fee_per_order, rules.fee_per_share
                )
            positions = self.state["positions"]
            positions[order["symbol"]] = round(positions.get(order["symbol"], 0.0) + signed, 9)
            if abs(positions[order["symbol"]]) < 1e-9:
                del positions[order["symbol"]]
            order.update(status="filled", filled_qty=qty, filled_avg_price=float(price))
        self.state["phase"] = "closed"
        self._save(self.state)

    def next_session(self) -> None:
        """Move to the next session (old orders are forgotten)."""
        self.state["day"] = self.day + 1
        oldest = _at(self._dates[max(self.day - KEPT_SESSIONS, 0)], dt.time())
        self.state["orders"] = [
            o for o in self.state["orders"] if dt.datetime.fromisoformat(o["created_at"]) >= oldest
        ]
        self.state["phase"] = "pre_open"
        self._save(self.state)

    # --- the Broker protocol --------------------------------------------------------------

    @override
    def clock(self) -> Clock:
        session = self.session
        at = _PLANNING_TIME if self.state["phase"] == "pre_open" else _CLOSE_TIME
        return Clock(
            now=_at(session, at),
            is_open=False,
            next_open=_at(session, _OPEN_TIME),
            next_close=_at(session, _CLOSE_TIME),
        )

    def calendar(self, start: dt.date, end: dt.date) -> list[TradingSession]:
        """The data's sessions; after its last one, weekdays (settlement dates past the
        end of the data need a calendar there)."""
        beyond = np.arange(
            np.datetime64(self._dates[-1]) + 1, np.datetime64(max(end, self._dates[-1])) + 1
        )
        future = [dt.date.fromisoformat(str(d)) for d in beyond[np.is_busday(beyond)]]
        return [
            TradingSession(d, _at(d, _OPEN_TIME), _at(d, _CLOSE_TIME))
            for d in [*self._dates, *future]
            if start <= d <= end
        ]

    @override
    def account(self) -> Account:
        cash = float(self.state["cash"])
        close = self.panel.close[self.day - 1] if self.day > 0 else self.panel.open[0]
        value = sum(
            qty * float(close[self._column[s]])
            for s, qty in self.state["positions"].items()
            if np.isfinite(close[self._column[s]])
        )
        return Account(cash, cash + value, cash - self._reserved(), 1.0, False, False)

    @override
    def positions(self) -> list[Position]:
        return [Position(s, q, 0.0) for s, q in sorted(self.state["positions"].items())]

    @override
    def open_orders(self) -> list[BrokerOrder]:
        return [_order(o) for o in self.state["orders"] if o["status"] in OPEN]

    @override
    def orders_since(self, after: dt.datetime) -> list[BrokerOrder]:
        orders = (_order(o) for o in self.state["orders"])
        return [o for o in orders if o.created_at > after]

    @override
    def order(self, client_order_id: str) -> BrokerOrder | None:
        for o in self.state["orders"]:
            if o["client_order_id"] == client_order_id:
                return _order(o)
        return None

    @override
    def submit(self, request: OrderRequest) -> BrokerOrder:
        if self.order(request.client_order_id) is not None:
            raise DuplicateOrder("client_order_id must be unique", 422, 40010001)
        if request.symbol not in self._column:
            raise OrderRejected(f"asset {request.symbol} not found", 422, 40010001)
        if not request.qty > 0:
            raise OrderRejected(f"qty must be > 0, got {request.qty}", 422, 40010001)
        if request.side == "sell":
            held = self.state["positions"].get(request.symbol, 0.0)
            held_for_orders = sum(
                o["qty"]
                for o in self.state["orders"]
                if o["status"] in OPEN and o["side"] == "sell" and o["symbol"] == request.symbol
            )
            if request.qty > held - held_for_orders + 1e-9:
                raise OrderRejected(
                    f"insufficient qty available for order (requested: {request.qty}, "
                    f"available: {held - held_for_orders})",
                    403,
                    40310000,
                )
        else:
            cost = self._cost(request.symbol, request.qty, request.limit_price)
            if cost > self.state["cash"] - self._reserved() + 1e-6:
                raise OrderRejected("insufficient buying power", 403, 40310000)
        record = {
            "id": f"sim-{len(self.state['orders']) + 1}",
            "client_order_id": request.client_order_id,
            "symbol": request.symbol,
            "side": request.side,
            "qty": request.qty,
            "limit_price": request.limit_price,
            "status": "accepted",
            "filled_qty": 0.0,
            "filled_avg_price": None,
            "created_at": self.clock().now.isoformat(),
        }
        self.state["orders"].append(record)
        self._save(self.state)
        return _order(record)

    @override
    def cancel(self, order_id: str) -> None:
        for o in self.state["orders"]:
            if o["id"] == order_id:
                if o["status"] not in OPEN:
                    raise OrderRejected("order is not cancelable", 422, 42210000)
                o["status"] = "canceled"
                self._save(self.state)
                return
        raise OrderRejected("order not found", 404, 40410000)

    @override
    def fractionable(self, symbol: str) -> bool:
        return self.costs.fractional

    @override
    def secure_account(self) -> str:
        return "sim account: a cash account (no margin, no shorting) by construction"

    # --- helpers --------------------------------------------------------------------------

    def _cost(self, symbol: str, qty: float, limit: float | None) -> float:
        # What a buy may cost: at its limit, or a market buy at the last close.
        if limit is None:
            close = self.panel.close[max(self.day - 1, 0), self._column[symbol]]
            limit = float(close) if np.isfinite(close) else 0.0
        return qty * (limit + self.costs.fee_per_share) + self.costs.fee_per_order

    def _reserved(self) -> float:
        return sum(
            self._cost(o["symbol"], o["qty"] - o["filled_qty"], o["limit_price"])
            for o in self.state["orders"]
            if o["status"] in OPEN and o["side"] == "buy"
        )


def _at(day: dt.date, time: dt.time) -> dt.datetime:
    return dt.datetime.combine(day, time, NEW_YORK)


def _order(o: dict[str, Any]) -> BrokerOrder:
    return BrokerOrder(
        id=o["id"],
        client_order_id=o["client_order_id"],
        symbol=o["symbol"],
        side=o["side"],
        qty=o["qty"],
        limit_price=o["limit_price"],
        status=o["status"],
        filled_qty=o["filled_qty"],
        filled_avg_price=o["filled_avg_price"],
        created_at=dt.datetime.fromisoformat(o["created_at"]),
    )
