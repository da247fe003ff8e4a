"""Loading market data: the bundled subset, its quirks, the full dataset, and bad files."""

from __future__ import annotations

import bz2
import dataclasses
import gzip
import lzma
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from configs import load_config
from market.panel import Panel
from market.problems import DataError, DataReport
from market.sources import BUNDLED_BARS, load_panel
from tests.builders.calendar import sessions

CONFIG = load_config()
FULL_DATA = Path(__file__).resolve().parents[3] / "shared" / "data" / "daily_bars.csv.gz"


@pytest.fixture(scope="module")
def bundled() -> tuple[Panel, DataReport]:
    return load_panel(CONFIG.data, CONFIG.alpaca)


def cell(panel: Panel, field: str, symbol: str, date: str) -> float:
    t = int(np.searchsorted(panel.dates, np.datetime64(date)))
    assert panel.dates[t] == np.datetime64(date)
    return float(getattr(panel, field)[t, panel.symbols.index(symbol)])


def test_bundled_data_loads_with_no_arguments(bundled: tuple[Panel, DataReport]) -> None:
    panel, report = bundled
    assert BUNDLED_BARS.stat().st_size < 3_000_000
    assert panel.n_symbols == 60 and report.rows == 213_391
    assert str(panel.dates[0]) == "2000-01-03" and str(panel.dates[-1]) == "2017-04-13"
    assert {"SPY", "XLF", "AAPL", "T"} <= set(panel.symbols)
    assert report.errors == []
    assert panel.fingerprint == load_panel(CONFIG.data, CONFIG.alpaca)[0].fingerprint


def test_bad_high_is_clipped_and_reported(bundled: tuple[Panel, DataReport]) -> None:
    panel, report = bundled
    # XLF 2011-06-16: open 10.657, high 52.667, low 10.607, close 10.727.
    assert cell(panel, "high", "XLF", "2011-06-16") == 10.727
    assert cell(panel, "low", "XLF", "2011-06-16") == 10.607  # a normal low is kept
    found = [p for p in report.warnings if (p.symbol, p.date) == ("XLF", "2011-06-16")]
    assert [p.check for p in found] == ["suspect high"] and "52.667" in found[0].detail


def test_bad_high_is_kept_when_clipping_is_off() -> None:
    data = dataclasses.replace(CONFIG.data, clip_suspect_range=False, symbols=("XLF",))
    panel, report = load_panel(data, CONFIG.alpaca)
    assert cell(panel, "high", "XLF", "2011-06-16") == 52.667
    assert any("kept" in p.detail for p in report.warnings if p.check == "suspect high")


def test_zero_volume_day_carries_the_previous_volume(bundled: tuple[Panel, DataReport]) -> None:
    panel, report = bundled
    # 2010-04-26: volume 0 for every stock but T, prices normal.
    assert cell(panel, "volume", "AAPL", "2010-04-26") == cell(
        panel, "volume", "AAPL", "2010-04-23"
    )
    assert cell(panel, "tradable", "AAPL", "2010-04-26") == 1.0
    assert cell(panel, "volume", "T", "2010-04-26") > 0
    zero = {
        p.symbol for p in report.warnings if p.check == "zero volume" and p.date == "2010-04-26"
    }
    assert len(zero) == 23 and "T" not in zero and "AAPL" in zero


def test_missing_etf_session_is_filled_flat_and_not_tradable(
    bundled: tuple[Panel, DataReport],
) -> None:
    panel, report = bundled
    # 2011-02-17 is missing for every ETF but QQQ.
    prior = cell(panel, "close", "SPY", "2011-02-16")
    for field in ("open", "high", "low", "close"):
        assert cell(panel, field, "SPY", "2011-02-17") == prior
    assert cell(panel, "tradable", "SPY", "2011-02-17") == 0.0
    assert cell(panel, "tradable", "QQQ", "2011-02-17") == 1.0
    missing = {
        p.symbol
        for p in report.warnings
        if p.check == "missing sessions" and p.date == "2011-02-17"
    }
    assert len(missing) == 35 and "QQQ" not in missing


def test_flat_bar_with_volume_stays_tradable(bundled: tuple[Panel, DataReport]) -> None:
    panel, report = bundled
    assert cell(panel, "tradable", "GE", "2017-02-24") == 1.0
    assert any(p.check == "flat bar" and p.symbol == "GE" for p in report.warnings)


