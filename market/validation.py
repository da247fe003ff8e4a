"""Check bars and apply the data policy, so that a panel is only built from data that is usable.

Errors, by scope:
- file (always reject): no symbol on a row, dates going backwards within a symbol (unsorted).
- symbol (`data.policy`: reject the file, or drop the symbol and report it): unparseable date,
  a date on a weekend, on a weekday the exchange was closed (XNYS calendar) or after today (New
  York), non-finite or non-positive price, negative or
  non-finite volume, high < low, open or close outside [low, high], duplicate (date, symbol), a
  one-day spike that reverses the next day (bad tick), fewer than `data.min_bars` bars.

Warnings (reported, never rejected), with the deliberate handling of each:
- suspect range: a high/low far outside the bar's body (e.g. XLF 2011-06-16) is clipped to the
  body when `data.clip_suspect_range` (the default), else kept;
- zero volume on a bar that has a range (e.g. most stocks on 2010-04-26): the volume is a data
  gap, so the previous bar's volume is carried; the bar stays tradable;
- flat bar (open = high = low = close): kept; with zero volume nothing traded, so the bar is not
  tradable;
- repeated bar (the previous bar's prices again): kept.
Missing sessions are found when the panel is built (`market.panel`).
"""

from __future__ import annotations

import datetime as dt
import warnings

import numpy as np
import pandas as pd

from configs import DataConfig
from market.bars import PRICE_COLUMNS
from market.problems import DataError, DataProblem, DataReport, Severity

__all__ = ["check_bars", "exchange_sessions"]


def check_bars(
    frame: pd.DataFrame, rules: DataConfig, report: DataReport, today: dt.date
) -> pd.DataFrame:
    """Check `frame` (as from `read_bars_file`), apply `rules.policy`, and return the accepted
    bars sorted by symbol and date with a `tradable` column and the documented repairs applied.
    `today` is the exchange's date now (`market.exchange.new_york_day`): a later date is in the
    future.

    Raises:
        DataError: on a file-level error, on any symbol-level error under policy "reject", or
            when no symbol is left.
    """
    if rules.symbols:
        frame = _select_symbols(frame, rules.symbols, report)
    file_errors = _file_errors(frame)
    if file_errors:
        report.problems.extend(file_errors)
        raise DataError.rejected(report, by_policy=False)

    bad_rows = _row_errors(frame, report, pd.Timestamp(today))
    order = frame.sort_values(["symbol", "date"], kind="stable").index
    frame = frame.loc[order].reset_index(drop=True)
    _series_errors(frame, bad_rows.loc[order].reset_index(drop=True), rules, report)
    bad_symbols = {p.symbol for p in report.errors}
    if bad_symbols:
        if rules.policy == "reject":
            raise DataError.rejected(report, by_policy=True)
        for symbol in sorted(bad_symbols):
            count = sum(p.symbol == symbol for p in report.errors)
            report.dropped[symbol] = f"{count} error(s)"
        frame = frame[~frame["symbol"].isin(bad_symbols)].reset_index(drop=True)
    if frame.empty:
        raise DataError(f"{report.source}: no usable symbol left", report)
    return _repair(frame, rules, report)


def _select_symbols(
    frame: pd.DataFrame, symbols: tuple[str, ...], report: DataReport
) -> pd.DataFrame:
    present = set(frame["symbol"].dropna().unique())
    absent = [s for s in symbols if s not in present]
    if absent:
        raise DataError(f"{report.source}: data.symbols lists {', '.join(absent)}, not in the data")
    return frame[frame["symbol"].isin(symbols)].reset_index(drop=True)


def _file_errors(frame: pd.DataFrame) -> list[DataProblem]:
    problems = _problems(
        frame,
        frame["symbol"].isna() | (frame["symbol"] == ""),
        "error",
        "no symbol",
        lambda r: "the symbol cell is empty",
    )
    dated = frame[frame["date"].notna() & frame["symbol"].notna()]
    earlier = dated.groupby("symbol", sort=False, observed=True)["date"].diff() < pd.Timedelta(0)
    if earlier.any():
        first = dated[earlier].iloc[:1]
        problems += _problems(
            first,
            pd.Series(True, index=first.index),
            "error",
            "unsorted input",
            lambda r: "date goes backwards within the symbol; sort the file by symbol and date",
        )
    return problems


