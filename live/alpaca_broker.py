"""The `alpaca` broker: Alpaca's Trading API through the real alpaca-py `TradingClient`.

What is done about alpaca-py's defaults (shared/reference/alpaca.md, section 0):

- Its automatic replay of requests (429 and 504, POST /v2/orders included) is switched off
  (`_retry = 0`, the only way: the constructor takes no retry arguments). Reads are retried
  here, a few times with a pause; an order is never sent twice by this module: the trader
  resolves an ambiguous outcome by looking its client id up.
- Every HTTP call gets `live.timeout_seconds`, and waits for the client-side rate limit
  (`live.requests_per_minute`, under Alpaca's 200 a minute per account).
- Errors are translated at this boundary: no answer, 5xx, 429 and a body that is not what the
  API promises are `BrokerUnavailable`; a refused order is `OrderRejected` (422 "client_order_id
  must be unique" is `DuplicateOrder`); anything else is `BrokerError`. Keys never appear in a
  message.
- `GET /v2/orders` is read with `limit=500` and paged, never with the default of 50.
- Day orders only; quantities and prices arrive already rounded (live.quantities).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import time
from collections import deque
from collections.abc import Callable
from functools import partial
from typing import Any, TypeVar

from typing_extensions import override

from configs.credentials import Credentials
from live.broker import (
    Account,
    Broker,
    BrokerOrder,
    Clock,
    OrderRequest,
    Position,
    TradingSession,
)
from live.errors import BrokerError, BrokerUnavailable, DuplicateOrder, OrderRejected
from market.alpaca_client import impose_timeout
from market.exchange import NEW_YORK

__all__ = ["PAPER_KEYS", "REAL_KEYS", "AlpacaBroker", "RateLimit"]

log = logging.getLogger(__name__)

PAPER_KEYS = ("APCA_PAPER_API_KEY_ID", "APCA_PAPER_API_SECRET_KEY")
REAL_KEYS = ("APCA_LIVE_API_KEY_ID", "APCA_LIVE_API_SECRET_KEY")
READ_ATTEMPTS = 3
PAGE = 500
T = TypeVar("T")


class RateLimit:
    """At most `per_minute` requests in any 60 seconds: a request that would exceed it waits."""

    def __init__(
        self,
        per_minute: int,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.per_minute = per_minute
        self._clock = clock
        self._sleep = sleep
        self._sent: deque[float] = deque()

    def __call__(self) -> None:
        """Wait until another request fits in the last minute's limit, then count it."""
        now = self._clock()
        while self._sent and now - self._sent[0] >= 60.0:
            self._sent.popleft()
        if len(self._sent) >= self.per_minute:
            wait = 60.0 - (now - self._sent[0])
            log.info("rate limit: waiting %.1f s", wait)
            self._sleep(wait)
            now = self._clock()
            self._sent.popleft()
        self._sent.append(now)


