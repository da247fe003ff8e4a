"""Alpaca daily bars through the real alpaca-py client, against the local emulator."""

from __future__ import annotations

import dataclasses
import datetime as dt
import time
from pathlib import Path

import pytest

from configs import ConfigurationError, ServiceError, load_config
from labkit.alpaca_data import KEY, SECRET, SYMBOLS, EmulatorState, serve_bars
from market.alpaca_bars import exchange_date, last_complete_session
from market.panel import Panel
from market.problems import DataError, DataReport
from market.sources import load_panel
from tests.builders.alpaca_data_emulator import bundled, emulator

__all__ = ["bundled", "emulator"]  # fixtures used below

CONFIG = load_config()
UTC = dt.UTC


def fetch(url: str, tmp_path: Path, now: dt.datetime, **alpaca: object) -> tuple[Panel, DataReport]:
    fields: dict[str, object] = {
        "symbols": SYMBOLS,
        "start": dt.date(2016, 1, 4),
        "data_url": url,
        "cache_dir": str(tmp_path / "cache"),
        "timeout_seconds": 5.0,
        **alpaca,
    }
    settings = dataclasses.replace(CONFIG.alpaca, **fields)  # type: ignore[arg-type]
    return load_panel(dataclasses.replace(CONFIG.data, source="alpaca"), settings, now=now)


def closes(panel: Panel, symbol: str) -> dict[str, float]:
    j = panel.symbols.index(symbol)
    return {
        str(d): float(c)
        for d, c, ok in zip(panel.dates, panel.close[:, j], panel.tradable[:, j], strict=True)
        if ok
    }


def test_daily_bar_timestamps_map_to_new_york_dates() -> None:
    # Midnight New York in winter and summer.
    assert exchange_date(dt.datetime(2024, 1, 3, 5, tzinfo=UTC)) == dt.date(2024, 1, 3)
    assert exchange_date(dt.datetime(2024, 7, 3, 4, tzinfo=UTC)) == dt.date(2024, 7, 3)
    # 03:00 UTC on the 4th is 22:00 on the 3rd in New York: the UTC date would be wrong.
    assert exchange_date(dt.datetime(2024, 1, 4, 3, tzinfo=UTC)) == dt.date(2024, 1, 3)


def test_a_session_is_complete_after_eight_pm_in_new_york() -> None:
    assert last_complete_session(dt.datetime(2024, 1, 4, 1, 30, tzinfo=UTC)) == dt.date(2024, 1, 3)
    assert last_complete_session(dt.datetime(2024, 1, 4, 0, 30, tzinfo=UTC)) == dt.date(2024, 1, 2)
    assert last_complete_session(dt.datetime(2024, 1, 3, 23, 0, tzinfo=UTC)) == dt.date(2024, 1, 2)


def test_first_load_reads_every_page_and_matches_the_source(
    emulator: tuple[str, EmulatorState], tmp_path: Path, bundled: Panel
) -> None:
    url, state = emulator
    panel, report = fetch(url, tmp_path, now=dt.datetime(2017, 4, 14, 1, tzinfo=UTC))
    assert panel.symbols == SYMBOLS
    assert str(panel.dates[0]) == "2016-01-04" and str(panel.dates[-1]) == "2017-04-13"
    for symbol in SYMBOLS:
        expected = {d: c for d, c in closes(bundled, symbol).items() if d >= "2016-01-04"}
        assert closes(panel, symbol) == expected
    bars_requests = [r for r in state.requests if r.path == "/v2/stocks/bars"]
    assert len(bars_requests) > 5 and "page_token" in bars_requests[-1].params
    first = bars_requests[0].params
    assert (first["adjustment"], first["timeframe"], first["feed"]) == ("all", "1Day", "iex")
    assert first["start"] == "2016-01-04T05:00:00+00:00"  # midnight New York
    assert any("Alpaca iex daily bars (adjustment 'all')" in n for n in report.notes)
    assert (tmp_path / "cache" / "alpaca-bars-iex.parquet").exists()


def test_refresh_is_incremental(
    emulator: tuple[str, EmulatorState], tmp_path: Path, bundled: Panel
) -> None:
    url, state = emulator
    serve_bars(state, bundled, through=dt.date(2017, 3, 31))
    first, _ = fetch(url, tmp_path, now=dt.datetime(2017, 4, 1, 1, tzinfo=UTC))
    assert str(first.dates[-1]) == "2017-03-31"
    serve_bars(state, bundled, through=dt.date(2017, 4, 13))
    state.requests.clear()
    second, report = fetch(url, tmp_path, now=dt.datetime(2017, 4, 14, 1, tzinfo=UTC))
    assert str(second.dates[-1]) == "2017-04-13"
    assert second.close[: first.n_days].tolist() == first.close.tolist()
    starts = {r.params["start"][:10] for r in state.requests}
    assert starts == {"2017-03-21"}  # ten days before the last cached bar, nothing older
    assert not any("re-adjusted" in n for n in report.notes)