@pytest.mark.skipif(not FULL_DATA.exists(), reason="the shared full dataset is not present")
def test_full_dataset_matches_its_documented_quirks() -> None:
    panel, report = load_panel(CONFIG.data, CONFIG.alpaca, source=str(FULL_DATA))
    assert (panel.n_days, panel.n_symbols, report.rows) == (4348, 200, 785_068)
    assert report.errors == []

    def count(check: str) -> int:
        return sum(p.check == check for p in report.warnings)

    # The numbers of shared/data/README.md.
    assert count("zero volume") == 136 and count("flat bar") == 25 and count("repeated bar") == 11
    assert len({(p.symbol, p.date) for p in report.warnings if p.check.startswith("suspect")}) == 48
    gaps = [p for p in report.warnings if p.check == "missing sessions"]
    assert sum(int(p.detail.split()[0]) for p in gaps) == 246
    assert len({p.symbol for p in gaps}) == 144
    # GIS 2016-01-19: flat with zero volume, nothing traded.
    assert cell(panel, "tradable", "GIS", "2016-01-19") == 0.0


# --- files ---------------------------------------------------------------------------------

HEADER = "date,symbol,open,high,low,close,volume\n"


def bars_csv(tmp_path: Path, rows: list[str], name: str = "bars.csv", n_good: int = 5) -> Path:
    """A CSV with `n_good` clean bars of GOOD followed by `rows`."""
    days = sessions("2019-12-31", n_good)
    good = [f"{d:%Y-%m-%d},GOOD,10,11,9,10,100" for d in days]
    path = tmp_path / name
    path.write_text(HEADER + "\n".join(good + rows) + "\n")
    return path


def load(path: Path, **overrides: object) -> tuple[Panel, DataReport]:
    fields: dict[str, object] = {"min_bars": 2, **overrides}
    data = dataclasses.replace(CONFIG.data, **fields)  # type: ignore[arg-type]
    return load_panel(data, CONFIG.alpaca, source=str(path))


BAD_ROWS = [
    # (rows after 5 good GOOD bars, check, the line, symbol and date named, words of the detail)
    (
        ["2019-12-31,BAD,10,11,9,10,1", "2020-01-02,BAD,-3,11,-4,10,1"],
        "non-positive price",
        8,
        "BAD 2020-01-02",
        "open is -3",
    ),
    (
        ["2019-12-31,BAD,10,11,9,10,1", "2020-01-02,BAD,,11,9,10,1"],
        "non-finite price",
        8,
        "BAD 2020-01-02",
        "open is NaN",
    ),
    (
        ["2019-12-31,BAD,10,11,9,10,1", "2020-01-02,BAD,10,11,9,abc,1"],
        "non-finite price",
        8,
        "BAD 2020-01-02",
        "close is NaN",
    ),
    (
        ["2019-12-31,BAD,10,11,9,10,1", "2020-01-02,BAD,10,8,9,10,1"],
        "high below low",
        8,
        "BAD 2020-01-02",
        "high 8 is below low 9",
    ),
    (
        ["2019-12-31,BAD,10,11,9,10,1", "2020-01-02,BAD,12,11,9,10,1"],
        "open outside range",
        8,
        "BAD 2020-01-02",
        "open 12 is outside",
    ),
    (
        ["2019-12-31,BAD,10,11,9,10,1", "2020-01-02,BAD,10,11,9,8.5,1"],
        "close outside range",
        8,
        "BAD 2020-01-02",
        "close 8.5 is outside",
    ),
    (
        ["2019-12-31,BAD,10,11,9,10,1", "2020-01-02,BAD,10,11,9,10,-1"],
        "negative volume",
        8,
        "BAD 2020-01-02",
        "volume is -1",
    ),
    (
        ["2019-12-31,BAD,10,11,9,10,1", "2019-12-31,BAD,10,11,9,10,2"],
        "duplicate row",
        8,
        "BAD 2019-12-31",
        "already on line 7",
    ),
    (
        ["2019-12-31,BAD,10,11,9,10,1", "2020-01-02,BAD,10,11,9,-5,1"],
        "non-positive price",
        8,
        "BAD 2020-01-02",
        "close is -5",
    ),
    (
        ["2019-12-31,BAD,10,11,9,10,1", "2020-01-04,BAD,10,11,9,10,1"],
        "weekend date",
        8,
        "BAD 2020-01-04",
        "2020-01-04 is a Saturday",
    ),
    (
        ["2019-12-31,BAD,10,11,9,10,1", "2020-01-01,BAD,10,11,9,10,1"],
        "exchange holiday",
        8,
        "BAD 2020-01-01",
        "2020-01-01 is a weekday the New York Stock Exchange was closed",
    ),
    (
        ["2019-12-31,BAD,10,11,9,10,1", "2031-01-02,BAD,10,11,9,10,1"],
        "future date",
        8,
        "BAD 2031-01-02",
        "is after today",
    ),
    (
        ["2019-12-31,BAD,10,11,9,10,1", "2020/01/02,BAD,10,11,9,10,1"],
        "unparseable date",
        8,
        "BAD 2020/01/02",
        "YYYY-MM-DD",
    ),
    (
        [
            "2019-12-31,BAD,10,11,9,10,1",
            "2020-01-02,BAD,30,31,29,30,1",
            "2020-01-03,BAD,10,11,9,10,1",
        ],
        "bad tick",
        8,
        "BAD 2020-01-02",
        "close 10 -> 30 -> 10",
    ),
]


