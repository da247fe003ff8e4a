"""An Alpaca account on the loopback trading emulator, for the live tests: the bundled data's
calendar, its closes as prices, and the first session after the data (2017-04-17, Good Friday
closed the market on the 14th)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from configs.credentials import Credentials
from labkit.alpaca_trading import TradingState, trading_emulator
from live.alpaca_broker import AlpacaBroker
from market.panel import Panel

KEY, SECRET = "PKEMULATORKEY7QX2", "emulator-secret-3k9v8w7u6t5s4r3q2p1o"
FIRST_SESSION = dt.date(2017, 4, 17)
# Sessions after the bundled data: weekdays, less Memorial Day; one early close.
_HOLIDAYS = {dt.date(2017, 5, 29), dt.date(2017, 7, 4)}
_EARLY = {dt.date(2017, 7, 3): "13:00"}


def calendar(panel: Panel) -> dict[dt.date, tuple[str, str]]:
    days = [dt.date.fromisoformat(str(d)) for d in panel.dates[-300:]]
    after = np.arange(np.datetime64("2017-04-17"), np.datetime64("2017-08-01"))
    days += [
        d
        for d in (dt.date.fromisoformat(str(x)) for x in after[np.is_busday(after)])
        if d not in _HOLIDAYS
    ]
    return {d: ("09:30", _EARLY.get(d, "16:00")) for d in days}


def new_york(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    from zoneinfo import ZoneInfo

    return dt.datetime.combine(day, dt.time(hour, minute), ZoneInfo("America/New_York"))


def account_state(panel: Panel, cash: float = 100_000.0) -> TradingState:
    """An empty account at 08:30 New York on the first session after the data, priced at the
    data's last closes."""
    last = panel.close[-1]
    prices = {s: float(c) for s, c in zip(panel.symbols, last, strict=True) if np.isfinite(c)}
    return TradingState(
        key_id=KEY,
        secret_key=SECRET,
        now=new_york(FIRST_SESSION, 8, 30),
        sessions=calendar(panel),
        cash=cash,
        prices=prices,
    )


def broker(url: str, timeout: float = 2.0, per_minute: int = 180) -> AlpacaBroker:
    return AlpacaBroker(
        Credentials(KEY, SECRET), True, url, timeout, per_minute, pause=lambda seconds: None
    )


@contextmanager
def emulated(panel: Panel) -> Iterator[tuple[str, TradingState]]:
    state = account_state(panel)
    with trading_emulator(state) as url:
        yield url, state


def lab_config(folder: Path, url: str) -> Path:
    """A lab.toml in `folder` that trades on the emulator at `url` (a short trade window)."""
    path = folder / "lab.toml"
    path.write_text(
        "[live]\n"
        f'trading_url = "{url}"\n'
        'trade_window = ["09:30", "09:45"]\n'
        "timeout_seconds = 2.0\n"
        "poll_seconds = 1.0\n"
    )
    return path
