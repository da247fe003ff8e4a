"""A local emulator of Alpaca's Trading API on 127.0.0.1, for the real alpaca-py client: the
offline stand-in for the broker that the tests and the live-cycle benchmark trade against (it
lives here, beside the adapter it answers, because both of them use it). It never listens
beyond the loopback address.

Endpoints, wire format and error bodies as in shared/reference/alpaca.md (sections 1.3-1.5 and
1.7): account and its configurations, orders (submit, list with status/limit/after/direction,
by client id, by id, cancel), positions, assets, clock and calendar.

The account behaves like Alpaca's: client ids unique forever (422), at most 128 characters;
buying power = cash x margin multiplier less what open buys may cost (403); no sell beyond the
shares not held for open sells (403); day orders sent off-hours are `accepted` and go live at
the open; unfilled day orders expire at the close. The market is scripted: `open_market()`,
`close_market()`, a price per symbol, and fills that take `partial_steps` reads of an order.

Faults for the next matching request: 504 after the order was created, 500 with a text body,
429 (with rate-limit headers), a socket that accepts and never answers, a reset connection,
a business rejection; and `kill`: SIGKILL (or SIGTERM) the client process at its n-th request,
before or after the emulator acted on it.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import socket
import struct
import threading
import time
import uuid
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from typing_extensions import override

from market.exchange import NEW_YORK

OPEN_STATUSES = ("new", "accepted", "partially_filled", "pending_new")


@dataclass
class Request:
    """A request as the emulator received it."""

    method: str
    path: str
    params: dict[str, str]
    headers: dict[str, str]


class JsonHandler(BaseHTTPRequestHandler):
    """Replies in JSON; `state` (set on a subclass made per server) has key_id, secret_key."""

    state: Any

    @override
    def log_message(self, format: str, *args: object) -> None:  # quiet
        pass

    def authorised(self) -> bool:
        """Whether the request carries the account's keys; a 403 reply when it does not."""
        keys = (self.headers.get("APCA-API-KEY-ID"), self.headers.get("APCA-API-SECRET-KEY"))
        if keys != (self.state.key_id, self.state.secret_key):
            self._reply(403, {"code": 40310000, "message": "forbidden"})
            return False
        return True

    def _reply(self, status: int, body: object, headers: dict[str, str] | None = None) -> None:
        self._reply_text(status, json.dumps(body), headers)

    def _reply_text(self, status: int, text: str, headers: dict[str, str] | None = None) -> None:
        payload = text.encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)


@contextmanager
def serve(handler: type[JsonHandler], state: Any) -> Iterator[str]:
    """Serve `handler` with `state` on a free port of 127.0.0.1; yields the base URL."""
    bound = type("Handler", (handler,), {"state": state})
    server = ThreadingHTTPServer(("127.0.0.1", 0), bound)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        state.release.set()
        server.shutdown()
        server.server_close()


@dataclass
class Fault:
    """A fault to answer a matching request with, once."""

    method: str  # GET, POST, DELETE, PATCH
    path: str  # a prefix of the request path, e.g. "/v2/orders"
    kind: str  # 504_after | 500_text | 429 | hang | reset | 403 | 422


@dataclass
class Kill:
    """Kill process `pid` at the client's `at`-th request (to test crash recovery); with
    SIGTERM (a stop it handles) the request is then answered as usual."""

    pid: int
    at: int  # the n-th request of the client (1-based)
    after: bool  # act on the request first (then kill before answering)
    sent: int = signal.SIGKILL


