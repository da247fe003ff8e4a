"""The decay watch of every incubating, approved or live strategy: its paper returns since it
began trading (its backtest, same rules and costs, over the sessions from its first plan in any
account to the data's last day; an incubating one's forward record) against its validation
window (promotion.decay), a retirement proposal when the test alarms, and a `decay` event the
first time it does (the night alerts it)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from configs import ConfigurationError, LabConfig
from fitness.score import WindowScorer
from fitness.windows import Window, build_window
from genome.text import parse
from market.panel import Panel
from promotion.decay import DecayWatch, decay_watch
from promotion.figures import costs_text
from promotion.following import forward_records
from promotion.forward import ForwardRecord
from promotion.statistics import StatisticsError
from store.lifecycle import BOOK, CandidateStatus
from store.models import Candidate, LiveEvent, LivePlan
from store.quarantine import readable_texts

__all__ = ["Watched", "decays_of_run", "record_decays", "watch_strategies"]


@dataclass(frozen=True)
class Watched:
    """One strategy under watch. `watch` is None with a `reason` when there is nothing to test
    yet; `capital` is what it was given on its first session, `pnl` its paper P&L since."""

    candidate_id: int
    genome_id: str
    text: str
    status: str
    since: dt.date | None
    window: str
    watch: DecayWatch | None
    reason: str
    capital: float | None
    pnl: float | None

    @property
    def proposal(self) -> str | None:
        """The retirement proposal when the decay watch alarms, else None."""
        if self.watch is None or not self.watch.alarm:
            return None
        return (
            f"retire candidate {self.candidate_id}: since {self.since} its daily returns fell "
            f"below what validation promised (CUSUM {self.watch.cusum:.2f} > "
            f"{self.watch.threshold:.2f}; Sharpe {self.watch.sharpe or 0:.2f} against "
            f"{self.watch.expected_sharpe:.2f} on validation)"
        )


def watch_strategies(
    session: Session, panel: Panel, windows: dict[str, Window], config: LabConfig
) -> list[Watched]:
    """Every incubating, approved or live strategy, oldest candidate first, watched on `panel`:
    an incubating one on its forward record (promotion.following), the others on their paper
    returns since their first plan."""
    candidates = session.scalars(
        select(Candidate).where(Candidate.status.in_(BOOK)).order_by(Candidate.id)
    ).all()
    texts = readable_texts(session, [c.genome_id for c in candidates])
    first_plan = _first_plans(session)
    incubating = [c.id for c in candidates if c.status == CandidateStatus.INCUBATING]
    forward = forward_records(session, incubating)
    validation = windows["validation"]
    on_validation = WindowScorer(panel, validation, config.backtest)
    out = []
    for c in candidates:
        since, capital = first_plan.get(c.genome_id, (None, None))
        text = texts.get(c.genome_id)
        base = Watched(c.id, c.genome_id, text or "", c.status, since, "", None, "", capital, None)
        if text is None:
            out.append(replace(base, reason="quarantined"))
            continue
        record = forward.get(c.id)
        if record is not None:
            found = _on_forward_record(base, record)
        else:
            found = _since_first_plan(base, panel, config)
        if isinstance(found, str):
            out.append(replace(base, reason=found))
            continue
        base, returns = found
        expected = on_validation.score(parse(text)).result.returns
        base = replace(
            base,
            window=f"{base.window} against validation {validation.first}.."
            f"{validation.last}; costs: {costs_text(vars(config.backtest))}",
        )
        try:
            watch = decay_watch(returns, expected, config.review.decay_arl_sessions)
            out.append(replace(base, watch=watch))
        except StatisticsError as e:
            out.append(replace(base, reason=str(e)))
    return out


def _on_forward_record(base: Watched, record: ForwardRecord) -> tuple[Watched, np.ndarray] | str:
    # An incubating strategy: its forward record (sessions after its gate report's data).
    if record.sessions < 2:
        return f"{record.sessions} forward session(s) so far"
    span = f"{record.days[0]}..{record.days[-1]} ({record.sessions} sessions)"
    return replace(
        base, since=record.days[0], window=f"forward paper returns {span}"
    ), record.strategy


def _since_first_plan(
    base: Watched, panel: Panel, config: LabConfig
) -> tuple[Watched, np.ndarray] | str:
    # An approved or live strategy: its paper returns from its first plan in any account.
    if base.since is None:
        return "not trading yet"
    rules = config.backtest
    try:
        window = build_window(
            panel, "trading", base.since, _last_day(panel), config.windows.warmup_days, 2, rules
        )
    except ConfigurationError:
        return f"fewer than 2 sessions of data since {base.since}"
    returns = WindowScorer(panel, window, rules).score(parse(base.text)).result.returns
    capital = base.capital
    pnl = None if capital is None else capital * float(np.prod(1.0 + returns) - 1.0)
    span = f"paper returns {window.first}..{window.last} ({window.n_days} sessions)"
    return replace(base, window=span, pnl=pnl), returns


def record_decays(session: Session, watched: list[Watched], run_id: int | None = None) -> list[str]:
    """A `decay` event for each strategy whose test alarms for the first time (added to
    `session`, marked with the night's `run_id`; `decays_of_run` gives them to the command that
    alerts); the proposals, one line each, for the night's report."""
    told = {
        e.detail.get("candidate")
        for e in session.scalars(select(LiveEvent).where(LiveEvent.kind == "decay"))
    }
    lines = []
    for w in watched:
        proposal = w.proposal
        if proposal is None:
            continue
        lines.append(f"decay watch: {proposal}")
        if w.candidate_id in told:
            continue
        session.add(
            LiveEvent(
                account_id=None,
                kind="decay",
                ok=False,
                message=proposal,
                detail={
                    "candidate": w.candidate_id,
                    "genome_id": w.genome_id,
                    "window": w.window,
                    "run_id": run_id,
                },
            )
        )
    return lines


def decays_of_run(session: Session, run_id: int) -> list[tuple[str, str]]:
    """The decay alarms first raised by night `run_id`: a title and a body for each."""
    return [
        (
            f"candidate {e.detail['candidate']} may have lost its edge",
            f"{e.message}. {e.detail['window']}. Decide: promote retire "
            f"{e.detail['candidate']} --note ..., or on the dashboard's Live page.",
        )
        for e in session.scalars(
            select(LiveEvent).where(LiveEvent.kind == "decay").order_by(LiveEvent.id)
        )
        if e.detail.get("run_id") == run_id
    ]


def _first_plans(session: Session) -> dict[str, tuple[dt.date, float]]:
    # Each strategy's first planned session in any account and the capital it got there.
    found: dict[str, tuple[dt.date, float]] = {}
    for plan in session.scalars(select(LivePlan).order_by(LivePlan.session, LivePlan.id)):
        for gid, record in plan.strategy_weights().items():
            if gid not in found and record.get("capital", 0) > 0:
                found[gid] = (plan.session, float(record["capital"]))
    return found


def _last_day(panel: Panel) -> dt.date:
    return dt.date.fromisoformat(str(panel.dates[-1].astype("datetime64[D]")))
