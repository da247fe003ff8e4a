from __future__ import annotations

import pytest

from configs import load_config
from market.panel import Panel
from market.sources import load_panel


@pytest.fixture(scope="session")
def panel() -> Panel:
    """The bundled data, as `live run --broker sim` replays it by default."""
    config = load_config()
    return load_panel(config.data, config.alpaca)[0]
