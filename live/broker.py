"""What the lab needs from a broker, whichever it is (`SimBroker`, `AlpacaBroker`).

Quantities are shares (fractional allowed), prices dollars, times timezone-aware. Order
statuses use Alpaca's vocabulary (`store.lifecycle.OrderStatus`); `TERMINAL` ones never change
again.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal, Protocol

from store.lifecycle import OPEN, TERMINAL

__all__ = [
    "OPEN",
    "TERMINAL",
    "Account",
    "Broker",
    "BrokerOrder",
    "Clock",
    "OrderRequest",
    "Position",
    "Side",
    "TradingSession",
]

Side = Literal["buy", "sell"]


@dataclass(frozen=True)
class OrderRequest:
    """An order to send: a market order, or a limit order when `limit_price` is set."""

    client_order_id: str
    symbol: str
    side: Side
    qty: float
    limit_price: float | None  # None: a market order
    # Day orders only: sent before the open they wait for it; unfilled ones expire at the close.


@dataclass(frozen=True)
class BrokerOrder:
    """An order as the broker reports it."""

    id: str
    client_order_id: str
    symbol: str
    side: Side
    qty: float
    limit_price: float | None
    status: str
    filled_qty: float  # cumulative
    filled_avg_price: float | None
    created_at: dt.datetime


@dataclass(frozen=True)
class Position:
    """A position the broker holds."""

    symbol: str
    qty: float
    avg_entry_price: float


@dataclass(frozen=True)
class Account:
    """The broker's account figures and its margin and shorting settings."""

    cash: float
    equity: float
    buying_power: float
    # What the broker says of margin and shorting (None: it does not say).
    multiplier: float | None
    shorting_enabled: bool | None
    trading_blocked: bool


@dataclass(frozen=True)
class Clock:
    """The broker's clock and the market's next open and close."""

    now: dt.datetime
    is_open: bool
    next_open: dt.datetime
    next_close: dt.datetime


@dataclass(frozen=True)
class TradingSession:
    """One trading session of the broker's calendar."""

    date: dt.date
    open: dt.datetime
    close: dt.datetime


class Broker(Protocol):
    """A broker account. Every method may raise `BrokerUnavailable` (no usable answer) or
    `BrokerError`; `submit` raises `OrderRejected` or `DuplicateOrder` for refusals."""

    name: str

    def clock(self) -> Clock:
        """The broker's clock now."""
        ...

    def calendar(self, start: dt.date, end: dt.date) -> list[TradingSession]:
        """The trading sessions from `start` to `end`, both included."""
        ...

    def account(self) -> Account:
        """The account's cash, equity and settings."""
        ...

    def positions(self) -> list[Position]:
        """The positions held."""
        ...

    def open_orders(self) -> list[BrokerOrder]:
        """Every open order (all of them, however many)."""
        ...

    def orders_since(self, after: dt.datetime) -> list[BrokerOrder]:
        """Every order created after `after`, whatever its status."""
        ...

    def order(self, client_order_id: str) -> BrokerOrder | None:
        """The order with this client id; None if the broker has none."""
        ...

    def submit(self, request: OrderRequest) -> BrokerOrder:
        """Send `request`; the order as the broker took it."""
        ...

    def cancel(self, order_id: str) -> None:
        """Cancel the open order `order_id`."""
        ...

    def fractionable(self, symbol: str) -> bool:
        """Whether `symbol` may be bought in fractions of a share."""
        ...

    def secure_account(self) -> str:
        """Set the account to no margin and no shorting where the broker allows it; a line
        saying what was done."""
        ...
