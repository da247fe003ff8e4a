"""`live run --broker sim`: the approved strategies traded over the last days of the data, by
the same trader, plan, risk check and ledger as a real account, against `SimBroker`.

Each session s of the replay: the trader plans from the bars up to the close before s and
sends its orders before the open; the sim broker fills them at the open of s and expires the
rest at the close; the trader records the fills. The account persists in research.db (its
plans, orders, fills, ledger and the broker's side), so `live status` shows it afterwards and
`live run --broker sim --resume` continues an interrupted replay.

The report compares the account with the backtest of the same strategies over the same
sessions, each given the capital it got on the first session (the tracking difference).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import select, update
from typing_extensions import override

from configs import LabConfig
from fitness.backtest import backtest
from live.books import Market
from live.errors import LiveInputError
from live.halt import HaltSwitch
from live.records import new_account, nothing_to_trade, trading_strategies
from live.signals import ReplaySignals, market_at, validation_volatility
from live.sim_broker import SimBroker, new_sim_state
from live.statement import equity_curve
from live.trader import MarketFeed, Trader
from market.exchange import TRADING_DAYS
from market.panel import Panel
from store import Database
from store.models import (
    LiveAccount,
    LiveFill,
    LiveOrder,
    LivePlan,
    SimBrokerState,
    utc_now,
)
from store.statuses import OrderStatus

__all__ = ["ReplayFeed", "SimReport", "run_sim"]


class ReplayFeed(MarketFeed):
    """The market and signals of each session of a replay, from the bars before it."""

    def __init__(self, panel: Panel, config: LabConfig) -> None:
        self.panel = panel
        self.config = config
        self._index = {dt.date.fromisoformat(str(d)): i for i, d in enumerate(panel.dates)}
        self._signals: dict[tuple[str, ...], ReplaySignals] = {}

    @override
    def inputs(
        self, session: dt.date, texts: dict[str, str], whole: Callable[[str], bool]
    ) -> tuple[Market, dict[str, np.ndarray]]:
        day = self._index[session] - 1
        if day < 0:
            raise LiveInputError(f"the data has no session before {session}")
        return market_at(self.panel, day, whole), self.replay(texts).at(day)

    def replay(self, texts: dict[str, str]) -> ReplaySignals:
        """The day-by-day signals of `texts`, computed once per set of strategies."""
        key = tuple(sorted(texts))
        if key not in self._signals:
            self._signals[key] = ReplaySignals(self.panel, texts)
        return self._signals[key]

    @override
    def volatility(self, texts: dict[str, str]) -> dict[str, float]:
        config = self.config
        return validation_volatility(self.panel, config.windows, config.backtest, texts)


@dataclass(frozen=True)
class SimReport:
    """A simulated run: its sessions, equity and the backtest of the same strategies beside it."""

    account: str
    source: str
    sessions: tuple[dt.date, ...]
    initial_cash: float
    equity: np.ndarray  # at each session's close
    reference: np.ndarray  # the backtest of the same strategies, same sessions and costs
    orders: int
    fills: int
    denied: int
    rejected: int
    strategies: int
    finished: bool
    halted: tuple[str, ...] = ()  # the HALT reason of each session the halt kept from trading

    @property
    def pnl(self) -> float:
        """The run's P&L at the last close."""
        return float(self.equity[-1] - self.initial_cash)

    def tracking(self) -> tuple[float, float]:
        """(total return of the account - that of the backtest, annualised tracking error)."""
        live = self.equity[-1] / self.initial_cash - 1.0
        ref = self.reference[-1] / self.initial_cash - 1.0
        daily = (
            np.diff(np.r_[self.initial_cash, self.equity])
            / np.r_[self.initial_cash, self.equity[:-1]]
            - np.diff(np.r_[self.initial_cash, self.reference])
            / np.r_[self.initial_cash, self.reference[:-1]]
        )
        error = float(np.std(daily, ddof=1) * math.sqrt(TRADING_DAYS)) if len(daily) > 1 else 0.0
        return float(live - ref), error

    def lines(self, costs: str) -> list[str]:
        """The run as lines: sessions, P&L, the backtest beside it, and the `costs` used."""
        first, last = self.sessions[0], self.sessions[-1]
        difference, error = self.tracking()
        ref_pnl = float(self.reference[-1] - self.initial_cash)
        return [
            f"sim account {self.account}: {len(self.sessions)} sessions {first}..{last} of "
            f"{self.source}" + ("" if self.finished else " (stopped early: --resume continues)"),
            f"  strategies {self.strategies}; costs: {costs}",
            *(
                [
                    f"  HALTED on {len(self.halted)} of {len(self.sessions)} sessions (HALT: "
                    f"{self.halted[-1]}): nothing was planned or sent on them (`live resume`)"
                ]
                if self.halted
                else []
            ),
            f"  equity {self.initial_cash:,.2f} -> {self.equity[-1]:,.2f}: "
            f"P&L {self.pnl:+,.2f} ({self.pnl / self.initial_cash:+.2%})",
            f"  orders {self.orders} (denied {self.denied}, rejected {self.rejected}), "
            f"fills {self.fills}",
            f"  backtest of the same strategies, sessions and costs: P&L {ref_pnl:+,.2f} "
            f"({ref_pnl / self.initial_cash:+.2%})",
            f"  tracking difference {difference:+.2%} (account - backtest, total return); "
            f"tracking error {error:.2%} a year",
        ]


