"""A local emulator of Alpaca's market data API on 127.0.0.1, for the real alpaca-py client.

It speaks Alpaca's wire format (shared/reference/alpaca.md, section 1.6 for bars): the client is
pointed at it with `url_override`. Faults are injected per test: an error reply for the next
requests, or a socket that accepts and never answers. It is built on the trading emulator's
server (`labkit.alpaca_trading`).
"""

from __future__ import annotations

import base64
import datetime as dt
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlsplit

from labkit.alpaca_trading import NEW_YORK, JsonHandler, Request, serve
from market.panel import Panel

__all__ = [
    "KEY",
    "SECRET",
    "SYMBOLS",
    "EmulatorState",
    "alpaca_emulator",
    "bar_timestamp",
    "serve_bars",
]

Bar = tuple[float, float, float, float, float]  # open, high, low, close, volume


@dataclass
class EmulatorState:
    """What the emulator serves (bars by symbol and day), what it was asked, and the faults
    it is told to answer with."""

    key_id: str
    secret_key: str
    bars: dict[str, dict[dt.date, Bar]] = field(default_factory=dict)
    page_size: int = 10_000  # the server's own cap on `limit`
    requests: list[Request] = field(default_factory=list)
    errors: list[tuple[int, str]] = field(default_factory=list)  # replies for the next requests
    hanging: bool = False  # accept the connection, then never answer (until shutdown)
    release: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)


def bar_timestamp(day: dt.date) -> str:
    """Midnight New York time written in UTC, as Alpaca stamps daily bars."""
    midnight = dt.datetime.combine(day, dt.time(), NEW_YORK)
    return midnight.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _parse_time(text: str) -> dt.datetime:
    value = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


class _Handler(JsonHandler):
    state: EmulatorState

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        params = {k: v[-1] for k, v in parse_qs(url.query).items()}
        state = self.state
        with state.lock:
            state.requests.append(Request("GET", url.path, params, dict(self.headers)))
            error = state.errors.pop(0) if state.errors else None
        if state.hanging:
            state.release.wait(timeout=30)  # bounded; shutdown releases it
            return
        if not self.authorised():
            return None
        if error is not None:
            return self._reply_text(error[0], error[1])
        if url.path == "/v2/stocks/bars":
            return self._bars(params)
        self._reply(404, {"code": 40410000, "message": "endpoint not found"})

    def _bars(self, params: dict[str, str]) -> None:
        state = self.state
        if params.get("timeframe") != "1Day":
            return self._reply(422, {"code": 42210000, "message": "only 1Day in this emulator"})
        symbols = params["symbols"].split(",")
        start = _parse_time(params["start"]) if "start" in params else None
        end = _parse_time(params["end"]) if "end" in params else None
        rows = []
        for symbol in sorted(symbols):
            for day, (o, h, lo, c, v) in sorted(state.bars.get(symbol, {}).items()):
                stamp = dt.datetime.combine(day, dt.time(), NEW_YORK)
                if (start and stamp < start) or (end and stamp > end):
                    continue
                rows.append(
                    (
                        symbol,
                        {
                            "t": bar_timestamp(day),
                            "o": o,
                            "h": h,
                            "l": lo,
                            "c": c,
                            "v": v,
                            "n": 100,
                            "vw": c,
                        },
                    )
                )
        offset = int(base64.b64decode(params["page_token"])) if params.get("page_token") else 0
        limit = min(int(params.get("limit", 1000)), state.page_size)
        page = rows[offset : offset + limit]
        body: dict[str, object] = {"bars": {}, "currency": "USD", "next_page_token": None}
        for symbol, bar in page:
            body["bars"].setdefault(symbol, []).append(bar)  # type: ignore[attr-defined]
        if offset + limit < len(rows):
            body["next_page_token"] = base64.b64encode(str(offset + limit).encode()).decode()
        self._reply(200, body)


@contextmanager
def alpaca_emulator(key_id: str, secret_key: str) -> Iterator[tuple[str, EmulatorState]]:
    """Serve on a free port of 127.0.0.1; yields the base URL and the state to script."""
    state = EmulatorState(key_id, secret_key)
    with serve(_Handler, state) as url:
        yield url, state


# The test account and its bars: the bundled data's AAPL, SPY and XLF from 2016 on.
KEY, SECRET = "PKTESTKEY0000000000", "s3cr3t-never-printed-0000000000000000000"
SYMBOLS = ("AAPL", "SPY", "XLF")


def serve_bars(state: EmulatorState, panel: Panel, through: dt.date, factor: float = 1.0) -> None:
    """Serve the bars of `SYMBOLS` in `panel` up to `through`, prices times `factor`."""
    for symbol in SYMBOLS:
        j = panel.symbols.index(symbol)
        state.bars[symbol] = {
            day.astype(dt.date): tuple(  # type: ignore[misc]
                float(getattr(panel, f)[t, j]) * (factor if f != "volume" else 1.0)
                for f in ("open", "high", "low", "close", "volume")
            )
            for t, day in enumerate(panel.dates)
            if dt.date(2016, 1, 4) <= day.astype(dt.date) <= through and panel.tradable[t, j]
        }