def test_a_readjusted_history_is_fetched_again_and_reported(
    emulator: tuple[str, EmulatorState], tmp_path: Path, bundled: Panel
) -> None:
    url, state = emulator
    serve_bars(state, bundled, through=dt.date(2017, 3, 31))
    fetch(url, tmp_path, now=dt.datetime(2017, 4, 1, 1, tzinfo=UTC))
    serve_bars(state, bundled, through=dt.date(2017, 4, 13))
    spy = state.bars["SPY"]
    state.bars["SPY"] = {
        d: (o * 0.98, h * 0.98, lo * 0.98, c * 0.98, v) for d, (o, h, lo, c, v) in spy.items()
    }  # a dividend: history moves
    panel, report = fetch(url, tmp_path, now=dt.datetime(2017, 4, 14, 1, tzinfo=UTC))
    assert any(n.startswith("SPY: Alpaca re-adjusted its history") for n in report.notes)
    spy_closes = closes(panel, "SPY")
    assert spy_closes["2016-01-04"] == pytest.approx(spy[dt.date(2016, 1, 4)][3] * 0.98)
    assert closes(panel, "AAPL")["2016-01-04"] == state.bars["AAPL"][dt.date(2016, 1, 4)][3]


def test_an_unfinished_session_is_left_out(
    emulator: tuple[str, EmulatorState], tmp_path: Path
) -> None:
    url, _ = emulator
    # 18:00 in New York on 2017-04-13: that day's bar is not final yet.
    panel, _ = fetch(url, tmp_path, now=dt.datetime(2017, 4, 13, 22, tzinfo=UTC))
    assert str(panel.dates[-1]) == "2017-04-12"


def test_missing_keys_name_the_environment_variables(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("APCA_API_KEY_ID", raising=False)
    monkeypatch.delenv("APCA_API_SECRET_KEY", raising=False)
    with pytest.raises(ConfigurationError, match="needs APCA_API_KEY_ID and APCA_API_SECRET_KEY"):
        fetch("http://127.0.0.1:9", tmp_path, now=dt.datetime(2017, 4, 14, tzinfo=UTC))


def test_refused_keys_are_a_configuration_error_without_the_secret(
    emulator: tuple[str, EmulatorState], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url, _ = emulator
    monkeypatch.setenv("APCA_API_SECRET_KEY", SECRET + "x")
    with pytest.raises(
        ConfigurationError, match=r"Alpaca refused the bars request \(HTTP 403\)"
    ) as info:
        fetch(url, tmp_path, now=dt.datetime(2017, 4, 14, 1, tzinfo=UTC))
    assert SECRET not in str(info.value) and KEY not in str(info.value)


def test_a_server_error_leaves_the_cache_intact(
    emulator: tuple[str, EmulatorState], tmp_path: Path
) -> None:
    url, state = emulator
    fetch(url, tmp_path, now=dt.datetime(2017, 4, 14, 1, tzinfo=UTC))
    cache = tmp_path / "cache" / "alpaca-bars-iex.parquet"
    before = cache.read_bytes()
    state.errors.append((500, "internal error"))  # not JSON, like a proxy's page
    with pytest.raises(ServiceError, match=r"HTTP 500\): internal error"):
        fetch(url, tmp_path, now=dt.datetime(2017, 4, 15, 1, tzinfo=UTC))
    assert cache.read_bytes() == before


def test_an_error_page_that_echoes_the_keys_never_shows_them(
    emulator: tuple[str, EmulatorState], tmp_path: Path
) -> None:
    url, state = emulator
    state.errors.append((500, f"bad gateway; request APCA-API-KEY-ID: {KEY} {SECRET}"))
    with pytest.raises(ServiceError, match=r"HTTP 500\): bad gateway; request") as info:
        fetch(url, tmp_path, now=dt.datetime(2017, 4, 14, 1, tzinfo=UTC))
    assert SECRET not in str(info.value) and KEY not in str(info.value)
    assert "APCA-API-KEY-ID: *** ***" in str(info.value)


def test_a_silent_server_times_out(emulator: tuple[str, EmulatorState], tmp_path: Path) -> None:
    url, state = emulator
    state.hanging = True
    began = time.monotonic()
    with pytest.raises(ServiceError, match=r"ReadTimeout; timeout 1 s") as info:
        fetch(url, tmp_path, now=dt.datetime(2017, 4, 14, 1, tzinfo=UTC), timeout_seconds=1.0)
    assert time.monotonic() - began < 10
    assert SECRET not in str(info.value)


def test_a_symbol_without_bars_is_a_symbol_error(
    emulator: tuple[str, EmulatorState], tmp_path: Path
) -> None:
    url, _ = emulator
    settings = {"symbols": (*SYMBOLS, "NOPE")}
    with pytest.raises(DataError, match="NOPE : no bars: Alpaca returned no daily bars"):
        fetch(url, tmp_path, now=dt.datetime(2017, 4, 14, 1, tzinfo=UTC), **settings)
