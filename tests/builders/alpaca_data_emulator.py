"""The data emulator's pytest fixtures (the emulator itself is `labkit.alpaca_data`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest

from configs import load_config
from labkit.alpaca_data import KEY, SECRET, EmulatorState, alpaca_emulator, serve_bars
from market.panel import Panel
from market.sources import load_panel

__all__ = ["bundled", "emulator"]


@pytest.fixture(scope="module")
def bundled() -> Panel:
    config = load_config()
    return load_panel(config.data, config.alpaca)[0]


@pytest.fixture
def emulator(
    monkeypatch: pytest.MonkeyPatch, bundled: Panel
) -> Iterator[tuple[str, EmulatorState]]:
    monkeypatch.setenv("APCA_API_KEY_ID", KEY)
    monkeypatch.setenv("APCA_API_SECRET_KEY", SECRET)
    with alpaca_emulator(KEY, SECRET) as (url, state):
        state.page_size = 100  # forces many pages
        serve_bars(state, bundled, through=dt.date(2017, 4, 13))
        yield url, state
