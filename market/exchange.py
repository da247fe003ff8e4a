"""Facts of the exchange the lab trades on (the New York Stock Exchange)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

__all__ = ["NEW_YORK", "TRADING_DAYS", "new_york_day"]

NEW_YORK = ZoneInfo("America/New_York")  # the exchange's clock: sessions, closes, bar dates
TRADING_DAYS = 252  # sessions a year, to annualise daily figures


def new_york_day(now: dt.datetime | None = None) -> dt.date:
    """The exchange's date at `now` (an aware moment; default: the clock's now): bar dates are
    New York dates, and a date after it is in the future."""
    return (now or dt.datetime.now(dt.UTC)).astimezone(NEW_YORK).date()
