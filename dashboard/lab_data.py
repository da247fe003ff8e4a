"""The market data the dashboard's charts and decay watch are measured on: the configured data
(for Alpaca, its last cache; no network), read on first need and again when its file changes."""

from __future__ import annotations

import datetime as dt
import threading
from pathlib import Path

from configs import LabConfig
from fitness.windows import Window
from market.panel import Panel
from market.sources import BUNDLED_BARS, offline_source
from promotion.review import review_data

__all__ = ["LabData"]


class LabData:
    """The lab's panel and windows, loaded once and again only when the data file changes."""

    def __init__(self, config: LabConfig) -> None:
        self.config = config
        self._lock = threading.Lock()
        self._stamp: tuple[str, float] | None = None
        self._loaded: tuple[Panel, dict[str, Window]] | None = None

    def get(self) -> tuple[Panel, dict[str, Window]]:
        """The panel and its windows (train, validation, holdout).

        Raises:
            DataError, ConfigurationError: the data cannot be read or does not fit the windows.
        """
        with self._lock:
            stamp = self._file_stamp()
            if self._loaded is None or stamp != self._stamp:
                panel, _, windows = review_data(self.config, dt.datetime.now(dt.UTC))
                self._loaded, self._stamp = (panel, windows), stamp
            return self._loaded

    def _file_stamp(self) -> tuple[str, float]:
        source = offline_source(self.config.data, self.config.alpaca)
        path = BUNDLED_BARS if source == "bundled" else Path(source)
        try:
            return source, path.stat().st_mtime
        except OSError:
            return source, 0.0
