"""The lab's market data: the one way the night, the review, the page and live trading read the
configured source, each at the moment it is given (one clock for the whole load).

Modes:

- "night": data.source "alpaca" with keys in the environment is refreshed from Alpaca
  (incremental cache); if that fails (service down, bad keys) or there are no keys, the last
  Alpaca cache is read, else the bundled data, with a warning that says which. A file or the
  bundled data is read as it is: a bad file is the user's to fix, and its error ends the run.
- "offline": no network, ever: for "alpaca" its last cache (the bundled data when there is
  none yet); any other source as it is. What the review, the page, `live status` and the replay
  read.
- "live": the configured source refreshed now, no fallback: a real account is never traded on
  data older than the session it trades.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
from dataclasses import dataclass
from typing import Literal

from configs import LabConfig, ServiceError
from configs.credentials import DATA_KEYS
from market.panel import Panel
from market.problems import DataError, DataReport
from market.sources import load_panel, offline_source

__all__ = ["LabPanel", "Mode", "lab_panel"]

log = logging.getLogger(__name__)

Mode = Literal["night", "offline", "live"]


@dataclass(frozen=True)
class LabPanel:
    """The panel read, its data report, and why it is not the configured source (None when
    it is)."""

    panel: Panel
    report: DataReport
    warning: str | None = None


def lab_panel(config: LabConfig, now: dt.datetime, mode: Mode) -> LabPanel:
    """The lab's panel at `now` (aware) in `mode` (see the module docstring).

    Raises:
        DataError: the data cannot be read or its policy rejects it (in "night" mode, only a
            source other than Alpaca, whose failure falls back instead).
        ServiceError, ConfigurationError: "live" mode, Alpaca cannot be read.
    """
    data, alpaca = config.data, config.alpaca
    if mode == "offline":
        return LabPanel(*load_panel(data, alpaca, offline_source(data, alpaca), now))
    if mode == "live" or data.source != "alpaca":
        return LabPanel(*load_panel(data, alpaca, now=now))
    if all(os.environ.get(k) for k in DATA_KEYS):
        try:
            return LabPanel(*load_panel(data, alpaca, now=now))
        except (ServiceError, DataError) as e:
            reason = f"the Alpaca refresh failed ({e})"
    else:
        reason = f"no Alpaca keys in the environment ({', '.join(DATA_KEYS)})"
    fallback = offline_source(data, alpaca)
    used = "the bundled data" if fallback == "bundled" else f"the last Alpaca cache {fallback}"
    warning = f"{reason}: using {used} instead"
    log.warning(warning)
    return LabPanel(*load_panel(data, alpaca, fallback, now), warning)
