"""The night's data: Alpaca when it answers, the last cache when it fails."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

from configs import load_config
from evolve.night_data import night_panel
from tests.builders.alpaca_data_emulator import SYMBOLS, EmulatorState, bundled, emulator

__all__ = ["bundled", "emulator"]  # fixtures used below


def test_a_failed_refresh_falls_back_to_the_last_cache(
    emulator: tuple[str, EmulatorState], tmp_path: Path
) -> None:
    url, state = emulator
    base = load_config(None)
    config = dataclasses.replace(
        base,
        data=dataclasses.replace(base.data, source="alpaca"),
        alpaca=dataclasses.replace(
            base.alpaca,
            symbols=SYMBOLS,
            start=dt.date(2016, 1, 4),
            data_url=url,
            cache_dir=str(tmp_path / "cache"),
            timeout_seconds=5.0,
        ),
    )
    now = dt.datetime(2017, 4, 14, 12, tzinfo=dt.UTC)
    panel, report, warning = night_panel(config, now)
    assert warning is None and report.source == "alpaca" and panel.n_symbols == 3
    state.errors.extend([(500, "internal error")] * 10)
    again, _, warning = night_panel(config, now + dt.timedelta(days=3))
    assert warning is not None
    assert "the Alpaca refresh failed" in warning and "using the last Alpaca cache" in warning
    assert again.fingerprint == panel.fingerprint
