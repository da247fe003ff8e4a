"""Trading days of the New York Stock Exchange, for test data that must pass the holiday check."""

from __future__ import annotations

import warnings

import pandas as pd


def sessions(start: str, periods: int | None = None, end: str | None = None) -> pd.DatetimeIndex:
    """XNYS sessions from `start`: `periods` of them, or up to `end`."""
    import exchange_calendars

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Series.values returning", DeprecationWarning)
        calendar = exchange_calendars.get_calendar("XNYS", start="2000-01-03", end="2026-11-30")
    days = calendar.sessions[calendar.sessions >= pd.Timestamp(start)]
    if end is not None:
        days = days[days <= pd.Timestamp(end)]
    return pd.DatetimeIndex(days[:periods] if periods is not None else days)
