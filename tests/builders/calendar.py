"""Trading days of the New York Stock Exchange, for test data that must pass the holiday check."""

from __future__ import annotations

import pandas as pd

from market.validation import exchange_sessions


def sessions(start: str, periods: int | None = None, end: str | None = None) -> pd.DatetimeIndex:
    """XNYS sessions from `start`: `periods` of them, or up to `end`."""
    days = exchange_sessions(pd.Timestamp(start), pd.Timestamp(end or "2026-11-30"))
    return days[:periods] if periods is not None else days