@dataclass
class TradingState:
    """The emulated account: clock, sessions, cash, prices, positions and orders."""

    key_id: str
    secret_key: str
    now: dt.datetime
    sessions: dict[dt.date, tuple[str, str]]  # date -> ("09:30", "16:00") New York
    cash: float = 100_000.0
    prices: dict[str, float] = field(default_factory=dict)
    not_fractionable: set[str] = field(default_factory=set)
    positions: dict[str, list[float]] = field(default_factory=dict)  # symbol -> [qty, avg]
    orders: list[dict[str, Any]] = field(default_factory=list)
    config: dict[str, Any] = field(
        default_factory=lambda: {
            "dtbp_check": "entry",
            "fractional_trading": True,
            "max_margin_multiplier": "2",
            "no_shorting": False,
            "pdt_check": "entry",
            "suspend_trade": False,
            "trade_confirm_email": "all",
            "ptp_no_exception_entry": False,
        }
    )
    partial_steps: int = 1
    faults: list[Fault] = field(default_factory=list)
    kill: Kill | None = None
    rate_limit: int = 200
    requests: list[Request] = field(default_factory=list)
    stamps: deque[float] = field(default_factory=deque)  # request times, for the rate limit
    client_requests: int = 0
    release: threading.Event = field(default_factory=threading.Event)
    lock: threading.RLock = field(default_factory=threading.RLock)
    account_id: str = field(default_factory=lambda: str(uuid.uuid4()))

    # --- the scripted market --------------------------------------------------------------

    def session_times(self, day: dt.date) -> tuple[dt.datetime, dt.datetime]:
        """The open and close of session `day`, in New York time."""
        opens, closes = self.sessions[day]
        return (
            dt.datetime.combine(day, dt.time.fromisoformat(opens), NEW_YORK),
            dt.datetime.combine(day, dt.time.fromisoformat(closes), NEW_YORK),
        )

    def is_open(self) -> bool:
        """Whether the market is open at the emulator's clock."""
        day = self.now.astimezone(NEW_YORK).date()
        if day not in self.sessions:
            return False
        opens, closes = self.session_times(day)
        return opens <= self.now < closes

    def open_market(self) -> None:
        """Move to one minute after the next open; accepted orders go live and work."""
        with self.lock:
            day = self.now.astimezone(NEW_YORK).date()
            while day not in self.sessions or self.session_times(day)[0] < self.now - dt.timedelta(
                minutes=1
            ):
                day += dt.timedelta(days=1)
            self.now = self.session_times(day)[0] + dt.timedelta(minutes=1)
            for order in self.orders:
                if order["status"] == "accepted":
                    order["status"] = "new"
                self.work(order)

    def close_market(self) -> None:
        """Move to one minute after today's close; open day orders expire."""
        with self.lock:
            day = self.now.astimezone(NEW_YORK).date()
            self.now = self.session_times(day)[1] + dt.timedelta(minutes=1)
            for order in self.orders:
                if order["status"] in OPEN_STATUSES:
                    self._set(order, "expired")

    def work(self, order: dict[str, Any]) -> None:
        """One step of filling an open order, if the market is open and its price allows."""
        if order["status"] not in ("new", "partially_filled") or not self.is_open():
            return
        price = self.prices[order["symbol"]]
        qty = float(order["qty"])
        if (
            order["limit_price"] is not None
            and order["side"] == "buy"
            and price > float(order["limit_price"])
        ):
            return
        done = float(order["filled_qty"])
        step = round(qty / self.partial_steps, 9)
        delta = round(qty - done if done + step >= qty - 1e-9 else step, 9)
        # Each partial fill a little dearer, so the cumulative average moves.
        price = round(price * (1 + 0.001 * done / qty), 4)
        avg = float(order["filled_avg_price"] or 0.0)
        order["filled_avg_price"] = str(round((avg * done + price * delta) / (done + delta), 6))
        order["filled_qty"] = str(round(done + delta, 9))
        held, cost = self.positions.get(order["symbol"], [0.0, 0.0])
        signed = delta if order["side"] == "buy" else -delta
        if order["side"] == "buy":
            cost = (cost * held + price * delta) / (held + delta)
        self.cash += -price * delta if order["side"] == "buy" else price * delta
        held = round(held + signed, 9)
        if abs(held) < 1e-9:
            self.positions.pop(order["symbol"], None)
        else:
            self.positions[order["symbol"]] = [held, cost]
        self._set(
            order, "filled" if float(order["filled_qty"]) >= qty - 1e-9 else "partially_filled"
        )

    def _set(self, order: dict[str, Any], status: str) -> None:
        order["status"] = status
        order["updated_at"] = _stamp(self.now)
        if status == "filled":
            order["filled_at"] = _stamp(self.now)

    # --- account rules ------------------------------------------------------------------

    def buying_power(self) -> float:
        """Cash less what open buy orders reserve."""
        reserved = sum(
            (float(o["qty"]) - float(o["filled_qty"]))
            * float(o["limit_price"] or self.prices.get(o["symbol"], 0.0))
            for o in self.orders
            if o["status"] in OPEN_STATUSES and o["side"] == "buy"
        )
        multiplier = float(self.config["max_margin_multiplier"])
        return self.cash * multiplier - reserved

    def held_for_orders(self, symbol: str) -> float:
        """The quantity of `symbol` that open sell orders reserve."""
        return sum(
            float(o["qty"]) - float(o["filled_qty"])
            for o in self.orders
            if o["status"] in OPEN_STATUSES and o["side"] == "sell" and o["symbol"] == symbol
        )

    def submit(self, body: dict[str, Any]) -> tuple[int, Any]:
        """POST /v2/orders: (HTTP status, reply)."""
        cid = body.get("client_order_id") or str(uuid.uuid4())
        refused = self._refusal(body, cid)
        if refused is not None:
            return refused
        order = self._new_order(body, cid)
        self.orders.append(order)
        self.work(order)
        return 200, order

    def _refusal(self, body: dict[str, Any], cid: str) -> tuple[int, Any] | None:
        # Alpaca's answer to an order it does not take, or None.
        state = self
        if len(cid) > 128:
            return 422, {
                "code": 40010001,
                "message": "client_order_id must be no more than 128 characters",
            }
        if any(o["client_order_id"] == cid for o in state.orders):
            return 422, {"code": 40010001, "message": "client_order_id must be unique"}
        symbol, side = body["symbol"], body["side"]
        if symbol not in state.prices:
            return 422, {"code": 40010001, "message": f"asset {symbol} not found"}
        qty = float(body["qty"])
        if qty != int(qty) and symbol in state.not_fractionable:
            return 422, {"code": 40010001, "message": "requested asset is not fractionable"}
        limit = body.get("limit_price")
        if side == "sell":
            held = state.positions.get(symbol, [0.0, 0.0])[0]
            available = held - state.held_for_orders(symbol)
            if qty > available + 1e-9:
                return 403, {
                    "available": str(available),
                    "code": 40310000,
                    "existing_qty": str(held),
                    "held_for_orders": str(state.held_for_orders(symbol)),
                    "message": "insufficient qty available for order "
                    f"(requested: {qty:g}, available: {available:g})",
                    "related_orders": [],
                    "symbol": symbol,
                }
        else:
            cost = qty * float(limit if limit is not None else state.prices[symbol])
            if cost > state.buying_power() + 1e-6:
                return 403, {
                    "buying_power": f"{state.buying_power():.2f}",
                    "code": 40310000,
                    "cost_basis": f"{cost:.2f}",
                    "message": "insufficient buying power",
                }
        return None

    def _new_order(self, body: dict[str, Any], cid: str) -> dict[str, Any]:
        state = self
        symbol, side, limit = body["symbol"], body["side"], body.get("limit_price")
        # Alpaca stamps orders to the microsecond (or finer): no two share a creation time.
        now = _stamp(state.now + dt.timedelta(microseconds=len(state.orders)))
        return {
            "id": str(uuid.uuid4()),
            "client_order_id": cid,
            "created_at": now,
            "updated_at": now,
            "submitted_at": now,
            "filled_at": None,
            "expired_at": None,
            "canceled_at": None,
            "failed_at": None,
            "replaced_at": None,
            "replaced_by": None,
            "replaces": None,
            "asset_id": str(uuid.uuid5(uuid.NAMESPACE_DNS, symbol)),
            "symbol": symbol,
            "asset_class": "us_equity",
            "notional": None,
            "qty": str(float(body["qty"])),
            "filled_qty": "0",
            "filled_avg_price": None,
            "order_class": "",
            "order_type": body["type"],
            "type": body["type"],
            "side": side,
            "time_in_force": body["time_in_force"],
            "limit_price": str(limit) if limit is not None else None,
            "stop_price": None,
            "status": "new" if state.is_open() else "accepted",
            "extended_hours": False,
            "legs": None,
            "trail_percent": None,
            "trail_price": None,
            "hwm": None,
            "position_intent": "buy_to_open" if side == "buy" else "sell_to_close",
        }


