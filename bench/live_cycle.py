"""One live cycle: how much of it is the lab's own time.

Ten approved strategies trade an empty Alpaca paper account (the loopback emulator, the real
alpaca-py client) on the full data, at 08:30 New York before the first session after the data.
Measured:

- the planning cycle: sync, reconciliation, the plan (signals of every strategy over the whole
  history, books, targets, orders, all written to research.db), sending every order, syncing;
- a following poll cycle (sync and reconciliation with every order open);
- the data load the planning cycle starts with (the feed reads the data once per session).

The lab's time is the wall time less the time spent inside HTTP calls (the broker's latency,
here the emulator's work, the rate limit's waits included). Baseline measured in the same run:
one backtest of one strategy over the same panel.
"""

from __future__ import annotations

import datetime as dt
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from configs import load_config
from fitness.backtest import backtest
from genome.evaluate import Evaluator
from genome.text import parse
from market.panel import Panel
from market.sources import load_panel
from store.statuses import CandidateStatus

_FIRST_SESSION = dt.date(2017, 4, 17)  # after the data (Good Friday closed the 14th)
STRATEGIES = [
    "gt(close, sma(close, 50))",
    "lt(rsi(close, 14), 30)",
    "gt(ema(close, 20), sma(close, 100))",
    "gt(rank(change(close, 20)), 0.8)",
    "lt(zscore(close, 20), -1)",
    "and(gt(close, sma(close, 200)), lt(rsi(close, 2), 10))",
    "gt(min(close, 10), lag(close, 20))",
    "lt(std(close, 20), std(close, 100))",
    "gt(volume, sma(volume, 20))",
    "not(lt(close, max(close, 50)))",
]


def measure(source: Path, strategies: int, repeats: int) -> dict[str, Any]:
    config = load_config()
    panel, _ = load_panel(config.data, config.alpaca, source=str(source))  # imports, caches
    began = time.perf_counter()
    panel, _ = load_panel(config.data, config.alpaca, source=str(source))
    load_seconds = time.perf_counter() - began
    texts = STRATEGIES[:strategies]
    planning, polling, broker_share, orders = [], [], [], 0
    for _ in range(repeats):
        with tempfile.TemporaryDirectory() as folder:
            url = f"sqlite:///{Path(folder) / 'research.db'}"
            _approve(url, config, panel, texts)
            plan, poll, inside, orders = _cycles(url, config, panel, Path(folder))
            planning.append(plan - inside[0])
            polling.append(poll - inside[1])
            broker_share.append(inside[0])
    signal = Evaluator(panel).signal(parse(texts[0]))
    backtest(panel, signal, config.backtest)
    began = time.perf_counter()
    backtest(panel, signal, config.backtest)
    baseline = time.perf_counter() - began
    lab = statistics.median(planning)
    return {
        "symbols": panel.n_symbols,
        "days": panel.n_days,
        "strategies": len(texts),
        "orders": orders,
        "planning_cycle_lab_seconds": lab,
        "planning_cycle_broker_seconds": statistics.median(broker_share),
        "poll_cycle_lab_seconds": statistics.median(polling),
        "data_load_seconds": load_seconds,
        "backtest_baseline_seconds": baseline,
        "cycle_in_backtests": lab / baseline,
    }


def _cycles(
    url: str, config: Any, panel: Panel, folder: Path
) -> tuple[float, float, tuple[float, float], int]:
    from configs.credentials import Credentials
    from labkit.alpaca_trading import trading_emulator
    from live.alpaca_broker import AlpacaBroker
    from live.halt import HaltSwitch
    from live.latest import LatestFeed
    from live.records import account_named
    from live.trader import Trader
    from store import open_database

    state = _empty_account(panel)
    database = open_database(url)
    with trading_emulator(state) as address:
        # The broker's rate limit is not what is measured.
        credentials = Credentials(state.key_id, state.secret_key)
        b = AlpacaBroker(credentials, True, address, 2.0, 1_000_000, pause=lambda seconds: None)
        inside = _time_inside_http(b.client)
        with database.transaction() as session:
            account = account_named(session, "alpaca-paper", "alpaca", {})
        feed = LatestFeed(config, b, lambda: panel)
        trader = Trader(database, b, account, config, feed, HaltSwitch(folder / "HALT"))
        trader.start(_FIRST_SESSION)
        inside[0] = 0.0
        began = time.perf_counter()
        report = trader.cycle(_FIRST_SESSION)
        plan, plan_inside = time.perf_counter() - began, inside[0]
        inside[0] = 0.0
        began = time.perf_counter()
        trader.cycle(_FIRST_SESSION)
        poll, poll_inside = time.perf_counter() - began, inside[0]
    database.close()
    return plan, poll, (plan_inside, poll_inside), report.sent


def _approve(url: str, config: Any, panel: Panel, texts: list[str]) -> None:
    # The strategies put forward and approved, as `promote approve` leaves them.
    from fitness.windows import build_windows
    from labkit.lab import put_forward, user_run
    from store import open_database

    windows = build_windows(panel, config.windows, config.backtest)
    database = open_database(url)
    with database.transaction() as session:
        run = user_run(session, config, panel, "benchmark", windows)
        for text in texts:
            put_forward(session, text, run.id).status = CandidateStatus.APPROVED
    database.close()


def _empty_account(panel: Panel) -> Any:
    # An empty paper account at 08:30 New York on the first session after the data, priced at
    # the data's last closes, with the exchange's sessions around it.
    from zoneinfo import ZoneInfo

    import pandas as pd

    from labkit.alpaca_trading import TradingState
    from market.validation import exchange_sessions

    sessions = exchange_sessions(pd.Timestamp(panel.dates[-300]), pd.Timestamp("2017-08-01"))
    last = panel.close[-1]
    return TradingState(
        key_id="PKBENCHMARKKEY",
        secret_key="benchmark-secret",
        now=dt.datetime.combine(_FIRST_SESSION, dt.time(8, 30), ZoneInfo("America/New_York")),
        sessions={d.date(): ("09:30", "16:00") for d in sessions},
        prices={s: float(c) for s, c in zip(panel.symbols, last, strict=True) if np.isfinite(c)},
        rate_limit=1_000_000,
    )


def _time_inside_http(client: Any) -> list[float]:
    spent = [0.0]
    session = client._session
    send = session.request

    def timed(method: str, url: str, **options: Any) -> Any:
        began = time.perf_counter()
        try:
            return send(method, url, **options)
        finally:
            spent[0] += time.perf_counter() - began

    session.request = timed
    return spent