@pytest.mark.parametrize(
    ("rows", "check", "line", "where", "detail"),
    BAD_ROWS,
    ids=[r[1] + str(i) for i, r in enumerate(BAD_ROWS)],
)
def test_bad_rows_are_named_by_file_line_symbol_and_date(
    tmp_path: Path, rows: list[str], check: str, line: int, where: str, detail: str
) -> None:
    path = bars_csv(tmp_path, rows)
    with pytest.raises(DataError) as info:
        load(path)
    message = str(info.value)
    assert f"{path}:{line}: {where}: {check}: " in message
    assert detail in message
    assert "data.policy = 'reject'" in message


def test_drop_symbol_policy_leaves_the_symbol_out_and_reports_it(tmp_path: Path) -> None:
    path = bars_csv(tmp_path, ["2019-12-31,BAD,10,11,9,10,1", "2020-01-02,BAD,10,8,9,10,1"])
    panel, report = load(path, policy="drop_symbol")
    assert panel.symbols == ("GOOD",)
    assert report.dropped == {"BAD": "2 error(s)"}
    # Its bad row does not count as a usable bar: one is left, data.min_bars is 2.
    assert [p.check for p in report.errors] == ["high below low", "too few bars"]


def test_too_few_bars_is_a_symbol_error(tmp_path: Path) -> None:
    path = bars_csv(tmp_path, ["2019-12-31,BAD,10,11,9,10,1"])
    with pytest.raises(
        DataError, match=r"BAD : too few bars: 1 usable bar\(s\), data.min_bars is 2"
    ):
        load(path)


def test_unsorted_input_rejects_the_file_whatever_the_policy(tmp_path: Path) -> None:
    path = bars_csv(tmp_path, ["2020-01-03,LATE,10,11,9,10,1", "2020-01-02,LATE,10,11,9,10,1"])
    with pytest.raises(DataError, match=r"bars.csv:8: LATE 2020-01-02: unsorted input") as info:
        load(path, policy="drop_symbol")
    assert "the file as a whole is unusable" in str(info.value)
    assert "data.policy" not in str(info.value)


