"""Facts of the exchange the lab trades on (the New York Stock Exchange)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

__all__ = ["NEW_YORK", "TRADING_DAYS"]

NEW_YORK = ZoneInfo("America/New_York")  # the exchange's clock: sessions, closes, bar dates
TRADING_DAYS = 252  # sessions a year, to annualise daily figures
