"""Load market data from the configured source into a checked `Panel`.

Sources: "bundled" (the real daily bars shipped in `market/data/`), "alpaca" (alpaca-py,
cached and refreshed incrementally) or a CSV/Parquet file. One time-zone policy for the whole
lab: every date is a New York exchange trading date.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from pathlib import Path

import pandas as pd

from configs import AlpacaConfig, DataConfig
from market.bars import read_bars_file
from market.exchange import new_york_day
from market.panel import Panel, build_panel
from market.panel_cache import cache_key, read_entry, write_entry
from market.problems import DataReport
from market.validation import check_bars

__all__ = ["BUNDLED_BARS", "alpaca_cache", "load_panel", "offline_source"]

BUNDLED_BARS = Path(__file__).with_name("data") / "bundled_bars.csv.xz"


def alpaca_cache(alpaca: AlpacaConfig) -> Path:
    """The Parquet file where Alpaca bars are cached (see market.alpaca_bars)."""
    return Path(alpaca.cache_dir) / f"alpaca-bars-{alpaca.feed}.parquet"


def offline_source(data: DataConfig, alpaca: AlpacaConfig) -> str:
    """The source to read without a network: for "alpaca", its last cache (the bundled data
    when there is none yet); any other source as it is."""
    if data.source != "alpaca":
        return data.source
    cache = alpaca_cache(alpaca)
    return str(cache) if cache.exists() else "bundled"


def load_panel(
    data: DataConfig,
    alpaca: AlpacaConfig,
    source: str | None = None,
    now: dt.datetime | None = None,
) -> tuple[Panel, DataReport]:
    """Read, check and pivot the bars of `source` (default `data.source`) at `now` (an aware
    moment, default the clock's now: the one clock of the load; a bar dated after the exchange's
    date then is in the future, and Alpaca's daily bars are complete up to it).

    Raises:
        DataError: the source cannot be read, or `data.policy` rejects it.
    """
    source = source or data.source
    now = now or dt.datetime.now(dt.UTC)
    today = new_york_day(now)
    if source == "bundled":
        report = DataReport(source=f"bundled ({BUNDLED_BARS.name})")
        return _file_panel(BUNDLED_BARS, data, report, today)
    if source == "alpaca":
        from market.alpaca_bars import load_alpaca_bars  # alpaca-py is a heavy import

        report = DataReport(source="alpaca")
        bars = load_alpaca_bars(alpaca, report, now=now)
        return _checked_panel(bars, data, report, today), report
    return _file_panel(Path(source), data, DataReport(source=source), today)


def _file_panel(
    path: Path, data: DataConfig, report: DataReport, today: dt.date
) -> tuple[Panel, DataReport]:
    """The panel of a bars file: from the data cache when it holds this file's (see
    `market.panel_cache`), else read, checked, built and kept there. A relative cache folder
    (the defaults read without a lab's home, as a library does) keeps nothing: the cache
    belongs to a lab, never to whatever folder a program runs in."""
    folder = Path(data.cache_dir)
    key = None
    if folder.is_absolute():
        with contextlib.suppress(OSError):  # read_bars_file names what is wrong with the file
            key = cache_key(path, data, today)
    if key is not None:
        cached = read_entry(folder, key, report.source)
        if cached is not None:
            return cached
    panel = _checked_panel(read_bars_file(path, report), data, report, today)
    if key is not None:
        write_entry(folder, key, panel, report)
    return panel, report


def _checked_panel(
    frame: pd.DataFrame, data: DataConfig, report: DataReport, today: dt.date
) -> Panel:
    checked = check_bars(frame, data, report, today)
    return build_panel(checked, data.fill_gaps_up_to, report, data.benchmark)