def test_a_row_without_symbol_rejects_the_file(tmp_path: Path) -> None:
    path = bars_csv(tmp_path, ["2020-01-06,,10,11,9,10,1"])
    with pytest.raises(DataError, match=r"bars.csv:7:  2020-01-06: no symbol: the symbol cell"):
        load(path, policy="drop_symbol")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("date,symbol,open,high,low,close\n2019-12-31,A,1,1,1,1\n", r"missing column\(s\) volume"),
        (HEADER, "no data rows"),
        (HEADER + "2019-12-31,A,1,1,1,1,1,9\n", "cannot be read as bars"),
    ],
)
def test_unreadable_files_say_why(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "x.csv"
    path.write_text(text)
    with pytest.raises(DataError, match=message):
        load(path)


@pytest.mark.parametrize(
    ("suffix", "compress"),
    [(".csv.gz", gzip.compress), (".csv.xz", lzma.compress), (".csv.bz2", bz2.compress)],
)
def test_a_truncated_compressed_file_is_a_data_error(
    tmp_path: Path, suffix: str, compress: Callable[[bytes], bytes]
) -> None:
    rows = [f"{d:%Y-%m-%d},A,10,11,9,10,100" for d in sessions("2019-12-31", 500)]
    whole = compress((HEADER + "\n".join(rows) + "\n").encode())
    cut = tmp_path / f"cut{suffix}"
    cut.write_bytes(whole[: len(whole) // 2])
    with pytest.raises(DataError, match=f"cut{suffix}: cannot be read as bars"):
        load(cut)


def test_missing_file_is_a_data_error(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="does not exist"):
        load(tmp_path / "nope.csv")


def test_adj_close_adjusts_prices_and_volume_and_says_so(tmp_path: Path) -> None:
    path = tmp_path / "adj.csv"
    path.write_text(
        "date,symbol,open,high,low,close,volume,adj_close\n"
        "2019-12-31,A,10,12,8,10,100,5\n"  # factor 0.5
        "2020-01-02,A,20,20,20,20,100,20\n"  # factor 1
    )
    panel, report = load(path)
    assert panel.close[:, 0].tolist() == [5.0, 20.0]
    assert panel.high[:, 0].tolist() == [6.0, 20.0]
    assert panel.volume[:, 0].tolist() == [200.0, 100.0]
    assert any("adjusted open/high/low/close by adj_close / close" in n for n in report.notes)


def test_parquet_files_load_like_csv(tmp_path: Path) -> None:
    csv_path = bars_csv(tmp_path, ["2019-12-31,B,5,6,4,5,10", "2020-01-03,B,5,6,4,5,10"])
    frame = pd.read_csv(csv_path)
    frame["date"] = pd.to_datetime(frame["date"])
    frame.to_parquet(tmp_path / "bars.parquet")
    from_csv, _ = load(csv_path)
    from_parquet, _ = load(tmp_path / "bars.parquet")
    assert from_csv.fingerprint == from_parquet.fingerprint


def test_long_gaps_stay_missing_and_short_ones_are_filled(tmp_path: Path) -> None:
    # B trades on days 1 and 5 only: a 3-session gap (days 2-4).
    path = bars_csv(tmp_path, ["2019-12-31,B,5,6,4,5,10", "2020-01-07,B,5,6,4,5,10"])
    filled, report = load(path, fill_gaps_up_to=3)
    b = filled.symbols.index("B")
    assert filled.close[:, b].tolist() == [5.0] * 5
    assert filled.tradable[:, b].tolist() == [True, False, False, False, True]
    kept, report = load(path, fill_gaps_up_to=2)
    assert np.isnan(kept.close[1:4, b]).all()
    assert (
        "left missing" in next(p for p in report.warnings if p.check == "missing sessions").detail
    )


def test_symbols_setting_selects_and_checks_names(tmp_path: Path) -> None:
    path = bars_csv(tmp_path, ["2019-12-31,B,5,6,4,5,10", "2020-01-02,B,5,6,4,5,10"])
    panel, _ = load(path, symbols=("B",))
    assert panel.symbols == ("B",)
    with pytest.raises(DataError, match=r"data\.symbols lists NOPE, not in the data"):
        load(path, symbols=("NOPE",))


def test_a_file_sorted_by_date_is_checked_row_for_row(tmp_path: Path) -> None:
    # Rows interleave A and B (sorted by date, then symbol). B's first bar is bad; A is clean.
    path = tmp_path / "by_date.csv"
    rows = []
    for d, day in enumerate(sessions("2019-12-31", 5), start=1):
        rows.append(f"{day:%Y-%m-%d},A,10,11,9,{10 + d / 10},100")
        rows.append(f"{day:%Y-%m-%d},B,10,{8 if d == 1 else 11},9,10,100")
    path.write_text(HEADER + "\n".join(rows) + "\n")
    panel, report = load(path, policy="drop_symbol", min_bars=5)
    assert panel.symbols == ("A",)
    assert report.dropped == {"B": "2 error(s)"}
    assert [(p.symbol, p.line, p.check) for p in report.errors] == [
        ("B", 3, "high below low"),
        ("B", None, "too few bars"),
    ]


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_a_file_with_too_many_bars_is_refused_before_parsing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, suffix: str
) -> None:
    import market.bars

    monkeypatch.setattr(market.bars, "MAX_ROWS", 10)
    path = bars_csv(tmp_path, [], n_good=10)
    if suffix == ".parquet":
        frame = pd.read_csv(path)
        path = tmp_path / "bars.parquet"
        frame.to_parquet(path)
    assert load(path) is not None  # 10 bars: at the limit
    more = bars_csv(tmp_path, [], name=f"more{suffix}", n_good=11)
    if suffix == ".parquet":
        pd.read_csv(more).to_parquet(more)
    with pytest.raises(DataError, match=rf"{more}: more than 10 bars; split the file"):
        load(more)


def test_a_huge_cell_is_refused_before_parsing_with_a_short_message(tmp_path: Path) -> None:
    path = bars_csv(tmp_path, [f"2020-01-08,BAD,10,11,9,10,{'9' * 5_000_000}"])
    with pytest.raises(DataError) as info:
        load(path)
    message = str(info.value)
    assert f"{path}:7: a line longer than 1000 characters" in message
    assert len(message) < 300
