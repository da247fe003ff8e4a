from __future__ import annotations

import pytest

from configs import load_config
from fitness.market_data import load_panel
from fitness.panel import Panel


@pytest.fixture(scope="session")
def panel() -> Panel:
    """The bundled data, as `live run --broker sim` replays it by default."""
    config = load_config()
    return load_panel(config.data, config.alpaca)[0]