def run_sim(
    database: Database,
    config: LabConfig,
    panel: Panel,
    source: str,
    days: int | None = None,
    resume: bool = False,
    stopping: Callable[[], bool] = lambda: False,
    progress: Callable[[int, int], None] | None = None,
) -> SimReport:
    """Replay the last `days` sessions of `panel` (a new sim account), or continue the newest
    unfinished sim account (`resume`)."""
    with database.transaction() as session:
        if resume:
            account = _unfinished(session, panel)
            state = session.get(SimBrokerState, account.id)
            assert state is not None
            broker_state = dict(state.state)
        else:
            days = days or config.live.sim_days
            if days >= panel.n_days:
                raise LiveInputError(
                    f"--days {days}: the data has {panel.n_days} sessions; the replay needs at "
                    "least one session of history before its first"
                )
            if not trading_strategies(session):
                raise LiveInputError(nothing_to_trade(session))
            first = panel.n_days - days
            settings = {
                "source": source,
                "panel_fingerprint": panel.fingerprint,
                "days": days,
                "first_session": str(panel.dates[first]),
                "last_session": str(panel.dates[-1]),
                "initial_cash": config.live.sim_initial_cash,
                "config_id": config.id,
            }
            account = new_account(session, "sim", "sim", settings)
            broker_state = new_sim_state(first, config.live.sim_initial_cash)
            session.add(SimBrokerState(account_id=account.id, state=broker_state))
    if account.settings["panel_fingerprint"] != panel.fingerprint:
        raise LiveInputError(
            f"{account.name} replays data {account.settings['source']} with another "
            "fingerprint than the data configured now: it cannot be resumed"
        )
    broker = SimBroker(panel, config.backtest, broker_state, _saver(database, account.id))
    feed = ReplayFeed(panel, config)
    trader = Trader(
        database, broker, account, config, feed, HaltSwitch(Path(config.live.halt_file)), stopping
    )
    first = panel.n_days - int(account.settings["days"])
    total = panel.n_days - first
    trader.start(broker.session)
    halted: list[str] = []
    while True:
        cycled = trader.cycle(broker.session)
        if cycled.halted is not None:
            halted.append(cycled.halted)
        if stopping() and broker.state["phase"] == "pre_open":
            # Stopped while sending: the session has not opened, so the orders still waiting
            # go out first when the replay resumes (opening now would skip them for a day).
            break
        broker.open_session()
        trader.sync()
        if progress is not None:
            progress(broker.day - first + 1, total)
        if broker.day == panel.n_days - 1 or stopping():
            break
        broker.next_session()
    finished = _finished(broker.state, panel)
    report = _report(database, account, panel, feed, first, broker.day, finished)
    return dataclasses.replace(report, halted=tuple(halted))


def _unfinished(session: Any, panel: Panel) -> LiveAccount:
    accounts = session.scalars(
        select(LiveAccount).where(LiveAccount.broker == "sim").order_by(LiveAccount.id.desc())
    ).all()
    for account in accounts:
        state = session.get(SimBrokerState, account.id)
        if state is not None and not _finished(state.state, panel):
            return account
    raise LiveInputError("no unfinished sim account to resume: start one with --days N")


def _finished(state: dict[str, Any], panel: Panel) -> bool:
    return bool(state["day"] == panel.n_days - 1 and state["phase"] == "closed")


def _saver(database: Database, account_id: int) -> Callable[[dict[str, Any]], None]:
    def save(state: dict[str, Any]) -> None:
        # One UPDATE statement: the broker's side is written on every change.
        with database.engine.begin() as connection:
            connection.execute(
                update(SimBrokerState)
                .where(SimBrokerState.account_id == account_id)
                .values(state=state, updated_at=utc_now())
            )

    return save


def _report(
    database: Database,
    account: LiveAccount,
    panel: Panel,
    feed: ReplayFeed,
    first: int,
    last: int,
    finished: bool,
) -> SimReport:
    with database.transaction() as session:
        plans = session.scalars(
            select(LivePlan).where(LivePlan.account_id == account.id).order_by(LivePlan.session)
        ).all()
        orders = session.scalars(select(LiveOrder).where(LiveOrder.account_id == account.id)).all()
        fills = session.scalars(select(LiveFill).where(LiveFill.account_id == account.id)).all()
        texts = trading_strategies(session)
        initial = float(account.settings["initial_cash"])
        equity = equity_curve(session, account.id, panel, first, last)
    weights = plans[0].strategy_weights() if plans else {}
    capital = {gid: w["capital"] for gid, w in weights.items()}
    reference = _reference(panel, feed, texts, capital, first, last, initial)
    return SimReport(
        account=account.name,
        source=str(account.settings["source"]),
        sessions=tuple(dt.date.fromisoformat(str(d)) for d in panel.dates[first : last + 1]),
        initial_cash=initial,
        equity=equity,
        reference=reference,
        orders=sum(o.status not in (OrderStatus.PLANNED, OrderStatus.DENIED) for o in orders),
        fills=sum(f.kind == "fill" for f in fills),
        denied=sum(o.status == OrderStatus.DENIED for o in orders),
        rejected=sum(o.status == OrderStatus.REJECTED for o in orders),
        strategies=len(capital),
        finished=finished,
    )


def _reference(
    panel: Panel,
    feed: ReplayFeed,
    texts: dict[str, str],
    capital: dict[str, float],
    first: int,
    last: int,
    initial: float,
) -> np.ndarray:
    data = panel.days(0, last + 1)
    total = np.full(last - first + 1, initial - sum(capital.values()))
    rules = feed.config.backtest
    replay = feed.replay(texts)
    for gid, amount in capital.items():
        if gid not in texts or amount <= 0:
            total += amount
            continue
        signal = replay.through(gid, last)
        result = backtest(data, signal, dataclasses.replace(rules, initial_cash=amount), first)
        total += result.equity
    return total