def _row_errors(frame: pd.DataFrame, report: DataReport, today: pd.Timestamp) -> pd.Series:
    """Report row-level errors; return the mask of rows that have any."""
    bad = pd.Series(False, index=frame.index)

    def flag(mask: pd.Series, check: str, detail: object) -> None:
        nonlocal bad
        mask = mask.fillna(False).astype(bool)
        if mask.any():
            report.problems.extend(_problems(frame, mask, "error", check, detail))
            bad = bad | mask

    flag(frame["date"].isna(), "unparseable date", lambda r: "expected YYYY-MM-DD")
    dates = frame["date"]
    flag(
        dates.dt.day_of_week >= 5,
        "weekend date",
        lambda r: f"{r['date']:%Y-%m-%d} is a {r['date']:%A}: exchanges do not trade then",
    )
    flag(
        dates > today,
        "future date",
        lambda r: f"{r['date']:%Y-%m-%d} is after today ({today:%Y-%m-%d} in New York)",
    )
    flag(
        _holidays(dates, today),
        "exchange holiday",
        lambda r: f"{r['date']:%Y-%m-%d} is a weekday the New York Stock Exchange was closed",
    )
    for column in PRICE_COLUMNS:
        value = frame[column]
        flag(
            ~np.isfinite(value),
            "non-finite price",
            lambda r, c=column: f"{c} is {_text(r[c])}; prices must be finite numbers",
        )
        flag(
            np.isfinite(value) & (value <= 0),
            "non-positive price",
            lambda r, c=column: f"{c} is {_text(r[c])}; prices must be positive",
        )
    volume = frame["volume"]
    flag(~np.isfinite(volume), "non-finite volume", lambda r: f"volume is {_text(r['volume'])}")
    flag(volume < 0, "negative volume", lambda r: f"volume is {_text(r['volume'])}")
    high, low = frame["high"], frame["low"]
    flag(
        high < low,
        "high below low",
        lambda r: f"high {_text(r['high'])} is below low {_text(r['low'])}",
    )
    for column in ("open", "close"):
        flag(
            (high >= low) & ((frame[column] > high) | (frame[column] < low)),
            f"{column} outside range",
            lambda r, c=column: (
                f"{c} {_text(r[c])} is outside [low {_text(r['low'])}, high {_text(r['high'])}]"
            ),
        )
    keyed = frame["date"].notna()
    duplicated = keyed & frame.duplicated(["symbol", "date"], keep="first")
    if duplicated.any():
        first_line = (
            frame[keyed].drop_duplicates(["symbol", "date"]).set_index(["symbol", "date"])["line"]
        )
        flag(
            duplicated,
            "duplicate row",
            lambda r: f"(date, symbol) already on line {first_line[(r['symbol'], r['date'])]}",
        )
    return bad


def exchange_sessions(start: pd.Timestamp, end: pd.Timestamp) -> pd.DatetimeIndex:
    """The sessions of the New York Stock Exchange from `start` to `end` (exchange_calendars'
    XNYS calendar, which starts in 1885: holidays and closures left out)."""
    import exchange_calendars

    with warnings.catch_warnings():  # exchange_calendars 4.13 under pandas 3: not ours to fix
        warnings.filterwarnings("ignore", "Series.values returning", DeprecationWarning)
        calendar = exchange_calendars.get_calendar("XNYS", start=start, end=end)
    return pd.DatetimeIndex(calendar.sessions)


def _holidays(dates: pd.Series, today: pd.Timestamp) -> pd.Series:
    """Weekdays up to today that are not exchange sessions."""
    weekday = dates.notna() & (dates.dt.day_of_week < 5) & (dates <= today)
    if not weekday.any():
        return weekday
    first = max(dates[weekday].min(), pd.Timestamp("1885-01-01"))
    in_range = weekday & (dates >= first)
    return in_range & ~dates.isin(exchange_sessions(first, today))


def _series_errors(
    frame: pd.DataFrame, bad_rows: pd.Series, rules: DataConfig, report: DataReport
) -> None:
    good = frame[~bad_rows]
    counts = good.groupby("symbol", observed=True).size()
    for symbol in frame["symbol"].unique():
        n = int(counts.get(symbol, 0))
        if n < rules.min_bars:
            report.problems.append(
                DataProblem(
                    "error",
                    "too few bars",
                    str(symbol),
                    "",
                    None,
                    f"{n} usable bar(s), data.min_bars is {rules.min_bars}",
                )
            )
    same = good["symbol"].eq(good["symbol"].shift(1))
    move = np.log(good["close"]).diff().where(same)
    after = move.shift(-1).where(same.shift(-1, fill_value=False))
    spike = (
        (move.abs() > rules.spike_log_return)
        & (np.sign(after) == -np.sign(move))
        & (after.abs() >= rules.spike_reversal * move.abs())
    )
    if spike.any():
        previous_close = good["close"].shift(1)
        next_close = good["close"].shift(-1)
        report.problems.extend(
            _problems(
                good,
                spike,
                "error",
                "bad tick",
                lambda r: (
                    f"close {_text(previous_close[r.name])} -> {_text(r['close'])} -> "
                    f"{_text(next_close[r.name])}: a one-day spike that reverses the next day"
                ),
            )
        )


