"""`live status`: what an account holds and did, from research.db (no broker call), marked at
the last close of the market data when it can be read."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from live.errors import LiveInputError
from live.records import cash_ledger, ledger_positions
from live.statement import account_statement, average_costs
from market.panel import Panel
from store.models import LiveAccount, LiveEvent, LiveFill, LiveOrder, LivePlan, OrderMove
from store.rows import LeftOut, RowsLeftOut, every_row, first, readable

__all__ = [
    "AccountHistory",
    "AccountView",
    "account_history",
    "account_view",
    "accounts",
    "status_lines",
]

PAGE_SIZE = 50


@dataclass(frozen=True)
class AccountView:
    """What an account holds and did, as research.db knows it (no broker call)."""

    account: LiveAccount
    plan: LivePlan | None  # the newest session planned
    contributed: float | None  # opening cash and adjustments (None: unshown)
    cash: float | None
    settled: float | None  # on the newest planned session
    positions: dict[str, float]
    average_costs: dict[str, float]
    orders: list[LiveOrder]  # of the newest plan
    fills: list[LiveFill]  # of the newest plan's session
    reconciliation: LiveEvent | None  # the last one
    # Why its cash, positions and P&L are not shown: a ledger or fill row cannot be read.
    unshown: str | None = None

    @property
    def pnl(self) -> float | None:
        """Equity of the newest plan less the cash paid in; None before the first plan (or
        when the cash paid in cannot be read)."""
        if self.plan is None or self.contributed is None:
            return None
        return self.plan.equity - self.contributed


def account_view(session: Session, name: str | None) -> AccountView:
    """The account `name` (default: the newest one).

    Raises:
        LiveInputError: there is no such account (or none at all).
    """
    account = _account(session, name)
    plan = session.scalars(
        select(LivePlan).where(LivePlan.account_id == account.id).order_by(LivePlan.session.desc())
    ).first()
    orders: list[LiveOrder] = []
    fills: list[LiveFill] = []
    if plan is not None:
        orders = list(
            session.scalars(
                select(LiveOrder).where(LiveOrder.plan_id == plan.id).order_by(LiveOrder.sequence)
            )
        )
        fills = list(
            session.scalars(
                select(LiveFill).where(
                    LiveFill.account_id == account.id, LiveFill.session == plan.session
                )
            )
        )
    reconciliation = session.scalars(
        select(LiveEvent)
        .where(LiveEvent.account_id == account.id, LiveEvent.kind == "reconciliation")
        .order_by(LiveEvent.id.desc())
    ).first()
    try:
        ledger = cash_ledger(session, account.id)
        holdings = ledger_positions(session, account.id), average_costs(session, account.id)
    except RowsLeftOut as e:
        return AccountView(
            account, plan, None, None, None, {}, {}, orders, fills, reconciliation, unshown=str(e)
        )
    return AccountView(
        account=account,
        plan=plan,
        contributed=sum(e.amount for e in ledger.entries if e.kind in ("opening", "adjust")),
        cash=ledger.cash,
        settled=ledger.settled(plan.session) if plan is not None else None,
        positions=holdings[0],
        average_costs=holdings[1],
        orders=orders,
        fills=fills,
        reconciliation=reconciliation,
    )


@dataclass(frozen=True)
class AccountHistory:
    """One page of an account's orders and of its fills, newest first."""

    page: int  # from 1
    pages: int
    orders: list[tuple[LiveOrder, dt.date]]  # each with the session it was planned for
    moves: dict[int, list[OrderMove]]  # order id -> its moves, oldest first
    fills: list[LiveFill]
    n_orders: int
    n_fills: int


