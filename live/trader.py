"""One account's trading: start-up, and the cycle run every poll.

    start:  secure the account (no margin, no shorting); the opening cash if the ledger is
            new; sync the orders; reconcile (nothing trades until it passes)
    cycle:  sync the orders (fills from cumulative quantities); reconcile; if halted, cancel
            the open orders (cancel_on_halt) and stop; plan the session once (books, targets,
            orders, all written before anything is sent); send what is not sent yet

Sending one order:

    status planned -> risk check -> denied (recorded)
                   -> submitting (committed) -> submit -> the broker's status (committed)
    submit refused (4xx)            -> rejected, with the broker's message
    duplicate client id (422)       -> the order exists: look it up and adopt it
    no usable answer (timeout, reset, 5xx, 429)
                                    -> look the client id up: found -> adopt it; not there ->
                                       unknown, looked up again next cycle
    restart with an order submitting or unknown -> looked up first; only an order the
        broker does not have is sent again, under the same client id (the broker refuses a
        second order with one, so this cannot double it)

Every fill comes from the change of an order's cumulative filled quantity since the last one
recorded, at the price that makes the cumulative average right.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from configs import LabConfig
from live.books import Market
from live.broker import OPEN, Broker, BrokerOrder, OrderRequest
from live.errors import BrokerUnavailable, DuplicateOrder, LiveInputError, OrderRejected
from live.fills import take_broker_view
from live.halt import HaltSwitch
from live.ledger import settlement_day
from live.plan import Holdings
from live.reconcile import Reconciliation, reconcile, stop_if_strict
from live.records import (
    add_event,
    books,
    cash_ledger,
    in_flight_orders,
    ledger_positions,
    mark_live,
    nothing_to_trade,
    order_row,
    planned_order,
    replace_books,
    trading_strategies,
)
from live.risk import RiskCheck
from live.session_plan import SessionPlan, Strategies, plan_session
from store import Database
from store.lifecycle import MAYBE_SENT, TO_SEND, OrderStatus, move_order
from store.models import LiveAccount, LiveCashEntry, LiveOrder, LivePlan
from store.rows import LeftOut, first, get
from store.statuses import PlanStatus

__all__ = ["CycleReport", "MarketFeed", "Trader"]

# Orders that never reached the broker, or that it refused: they count for no risk limit.
NOT_SENT = (OrderStatus.PLANNED, OrderStatus.DENIED, OrderStatus.REJECTED)
log = logging.getLogger(__name__)

# With more in-flight orders than this, a sync reads them in one paged list.
BULK_FROM = 3


class MarketFeed(Protocol):
    """Where the trader gets the market and the signals that plan a session."""

    def inputs(
        self, session: dt.date, texts: dict[str, str], whole: Callable[[str], bool]
    ) -> tuple[Market, dict[str, np.ndarray]]:
        """The market at the last close before `session` and each strategy's signal there.

        Raises:
            LiveInputError: the data does not reach the close before `session` (stale data).
        """
        ...

    def volatility(self, texts: dict[str, str]) -> dict[str, float]:
        """Each strategy's daily return volatility on the validation window."""
        ...


@dataclass
class CycleReport:
    """What one cycle did: orders planned, sent, denied, rejected, fills, reconciliation, halt."""

    session: dt.date
    planned: int = 0
    sent: int = 0
    denied: int = 0
    rejected: int = 0
    fills: int = 0
    halted: str | None = None
    reconciliation: Reconciliation | None = None
    notes: list[str] = field(default_factory=list)


