"""The night's market data: refresh when possible, fall back when not, never abort for it.

- data.source "alpaca" with keys in the environment: refresh from Alpaca (incremental cache).
- If that fails (service down, bad keys), or there are no keys: the last Alpaca cache if there is
  one, else the bundled data, with a warning that says which.
- Any other source (the bundled data, a file) is read as it is: a bad file is the user's to fix,
  and its error ends the run.
"""

from __future__ import annotations

import datetime as dt
import logging
import os

from configs import LabConfig, ServiceError
from fitness.alpaca_client import DATA_KEYS
from fitness.market_data import load_panel, offline_source
from fitness.panel import Panel
from fitness.problems import DataError, DataReport

__all__ = ["night_panel"]

log = logging.getLogger(__name__)
KEYS = DATA_KEYS


def night_panel(config: LabConfig, now: dt.datetime) -> tuple[Panel, DataReport, str | None]:
    """The panel for tonight, its report, and a warning when it is not the configured source."""
    if config.data.source != "alpaca":
        panel, report = load_panel(config.data, config.alpaca)
        return panel, report, None
    if all(os.environ.get(k) for k in KEYS):
        try:
            panel, report = load_panel(config.data, config.alpaca, now=now)
            return panel, report, None
        except (ServiceError, DataError) as e:
            reason = f"the Alpaca refresh failed ({e})"
    else:
        reason = "no Alpaca keys in the environment (APCA_API_KEY_ID, APCA_API_SECRET_KEY)"
    fallback = offline_source(config.data, config.alpaca)
    used = "the bundled data" if fallback == "bundled" else f"the last Alpaca cache {fallback}"
    warning = f"{reason}: using {used} instead"
    log.warning(warning)
    panel, report = load_panel(config.data, config.alpaca, source=fallback)
    return panel, report, warning