def account_history(
    session: Session, account_id: int, page: int = 1, size: int = PAGE_SIZE
) -> AccountHistory:
    """Page `page` (of `size` rows each; past the last: the last) of the account's orders
    (with their moves) and fills of every session, newest first."""
    n_orders = session.scalar(
        select(func.count()).select_from(LiveOrder).where(LiveOrder.account_id == account_id)
    )
    n_fills = session.scalar(
        select(func.count()).select_from(LiveFill).where(LiveFill.account_id == account_id)
    )
    pages = max(1, -(-max(n_orders or 0, n_fills or 0) // size))
    page = min(max(1, page), pages)
    orders = [
        (order, day)
        for order, day in session.execute(
            select(LiveOrder, LivePlan.session)
            .join(LivePlan, LivePlan.id == LiveOrder.plan_id)
            .where(LiveOrder.account_id == account_id)
            .order_by(LiveOrder.id.desc())
            .offset((page - 1) * size)
            .limit(size)
        )
    ]
    fills = session.scalars(
        select(LiveFill)
        .where(LiveFill.account_id == account_id)
        .order_by(LiveFill.id.desc())
        .offset((page - 1) * size)
        .limit(size)
    ).all()
    moves: dict[int, list[OrderMove]] = {order.id: [] for order, _ in orders}
    for move in session.scalars(
        select(OrderMove).where(OrderMove.order_id.in_(list(moves))).order_by(OrderMove.id)
    ):
        moves[move.order_id].append(move)
    return AccountHistory(page, pages, orders, moves, list(fills), n_orders or 0, n_fills or 0)


def accounts(session: Session) -> list[LiveAccount]:
    """Every live account, newest first."""
    return list(session.scalars(select(LiveAccount).order_by(LiveAccount.id.desc())))


def status_lines(
    session: Session,
    name: str | None,
    halted: str | None,
    panel: Panel | None = None,
    no_panel: str = "",
) -> list[str]:
    """The account's status as lines: account, trading or halted, equity and P&L marked at the
    last close of `panel` (`no_panel`: why there is none), newest session, cash, positions."""
    view = account_view(session, name)
    account, plan = view.account, view.plan
    lines = [f"account {account.name} ({account.broker}), since {account.created_at:%Y-%m-%d}"]
    left = readable(session, select(LiveAccount)).left_out
    if left and name is None:
        rows = ", ".join(sorted(left))
        lines.append(
            f"  (left out, cannot be read: live account row(s) {rows}; see the Health page)"
        )
    if account.broker == "sim":
        s = account.settings
        lines.append(
            f"  replay of {s['source']}: sessions {s['first_session']}..{s['last_session']}"
        )
    lines.append(f"  trading: {'HALTED - ' + halted if halted else 'allowed (no HALT file)'}")
    statement = None
    if panel is not None and view.unshown is None:
        statement = account_statement(session, account, panel)
    if view.unshown is not None:
        lines.append(f"  cash, positions and P&L: {view.unshown}")
    elif statement is not None:
        lines.append(
            f"  equity {statement.equity[-1]:,.2f} at the close of {statement.day} (cash and "
            f"positions at that close): P&L {statement.pnl:+,.2f} since the opening cash"
        )
    elif plan is not None:
        lines.append(f"  not marked at a close: {no_panel or 'no session of it is in the data'}")
    if view.cash is None:
        if plan is not None:
            lines.append(f"  newest session {plan.session} (planned from {plan.data_day})")
    elif plan is not None and view.settled is not None and view.pnl is not None:
        lines += [
            f"  newest session {plan.session} (planned from the close of {plan.data_day}, sized "
            f"on equity {plan.equity:,.2f} at that close: P&L {view.pnl:+,.2f} then)",
            f"  cash {view.cash:,.2f}: settled {view.settled:,.2f} on {plan.session}, unsettled "
            f"{view.cash - view.settled:,.2f}",
        ]
    else:
        lines.append(f"  no session planned yet; cash {view.cash:,.2f}")
    if view.unshown is None:
        lines.append(f"  positions ({len(view.positions)}):")
    for symbol, qty in view.positions.items():
        lines.append(
            f"    {symbol:<6} {qty:>14.6f} avg cost {view.average_costs.get(symbol, 0.0):,.4f}"
        )
    if plan is not None:
        lines.append(f"  orders of {plan.session} ({len(view.orders)}):")
        lines += [f"    {_order_text(o)}" for o in view.orders]
        lines.append(f"  fills of {plan.session}: {len(view.fills)}")
        for f in view.fills:
            lines.append(f"    {f.kind} {f.symbol} {f.qty:+g} at {f.price:.4f}")
    lines += _orders_left_out(session, account)
    last = view.reconciliation
    if last is None:
        lines.append("  last reconciliation: none yet")
    else:
        lines.append(f"  last {_reconciliation_text(last)}")
    return lines


def _orders_left_out(session: Session, account: LiveAccount) -> list[str]:
    # Every order the account ever sent is read: one that cannot be read is said, whichever
    # session it belongs to.
    orders = select(LiveOrder).where(LiveOrder.account_id == account.id)
    try:
        every_row(session, orders, "live_orders", f"the order history of {account.name}")
    except RowsLeftOut as e:
        return [f"  {e}"]
    return []


def _order_text(o: LiveOrder) -> str:
    price = f"limit {o.limit_price:.4f}" if o.limit_price is not None else "market"
    filled = f"filled {o.filled_qty:g}" + (
        f" at {o.filled_avg_price:.4f}" if o.filled_avg_price else ""
    )
    why = f" ({o.reason})" if o.reason else ""
    return f"{o.client_order_id}: {o.side} {o.qty:g} {o.symbol} {price} - {o.status}, {filled}{why}"


def _reconciliation_text(event: LiveEvent) -> str:
    verdict = "ok" if event.ok else "DIFFERENCES"
    return (
        f"reconciliation {event.created_at:%Y-%m-%d %H:%M:%S} UTC "
        f"({event.detail.get('mode')}): {verdict} - {event.message}"
    )


def _account(session: Session, name: str | None) -> LiveAccount:
    query = select(LiveAccount).order_by(LiveAccount.id.desc())
    if name is not None:
        query = query.where(LiveAccount.name == name)
    try:
        found = first(session, query)
    except LeftOut as e:
        raise LiveInputError(
            f"live account row {e.row_id} cannot be read and is left out: {e.why}"
        ) from e
    if found is None:
        known = ", ".join(session.scalars(select(LiveAccount.name))) or "none yet"
        raise LiveInputError(
            f"no live account {name!r} (accounts: {known})"
            if name
            else "no live account yet: start one with `live run`"
        )
    return found
