"""Daily bars from Alpaca (alpaca-py), kept in a local cache and refreshed incrementally.

- Bars come through `StockHistoricalDataClient.get_stock_bars` with adjustment "all"; alpaca-py
  follows `next_page_token` through every page itself.
- alpaca-py sets no HTTP timeout, so every call made here gets `alpaca.timeout_seconds`.
- A daily bar's timestamp is midnight New York time written in UTC (e.g. 2024-01-03T05:00:00Z);
  it is mapped to its New York date, the exchange trading date, never to the UTC date.
- Only complete sessions are kept: a bar dated today (New York) counts once it is 20:00 there.
- Incremental refresh: each cached symbol is asked again from a few sessions before its last
  cached bar. If the overlapping bars moved, Alpaca re-adjusted its history (a dividend or split
  since the last refresh): the symbol's whole history is fetched again, and this is reported.
- The cache (Parquet) is replaced atomically, and only after a successful refresh.
- Credentials come from the environment only (APCA_API_KEY_ID, APCA_API_SECRET_KEY) and never
  appear in messages.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from configs import AlpacaConfig, ConfigurationError, ServiceError
from configs.credentials import Credentials
from market.alpaca_client import impose_timeout
from market.exchange import NEW_YORK
from market.problems import DataProblem, DataReport
from market.sources import alpaca_cache

__all__ = ["exchange_date", "last_complete_session", "load_alpaca_bars"]

_OVERLAP = dt.timedelta(days=10)  # calendar days asked again before the last cached bar
_COLUMNS = ["date", "symbol", "open", "high", "low", "close", "volume"]


def exchange_date(timestamp: dt.datetime) -> dt.date:
    """The New York trading date of a bar timestamp (naive timestamps are taken as UTC)."""
    if timestamp.tzinfo is None:
        timestamp = timestamp.replace(tzinfo=dt.UTC)
    return timestamp.astimezone(NEW_YORK).date()


def last_complete_session(now: dt.datetime) -> dt.date:
    """The last New York date whose daily bar is final at `now` (after 20:00 New York)."""
    local = now.astimezone(NEW_YORK)
    return local.date() if local.hour >= 20 else local.date() - dt.timedelta(days=1)


def load_alpaca_bars(
    config: AlpacaConfig,
    report: DataReport,
    now: dt.datetime | None = None,
    credentials: Credentials | None = None,
) -> pd.DataFrame:
    """Refresh the cache from Alpaca and return the configured symbols' bars in the long format
    of `market.bars.read_bars_file` (line is None: the rows come from no file)."""
    now = now or dt.datetime.now(dt.UTC)
    fetch = _fetcher(config, credentials or Credentials.from_environment(), now)
    cache_path = alpaca_cache(config)
    cached = _read_cache(cache_path)
    through = last_complete_session(now)
    fresh = _refresh(cached, config, fetch, through, report)
    _write_cache(cache_path, fresh)
    frame = fresh[fresh["symbol"].isin(config.symbols)].reset_index(drop=True)
    report.rows = len(frame)
    for symbol in sorted(set(config.symbols) - set(frame["symbol"])):
        report.problems.append(
            DataProblem(
                "error",
                "no bars",
                symbol,
                "",
                None,
                f"Alpaca returned no daily bars since {config.start}",
            )
        )
    report.notes.append(
        f"Alpaca {config.feed} daily bars (adjustment 'all') through {through}, cached in "
        f"{cache_path}"
    )
    frame["line"] = pd.array([None] * len(frame), dtype="Int64")
    frame["date_text"] = frame["date"].dt.strftime("%Y-%m-%d")
    return frame


Fetch = Callable[[list[str], dt.date], pd.DataFrame]


def _refresh(
    cached: pd.DataFrame,
    config: AlpacaConfig,
    fetch: Fetch,
    through: dt.date,
    report: DataReport,
) -> pd.DataFrame:
    last = cached.groupby("symbol")["date"].max()
    new = [s for s in config.symbols if s not in last.index]
    known = [s for s in config.symbols if s in last.index]
    parts = [cached]
    if new:
        parts.append(fetch(new, config.start))
    if known:
        since = min(last[s] for s in known).date() - _OVERLAP
        recent = fetch(known, max(since, config.start))
        moved = _readjusted(cached, recent)
        for symbol in moved:
            report.notes.append(
                f"{symbol}: Alpaca re-adjusted its history since the last refresh (a dividend "
                "or split); its whole history was fetched again"
            )
        if moved:
            parts[0] = cached[~cached["symbol"].isin(moved)]
            parts.append(fetch(moved, config.start))
        parts.append(recent[~recent["symbol"].isin(moved)])
    merged = pd.concat([p for p in parts if not p.empty], ignore_index=True)
    if merged.empty:
        return merged.reindex(columns=_COLUMNS)
    merged = merged[merged["date"] <= pd.Timestamp(through)]
    merged = merged.drop_duplicates(["symbol", "date"], keep="last")
    return merged.sort_values(["symbol", "date"]).reset_index(drop=True)


def _readjusted(cached: pd.DataFrame, recent: pd.DataFrame) -> list[str]:
    both = cached.merge(recent, on=["symbol", "date"], suffixes=("_old", "_new"))
    moved = ~np.isclose(both["close_old"], both["close_new"], rtol=1e-6, atol=0.0)
    return sorted(set(both.loc[moved, "symbol"]))


def _fetcher(config: AlpacaConfig, credentials: Credentials, now: dt.datetime) -> Fetch:
    from alpaca.common.exceptions import APIError
    from alpaca.data.enums import Adjustment, DataFeed
    from alpaca.data.historical import StockHistoricalDataClient
    from alpaca.data.requests import StockBarsRequest
    from alpaca.data.timeframe import TimeFrame
    from requests import RequestException

    client = StockHistoricalDataClient(
        credentials.key_id, credentials.secret_key, url_override=config.data_url or None
    )
    impose_timeout(client, config.timeout_seconds)
    # Recent SIP data (the last 15 minutes) is refused on the free plan: stop short of it.
    end = now - dt.timedelta(minutes=16)

    def fetch(symbols: list[str], start: dt.date) -> pd.DataFrame:
        request = StockBarsRequest(
            symbol_or_symbols=symbols,
            timeframe=TimeFrame.Day,
            start=dt.datetime.combine(start, dt.time(), NEW_YORK),
            end=end,
            adjustment=Adjustment.ALL,
            feed=DataFeed(config.feed),
        )
        try:
            barset = client.get_stock_bars(request)
        except APIError as e:
            raise _api_error(e, credentials.scrub) from e
        except RequestException as e:
            raise ServiceError(
                f"Alpaca data request failed ({type(e).__name__}; timeout "
                f"{config.timeout_seconds:g} s): {credentials.scrub(str(e))}"
            ) from e
        rows = [
            (
                exchange_date(bar.timestamp),
                symbol,
                bar.open,
                bar.high,
                bar.low,
                bar.close,
                bar.volume,
            )
            for symbol, bars in barset.data.items()  # type: ignore[union-attr]
            for bar in bars
        ]
        frame = pd.DataFrame(rows, columns=_COLUMNS)
        frame["date"] = pd.to_datetime(frame["date"])
        return frame.astype({c: "float64" for c in _COLUMNS[2:]})

    return fetch


def _api_error(error: Any, scrub: Callable[[str], str]) -> Exception:
    # `scrub` first: an error page may echo the request, keys included.
    status = error.status_code
    text = scrub(str(error))[:300]
    if status in (401, 403, 422):
        return ConfigurationError(
            f"Alpaca refused the bars request (HTTP {status}): {text}; check the keys, "
            "alpaca.feed and alpaca.symbols"
        )
    return ServiceError(f"Alpaca data request failed (HTTP {status}): {text}")


def _read_cache(path: Path) -> pd.DataFrame:
    if not path.exists():
        return pd.DataFrame({c: pd.Series(dtype="float64") for c in _COLUMNS}).astype(
            {"date": "datetime64[ns]", "symbol": "object"}
        )
    return pd.read_parquet(path)


def _write_cache(path: Path, frame: pd.DataFrame) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    frame.to_parquet(partial, index=False)
    os.replace(partial, path)
