"""The configuration's sections as frozen, typed dataclasses.

The values and their documentation live in `default.toml`; these classes only say what each key
is and which combinations are allowed (`check` methods, run at load time).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Literal

from configs.errors import ConfigurationError

__all__ = [
    "AlpacaConfig",
    "BacktestConfig",
    "DataConfig",
    "LabConfig",
    "LogConfig",
    "WindowsConfig",
]

DataPolicy = Literal["reject", "drop_symbol"]
AlpacaFeed = Literal["iex", "sip", "delayed_sip"]

# Field metadata: a path written in a user config file is relative to that file's folder.
PATH = {"path": True}


@dataclass(frozen=True)
class DataConfig:
    source: str = field(metadata=PATH)
    policy: DataPolicy
    symbols: tuple[str, ...]
    min_bars: int
    fill_gaps_up_to: int
    spike_log_return: float
    spike_reversal: float
    suspect_range: float
    clip_suspect_range: bool

    def check(self) -> None:
        _require(self.source.strip() != "", "data.source", "must not be empty")
        _require(self.min_bars >= 2, "data.min_bars", f"must be at least 2, got {self.min_bars}")
        _require(
            0 <= self.fill_gaps_up_to <= 10,
            "data.fill_gaps_up_to",
            f"must be between 0 and 10 sessions, got {self.fill_gaps_up_to}",
        )
        _require(
            self.spike_log_return > 0,
            "data.spike_log_return",
            f"must be positive, got {self.spike_log_return}",
        )
        _require(
            0 < self.spike_reversal <= 1,
            "data.spike_reversal",
            f"must be in (0, 1], got {self.spike_reversal}",
        )
        _require(
            self.suspect_range > 0,
            "data.suspect_range",
            f"must be positive, got {self.suspect_range}",
        )
        dupes = sorted({s for s in self.symbols if self.symbols.count(s) > 1})
        _require(not dupes, "data.symbols", f"lists {', '.join(dupes)} more than once")


@dataclass(frozen=True)
class AlpacaConfig:
    symbols: tuple[str, ...]
    start: dt.date
    feed: AlpacaFeed
    timeout_seconds: float
    cache_dir: str = field(metadata=PATH)
    data_url: str

    def check(self) -> None:
        _require(len(self.symbols) > 0, "alpaca.symbols", "must list at least one symbol")
        _require(
            0 < self.timeout_seconds <= 300,
            "alpaca.timeout_seconds",
            f"must be in (0, 300], got {self.timeout_seconds}",
        )
        _require(
            self.data_url == "" or self.data_url.startswith(("http://", "https://")),
            "alpaca.data_url",
            f"must be empty (Alpaca's own) or an http(s) URL, got {self.data_url!r}",
        )


@dataclass(frozen=True)
class WindowsConfig:
    train: tuple[dt.date, dt.date]
    validation: tuple[dt.date, dt.date]
    holdout: tuple[dt.date, dt.date]
    warmup_days: int
    min_days: int

    def ranges(self) -> dict[str, tuple[dt.date, dt.date]]:
        """The three windows by name, in chronological order."""
        return {"train": self.train, "validation": self.validation, "holdout": self.holdout}

    def check(self) -> None:
        _require(self.warmup_days >= 0, "windows.warmup_days", "must not be negative")
        _require(self.min_days >= 2, "windows.min_days", "must be at least 2")
        previous: tuple[str, dt.date] | None = None
        for name, (start, end) in self.ranges().items():
            _require(start <= end, f"windows.{name}", f"starts {start} after it ends {end}")
            if previous is not None:
                _require(
                    start > previous[1],
                    f"windows.{name}",
                    f"starts {start}, which is not after the end of windows.{previous[0]} "
                    f"({previous[1]}); windows must not overlap and must run "
                    "train < validation < holdout",
                )
            previous = (name, end)


@dataclass(frozen=True)
class BacktestConfig:
    initial_cash: float
    settlement_days: int
    max_positions: int
    fractional: bool
    slippage_bps: float
    fee_per_order: float
    fee_per_share: float

    def check(self) -> None:
        _require(self.initial_cash > 0, "backtest.initial_cash", "must be positive")
        _require(
            self.settlement_days in (0, 1, 2),
            "backtest.settlement_days",
            f"must be 0, 1 or 2, got {self.settlement_days}",
        )
        _require(self.max_positions >= 1, "backtest.max_positions", "must be at least 1")
        for key in ("slippage_bps", "fee_per_order", "fee_per_share"):
            value = getattr(self, key)
            _require(value >= 0, f"backtest.{key}", f"must not be negative, got {value}")
        _require(self.slippage_bps < 1000, "backtest.slippage_bps", "must be below 1000 bps")


@dataclass(frozen=True)
class LogConfig:
    dir: str = field(metadata=PATH)
    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"]

    def check(self) -> None:
        _require(self.dir.strip() != "", "log.dir", "must not be empty")


@dataclass(frozen=True)
class LabConfig:
    """The whole effective configuration. `id` is a hash of its canonical form."""

    data: DataConfig
    alpaca: AlpacaConfig
    windows: WindowsConfig
    backtest: BacktestConfig
    log: LogConfig

    def check(self) -> None:
        for section in dataclasses.fields(self):
            getattr(self, section.name).check()

    def to_dict(self) -> dict[str, Any]:
        """Plain, JSON-ready values (dates as ISO strings, tuples as lists)."""
        return _plain(dataclasses.asdict(self))

    @cached_property
    def id(self) -> str:
        """SHA-256 of the canonical JSON form: equal ids mean equal effective configurations."""
        text = json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _require(ok: bool, key: str, problem: str) -> None:
    if not ok:
        raise ConfigurationError(f"{key}: {problem}")
