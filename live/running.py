"""Running a live account from the command line: the lock, signals and progress around the
trader (`live run`)."""

from __future__ import annotations

import datetime as dt
import logging
import signal
import time
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING

from configs.commands import CommandContext
from market.panel import Panel
from store import Database, RunLock

if TYPE_CHECKING:
    from live.trader import CycleReport

__all__ = ["StopFlag", "account_lock", "run_alpaca", "run_replay"]

log = logging.getLogger(__name__)


class StopFlag:
    """Set by SIGTERM or SIGINT: the current step finishes, is saved, and the run exits 0."""

    def __init__(self) -> None:
        self.signal: str | None = None

    def install(self) -> None:
        """Set the flag on SIGTERM and SIGINT."""
        for number in (signal.SIGTERM, signal.SIGINT):
            signal.signal(number, self._set)

    def _set(self, number: int, frame: FrameType | None) -> None:
        self.signal = signal.Signals(number).name
        log.warning("%s: finishing the current step, then stopping", self.signal)

    def __call__(self) -> bool:
        """Whether a stop was asked for."""
        return self.signal is not None


def account_lock(lab: CommandContext, account: str) -> RunLock:
    """One `live run` per account: live.lock_file with the account's name in it."""
    path = Path(lab.config.live.lock_file)
    return RunLock(path.with_name(f"{path.stem}-{account}{path.suffix}"), f"live run ({account})")


def run_replay(
    lab: CommandContext, database: Database, days: int | None, resume: bool
) -> list[str]:
    """`live run --broker sim`: replay the last `days` sessions (or resume a replay)."""
    from live.sim import run_sim
    from market.lab_panel import lab_panel

    config = lab.config
    stop = StopFlag()
    stop.install()
    with account_lock(lab, "sim"):
        found = lab_panel(config, dt.datetime.now(dt.UTC), "offline")
        panel, report = found.panel, found.report

        def progress(done: int, total: int) -> None:
            if done % 50 == 0 or done == total:
                log.info("sim: session %d of %d", done, total)

        result = run_sim(database, config, panel, report.source, days, resume, stop, progress)
    lines = result.lines(config.backtest.costs_text())
    if stop.signal:
        lines.append(f"stopped by {stop.signal} after the current session (saved)")
    return lines


def run_alpaca(lab: CommandContext, database: Database, real_money: bool, once: bool) -> list[str]:
    """`live run --broker alpaca`: start (reconciliation must pass), then a cycle every
    live.poll_seconds until SIGTERM or SIGINT (`once`: a single cycle). Orders are planned and
    sent inside live.trade_window on a session's day; in between, open orders are followed and
    the account reconciled."""
    from configs.credentials import Credentials
    from live.alpaca_broker import PAPER_KEYS, REAL_KEYS, AlpacaBroker
    from live.errors import BrokerUnavailable, LiveInputError
    from live.halt import HaltSwitch
    from live.latest import LatestFeed, trading_moment
    from live.records import account_named
    from live.trader import Trader
    from market.lab_panel import lab_panel

    config, live = lab.config, lab.config.live
    names = REAL_KEYS if real_money else PAPER_KEYS
    flag = " --live" if real_money else ""
    credentials = Credentials.from_environment(names, f"live run --broker alpaca{flag}")
    broker = AlpacaBroker(
        credentials,
        paper=not real_money,
        url=live.trading_url,
        timeout_seconds=live.timeout_seconds,
        requests_per_minute=live.requests_per_minute,
    )
    name = "alpaca-live" if real_money else "alpaca-paper"
    stop = StopFlag()
    stop.install()

    def load() -> Panel:
        return lab_panel(config, dt.datetime.now(dt.UTC), "live").panel

    lines: list[str] = []
    with account_lock(lab, name):
        with database.transaction() as session:
            settings = {"paper": not real_money, "url": live.trading_url or "Alpaca's own"}
            account = account_named(session, name, "alpaca", settings)
        feed = LatestFeed(config, broker, load)
        trader = Trader(
            database, broker, account, config, feed, HaltSwitch(Path(live.halt_file)), stop
        )
        window = live.window_times()
        day, _ = trading_moment(broker.clock(), window)
        started = trader.start(day)
        lines.append(f"{name}: started; {started.describe()}")
        while True:
            try:
                day, inside = trading_moment(broker.clock(), window)
                report = trader.cycle(day, plan=inside)
                lines.append(_cycle_line(name, report, inside))
                log.info(lines[-1])
            except (BrokerUnavailable, LiveInputError) as e:
                if once:
                    raise
                log.warning(
                    "%s: this cycle failed (%s); trying again in %g s", name, e, live.poll_seconds
                )
            if once or stop():
                break
            _wait(live.poll_seconds, stop)
    if stop.signal:
        lines.append(f"stopped by {stop.signal} after the current step (saved)")
    return lines


def _cycle_line(name: str, report: CycleReport, inside: bool) -> str:
    if report.halted:
        return f"{name}: HALTED ({report.halted}); no order sent"
    where = "in the trade window" if inside else "outside the trade window (no new orders)"
    return (
        f"{name}: session {report.session}, {where}: planned {report.planned}, sent "
        f"{report.sent}, denied {report.denied}, rejected {report.rejected}, fills "
        f"{report.fills}" + "".join(f"; {note}" for note in report.notes)
    )


def _wait(seconds: float, stop: StopFlag) -> None:
    end = time.monotonic() + seconds
    while not stop() and time.monotonic() < end:
        time.sleep(min(0.2, max(end - time.monotonic(), 0.0)))
