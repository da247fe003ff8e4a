"""The market for a real account: the latest bars of the configured data, and where the
broker's clock says we are.

Orders for a session are planned from the close of the session before it, which the data must
reach: a plan from older data is refused (stale data), and bars after that close (there should
be none before the open) are not seen.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import numpy as np
from typing_extensions import override

from configs import LabConfig
from live.books import Market
from live.broker import Broker, Clock
from live.errors import LiveInputError
from live.signals import market_at, signals_at_close, validation_volatility
from live.trader import MarketFeed
from market.exchange import NEW_YORK
from market.panel import Panel

__all__ = ["LatestFeed", "trading_moment"]


def trading_moment(clock: Clock, window: tuple[dt.time, dt.time]) -> tuple[dt.date, bool]:
    """The session the next orders are for (today's while it is open, else the next one), and
    whether it is now inside the trade window (New York time) of that session's day."""
    local = clock.now.astimezone(NEW_YORK)
    session = local.date() if clock.is_open else clock.next_open.astimezone(NEW_YORK).date()
    inside = session == local.date() and window[0] <= local.time() <= window[1]
    return session, inside


class LatestFeed(MarketFeed):
    """The market and signals from the lab's newest data, checked against the broker's calendar."""

    def __init__(self, config: LabConfig, broker: Broker, load: Callable[[], Panel]) -> None:
        self.config = config
        self.broker = broker
        self._load = load
        self._panel: Panel | None = None

    @override
    def inputs(
        self, session: dt.date, texts: dict[str, str], whole: Callable[[str], bool]
    ) -> tuple[Market, dict[str, np.ndarray]]:
        panel = self._panel = self._load()
        calendar = self.broker.calendar(session - dt.timedelta(days=14), session)
        earlier = [s.date for s in calendar if s.date < session]
        if not earlier:
            raise LiveInputError(f"the broker's calendar has no session before {session}")
        previous = earlier[-1]
        dates = [dt.date.fromisoformat(str(d)) for d in panel.dates]
        if previous not in dates:
            raise LiveInputError(
                f"stale data: the orders for {session} need the close of {previous}, but the "
                f"data ends {dates[-1]} (refresh it: `evolve nightly` does)"
                if dates[-1] < previous
                else f"the data has no bar on {previous}, the session before {session}"
            )
        day = dates.index(previous)
        data = panel.days(0, day + 1)
        return market_at(data, day, whole), signals_at_close(data, texts)

    @override
    def volatility(self, texts: dict[str, str]) -> dict[str, float]:
        panel = self._panel or self._load()
        config = self.config
        return validation_volatility(panel, config.windows, config.backtest, texts)
