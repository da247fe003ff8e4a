"""Running a live account from the command line: the lock, signals and progress around the
trader (`live run`)."""

from __future__ import annotations

import logging
import signal
from pathlib import Path
from types import FrameType

from configs.commands import CommandContext
from store import Database, RunLock

__all__ = ["StopFlag", "account_lock", "run_replay"]

log = logging.getLogger(__name__)


class StopFlag:
    """Set by SIGTERM or SIGINT: the current step finishes, is saved, and the run exits 0."""

    def __init__(self) -> None:
        self.signal: str | None = None

    def install(self) -> None:
        for number in (signal.SIGTERM, signal.SIGINT):
            signal.signal(number, self._set)

    def _set(self, number: int, frame: FrameType | None) -> None:
        self.signal = signal.Signals(number).name
        log.warning("%s: finishing the current step, then stopping", self.signal)

    def __call__(self) -> bool:
        return self.signal is not None


def account_lock(lab: CommandContext, account: str) -> RunLock:
    """One `live run` per account: live.lock_file with the account's name in it."""
    path = Path(lab.config.live.lock_file)
    return RunLock(path.with_name(f"{path.stem}-{account}{path.suffix}"), f"live run ({account})")


def run_replay(
    lab: CommandContext, database: Database, days: int | None, resume: bool
) -> list[str]:
    """`live run --broker sim`: replay the last `days` sessions (or resume a replay)."""
    from fitness.market_data import load_panel, offline_source
    from live.sim import run_sim

    config = lab.config
    stop = StopFlag()
    stop.install()
    with account_lock(lab, "sim"):
        source = offline_source(config.data, config.alpaca)
        panel, report = load_panel(config.data, config.alpaca, source=source)

        def progress(done: int, total: int) -> None:
            if done % 50 == 0 or done == total:
                log.info("sim: session %d of %d", done, total)

        result = run_sim(database, config, panel, report.source, days, resume, stop, progress)
    rules = config.backtest
    costs = (
        f"slippage {rules.slippage_bps:g} bps, fees {rules.fee_per_order:g}/order "
        f"{rules.fee_per_share:g}/share, settlement T+{rules.settlement_days}"
    )
    lines = result.lines(costs)
    if stop.signal:
        lines.append(f"stopped by {stop.signal} after the current session (saved)")
    return lines
