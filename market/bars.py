"""Read daily bars in the long format `date,symbol,open,high,low,close,volume[,adj_close]`.

A file is CSV (optionally .gz/.xz/.bz2/.zip compressed) or Parquet. The result is a long
DataFrame with parsed dates, float prices and volumes, and each row's file `line`; nothing is
checked here beyond the columns (see `market.validation`).
"""

from __future__ import annotations

import bz2
import gzip
import lzma
import warnings
import zlib
from functools import partial
from pathlib import Path
from typing import TextIO

import numpy as np
import pandas as pd

from market.problems import DataError, DataReport

# The longest line a bars CSV may have (characters, the line end included).
MAX_LINE = 1000
# More bars than this (80 years of 1,000 symbols) would take gigabytes in pandas, more than a Pi
# has: the file is refused before it is parsed.
MAX_ROWS = 20_000_000

__all__ = ["PRICE_COLUMNS", "REQUIRED_COLUMNS", "adjust_by_adj_close", "read_bars_file"]

PRICE_COLUMNS = ("open", "high", "low", "close")
REQUIRED_COLUMNS = ("date", "symbol", *PRICE_COLUMNS, "volume")
_NUMERIC = (*PRICE_COLUMNS, "volume", "adj_close")


def read_bars_file(path: Path, report: DataReport) -> pd.DataFrame:
    """Load `path` into columns date (datetime64, NaT when unparseable), symbol, open, high,
    low, close, volume (float, NaN when not a number), line, and date_text (as written).
    Adjusts by `adj_close` when the file has it (noted in `report`)."""
    if not path.exists():
        raise DataError(f"{path}: file does not exist")
    try:
        if path.suffix.lower() in (".parquet", ".pq"):
            _check_row_count(path, _parquet_rows(path))
            frame = pd.read_parquet(path)
            first_line = 1  # Parquet has no header line: "line" is the 1-based row number
        else:
            frame = _read_csv(path)
            first_line = 2
    except (
        OSError,
        EOFError,  # a truncated gzip, bz2 or xz file
        zlib.error,
        lzma.LZMAError,
        ValueError,
        ImportError,
        pd.errors.ParserWarning,
    ) as e:
        raise DataError(f"{path}: cannot be read as bars: {e}") from e
    frame.columns = [str(c).strip().lower() for c in frame.columns]
    missing = [c for c in REQUIRED_COLUMNS if c not in frame.columns]
    if missing:
        raise DataError(
            f"{path}: missing column(s) {', '.join(missing)}; expected "
            f"{','.join(REQUIRED_COLUMNS)}[,adj_close], found {','.join(frame.columns)}"
        )
    extra = [c for c in frame.columns if c not in (*REQUIRED_COLUMNS, "adj_close")]
    if extra:
        report.notes.append(f"ignored column(s) {', '.join(extra)}")
    if frame.empty:
        raise DataError(f"{path}: no data rows")
    frame = frame.reset_index(drop=True)
    frame["line"] = np.arange(first_line, first_line + len(frame))
    frame["symbol"] = frame["symbol"].astype("string").str.strip().str.upper()
    if not pd.api.types.is_datetime64_any_dtype(frame["date"]):
        frame["date_text"] = frame["date"].astype("string").str.strip().astype("category")
    frame["date"] = _parse_dates(frame["date"])
    for column in _NUMERIC:
        if column in frame.columns:
            frame[column] = pd.to_numeric(frame[column], errors="coerce").astype("float64")
    report.rows = len(frame)
    if "adj_close" in frame.columns:
        frame = adjust_by_adj_close(frame, report)
    if "date_text" not in frame.columns:
        frame["date_text"] = frame["date"].dt.strftime("%Y-%m-%d").astype("category")
    return frame[[*REQUIRED_COLUMNS, "line", "date_text"]]


def adjust_by_adj_close(frame: pd.DataFrame, report: DataReport) -> pd.DataFrame:
    """Scale open/high/low/close by adj_close / close and volume by its inverse."""
    factor = frame["adj_close"] / frame["close"]
    bad = ~np.isfinite(factor) | (factor <= 0)
    frame = frame.copy()
    for column in PRICE_COLUMNS:
        frame[column] = frame[column] * factor
    frame["volume"] = frame["volume"] / factor
    # A row whose factor is unusable gets NaN prices, which the checks then report by line.
    frame.loc[bad, list(PRICE_COLUMNS)] = np.nan
    report.notes.append(
        "adjusted open/high/low/close by adj_close / close and volume by close / adj_close"
    )
    return frame


def _read_csv(path: Path) -> pd.DataFrame:
    # Numbers are inferred: a column with a stray word stays text and becomes NaN in
    # read_bars_file, so that the checks can name the offending line. A row with more fields
    # than the header is an error (pandas would otherwise shift it or drop the extra values).
    _check_lines(path)
    with warnings.catch_warnings():
        warnings.simplefilter("error", pd.errors.ParserWarning)
        return pd.read_csv(
            path,
            dtype={"date": "string", "symbol": "string"},
            skip_blank_lines=False,
            index_col=False,
        )


def _check_lines(path: Path) -> None:
    # A bar is a short line, and a file holds at most MAX_ROWS of them. One huge cell (a 2 GB
    # field) made pandas take 17 GB of memory before the checks could refuse it, and the
    # message quoted the cell: look first, reading at most MAX_LINE characters of any line.
    with _open_text(path) as handle:
        lines = iter(partial(handle.readline, MAX_LINE + 1), "")
        number = 0
        for number, line in enumerate(lines, start=1):
            if len(line) > MAX_LINE:
                raise DataError(
                    f"{path}:{number}: a line longer than {MAX_LINE} characters; a bar is "
                    "date,symbol,open,high,low,close,volume[,adj_close]"
                )
            if number > MAX_ROWS + 1:  # the header and MAX_ROWS bars
                break
        _check_row_count(path, number - 1)


def _check_row_count(path: Path, rows: int) -> None:
    if rows > MAX_ROWS:
        raise DataError(
            f"{path}: more than {MAX_ROWS:,} bars; split the file or keep fewer symbols or years"
        )


def _parquet_rows(path: Path) -> int:
    import pyarrow.parquet

    return int(pyarrow.parquet.ParquetFile(path).metadata.num_rows)


def _open_text(path: Path) -> TextIO:
    suffix = path.suffix.lower()
    if suffix == ".gz":
        return gzip.open(path, "rt", encoding="utf-8", errors="replace", newline="")
    if suffix == ".bz2":
        return bz2.open(path, "rt", encoding="utf-8", errors="replace", newline="")
    if suffix == ".xz":
        return lzma.open(path, "rt", encoding="utf-8", errors="replace", newline="")
    return path.open("r", encoding="utf-8", errors="replace", newline="")


def _parse_dates(column: pd.Series) -> pd.Series:
    if pd.api.types.is_datetime64_any_dtype(column):
        values = pd.Series(column)
        if values.dt.tz is not None:
            values = values.dt.tz_convert("America/New_York").dt.tz_localize(None)
        return values.dt.normalize()
    # Dates repeat across symbols: parse each distinct text once.
    text = column.astype("string").str.strip().astype("category")
    parsed = pd.to_datetime(text.cat.categories, format="%Y-%m-%d", errors="coerce")
    codes = text.cat.codes.to_numpy()
    dates = parsed.to_numpy()[codes]
    dates[codes < 0] = np.datetime64("NaT")
    return pd.Series(dates, index=column.index, dtype="datetime64[ns]")
