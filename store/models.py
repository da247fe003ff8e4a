"""The tables of `research.db`: typed SQLAlchemy 2.0 models, in one module.

Conventions: ids of genomes and windows are their SHA-256 hex digests (64 characters); times are
UTC; JSON columns hold plain values (numbers, strings, lists), never code; daily return series
are float16 arrays compressed with zlib (`store.arrays`). JSON, number and date columns are read
through checked types, so that a value that cannot be read marks its row instead of failing the
query (`store.unreadable`). Models carry no session and no logic.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

from sqlalchemy import (
    ForeignKey,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from store.checked import Day, Flag, Moment, Number, Status, checked_types
from store.statuses import CandidateStatus, OrderStatus, PlanStatus, RunStatus

__all__ = [
    "APPEND_ONLY",
    "ArchiveEntry",
    "Base",
    "Candidate",
    "Decision",
    "Evaluation",
    "ForwardReturn",
    "GateReport",
    "Generation",
    "Genome",
    "HallOfFameEntry",
    "HoldoutResult",
    "LiveAccount",
    "LiveBookEntry",
    "LiveCashEntry",
    "LiveEvent",
    "LiveFill",
    "LiveOrder",
    "LivePlan",
    "OrderMove",
    "PanelRecord",
    "PopulationMember",
    "QuarantineEntry",
    "Run",
    "SimBrokerState",
    "StagnationEvent",
    "TrialCount",
    "WindowRecord",
    "utc_now",
]

ID = String(64)
# Tables whose rows are never changed or removed once written (enforced by database triggers).
APPEND_ONLY = (
    "gate_reports",
    "holdout_results",
    "decisions",
    "live_fills",
    "live_cash",
    "live_events",
    "order_moves",
    "forward_returns",
)

# Constraint names are fixed so that migrations can refer to them on every database.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utc_now() -> dt.datetime:
    """Now in UTC, without a time zone (how the database stores times)."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


class Base(DeclarativeBase):
    """The base of the lab's tables, with a naming convention for constraints."""

    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = checked_types()


class PanelRecord(Base):
    """A market data panel, by its content fingerprint."""

    __tablename__ = "panels"
    fingerprint: Mapped[str] = mapped_column(ID, primary_key=True)
    source: Mapped[str] = mapped_column(Text)
    n_symbols: Mapped[int]
    n_days: Mapped[int]
    first_day: Mapped[dt.date] = mapped_column(Day())
    last_day: Mapped[dt.date] = mapped_column(Day())
    created_at: Mapped[dt.datetime] = mapped_column(Moment(), default=utc_now)


class WindowRecord(Base):
    """An evaluation window (train, validation or holdout) of one panel."""

    __tablename__ = "windows"
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    name: Mapped[str] = mapped_column(String(16))
    panel_fingerprint: Mapped[str] = mapped_column(ForeignKey("panels.fingerprint"))
    first_day: Mapped[dt.date] = mapped_column(Day())
    last_day: Mapped[dt.date] = mapped_column(Day())
    n_days: Mapped[int]
    warmup_days: Mapped[int]
    rules: Mapped[dict[str, Any]]
    created_at: Mapped[dt.datetime] = mapped_column(Moment(), default=utc_now)


class Run(Base):
    """One nightly run: what it was given, how it went and what it found."""

    __tablename__ = "runs"
    id: Mapped[int] = mapped_column(primary_key=True)
    discovery: Mapped[bool] = mapped_column(Flag())
    config_id: Mapped[str] = mapped_column(ID)
    config: Mapped[dict[str, Any]]
    seed: Mapped[int]
    code_version: Mapped[str] = mapped_column(String(80))
    status: Mapped[RunStatus] = mapped_column(Status(RunStatus, 16))
    pid: Mapped[int]
    started_at: Mapped[dt.datetime] = mapped_column(Moment(), default=utc_now)
    finished_at: Mapped[dt.datetime | None] = mapped_column(Moment())
    panel_fingerprint: Mapped[str | None] = mapped_column(ForeignKey("panels.fingerprint"))
    train_window_id: Mapped[str | None] = mapped_column(ForeignKey("windows.id"))
    resumes_run_id: Mapped[int | None] = mapped_column(ForeignKey("runs.id"))
    # Genome ids whose returns the correlation penalty is measured against, fixed for the run.
    reference: Mapped[list[Any]] = mapped_column(default=list)
    summary: Mapped[dict[str, Any]] = mapped_column(default=dict)