def _stamp(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class _Trading(JsonHandler):
    state: TradingState

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def do_PATCH(self) -> None:
        self._handle("PATCH")

    def do_DELETE(self) -> None:
        self._handle("DELETE")

    def _handle(self, method: str) -> None:
        url = urlsplit(self.path)
        params = {k: v[-1] for k, v in parse_qs(url.query).items()}
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length)) if length else None
        state = self.state
        with state.lock:
            state.requests.append(Request(method, url.path, params, dict(self.headers)))
            state.client_requests += 1
            number = state.client_requests
            fault = next(
                (f for f in state.faults if f.method == method and url.path.startswith(f.path)),
                None,
            )
            if fault is not None:
                state.faults.remove(fault)
            kill = state.kill if state.kill and state.kill.at == number else None
            moment = time.monotonic()
            while state.stamps and moment - state.stamps[0] >= 60:
                state.stamps.popleft()
            state.stamps.append(moment)
            limited = len(state.stamps) > state.rate_limit
        if kill is not None and not kill.after:
            os.kill(kill.pid, kill.sent)
            if kill.sent == signal.SIGKILL:
                return self._reset()
        if limited and fault is None:
            fault = Fault(method, url.path, "429")
        if not self.authorised():
            return None
        if fault is not None and fault.kind in ("hang", "reset", "500_text", "429"):
            return self._fault(fault)
        if fault is not None and fault.kind in ("403", "422"):
            status = int(fault.kind)
            return self._reply(
                status, {"code": status * 100000 + 10000, "message": "rejected by the test"}
            )
        with state.lock:
            status, reply = self._route(method, url.path, params, body)
        if kill is not None and kill.after:
            os.kill(kill.pid, kill.sent)
            if kill.sent == signal.SIGKILL:
                return self._reset()
        if fault is not None and fault.kind == "504_after":
            return self._reply_text(504, "<html>504 Gateway Time-out</html>")
        if status == 204:
            self.send_response(204)
            self.end_headers()
            return None
        return self._reply(status, reply)

    def _fault(self, fault: Fault) -> None:
        if fault.kind == "hang":
            self.state.release.wait(timeout=30)
            return None
        if fault.kind == "reset":
            return self._reset()
        if fault.kind == "429":
            reset = int(self.state.now.timestamp()) + 60
            return self._reply(
                429,
                {"code": 42910000, "message": "rate limit exceeded"},
                {
                    "X-Ratelimit-Limit": "200",
                    "X-Ratelimit-Remaining": "0",
                    "X-Ratelimit-Reset": str(reset),
                },
            )
        return self._reply_text(500, "Internal Server Error")

    def _reset(self) -> None:
        # An abortive close (RST): the client sees "connection reset by peer".
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.connection.close()

    # --- routes ---------------------------------------------------------------------------

    def _route(self, method: str, path: str, params: dict[str, str], body: Any) -> tuple[int, Any]:
        state = self.state
        if path == "/v2/account" and method == "GET":
            return 200, self._account()
        if path == "/v2/account/configurations":
            if method == "PATCH":
                state.config.update({k: v for k, v in body.items() if k in state.config})
            return 200, state.config
        if path == "/v2/clock":
            return 200, self._clock()
        if path == "/v2/calendar":
            return 200, self._calendar(params)
        if path == "/v2/positions" and method == "GET":
            return 200, [self._position(s) for s in sorted(state.positions)]
        if path.startswith("/v2/assets/"):
            symbol = path.rsplit("/", 1)[1]
            if symbol not in state.prices:
                return 404, {"code": 40410000, "message": "asset not found"}
            return 200, self._asset(symbol)
        if path == "/v2/orders" and method == "POST":
            return state.submit(body)
        if path == "/v2/orders" and method == "GET":
            return 200, self._list(params)
        if path == "/v2/orders:by_client_order_id":
            cid = params.get("client_order_id")
            return self._order(
                method, next((o for o in state.orders if o["client_order_id"] == cid), None)
            )
        if path.startswith("/v2/orders/"):
            order_id = path.rsplit("/", 1)[1]
            return self._order(method, next((o for o in state.orders if o["id"] == order_id), None))
        return 404, {"code": 40410000, "message": "endpoint not found"}

    def _calendar(self, params: dict[str, str]) -> list[dict[str, str]]:
        start = dt.date.fromisoformat(params.get("start", "1970-01-01"))
        end = dt.date.fromisoformat(params.get("end", "2029-12-31"))
        return [
            {
                "date": str(d),
                "open": o,
                "close": c,
                "session_open": o.replace(":", ""),
                "session_close": c.replace(":", ""),
                "settlement_date": str(d),
            }
            for d, (o, c) in sorted(self.state.sessions.items())
            if start <= d <= end
        ]

    def _order(self, method: str, found: dict[str, Any] | None) -> tuple[int, Any]:
        # One order, found by its id or its client order id: read (worked first) or cancelled.
        if found is None:
            return 404, {"code": 40410000, "message": "order not found"}
        if method == "DELETE":
            if found["status"] not in OPEN_STATUSES:
                return 422, {"code": 42210000, "message": "order is not cancelable"}
            self.state._set(found, "canceled")
            return 204, None
        self.state.work(found)
        return 200, found

    def _list(self, params: dict[str, str]) -> list[dict[str, Any]]:
        state = self.state
        status = params.get("status", "open")
        limit = min(int(params.get("limit", 50)), 500)
        after = params.get("after")
        found = []
        for order in state.orders:
            state.work(order)
            if status == "open" and order["status"] not in OPEN_STATUSES:
                continue
            if status == "closed" and order["status"] in OPEN_STATUSES:
                continue
            if after and order["created_at"] <= _stamp(dt.datetime.fromisoformat(after)):
                continue
            found.append(order)
        found.sort(key=lambda o: o["created_at"], reverse=params.get("direction", "desc") == "desc")
        return found[:limit]

    def _account(self) -> dict[str, Any]:
        state = self.state
        value = sum(q * state.prices.get(s, avg) for s, (q, avg) in state.positions.items())
        return {
            "id": state.account_id,
            "account_number": "PA0000TEST",
            "status": "ACTIVE",
            "currency": "USD",
            "cash": f"{state.cash:.2f}",
            "equity": f"{state.cash + value:.2f}",
            "buying_power": f"{state.buying_power():.2f}",
            "non_marginable_buying_power": f"{state.cash:.2f}",
            "long_market_value": f"{value:.2f}",
            "short_market_value": "0",
            "multiplier": state.config["max_margin_multiplier"],
            "shorting_enabled": not state.config["no_shorting"],
            "trading_blocked": False,
            "transfers_blocked": False,
            "account_blocked": False,
            "pattern_day_trader": False,
            "trade_suspended_by_user": state.config["suspend_trade"],
            "created_at": "2024-01-02T15:00:00Z",
            "last_equity": f"{state.cash + value:.2f}",
        }

    def _position(self, symbol: str) -> dict[str, Any]:
        qty, avg = self.state.positions[symbol]
        price = self.state.prices.get(symbol, avg)
        return {
            "asset_id": str(uuid.uuid5(uuid.NAMESPACE_DNS, symbol)),
            "symbol": symbol,
            "exchange": "ARCA",
            "asset_class": "us_equity",
            "avg_entry_price": f"{avg:.4f}",
            "qty": repr(qty),
            "qty_available": repr(qty - self.state.held_for_orders(symbol)),
            "side": "long",
            "market_value": f"{qty * price:.2f}",
            "cost_basis": f"{qty * avg:.2f}",
            "current_price": f"{price:.4f}",
        }

    def _asset(self, symbol: str) -> dict[str, Any]:
        return {
            "id": str(uuid.uuid5(uuid.NAMESPACE_DNS, symbol)),
            "class": "us_equity",
            "exchange": "ARCA",
            "symbol": symbol,
            "name": symbol,
            "status": "active",
            "tradable": True,
            "marginable": True,
            "shortable": True,
            "easy_to_borrow": True,
            "fractionable": symbol not in self.state.not_fractionable,
        }

    def _clock(self) -> dict[str, Any]:
        state = self.state
        day = state.now.astimezone(NEW_YORK).date()
        upcoming = sorted(d for d in state.sessions if d >= day)
        next_open = next(
            (state.session_times(d)[0] for d in upcoming if state.session_times(d)[0] > state.now),
            None,
        )
        next_close = next(
            (state.session_times(d)[1] for d in upcoming if state.session_times(d)[1] > state.now),
            None,
        )
        assert next_open is not None and next_close is not None, "the calendar ran out"
        return {
            "timestamp": state.now.astimezone(NEW_YORK).isoformat(),
            "is_open": state.is_open(),
            "next_open": next_open.isoformat(),
            "next_close": next_close.isoformat(),
        }


@contextmanager
def trading_emulator(state: TradingState) -> Iterator[str]:
    """Serve `state` on a free port of 127.0.0.1; yields the base URL."""
    with serve(_Trading, state) as url:
        yield url
