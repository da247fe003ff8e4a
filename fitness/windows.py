"""Evaluation windows: train, validation and holdout, each with a warm-up and an id; fixed
dates, or rolling with the data (`windows.scheme`).

A window's id is a hash of the panel content over its range including the warm-up (dates,
symbols, every array), the warm-up length and the account and cost rules. Every stored metric
carries it, so two numbers are only compared when they were measured on the same window.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
from dataclasses import dataclass

import numpy as np

from configs import BacktestConfig, ConfigurationError, WindowsConfig
from market.panel import Panel

__all__ = ["Window", "build_window", "build_windows", "rolling_ranges", "split_train"]


@dataclass(frozen=True)
class Window:
    """A fixed range of the panel. Day indices refer to the full panel.

    Attributes:
        name: "train", "validation" or "holdout".
        warmup_start: first day of the warm-up (lookbacks only; no return is counted there).
        start: first day whose return counts.
        stop: one past the last day.
        id: hash of content, warm-up, account and cost rules.
    """

    name: str
    first: np.datetime64
    last: np.datetime64
    warmup_start: int
    start: int
    stop: int
    id: str

    @property
    def n_days(self) -> int:
        """Sessions whose returns count."""
        return self.stop - self.start

    @property
    def warmup_days(self) -> int:
        """The days before the window's first day that indicators warm up on."""
        return self.start - self.warmup_start

    def panel(self, full: Panel) -> Panel:
        """The data this window may see: warm-up plus window, nothing after its last day."""
        return full.days(self.warmup_start, self.stop)

    def describe(self) -> str:
        """The window as one line: name, first and last day, length and id."""
        return f"{self.name} {self.first}..{self.last} ({self.n_days} days, id {self.id[:12]})"


def build_windows(panel: Panel, windows: WindowsConfig, rules: BacktestConfig) -> dict[str, Window]:
    """The configured windows on `panel`: the fixed dates snapped to its trading days, or the
    rolling windows at its anchor (`rolling_ranges`).

    Raises:
        ConfigurationError: a window outside the data, shorter than `windows.min_days`, or
            without room for `windows.warmup_days` sessions of warm-up before it.
    """
    ranges = windows.ranges() if windows.scheme == "fixed" else rolling_ranges(panel, windows)
    return {
        name: build_window(panel, name, first, last, windows.warmup_days, windows.min_days, rules)
        for name, (first, last) in ranges.items()
    }


def rolling_ranges(panel: Panel, windows: WindowsConfig) -> dict[str, tuple[dt.date, dt.date]]:
    """The rolling windows' dates on `panel`: train, validation and holdout of their configured
    lengths, back to back, the holdout ending at the anchor, the newest session whose index is
    a multiple of `windows.reanchor_sessions` (the data's first session is index 0). The
    sessions after the anchor are in no window until the anchor moves.

    Raises:
        ConfigurationError: the data is too short for the windows and their warm-up.
    """
    dates = panel.dates
    anchor = (len(dates) - 1) // windows.reanchor_sessions * windows.reanchor_sessions
    needed = sum(windows.lengths().values()) + windows.warmup_days
    if anchor + 1 < needed:
        raise ConfigurationError(
            f"windows.scheme: the rolling windows and their warm-up need {needed} sessions up to "
            f"the anchor {dates[anchor]}, the data ({dates[0]}..{dates[-1]}) has {anchor + 1}"
        )
    out = {}
    stop = anchor + 1
    for name, sessions in reversed(windows.lengths().items()):
        out[name] = (dates[stop - sessions].item(), dates[stop - 1].item())
        stop -= sessions
    return dict(reversed(out.items()))


def build_window(
    panel: Panel,
    name: str,
    first: dt.date,
    last: dt.date,
    warmup_days: int,
    min_days: int,
    rules: BacktestConfig,
) -> Window:
    """One window [first, last] on `panel` (see `build_windows`; errors name `windows.<name>`)."""
    dates = panel.dates
    span = f"{dates[0]}..{dates[-1]}"
    key = f"windows.{name}"
    lo, hi = np.datetime64(first, "D"), np.datetime64(last, "D")
    if lo < dates[0] or hi > dates[-1]:
        raise ConfigurationError(f"{key}: {first}..{last} is outside the data ({span})")
    start = int(np.searchsorted(dates, lo, side="left"))
    stop = int(np.searchsorted(dates, hi, side="right"))
    if stop - start < min_days:
        raise ConfigurationError(
            f"{key}: {first}..{last} has {stop - start} sessions, windows.min_days is {min_days}"
        )
    warmup_start = start - warmup_days
    if warmup_start < 0:
        raise ConfigurationError(
            f"{key}: needs {warmup_days} sessions of warm-up before {first}, "
            f"but the data ({span}) has only {start}"
        )
    rules_text = json.dumps(dataclasses.asdict(rules), sort_keys=True)
    digest = hashlib.sha256()
    digest.update(panel.days(warmup_start, stop).fingerprint.encode())
    digest.update(f"|warmup={warmup_days}|rules={rules_text}".encode())
    return Window(
        name, dates[start], dates[stop - 1], warmup_start, start, stop, digest.hexdigest()
    )


def split_train(
    panel: Panel, train: Window, share: float, windows: WindowsConfig, rules: BacktestConfig
) -> dict[str, Window]:
    """`train` cut in two for the selection period: "breeding" (its first sessions: what the
    search optimises) and "selection" (its last `share` of sessions: where the night chooses
    its candidates). Each has its warm-up; the selection's lies in the breeding part and
    train's own warm-up, so neither sees a day after train's last.

    Raises:
        ConfigurationError: either part would be shorter than `windows.min_days`.
    """
    days = train.stop - train.start
    cut = train.start + round(days * (1.0 - share))
    parts = {"breeding": (train.start, cut), "selection": (cut, train.stop)}
    for name, (start, stop) in parts.items():
        if stop - start < windows.min_days:
            raise ConfigurationError(
                f"evolve.selection_share: {share:g} of train's {days} sessions leaves the "
                f"{name} part {stop - start} sessions, windows.min_days is {windows.min_days}"
            )
    dates = panel.dates
    return {
        name: build_window(
            panel,
            name,
            dates[start].item(),
            dates[stop - 1].item(),
            windows.warmup_days,
            windows.min_days,
            rules,
        )
        for name, (start, stop) in parts.items()
    }