class Trader:
    """Trades the approved strategies in one account, one session at a time."""

    def __init__(
        self,
        database: Database,
        broker: Broker,
        account: LiveAccount,
        config: LabConfig,
        feed: MarketFeed,
        halt: HaltSwitch,
        stopping: Callable[[], bool] = lambda: False,
    ) -> None:
        self.database = database
        self.broker = broker
        self.account_id = account.id
        self.account_name = account.name
        self.config = config
        self.feed = feed
        self.halt = halt
        self.stopping = stopping
        self._whole: dict[str, bool] = {}
        self._plan_session: dict[int, dt.date] = {}
        self._settlement: dict[dt.date, dt.date] = {}

    # --- start-up -------------------------------------------------------------------------

    def start(self, session_day: dt.date) -> Reconciliation:
        """Secure the account, take the opening cash of a new ledger, sync and reconcile.

        Raises:
            ReconciliationFailed: strict reconciliation found an unexplained difference.
        """
        secured = self.broker.secure_account()
        with self.database.transaction() as session:
            add_event(session, self.account_id, "start", True, secured)
            if not cash_ledger(session, self.account_id).entries:
                cash = self.broker.account().cash
                session.add(
                    LiveCashEntry(
                        account_id=self.account_id,
                        kind="opening",
                        amount=cash,
                        settles_on=session_day,
                        note="the broker's cash when the lab first traded this account",
                    )
                )
                add_event(session, self.account_id, "opening", True, f"opening cash {cash:.2f}")
        self.sync()
        return self.reconcile(session_day, record=True)

    # --- the cycle ------------------------------------------------------------------------

    def cycle(self, session_day: dt.date, plan: bool = True) -> CycleReport:
        """One session's cycle: take fills, reconcile, and unless halted plan and send orders."""
        report = CycleReport(session_day)
        report.fills += self.sync()
        report.reconciliation = self.reconcile(session_day)
        report.halted = self.halt.reason()
        if report.halted is not None:
            self._on_halt(report)
            return report
        if plan:
            report.planned = self._plan(session_day)
            self._send(session_day, report)
            report.fills += self.sync()
        return report

    def sync(self) -> int:
        """Bring every in-flight order up to the broker's view (an order that may have been
        sent is looked up by its client id); the number of new fills."""
        with self.database.transaction() as session:
            return self._sync_in(session)

    def reconcile(self, session_day: dt.date, record: bool = False) -> Reconciliation:
        """Reconcile; stop trading (raise) when strict reconciliation finds differences."""
        with self.database.transaction() as session:
            result = reconcile(
                session,
                self.broker,
                self.account_id,
                session_day,
                self.config.live,
                resync=lambda: self._sync_in(session),
                record=record,
            )
        stop_if_strict(result)
        return result

    # --- planning -------------------------------------------------------------------------

    def _plan(self, session_day: dt.date) -> int:
        """Plan `session_day` unless it is planned already; the number of orders planned."""
        with self.database.transaction() as session:
            if self._plan_of(session, session_day) is not None:
                return 0
            waiting = in_flight_orders(session, self.account_id)
            if waiting:
                log.info("%d earlier orders are still open: planning waits", len(waiting))
                return 0
            texts = trading_strategies(session)
            old_books = books(session, self.account_id)
            if not texts and not old_books:
                raise LiveInputError(nothing_to_trade(session))
            market, signals = self.feed.inputs(session_day, texts, self._is_whole)
            ledger = cash_ledger(session, self.account_id)
            live = self.config.live
            volatility = (
                self.feed.volatility(texts) if live.allocation == "inverse_volatility" else None
            )
            holdings = Holdings(
                ledger_positions(session, self.account_id),
                ledger.cash,
                ledger.settled(session_day),
            )
            plan = plan_session(
                self.account_name,
                session_day,
                Strategies(signals, old_books, volatility),
                market,
                holdings,
                live,
                self.config.backtest,
            )
            self._save_plan(session, plan, market.day, sorted(texts))
            return len(plan.orders.orders)

    def _save_plan(
        self, session: Session, plan: SessionPlan, data_day: dt.date, strategies: list[str]
    ) -> None:
        """Write `plan`: its row, its orders (planned, not sent), the new books; move the
        strategies of a broker account to live; record the orders not sent."""
        orders = plan.orders
        record = LivePlan(
            account_id=self.account_id,
            session=plan.session,
            data_day=data_day,
            equity=plan.equity,
            settled_cash=plan.settled_cash,
            weights=plan.allocation.as_record(),
            targets=plan.targets,
            status=PlanStatus.PLANNED if orders.orders else PlanStatus.CLOSED,
        )
        session.add(record)
        session.flush()
        for order in orders.orders:
            session.add(order_row(self.account_id, record.id, order))
        replace_books(session, self.account_id, plan.books, plan.session)
        if self.broker.name != "sim":
            mark_live(session, session.get_one(LiveAccount, self.account_id), strategies)
        if orders.skipped:
            add_event(
                session,
                self.account_id,
                "plan",
                True,
                f"{plan.session}: {len(orders.skipped)} orders not sent",
                {"skipped": [list(s) for s in orders.skipped]},
            )

    # --- sending --------------------------------------------------------------------------

    def _send(self, session_day: dt.date, report: CycleReport) -> None:
        with self.database.transaction() as session:
            plan = self._plan_of(session, session_day)
            if plan is None or plan.status == PlanStatus.CLOSED:
                return
            orders = list(
                session.scalars(
                    select(LiveOrder)
                    .where(LiveOrder.plan_id == plan.id)
                    .order_by(LiveOrder.sequence)
                )
            )
            risk = RiskCheck(
                self.config.live,
                equity=plan.equity,
                positions=ledger_positions(session, self.account_id),
            )
            for order in orders:
                if order.status not in (
                    OrderStatus.PLANNED,
                    OrderStatus.DENIED,
                    OrderStatus.REJECTED,
                ):
                    risk.sent(planned_order(order))
            pending = [o.id for o in orders if o.status in TO_SEND]
        for order_id in pending:
            if self.stopping():
                report.notes.append("stopping: the remaining orders wait for the next start")
                return
            self._send_one(order_id, risk, report)
        with self.database.transaction() as session:
            plan = self._plan_of(session, session_day)
            assert plan is not None
            if not session.scalars(
                select(LiveOrder).where(
                    LiveOrder.plan_id == plan.id,
                    LiveOrder.status.in_(sorted(TO_SEND)),
                )
            ).first():
                plan.status = PlanStatus.SENT

    def _send_one(self, order_id: int, risk: RiskCheck, report: CycleReport) -> None:
        with self.database.transaction() as session:
            order = session.get(LiveOrder, order_id)
            assert order is not None
            planned = planned_order(order)
            if order.status in MAYBE_SENT:
                # It may have reached the broker: only its client id can say.
                found = self._look_up(session, order)
                if found is not None or order.status == OrderStatus.REJECTED:
                    if found is not None:
                        report.fills += self._apply(session, order, found)
                    return
                if self.halt.reason() is not None:
                    return  # halted: not even an order the broker never got is sent
                log.info("order %s is not at the broker: sending it", order.client_order_id)
            else:
                risk.halted = self.halt.reason()
                reason = risk.review(planned)
                if reason is not None:
                    move_order(session, order, OrderStatus.DENIED, reason)
                    message = f"{order.client_order_id}: {reason}"
                    add_event(session, self.account_id, "risk_denial", False, message)
                    report.denied += 1
                    return
            move_order(session, order, OrderStatus.SUBMITTING)
        # Committed: from here on the order may exist at the broker.
        request = OrderRequest(
            planned.client_order_id, planned.symbol, planned.side, planned.qty, planned.limit_price
        )
        with self.database.transaction() as session:
            order = session.get(LiveOrder, order_id)
            assert order is not None
            try:
                answer: BrokerOrder | None = self.broker.submit(request)
            except DuplicateOrder:
                answer = self._look_up(session, order)
            except OrderRejected as e:
                move_order(session, order, OrderStatus.REJECTED, str(e))
                detail = {"status": e.status, "code": e.code}
                message = f"{order.client_order_id}: {e}"
                add_event(session, self.account_id, "rejected", False, message, detail)
                report.rejected += 1
                return
            except BrokerUnavailable as e:
                log.warning("order %s: %s; looking it up", order.client_order_id, e)
                answer = self._look_up(session, order)
            if answer is None:
                if order.status != OrderStatus.REJECTED:
                    reason = "no answer from the broker, and it does not have the order"
                    move_order(session, order, OrderStatus.UNKNOWN, reason)
                return
            risk.sent(planned)
            report.sent += 1
            report.fills += self._apply(session, order, answer)

    def _look_up(self, session: Session, order: LiveOrder) -> BrokerOrder | None:
        """The broker's order with this client id (None: it has none, or did not answer).
        One with other terms is not this order: the id was used by something else, so the
        order is marked rejected and nothing is sent under it."""
        try:
            found = self.broker.order(order.client_order_id)
        except BrokerUnavailable as e:
            log.warning("looking up %s: %s", order.client_order_id, e)
            return None
        return None if found is None else self._same(session, order, found)

    def _same(self, session: Session, order: LiveOrder, found: BrokerOrder) -> BrokerOrder | None:
        """`found` if it is this order; None (and the order refused) if its terms differ."""
        if (
            found.symbol != order.symbol
            or found.side != order.side
            or abs(found.qty - order.qty) > 1e-9
        ):
            reason = (
                f"the broker's order {found.id} has this client id but is {found.side} "
                f"{found.qty:g} {found.symbol}: the id was used by another order"
            )
            move_order(session, order, OrderStatus.REJECTED, reason)
            add_event(session, self.account_id, "conflict", False, reason)
            return None
        return found

    def _on_halt(self, report: CycleReport) -> None:
        if not self.config.live.cancel_on_halt:
            return
        for found in self.broker.open_orders():
            if not found.client_order_id.startswith(f"lab-{self.account_name}-"):
                continue
            try:
                self.broker.cancel(found.id)
                report.notes.append(f"canceled {found.client_order_id} (halted)")
            except OrderRejected as e:
                report.notes.append(f"could not cancel {found.client_order_id}: {e}")
        with self.database.transaction() as session:
            add_event(session, self.account_id, "halted", False, str(report.halted))
        self.sync()

    # --- fills ----------------------------------------------------------------------------

    def _sync_in(self, session: Session) -> int:
        orders = in_flight_orders(session, self.account_id)
        known: dict[str, BrokerOrder] = {}
        if len(orders) > BULK_FROM:
            # One paged read of the sessions' orders rather than one request per order.
            first = min(self._session_of(session, o.plan_id) for o in orders)
            since = dt.datetime.combine(first - dt.timedelta(days=3), dt.time(), dt.UTC)
            known = {o.client_order_id: o for o in self.broker.orders_since(since)}
        fills = 0
        for order in orders:
            found = known.get(order.client_order_id)
            found = (
                self._look_up(session, order)
                if found is None
                else self._same(session, order, found)
            )
            if found is not None:
                fills += self._apply(session, order, found)
            elif order.status in OPEN:
                move_order(
                    session, order, OrderStatus.UNKNOWN, "the broker no longer knows this order"
                )
        return fills

    def _apply(self, session: Session, order: LiveOrder, found: BrokerOrder) -> int:
        """Take the broker's view of `order` (live.fills); the number of fills recorded."""
        day = self._session_of(session, order.plan_id)
        return take_broker_view(
            session, order, found, day, self._settles(day), self.config.backtest
        )

    def _settles(self, trade_day: dt.date) -> dt.date:
        if trade_day not in self._settlement:
            days = self.config.backtest.settlement_days
            calendar = self.broker.calendar(trade_day, trade_day + dt.timedelta(days=14))
            self._settlement[trade_day] = settlement_day(
                trade_day, [s.date for s in calendar], days
            )
        return self._settlement[trade_day]

    def _session_of(self, session: Session, plan_id: int) -> dt.date:
        if plan_id not in self._plan_session:
            try:
                plan = get(session, LivePlan, plan_id)
            except LeftOut as e:
                raise self._unreadable_plan(e) from e
            if plan is None:
                raise LiveInputError(f"{self.account_name}: plan {plan_id} is not stored")
            self._plan_session[plan_id] = plan.session
        return self._plan_session[plan_id]

    def _is_whole(self, symbol: str) -> bool:
        if symbol not in self._whole:
            fractional = self.config.backtest.fractional and self.broker.fractionable(symbol)
            self._whole[symbol] = not fractional
        return self._whole[symbol]

    def _plan_of(self, session: Session, day: dt.date) -> LivePlan | None:
        """The plan of session `day`, or None before it is planned.

        Raises:
            LiveInputError: the plan is stored but cannot be read (quarantined): the session is
                neither planned again (its orders could double) nor traded without it.
        """
        mine = (LivePlan.account_id == self.account_id, LivePlan.session == day)
        try:
            return first(session, select(LivePlan).where(*mine))
        except LeftOut as e:
            raise self._unreadable_plan(e) from e

    def _unreadable_plan(self, left_out: LeftOut) -> LiveInputError:
        return LiveInputError(
            f"{self.account_name}: plan {left_out.row_id} cannot be read and is left out "
            f"({left_out.why}); its session is neither planned again nor traded until the row "
            "is repaired"
        )