class Genome(Base):
    """A genome by its id (SHA-256 of its stored text form), with where it came from."""

    __tablename__ = "genomes"
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    text: Mapped[str] = mapped_column(Text)
    size: Mapped[int]
    height: Mapped[int]
    # random | crossover | copy | mutation:<kind> | crossover+mutation | injected | restart |
    # refined | user
    origin: Mapped[str] = mapped_column(String(32))
    # Plain ids, not references: retention (evolve.retention) prunes genomes that died, so a
    # parent may be gone while its child lives on.
    first_parent_id: Mapped[str | None] = mapped_column(ID)
    second_parent_id: Mapped[str | None] = mapped_column(ID)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("runs.id"))
    created_at: Mapped[dt.datetime] = mapped_column(Moment(), default=utc_now)


class Evaluation(Base):
    """A genome measured on a window: never computed twice (unique genome x window)."""

    __tablename__ = "evaluations"
    __table_args__ = (UniqueConstraint("genome_id", "window_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    genome_id: Mapped[str] = mapped_column(ForeignKey("genomes.id"))
    window_id: Mapped[str] = mapped_column(ForeignKey("windows.id"), index=True)
    ok: Mapped[bool] = mapped_column(Flag())
    reason: Mapped[str | None] = mapped_column(Text)
    # Sharpe after costs, annualised; None when the evaluation failed. (A genome's score and
    # fitness depend on the configuration and are derived from these, see fitness.portfolio.)
    sharpe: Mapped[float | None] = mapped_column(Number())
    n_trades: Mapped[int]
    metrics: Mapped[dict[str, Any]]
    returns: Mapped[bytes | None] = mapped_column(LargeBinary)
    descriptor: Mapped[bytes | None] = mapped_column(LargeBinary)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("runs.id"))
    created_at: Mapped[dt.datetime] = mapped_column(Moment(), default=utc_now)


class TrialCount(Base):
    """Every genome evaluated on a window is a trial; the gate deflates by their number and the
    spread of their Sharpe ratios."""

    __tablename__ = "trial_counts"
    window_id: Mapped[str] = mapped_column(ForeignKey("windows.id"), primary_key=True)
    panel_fingerprint: Mapped[str] = mapped_column(ForeignKey("panels.fingerprint"))
    trials: Mapped[int]
    sharpe_n: Mapped[int]
    sharpe_sum: Mapped[float] = mapped_column(Number())
    sharpe_sq_sum: Mapped[float] = mapped_column(Number())


class Generation(Base):
    """The committed state after one generation of the lineage (numbers never repeat)."""

    __tablename__ = "generations"
    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[int] = mapped_column(unique=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id"))
    train_window_id: Mapped[str] = mapped_column(ForeignKey("windows.id"))
    evaluations: Mapped[int]
    cache_hits: Mapped[int]
    failures: Mapped[int]
    best_fitness: Mapped[float] = mapped_column(Number())
    median_fitness: Mapped[float] = mapped_column(Number())
    best_score: Mapped[float] = mapped_column(Number())
    diversity: Mapped[float] = mapped_column(Number())
    unique_genomes: Mapped[int]
    archive_size: Mapped[int]
    archive_threshold: Mapped[float] = mapped_column(Number())
    archive_added: Mapped[int]
    # Stagnation state carried to the next generation.
    stagnation_best: Mapped[float] = mapped_column(Number())
    stagnant_for: Mapped[int]
    injected: Mapped[bool] = mapped_column(Flag())
    seconds: Mapped[float] = mapped_column(Number())
    created_at: Mapped[dt.datetime] = mapped_column(Moment(), default=utc_now)


class PopulationMember(Base):
    """A genome's place in one generation, with its score and fitness."""

    __tablename__ = "population"
    generation_id: Mapped[int] = mapped_column(ForeignKey("generations.id"), primary_key=True)
    position: Mapped[int] = mapped_column(primary_key=True)
    genome_id: Mapped[str] = mapped_column(ForeignKey("genomes.id"))
    score: Mapped[float] = mapped_column(Number())
    fitness: Mapped[float] = mapped_column(Number())


class ArchiveEntry(Base):
    """A member of the novelty archive, with its behaviour descriptor on `window_id`."""

    __tablename__ = "novelty_archive"
    genome_id: Mapped[str] = mapped_column(ForeignKey("genomes.id"), primary_key=True)
    window_id: Mapped[str] = mapped_column(ForeignKey("windows.id"))
    descriptor: Mapped[bytes] = mapped_column(LargeBinary)
    novelty: Mapped[float] = mapped_column(Number())
    generation: Mapped[int]


class StagnationEvent(Base):
    """A stagnation restart: when, what was measured and what was done."""

    __tablename__ = "stagnation_events"
    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id"))
    generation: Mapped[int]
    measure: Mapped[str] = mapped_column(String(32))
    best: Mapped[float] = mapped_column(Number())
    improvement: Mapped[float] = mapped_column(Number())
    # inject | restart
    action: Mapped[str] = mapped_column(String(16))
    replaced: Mapped[int]
    created_at: Mapped[dt.datetime] = mapped_column(Moment(), default=utc_now)


class HallOfFameEntry(Base):
    """A genome in the hall of fame of a window."""

    __tablename__ = "hall_of_fame"
    genome_id: Mapped[str] = mapped_column(ForeignKey("genomes.id"), primary_key=True)
    window_id: Mapped[str] = mapped_column(ForeignKey("windows.id"))
    score: Mapped[float] = mapped_column(Number())
    generation: Mapped[int]


class Candidate(Base):
    """A genome put forward for the promotion gate and human review."""

    __tablename__ = "candidates"
    id: Mapped[int] = mapped_column(primary_key=True)
    # Never changes once written (a database trigger refuses it).
    genome_id: Mapped[str] = mapped_column(ForeignKey("genomes.id"), unique=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id"))
    window_id: Mapped[str] = mapped_column(ForeignKey("windows.id"))
    score: Mapped[float] = mapped_column(Number())
    fitness: Mapped[float] = mapped_column(Number())
    # Its moves are the table of store.lifecycle (MOVES).
    status: Mapped[CandidateStatus] = mapped_column(
        Status(CandidateStatus, 16), default=CandidateStatus.CANDIDATE
    )
    created_at: Mapped[dt.datetime] = mapped_column(Moment(), default=utc_now)


class GateReport(Base):
    """One run of the promotion gate on one candidate, on the validation window. Immutable
    (the database refuses updates and deletes): a re-run adds a new report."""

    __tablename__ = "gate_reports"
    id: Mapped[int] = mapped_column(primary_key=True)
    candidate_id: Mapped[int] = mapped_column(ForeignKey("candidates.id"), index=True)
    # The nightly run that gated it; None for `promote gate`.
    run_id: Mapped[int | None] = mapped_column(ForeignKey("runs.id"))
    config_id: Mapped[str] = mapped_column(ID)
    code_version: Mapped[str] = mapped_column(String(80))
    panel_fingerprint: Mapped[str] = mapped_column(ForeignKey("panels.fingerprint"))
    train_window_id: Mapped[str] = mapped_column(ForeignKey("windows.id"))
    validation_window_id: Mapped[str] = mapped_column(ForeignKey("windows.id"))
    # The genome judged: a candidate that names another is left out (store.repointed).
    genome_id: Mapped[str | None] = mapped_column(ID)
    passed: Mapped[bool] = mapped_column(Flag())
    # One line per failed required criterion.
    reasons: Mapped[list[Any]]
    # Every criterion: name, meaning, value, rule, threshold, required, passed.
    criteria: Mapped[list[Any]]
    # What the criteria were computed from: trials, moments, cost stress, robustness variants,
    # years, look-ahead cuts, PBO of the cohort, correlations, costs (see promotion.gate).
    details: Mapped[dict[str, Any]]
    created_at: Mapped[dt.datetime] = mapped_column(Moment(), default=utc_now)


class ForwardReturn(Base):
    """One session of a candidate's forward record (promotion.following): its paper return on a
    session after the data of the gate report it follows (the lab's backtest rules and costs,
    started flat on the first such session), and equal-weight buy-and-hold of the universe's on
    the same session and costs. Written once, the night the session is first seen; never
    changed (append-only)."""

    __tablename__ = "forward_returns"
    __table_args__ = (UniqueConstraint("candidate_id", "day"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    candidate_id: Mapped[int] = mapped_column(ForeignKey("candidates.id"))
    day: Mapped[dt.date] = mapped_column(Day())
    gate_report_id: Mapped[int] = mapped_column(ForeignKey("gate_reports.id"))
    strategy: Mapped[float] = mapped_column(Number())
    market: Mapped[float] = mapped_column(Number())
    # The nightly run that recorded it; None for a command run by hand.
    run_id: Mapped[int | None] = mapped_column(ForeignKey("runs.id"))
    recorded_at: Mapped[dt.datetime] = mapped_column(Moment(), default=utc_now)


class HoldoutResult(Base):
    """A candidate's holdout metrics: computed once, at its first review, and only shown after
    that (the database refuses updates and deletes)."""

    __tablename__ = "holdout_results"
    candidate_id: Mapped[int] = mapped_column(ForeignKey("candidates.id"), primary_key=True)
    window_id: Mapped[str] = mapped_column(ForeignKey("windows.id"))
    sharpe: Mapped[float] = mapped_column(Number())
    n_trades: Mapped[int]
    metrics: Mapped[dict[str, Any]]
    # Equal-weight buy-and-hold of the universe on the same window and costs.
    buy_and_hold: Mapped[dict[str, Any]]
    costs: Mapped[dict[str, Any]]
    returns: Mapped[bytes] = mapped_column(LargeBinary)
    opened_by: Mapped[str] = mapped_column(String(64))
    opened_at: Mapped[dt.datetime] = mapped_column(Moment(), default=utc_now)


class Decision(Base):
    """A move of a candidate (store.lifecycle): a reviewer's approve, reject or retire, the
    gate's gate_pass or gate_fail, live trading's go_live; who or what, when, why.
    Append-only (the database refuses updates and deletes)."""

    __tablename__ = "decisions"
    id: Mapped[int] = mapped_column(primary_key=True)
    candidate_id: Mapped[int] = mapped_column(ForeignKey("candidates.id"), index=True)
    # The genome decided on: a candidate that names another is left out (store.repointed).
    genome_id: Mapped[str | None] = mapped_column(ID)
    action: Mapped[str] = mapped_column(String(16))
    from_status: Mapped[CandidateStatus] = mapped_column(Status(CandidateStatus, 16))
    to_status: Mapped[CandidateStatus] = mapped_column(Status(CandidateStatus, 16))
    reviewer: Mapped[str] = mapped_column(String(64))
    note: Mapped[str] = mapped_column(Text)
    # True when a gate_failed candidate was approved against the gate.
    override: Mapped[bool] = mapped_column(Flag())
    # The gate report the reviewer saw (the newest at the time).
    gate_report_id: Mapped[int | None] = mapped_column(ForeignKey("gate_reports.id"))
    decided_at: Mapped[dt.datetime] = mapped_column(Moment(), default=utc_now)


class LiveAccount(Base):
    """A broker account the lab trades: "sim-N" (a replay of the data), "alpaca-paper" or
    "alpaca-live". Every live table is keyed by it."""

    __tablename__ = "live_accounts"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(32), unique=True)
    broker: Mapped[str] = mapped_column(String(16))
    # What the account was started with (sim: data source, days, first and last day, cash).
    settings: Mapped[dict[str, Any]]
    created_at: Mapped[dt.datetime] = mapped_column(Moment(), default=utc_now)


class LivePlan(Base):
    """The orders of one trading session, planned once from the bars before it (a restart
    reuses the stored plan, never plans the session again)."""

    __tablename__ = "live_plans"
    __table_args__ = (UniqueConstraint("account_id", "session"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("live_accounts.id"))
    # The session whose open the orders are for, and the last bar the signals saw.
    session: Mapped[dt.date] = mapped_column(Day())
    data_day: Mapped[dt.date] = mapped_column(Day())
    equity: Mapped[float] = mapped_column(Number())
    settled_cash: Mapped[float] = mapped_column(Number())
    # Strategy (genome id) -> weight, capital and why it got 0 ("excluded"; read it through
    # strategy_weights); symbol -> net target quantity.
    weights: Mapped[dict[str, Any]]
    targets: Mapped[dict[str, Any]]
    status: Mapped[PlanStatus] = mapped_column(Status(PlanStatus, 16))
    created_at: Mapped[dt.datetime] = mapped_column(Moment(), default=utc_now)

    def strategy_weights(self) -> dict[str, dict[str, Any]]:
        """Genome id -> {"weight", "capital"} and "excluded" (why it got 0) where it did.
        Plans saved before each entry carried its reason kept them all under one "excluded"
        key; they read the same."""
        found = {gid: dict(w) for gid, w in self.weights.items() if gid != "excluded"}
        for gid, reason in dict(self.weights.get("excluded", {})).items():
            found.setdefault(gid, {"weight": 0.0, "capital": 0.0})["excluded"] = reason
        return found


class LiveOrder(Base):
    """An order, written before it is sent. Its client id is deterministic (account, session,
    symbol, side, sequence) and never reused, so a restart can only find it, never double it."""

    __tablename__ = "live_orders"
    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("live_accounts.id"), index=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("live_plans.id"), index=True)
    client_order_id: Mapped[str] = mapped_column(String(128), unique=True)
    sequence: Mapped[int]
    symbol: Mapped[str] = mapped_column(String(16))
    side: Mapped[str] = mapped_column(String(4))
    qty: Mapped[float] = mapped_column(Number())
    # None for a market order.
    limit_price: Mapped[float | None] = mapped_column(Number())
    last_close: Mapped[float] = mapped_column(Number())
    # The lab's (planned, denied, submitting, unknown), then the broker's; its moves are the
    # table of store.lifecycle (ORDER_MOVES), each recorded (order_moves).
    status: Mapped[OrderStatus] = mapped_column(Status(OrderStatus, 24))
    reason: Mapped[str | None] = mapped_column(Text)
    broker_id: Mapped[str | None] = mapped_column(String(64))
    # Cumulative, as the broker reports them; fills are the deltas (live_fills).
    filled_qty: Mapped[float] = mapped_column(Number(), default=0.0)
    filled_avg_price: Mapped[float | None] = mapped_column(Number())
    created_at: Mapped[dt.datetime] = mapped_column(Moment(), default=utc_now)
    updated_at: Mapped[dt.datetime] = mapped_column(Moment(), default=utc_now)


class OrderMove(Base):
    """A change of an order's status (store.lifecycle.move_order): from which, to which, why
    and when, as decisions are for candidates. An order's first status (planned) is its
    created_at. Append-only."""

    __tablename__ = "order_moves"
    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("live_orders.id"), index=True)
    from_status: Mapped[OrderStatus] = mapped_column(Status(OrderStatus, 24))
    to_status: Mapped[OrderStatus] = mapped_column(Status(OrderStatus, 24))
    reason: Mapped[str | None] = mapped_column(Text)
    moved_at: Mapped[dt.datetime] = mapped_column(Moment(), default=utc_now)


class LiveFill(Base):
    """A change of a position: a fill (the delta of an order's cumulative filled quantity) or
    an adjustment taken from the broker by reconciliation. Append-only."""

    __tablename__ = "live_fills"
    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("live_accounts.id"), index=True)
    order_id: Mapped[int | None] = mapped_column(ForeignKey("live_orders.id"))
    # fill | adjust
    kind: Mapped[str] = mapped_column(String(8))
    symbol: Mapped[str] = mapped_column(String(16))
    # Signed: positive bought, negative sold.
    qty: Mapped[float] = mapped_column(Number())
    price: Mapped[float] = mapped_column(Number())
    session: Mapped[dt.date] = mapped_column(Day())
    recorded_at: Mapped[dt.datetime] = mapped_column(Moment(), default=utc_now)


class LiveCashEntry(Base):
    """The settled-cash ledger: every change of cash, with the day it settles (a sale's
    proceeds settle `settlement_days` sessions after the trade; a purchase is paid at once).
    Cash is the sum of the amounts; settled cash on a day, of those settled by then.
    Append-only."""

    __tablename__ = "live_cash"
    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("live_accounts.id"), index=True)
    # opening | buy | sell | fee | adjust
    kind: Mapped[str] = mapped_column(String(8))
    amount: Mapped[float] = mapped_column(Number())
    settles_on: Mapped[dt.date] = mapped_column(Day())
    fill_id: Mapped[int | None] = mapped_column(ForeignKey("live_fills.id"))
    note: Mapped[str] = mapped_column(Text, default="")
    recorded_at: Mapped[dt.datetime] = mapped_column(Moment(), default=utc_now)


class LiveBookEntry(Base):
    """A strategy's holding in an account, kept by the backtest's rules (entered when its
    signal turns on and a slot is free, sized at its capital / max_positions, left when the
    signal turns off). The account trades towards the sum of the books."""

    __tablename__ = "live_books"
    account_id: Mapped[int] = mapped_column(ForeignKey("live_accounts.id"), primary_key=True)
    genome_id: Mapped[str] = mapped_column(ForeignKey("genomes.id"), primary_key=True)
    symbol: Mapped[str] = mapped_column(String(16), primary_key=True)
    qty: Mapped[float] = mapped_column(Number())
    entered_on: Mapped[dt.date] = mapped_column(Day())


class LiveEvent(Base):
    """What happened to an account that a human may need to know: start, stop,
    reconciliation, risk denial, halt, resume, cancel, broker error. Append-only."""

    __tablename__ = "live_events"
    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int | None] = mapped_column(ForeignKey("live_accounts.id"), index=True)
    kind: Mapped[str] = mapped_column(String(24))
    ok: Mapped[bool] = mapped_column(Flag())
    message: Mapped[str] = mapped_column(Text)
    detail: Mapped[dict[str, Any]]
    created_at: Mapped[dt.datetime] = mapped_column(Moment(), default=utc_now)


class SimBrokerState(Base):
    """The sim broker's own side of a sim account (its orders, positions, cash and day), so a
    simulated account persists like a real one."""

    __tablename__ = "sim_broker_states"
    account_id: Mapped[int] = mapped_column(ForeignKey("live_accounts.id"), primary_key=True)
    state: Mapped[dict[str, Any]]
    updated_at: Mapped[dt.datetime] = mapped_column(Moment(), default=utc_now)


class QuarantineEntry(Base):
    """A stored row that cannot be read (a genome text that no longer parses, ...): named once,
    with why and which command found it, and left out of everything after; the row itself
    stays as it was."""

    __tablename__ = "quarantine"
    __table_args__ = (UniqueConstraint("table_name", "row_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    table_name: Mapped[str] = mapped_column(String(32))
    row_id: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(Text)
    # The command that met it: "evolve nightly", "promote gate", "live run", ...
    found_by: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[dt.datetime] = mapped_column(Moment(), default=utc_now)
