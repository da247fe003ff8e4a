"""The lab's panel (market.lab_panel): the night reads Alpaca when it answers, the last cache
when it fails; offline reads never touch the network; live trading gets the failure."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import pytest

from configs import ServiceError, load_config
from labkit.alpaca_data import SYMBOLS, EmulatorState
from market.lab_panel import lab_panel
from tests.builders.alpaca_data_emulator import bundled, emulator

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
    first = lab_panel(config, now, "night")
    assert first.warning is None and first.report.source == "alpaca"
    assert first.panel.n_symbols == 3
    state.errors.extend([(500, "internal error")] * 10)
    later = now + dt.timedelta(days=3)
    again = lab_panel(config, later, "night")
    warning = again.warning
    assert warning is not None
    assert "the Alpaca refresh failed" in warning and "using the last Alpaca cache" in warning
    assert again.panel.fingerprint == first.panel.fingerprint
    # Offline: the same cache, and nothing asked of the service; live: the failure is raised.
    asked = len(state.requests)
    offline = lab_panel(config, later, "offline")
    assert offline.warning is None and offline.panel.fingerprint == first.panel.fingerprint
    assert len(state.requests) == asked
    state.errors.extend([(500, "internal error")] * 10)
    with pytest.raises(ServiceError):
        lab_panel(config, later, "live")