class AlpacaBroker(Broker):
    """An Alpaca account (paper or live) through alpaca-py's TradingClient."""

    name = "alpaca"

    def __init__(
        self,
        credentials: Credentials,
        paper: bool,
        url: str,
        timeout_seconds: float,
        requests_per_minute: int,
        pause: Callable[[float], None] = time.sleep,
    ) -> None:
        from alpaca.trading.client import TradingClient

        self.paper = paper
        self._credentials = credentials
        self._pause = pause
        # alpaca-py's methods return "model or raw dict"; raw_data is off, so models come back.
        self.client: Any = TradingClient(
            credentials.key_id, credentials.secret_key, paper=paper, url_override=url or None
        )
        self.client._retry = 0  # one attempt for every status: the lab decides about retries
        self.rate_limit = RateLimit(requests_per_minute)
        impose_timeout(self.client, timeout_seconds, before=self.rate_limit)

    def __repr__(self) -> str:
        return f"AlpacaBroker({'paper' if self.paper else 'LIVE'})"

    # --- reads (retried) ------------------------------------------------------------------

    @override
    def clock(self) -> Clock:
        c = self._read(self.client.get_clock)
        return Clock(
            _aware(c.timestamp), bool(c.is_open), _aware(c.next_open), _aware(c.next_close)
        )

    @override
    def calendar(self, start: dt.date, end: dt.date) -> list[TradingSession]:
        from alpaca.trading.requests import GetCalendarRequest

        days = self._read(
            lambda: self.client.get_calendar(GetCalendarRequest(start=start, end=end))
        )
        return [
            TradingSession(
                d.date, d.open.replace(tzinfo=NEW_YORK), d.close.replace(tzinfo=NEW_YORK)
            )
            for d in days
        ]

    @override
    def account(self) -> Account:
        a = self._read(self.client.get_account)
        return Account(
            cash=_number(a.cash, "cash"),
            equity=_number(a.equity, "equity"),
            buying_power=_number(a.buying_power, "buying_power"),
            multiplier=float(a.multiplier) if a.multiplier is not None else None,
            shorting_enabled=a.shorting_enabled,
            trading_blocked=bool(a.trading_blocked),
        )

    @override
    def positions(self) -> list[Position]:
        found = self._read(self.client.get_all_positions)
        return [
            Position(p.symbol, _number(p.qty, "qty"), _number(p.avg_entry_price, "avg_entry_price"))
            for p in found
        ]

    @override
    def open_orders(self) -> list[BrokerOrder]:
        return self._orders("open", None)

    @override
    def orders_since(self, after: dt.datetime) -> list[BrokerOrder]:
        return self._orders("all", after)

    @override
    def order(self, client_order_id: str) -> BrokerOrder | None:
        try:
            return _order(self._read(lambda: self.client.get_order_by_client_id(client_order_id)))
        except BrokerError as e:
            if e.status == 404:
                return None
            raise

    @override
    def fractionable(self, symbol: str) -> bool:
        return bool(self._read(lambda: self.client.get_asset(symbol)).fractionable)

    # --- writes (never repeated here) -----------------------------------------------------

    @override
    def submit(self, request: OrderRequest) -> BrokerOrder:
        from alpaca.trading.enums import OrderSide, TimeInForce
        from alpaca.trading.requests import LimitOrderRequest, MarketOrderRequest

        common = {
            "symbol": request.symbol,
            "qty": request.qty,
            "side": OrderSide.BUY if request.side == "buy" else OrderSide.SELL,
            "time_in_force": TimeInForce.DAY,
            "client_order_id": request.client_order_id,
        }
        order = (
            MarketOrderRequest(**common)
            if request.limit_price is None
            else LimitOrderRequest(**common, limit_price=request.limit_price)
        )
        return _order(self._call(lambda: self.client.submit_order(order), order=True))

    @override
    def cancel(self, order_id: str) -> None:
        self._call(lambda: self.client.cancel_order_by_id(order_id), order=True)

    def secure_account(self) -> str:
        """No margin (max_margin_multiplier "1") and no shorting, unless already so."""
        try:
            config = self._read(self.client.get_account_configurations)
            if config.max_margin_multiplier == "1" and config.no_shorting:
                return "account already set to no margin and no shorting"
            config.max_margin_multiplier = "1"
            config.no_shorting = True
            self._call(lambda: self.client.set_account_configurations(config))
        except BrokerError as e:
            log.warning("could not set the account to no margin and no shorting: %s", e)
            return (
                f"could not set the account to no margin and no shorting ({e}); the lab's own "
                "rules (settled cash only, never short) still hold"
            )
        return "account set to no margin (max_margin_multiplier 1) and no shorting"

    # --- helpers --------------------------------------------------------------------------

    def _orders(self, status: str, after: dt.datetime | None) -> list[BrokerOrder]:
        from alpaca.common.enums import Sort
        from alpaca.trading.enums import QueryOrderStatus
        from alpaca.trading.requests import GetOrdersRequest

        found: dict[str, BrokerOrder] = {}
        while True:
            request = GetOrdersRequest(
                status=QueryOrderStatus(status), limit=PAGE, after=after, direction=Sort.ASC
            )
            page = [_order(o) for o in self._read(partial(self.client.get_orders, request))]
            new = [o for o in page if o.id not in found]
            found |= {o.id: o for o in new}
            if len(page) < PAGE or not new:
                return list(found.values())
            # The next page: from just before the newest order seen (`after` is exclusive;
            # orders created in the same instant are read again and counted once).
            after = page[-1].created_at - dt.timedelta(microseconds=1)

    def _read(self, call: Callable[[], T]) -> T:
        for attempt in range(1, READ_ATTEMPTS + 1):
            try:
                return self._call(call)
            except BrokerUnavailable as e:
                if attempt == READ_ATTEMPTS:
                    raise
                log.warning(
                    "broker read failed (%s); attempt %d of %d", e, attempt + 1, READ_ATTEMPTS
                )
                self._pause(float(attempt))
        raise AssertionError("unreachable")

    def _call(self, call: Callable[[], T], order: bool = False) -> T:
        from alpaca.common.exceptions import APIError
        from pydantic import ValidationError
        from requests import RequestException

        scrub = self._credentials.scrub
        try:
            return call()
        except APIError as e:
            raise _api_error(e.status_code, scrub(str(e)), order) from None
        except RequestException as e:
            raise BrokerUnavailable(
                f"no answer from Alpaca: {type(e).__name__}: {scrub(str(e))}"
            ) from None
        except (ValidationError, ValueError, TypeError) as e:
            # A body that is not what the API promises (schema drift, a proxy's HTML page,
            # an empty reply): nothing is known of the outcome.
            raise BrokerUnavailable(
                f"Alpaca's answer could not be read ({type(e).__name__}: {scrub(str(e))[:300]})"
            ) from None


def _api_error(status: int | None, text: str, order: bool) -> BrokerError:
    code: int | None = None
    message = text
    try:
        body = json.loads(text)
        code, message = body.get("code"), str(body.get("message", text))
    except (ValueError, AttributeError):
        message = text[:300]
    described = f"Alpaca HTTP {status}: {message}"
    status = status or 0
    if status >= 500 or status == 429:
        return BrokerUnavailable(described, status, code)
    if status == 422 and "client_order_id must be unique" in message:
        return DuplicateOrder(described, status, code)
    if order:
        return OrderRejected(described, status, code)
    return BrokerError(described, status, code)


def _order(o: Any) -> BrokerOrder:
    side = str(getattr(o.side, "value", o.side))
    return BrokerOrder(
        id=str(o.id),
        client_order_id=o.client_order_id,
        symbol=o.symbol,
        side="buy" if side == "buy" else "sell",
        qty=float(o.qty or 0.0),
        limit_price=float(o.limit_price) if o.limit_price is not None else None,
        status=str(getattr(o.status, "value", o.status)),
        filled_qty=float(o.filled_qty or 0.0),
        filled_avg_price=float(o.filled_avg_price) if o.filled_avg_price is not None else None,
        created_at=_aware(o.created_at),
    )


def _aware(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)


def _number(text: str | None, name: str) -> float:
    if text is None:
        raise BrokerUnavailable(f"Alpaca's answer has no {name}")
    return float(text)