def _repair(frame: pd.DataFrame, rules: DataConfig, report: DataReport) -> pd.DataFrame:
    frame = frame.copy()
    o, c = frame["open"].to_numpy(copy=True), frame["close"].to_numpy(copy=True)
    h, lo = _suspect_range(frame, rules, report)
    symbol = frame["symbol"].to_numpy()
    same = np.r_[False, symbol[1:] == symbol[:-1]]
    flat = (o == h) & (h == lo) & (lo == c)
    v = _zero_volume(frame, flat, same, report)
    repeated = (
        same
        & np.r_[
            False, (o[1:] == o[:-1]) & (h[1:] == h[:-1]) & (lo[1:] == lo[:-1]) & (c[1:] == c[:-1])
        ]
        & ~flat
    )
    report.problems.extend(
        _problems(
            frame,
            pd.Series(repeated),
            "warning",
            "repeated bar",
            lambda r: "same open, high, low and close as the previous bar",
        )
    )
    frame["open"], frame["high"], frame["low"], frame["close"], frame["volume"] = o, h, lo, c, v
    frame["tradable"] = ~(flat & (v == 0))
    return frame


def _suspect_range(
    frame: pd.DataFrame, rules: DataConfig, report: DataReport
) -> tuple[np.ndarray, np.ndarray]:
    # Highs and lows far outside the bar's body: reported, and clipped to it if so configured.
    o, h, lo, c = (frame[k].to_numpy(copy=True) for k in PRICE_COLUMNS)
    body_top, body_bottom = np.maximum(o, c), np.minimum(o, c)
    high_off = h > body_top * (1 + rules.suspect_range)
    low_off = lo < body_bottom / (1 + rules.suspect_range)
    action = "clipped to the body" if rules.clip_suspect_range else "kept"
    report.problems.extend(
        _problems(
            frame,
            pd.Series(high_off),
            "warning",
            "suspect high",
            lambda r: (
                f"high {_text(r['high'])} vs max(open, close) "
                f"{_text(max(r['open'], r['close']))}: {action}"
            ),
        )
        + _problems(
            frame,
            pd.Series(low_off),
            "warning",
            "suspect low",
            lambda r: (
                f"low {_text(r['low'])} vs min(open, close) "
                f"{_text(min(r['open'], r['close']))}: {action}"
            ),
        )
    )
    if rules.clip_suspect_range:
        h = np.where(high_off, body_top, h)
        lo = np.where(low_off, body_bottom, lo)
    return h, lo


def _zero_volume(
    frame: pd.DataFrame, flat: np.ndarray, same: np.ndarray, report: DataReport
) -> np.ndarray:
    # Flat bars and ranged bars without volume, reported; the volume with a ranged bar's 0
    # replaced by the previous bar's.
    v = frame["volume"].to_numpy(copy=True)
    ranged_zero = (v == 0) & ~flat
    report.problems.extend(
        _problems(
            frame,
            pd.Series(flat),
            "warning",
            "flat bar",
            lambda r: (
                f"open = high = low = close = {_text(r['close'])}, volume "
                f"{_text(r['volume'])}"
                + ("; nothing traded: not tradable" if r["volume"] == 0 else "")
            ),
        )
        + _problems(
            frame,
            pd.Series(ranged_zero),
            "warning",
            "zero volume",
            lambda r: (
                "volume 0 on a bar with a range: the previous bar's volume is used "
                "(a symbol's first bar keeps 0)"
            ),
        )
    )
    # Carry volume forward over ranged zero-volume bars (a run of them carries the last real one).
    carry = pd.Series(np.where(ranged_zero & same, np.nan, v)).ffill().to_numpy()
    return np.where(ranged_zero & same, carry, v)


def _problems(
    frame: pd.DataFrame, mask: pd.Series, severity: Severity, check: str, detail: object
) -> list[DataProblem]:
    rows = frame[mask.to_numpy()]
    describe = detail if callable(detail) else (lambda r: str(detail))
    return [
        DataProblem(
            severity,
            check,
            "" if pd.isna(row["symbol"]) else str(row["symbol"]),
            str(row["date_text"]) if "date_text" in row and not pd.isna(row["date_text"]) else "",
            int(row["line"]) if not pd.isna(row["line"]) else None,
            describe(row),
        )
        for _, row in rows.iterrows()
    ]


def _text(value: object) -> str:
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return "NaN" if isinstance(value, float) and np.isnan(value) else str(value)
