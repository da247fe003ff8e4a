"""`live status`: what an account holds and did, from research.db alone (no broker call)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from live.errors import LiveInputError
from live.records import cash_ledger, ledger_positions
from store.models import LiveAccount, LiveEvent, LiveFill, LiveOrder, LivePlan

__all__ = ["status_lines"]


def status_lines(session: Session, name: str | None, halted: str | None) -> list[str]:
    account = _account(session, name)
    plan = session.scalars(
        select(LivePlan).where(LivePlan.account_id == account.id).order_by(LivePlan.session.desc())
    ).first()
    ledger = cash_ledger(session, account.id)
    positions = ledger_positions(session, account.id)
    lines = [f"account {account.name} ({account.broker}), since {account.created_at:%Y-%m-%d}"]
    if account.broker == "sim":
        s = account.settings
        lines.append(
            f"  replay of {s['source']}: sessions {s['first_session']}..{s['last_session']}"
        )
    lines.append(f"  trading: {'HALTED - ' + halted if halted else 'allowed (no HALT file)'}")
    contributed = sum(e.amount for e in ledger.entries if e.kind in ("opening", "adjust"))
    if plan is not None:
        settled = ledger.settled(plan.session)
        lines += [
            f"  newest session {plan.session} (planned from the close of {plan.data_day}): "
            f"equity {plan.equity:,.2f} at that close, P&L {plan.equity - contributed:+,.2f} "
            "since the opening cash",
            f"  cash {ledger.cash:,.2f}: settled {settled:,.2f} on {plan.session}, unsettled "
            f"{ledger.cash - settled:,.2f}",
        ]
    else:
        lines.append(f"  no session planned yet; cash {ledger.cash:,.2f}")
    lines.append(f"  positions ({len(positions)}):")
    costs = _average_costs(session, account.id)
    for symbol, qty in positions.items():
        lines.append(f"    {symbol:<6} {qty:>14.6f} avg cost {costs.get(symbol, 0.0):,.4f}")
    if plan is not None:
        orders = session.scalars(
            select(LiveOrder).where(LiveOrder.plan_id == plan.id).order_by(LiveOrder.sequence)
        ).all()
        lines.append(f"  orders of {plan.session} ({len(orders)}):")
        for o in orders:
            price = f"limit {o.limit_price:.4f}" if o.limit_price is not None else "market"
            filled = f"filled {o.filled_qty:g}" + (
                f" at {o.filled_avg_price:.4f}" if o.filled_avg_price else ""
            )
            why = f" ({o.reason})" if o.reason else ""
            lines.append(
                f"    {o.client_order_id}: {o.side} {o.qty:g} {o.symbol} {price} - {o.status}, "
                f"{filled}{why}"
            )
        fills = session.scalars(
            select(LiveFill).where(
                LiveFill.account_id == account.id, LiveFill.session == plan.session
            )
        ).all()
        lines.append(f"  fills of {plan.session}: {len(fills)}")
        for f in fills:
            lines.append(f"    {f.kind} {f.symbol} {f.qty:+g} at {f.price:.4f}")
    last = session.scalars(
        select(LiveEvent)
        .where(LiveEvent.account_id == account.id, LiveEvent.kind == "reconciliation")
        .order_by(LiveEvent.id.desc())
    ).first()
    if last is None:
        lines.append("  last reconciliation: none yet")
    else:
        verdict = "ok" if last.ok else "DIFFERENCES"
        lines.append(
            f"  last reconciliation {last.created_at:%Y-%m-%d %H:%M:%S} UTC "
            f"({last.detail.get('mode')}): {verdict} - {last.message}"
        )
    return lines


def _account(session: Session, name: str | None) -> LiveAccount:
    query = select(LiveAccount).order_by(LiveAccount.id.desc())
    if name is not None:
        query = query.where(LiveAccount.name == name)
    found = session.scalars(query).first()
    if found is None:
        known = ", ".join(session.scalars(select(LiveAccount.name))) or "none yet"
        raise LiveInputError(
            f"no live account {name!r} (accounts: {known})"
            if name
            else "no live account yet: start one with `live run`"
        )
    return found


def _average_costs(session: Session, account_id: int) -> dict[str, float]:
    # Average price paid for what is held: buys raise it, sells keep it.
    qty: dict[str, float] = {}
    cost: dict[str, float] = {}
    for f in session.scalars(
        select(LiveFill).where(LiveFill.account_id == account_id).order_by(LiveFill.id)
    ):
        held = qty.get(f.symbol, 0.0)
        if f.qty > 0:
            cost[f.symbol] = (cost.get(f.symbol, 0.0) * held + f.qty * f.price) / (held + f.qty)
        qty[f.symbol] = held + f.qty
    return cost
