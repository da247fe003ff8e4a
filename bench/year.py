"""A simulated year: the lab run night after night on a market that grows by one session a
night, through the real nightly path, with a person who trusts it.

Each night: the market's bars up to tonight's session are written as the lab's CSV (the data
refresh), then `evolve nightly --discovery` and its gate (`run_nightly` with `gate_pending`, as
the timer runs them: rolling windows, search, gate, forward records, incubation lines, decay
watch), on the lab's clock at tonight's close. Then the person: every candidate that passed
the gate has its holdout opened and is approved (so it incubates on paper), every incubating
strategy whose incubation test passed is confirmed for real orders, and every strategy the
decay watch proposes to retire is retired.

Markets (bench.planted, `n_symbols` symbols on the bundled calendar's last sessions):

- `all year`: an edge of the kind's ideal Sharpe (after costs) in every session;
- `appears`: the same edge, only from mid-year on (nothing before);
- `dies`: the edge until mid-year, nothing after;
- `null`: the same generator, no edge.

Per night: N (the candidates judged on validation periods overlapping tonight's) and the pass
line it gives (`promotion.statistics.pass_line`), candidates gated and passed, strategies
followed forward, incubating, trading real orders, proposed for retirement. Per year: whether
and when a strategy reached real orders (and whether it trades the planted edge: its
validation returns beyond buy-and-hold correlate above 0.4 with the ideal rule's), and for a
dying edge, the sessions from its death to the proposal to retire each strategy that traded it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import math
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import func, select

from bench.markets import long_bars
from bench.planted import EDGES, Edge, calibrate, planted_market
from bench.power import upper_bound
from configs import LabConfig, load_config
from evolve.nightly import NightOptions, run_nightly
from fitness.buy_and_hold import beyond, buy_and_hold
from fitness.score import WindowScorer
from fitness.windows import Window, build_windows
from genome.text import parse
from labkit import LENIENT_GATE_PATH
from market.bars import read_bars_file
from market.exchange import TRADING_DAYS
from market.panel import Panel
from market.problems import DataReport
from market.sources import load_panel
from promotion.following import forward_records
from promotion.gating import gate_pending
from promotion.holdout import open_holdout
from promotion.incubation import incubating
from promotion.lifecycle import decide
from promotion.statistics import pass_line
from promotion.trials import count_trials
from store import open_database
from store.lifecycle import BOOK, TRADING, CandidateStatus
from store.models import Candidate, Decision, ForwardReturn, GateReport, Genome, LiveEvent

__all__ = [
    "KINDS",
    "YearSize",
    "measure",
    "planted_writer",
    "replay",
    "replay_table",
    "replay_writer",
    "run_year",
    "summarise",
    "summarise_kept",
    "table",
]

KINDS = ("all year", "appears", "dies", "null")

LAB = """
[data]
source = "{source}"
benchmark = "{benchmark}"
cache_dir = "data-cache"

[log]
dir = "logs"

[review]
chart_dir = "charts"

[windows]
scheme = "rolling"
train_sessions = {train}
validation_sessions = {validation}
holdout_sessions = {holdout}
reanchor_sessions = {reanchor}
min_days = 60

[evolve]
population = {population}
workers = 1
candidates = {candidates}
refine_candidates = {refine}
budget_minutes = 1440.0
lock_file = "evolve-nightly.lock"

[gate]
pbo_cohort = {cohort}
period_budget = {budget}
{gate_extra}

[incubation]
sessions = {incubation}
confidence = {confidence}

[store]
backup_dir = "backups"
keep_backups = 2
prune_every = 5
"""


@dataclass(frozen=True)
class YearSize:
    """How large a simulated year is: its nights, each night's search, the market and the
    windows (in sessions), and the incubation."""

    nights: int = 250
    population: int = 30
    generations: int = 2
    candidates: int = 2
    refine: int = 3  # the night's refinements of its best candidates, gated too
    cohort: int = 10
    n_symbols: int = 20
    train: int = 756
    validation: int = 756
    holdout: int = 126
    reanchor: int = 126
    incubation: int = 63
    confidence: float = 0.9
    budget: int = 0  # gate.period_budget: candidates judged on one validation period (0: all)
    lenient: bool = False  # a gate that passes everything (labkit), to rehearse the path
    source: str = "bars.csv"  # the lab's data file
    benchmark: str = "S00"

    def lab_toml(self) -> str:
        """The lab.toml of a year of this size."""
        extra = ""
        if self.lenient:
            lines = LENIENT_GATE_PATH.read_text().splitlines()
            extra = "\n".join(line for line in lines if line and line[0] not in "#[")
        return LAB.format(**asdict(self), gate_extra=extra)

    def history(self, warmup: int) -> int:
        """Sessions of the market before the year's first night: the windows and their warm-up,
        and one re-anchoring's worth so that the first anchor has room."""
        return self.train + self.validation + self.holdout + warmup + self.reanchor


@dataclass
class YearNight:
    """One night of a year: what a person reads in the morning."""

    night: int
    day: str
    n: int  # the deflation's N: candidates judged on periods overlapping tonight's (+ budget)
    pass_line: float  # the validation Sharpe (a year) that N asks of a normal candidate
    gated: int
    passed: int
    followed: int
    incubating: int
    real: int
    proposals: int
    seconds: float
    waiting: int = 0  # candidates not judged yet (with a budget: waiting for a new period)


@dataclass
class YearOutcome:
    """A simulated year and what became of its strategies."""

    kind: str
    seed: int
    rows: list[YearNight] = field(default_factory=list)
    real: dict[int, int] = field(default_factory=dict)  # candidate -> night it was confirmed
    real_edge: dict[int, bool] = field(default_factory=dict)  # does it trade the planted edge
    proposed: dict[int, int] = field(default_factory=dict)  # candidate -> night of the proposal
    book_at_death: list[int] = field(default_factory=list)  # edge traders in the book then
    after: dict[int, dict[str, Any]] = field(default_factory=dict)  # real ones, since confirmed
    found: int = 0  # candidates (any status) that trade the planted edge, at the year's end
    # The followed candidates' forward records at the year's end: status, sessions, Sharpe, PSR.
    forward: dict[int, dict[str, Any]] = field(default_factory=dict)

    @property
    def reached_real(self) -> bool:
        """Whether any strategy reached real orders during the year."""
        return bool(self.real)

    def retire_delays(self, death: int) -> list[int | None]:
        """For each edge trader in the book when the edge died, the sessions until the lab
        proposed to retire it (None: not within the year)."""
        return [
            (self.proposed[c] - death) if c in self.proposed else None for c in self.book_at_death
        ]


def activity(kind: str, n_days: int, year_start: int, nights: int) -> np.ndarray | None:
    """Which days the edge tilts in a year of `kind` (None: every day)."""
    if kind == "all year":
        return None
    middle = year_start + nights // 2
    days = np.arange(n_days)
    return days >= middle if kind == "appears" else days < middle


Writer = Callable[[Path, int], dt.date]  # writes the sessions before `stop`; the newest one


def run_year(
    folder: Path,
    write: Writer,
    year_start: int,
    kind: str,
    seed: int,
    size: YearSize,
    edge: Edge | None,
    progress: Callable[[str], None] = print,
) -> YearOutcome:
    """A year of `size.nights` nights in a fresh lab in `folder` whose data `write` writes each
    night, the first night's ending at session `year_start` (see the module docstring)."""
    folder.mkdir(parents=True)
    (folder / "lab.toml").write_text(size.lab_toml())
    config = load_config(folder / "lab.toml")
    db = f"sqlite:///{folder / 'research.db'}"
    outcome = YearOutcome(kind, seed)
    death = size.nights // 2
    for night in range(size.nights):
        started = time.perf_counter()
        day = write(folder, year_start + night + 1)
        now = dt.datetime.combine(day, dt.time(22, 0), dt.UTC)
        options = NightOptions(discovery=True, generations=size.generations, seed=seed + night)
        summary = run_nightly(config, db, options, clock=_clock(now), after=gate_pending(config))
        # The data as the lab read it tonight, and its windows.
        seen, _ = load_panel(config.data, config.alpaca, now=now)
        windows = build_windows(seen, config.windows, config.backtest)
        _person(db, config, seen, windows, now, summary.run_id, night, outcome)
        if kind == "dies" and night == death and edge is not None:
            outcome.book_at_death = _edge_traders(db, config, seen, windows, edge, BOOK)
        row = YearNight(
            night,
            str(day),
            **_census(db, config, windows, summary.run_id),
            proposals=len(outcome.proposed),
            seconds=time.perf_counter() - started,
        )
        outcome.rows.append(row)
        progress(_line(kind, seed, row))
    if edge is not None:
        # Did the search breed the edge at all (any candidate, whatever the gate said)?
        traders = _edge_traders(db, config, seen, windows, edge, tuple(CandidateStatus))
        outcome.found = len(traders)
        outcome.real_edge = {c: c in traders for c in outcome.real}
    outcome.after = _since_confirmed(db, outcome.real)
    outcome.forward = _forward_at_end(db)
    return outcome


def planted_writer(market: Panel) -> Writer:
    """A planted market written as the lab's CSV, up to a session."""

    def write(folder: Path, stop: int) -> dt.date:
        panel = market.days(0, stop)
        fields = ("open", "high", "low", "close", "volume")
        arrays = {f: getattr(panel, f) for f in fields}
        bars = long_bars(pd.Index(panel.dates), list(panel.symbols), arrays)
        bars.to_csv(folder / "bars.csv", index=False)
        return panel.dates[-1].item()

    return write


def replay_writer(bars: pd.DataFrame, dates: np.ndarray) -> Writer:
    """Real bars (long format) replayed: those dated up to `dates[stop - 1]`, as the lab's file
    (Parquet: a night rewrites it whole, as a refreshed download would)."""
    stamps = pd.to_datetime(bars["date"])

    def write(folder: Path, stop: int) -> dt.date:
        day = pd.Timestamp(dates[stop - 1])
        bars[stamps <= day].to_parquet(folder / "bars.parquet", index=False)
        return day.date()

    return write


def _clock(now: dt.datetime) -> Callable[[], dt.datetime]:
    return lambda: now


def _person(
    db: str,
    config: LabConfig,
    panel: Panel,
    windows: dict[str, Window],
    now: dt.datetime,
    run_id: int | None,
    night: int,
    outcome: YearOutcome,
) -> None:
    # A person who trusts the lab: approve what passed the gate (holdout first), confirm what
    # passed incubation, retire what the decay watch proposes.
    when = now.replace(tzinfo=None)
    database = open_database(db)
    with database.transaction() as session:
        passed = session.scalars(
            select(Candidate).where(Candidate.status == CandidateStatus.GATE_PASSED)
        ).all()
        for c in passed:
            open_holdout(session, c, panel, windows["holdout"], config.backtest, "bench")
            decide(
                session,
                c,
                "approve",
                "bench",
                "passed the gate",
                now=when,
                incubation=config.incubation,
            )
        for found in incubating(session, config.incubation):
            if found.test.passed:
                decide(
                    session,
                    found.candidate,
                    "confirm",
                    "bench",
                    "passed incubation",
                    now=when,
                    incubation=config.incubation,
                )
                outcome.real[found.candidate.id] = night
        alarms = session.scalars(select(LiveEvent).where(LiveEvent.kind == "decay")).all()
        for event in alarms:
            number = int(event.detail["candidate"])
            if event.detail.get("run_id") != run_id or number in outcome.proposed:
                continue
            outcome.proposed[number] = night
            candidate = session.get_one(Candidate, number)
            if candidate.status in BOOK:
                decide(
                    session,
                    candidate,
                    "retire",
                    "bench",
                    "decay watch",
                    now=when,
                    incubation=config.incubation,
                )
    database.close()


def _census(
    db: str, config: LabConfig, windows: dict[str, Window], run_id: int | None
) -> dict[str, Any]:
    # The morning's figures, read from research.db: N and the pass line on tonight's
    # validation period, tonight's gate reports, and where the strategies stand.
    validation = windows["validation"]
    database = open_database(db)
    with database.transaction() as session:
        trials = count_trials(
            session,
            validation.id,
            windows["train"].id,
            [],
            "all",
            0,
            budget=config.gate.period_budget,
        )
        verdicts = session.scalars(select(GateReport.passed).where(GateReport.run_id == run_id))
        passes = list(verdicts)
        statuses = list(session.scalars(select(Candidate.status)))
        newest = session.scalar(select(func.max(ForwardReturn.day)))
        followed = session.scalar(
            select(func.count(func.distinct(ForwardReturn.candidate_id))).where(
                ForwardReturn.day == newest
            )
        )
    database.close()
    deflated = 0 < config.gate.min_dsr < 1  # not so with a gate that passes everything
    line = pass_line(max(trials.n, 1.0), validation.n_days, config.gate.min_dsr) if deflated else 0
    return {
        "n": round(trials.n),
        "pass_line": line * math.sqrt(TRADING_DAYS),
        "gated": len(passes),
        "passed": sum(passes),
        "followed": int(followed or 0),
        "incubating": statuses.count(CandidateStatus.INCUBATING),
        "real": sum(s in TRADING for s in statuses),
        "waiting": statuses.count(CandidateStatus.CANDIDATE),
    }


def _edge_traders(
    db: str,
    config: LabConfig,
    panel: Panel,
    windows: dict[str, Window],
    edge: Edge,
    statuses: tuple[str, ...],
) -> list[int]:
    # The candidates in `statuses` whose validation returns beyond buy-and-hold follow the
    # ideal rule's (correlation above 0.4), on tonight's validation window.
    validation = windows["validation"]
    scorer = WindowScorer(panel, validation, config.backtest)
    market = buy_and_hold(panel, validation, config.backtest).result.returns
    _, reference = beyond(scorer.score(parse(edge.rule)).result.returns, market)
    database = open_database(db)
    with database.transaction() as session:
        found = session.execute(
            select(Candidate.id, Genome.text)
            .join(Genome, Genome.id == Candidate.genome_id)
            .where(Candidate.status.in_(statuses))
        ).all()
    database.close()
    out = []
    for number, text in found:
        _, own = beyond(scorer.score(parse(text)).result.returns, market)
        if np.std(own) > 0 and np.corrcoef(own, reference)[0, 1] > 0.4:
            out.append(number)
    return out


def _since_confirmed(db: str, real: dict[int, int]) -> dict[int, dict[str, Any]]:
    # Each real-money strategy's forward record after its confirmation night's session.
    database = open_database(db)
    out = {}
    with database.transaction() as session:
        for number in real:
            confirmed = session.scalar(
                select(Decision.decided_at).where(
                    Decision.candidate_id == number, Decision.action == "confirm"
                )
            )
            rows = session.scalars(
                select(ForwardReturn.strategy)
                .where(ForwardReturn.candidate_id == number)
                .where(ForwardReturn.day > (confirmed.date() if confirmed else dt.date.min))
                .order_by(ForwardReturn.day)
            ).all()
            returns = np.array(rows, dtype=float)
            sd = float(np.std(returns, ddof=1)) if len(returns) > 1 else 0.0
            out[number] = {
                "sessions": len(returns),
                "sharpe": float(np.mean(returns) / sd * math.sqrt(TRADING_DAYS)) if sd else None,
                "total_return": float(np.prod(1 + returns) - 1) if len(returns) else 0.0,
            }
    database.close()
    return out


def _forward_at_end(db: str) -> dict[int, dict[str, Any]]:
    # Every candidate with a forward record: where it stands and what its record says.
    database = open_database(db)
    with database.transaction() as session:
        numbers = list(session.scalars(select(ForwardReturn.candidate_id).distinct()))
        found = select(Candidate.id, Candidate.status).where(Candidate.id.in_(numbers))
        statuses = {number: status for number, status in session.execute(found)}
        records = forward_records(session, numbers)
    database.close()
    return {
        n: {
            "status": str(statuses.get(n)),
            "sessions": r.sessions,
            "sharpe": r.sharpe,
            "psr": r.psr,
            "dsr": r.dsr,
        }
        for n, r in records.items()
    }


def _line(kind: str, seed: int, row: YearNight) -> str:
    return (
        f"year {kind} seed {seed} night {row.night} {row.day}: N {row.n} pass line "
        f"{row.pass_line:.2f}, gated {row.gated} passed {row.passed}, followed {row.followed}, "
        f"incubating {row.incubating}, real {row.real}, proposals {row.proposals}, "
        f"waiting {row.waiting} ({row.seconds:.1f} s)"
    )


def measure(
    kinds: list[str],
    seeds: list[int],
    size: YearSize,
    edge_kind: str = "trend",
    strength: float = 2.0,
    workers: int = 1,
    progress: Callable[[str], None] = print,
    kept: Path | None = None,
) -> dict[str, Any]:
    """Simulated years of `kinds` (KINDS), one per seed, on markets with `edge_kind` at ideal
    Sharpe `strength` (calibrated on the history before the year), `workers` years at a time,
    and their summary. Each year is appended to `kept` (JSON lines) as it ends, so that a run
    stopped part-way keeps the years it finished (`summarise_kept` reads them back)."""
    config = load_config()
    calendar, _ = load_panel(config.data, config.alpaca)
    warmup = config.windows.warmup_days
    history = size.history(warmup)
    dates = calendar.dates[-(history + size.nights) :]
    edge = EDGES[edge_kind]
    drift = calibrate(
        dates, edge, strength, config.backtest, (warmup, history), warmup, n_symbols=size.n_symbols
    )
    started = time.perf_counter()
    jobs = [(kind, seed, dates, history, drift, edge, size) for kind in kinds for seed in seeds]
    years = []
    with ProcessPoolExecutor(max(workers, 1)) as pool:
        for done in as_completed([pool.submit(_one_year, job) for job in jobs]):
            year = done.result()
            years.append(year)
            last = year.rows[-1]
            progress(f"{_line(year.kind, year.seed, last)}; real {sorted(year.real)}")
            if kept is not None:
                with kept.open("a") as out:
                    out.write(json.dumps({"drift": drift, "year": asdict(year)}) + "\n")
    years.sort(key=lambda y: (KINDS.index(y.kind), y.seed))
    return {
        **asdict(size),
        "edge": edge_kind,
        "strength": strength,
        "drift": drift,
        "kinds": summarise(years, size.nights // 2),
        "years": [asdict(y) for y in years],
        "seconds": time.perf_counter() - started,
    }


def _one_year(job: tuple[str, int, np.ndarray, int, float, Edge, YearSize]) -> YearOutcome:
    # One year in its own scratch folder and process.
    kind, seed, dates, history, drift, edge, size = job
    active = activity(kind, len(dates), history, size.nights)
    planted = 0.0 if kind == "null" else drift
    market = planted_market(dates, edge, planted, seed, size.n_symbols, active)
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch) / "lab"
        on = None if kind == "null" else edge
        return run_year(folder, planted_writer(market), history, kind, seed, size, on, _quiet)


def replay(
    data: Path, first_day: dt.date, size: YearSize, progress: Callable[[str], None] = print
) -> dict[str, Any]:
    """Real bars from `data` replayed a session a night from `first_day` for `size.nights`
    nights (fewer when the data ends first), through the same path and person: what reached
    real orders, and its forward record after its confirmation."""
    bars = read_bars_file(data, DataReport(source=str(data)))
    dates = np.sort(pd.to_datetime(bars["date"]).unique()).astype("datetime64[D]")
    start = int(np.searchsorted(dates, np.datetime64(first_day, "D")))
    size = dataclasses.replace(
        size,
        nights=min(size.nights, len(dates) - start),
        source="bars.parquet",
        benchmark="SPY",
    )
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch) / "lab"
        write = replay_writer(bars, dates)
        outcome = run_year(folder, write, start, "real", 0, size, None, progress)
    return {
        **asdict(size),
        "data": str(data),
        "symbols": int(bars["symbol"].nunique()),
        "first_night": str(dates[start]),
        "year": asdict(outcome),
        "seconds": time.perf_counter() - started,
    }


def replay_table(figures: dict[str, Any]) -> list[str]:
    """What the replay's year did: nights, gate passes, incubations, real orders and how each
    real-money strategy did on the sessions after its confirmation."""
    year = figures["year"]
    rows = year["rows"]
    lines = [
        f"real data {figures['data']} ({figures['symbols']} symbols) replayed a session a night "
        f"from {figures['first_night']}, {len(rows)} nights; windows "
        f"{figures['train']}/{figures['validation']}/{figures['holdout']} re-anchored every "
        f"{figures['reanchor']}; incubation {figures['incubation']}; {_budget(figures)}",
        f"gate passes {sum(r['passed'] for r in rows)}, incubating at most "
        f"{max((r['incubating'] for r in rows), default=0)}, reached real orders "
        f"{len(year['real'])}, retirement proposals {len(year['proposed'])}; N and pass line "
        f"night 1 {rows[0]['n']} / {rows[0]['pass_line']:.2f}, last night {rows[-1]['n']} / "
        f"{rows[-1]['pass_line']:.2f}",
    ]
    for number, after in year["after"].items():
        sharpe = after["sharpe"]
        lines.append(
            f"  candidate {number}, confirmed night {year['real'][number]}: "
            f"{after['sessions']} sessions after, total return {after['total_return']:+.1%}, "
            f"Sharpe {'-' if sharpe is None else f'{sharpe:.2f}'} (paper, forward record)"
        )
    return lines


def _quiet(line: str) -> None:
    pass


def summarise_kept(paths: list[Path], size: YearSize) -> dict[str, Any]:
    """The summary of the years kept in `paths` (JSON lines written by `measure`), as
    `measure` returns it: runs stopped part-way and runs of other seeds, together."""
    found = [json.loads(line) for path in paths for line in path.read_text().splitlines()]
    years = [_outcome(f["year"]) for f in found]
    years.sort(key=lambda y: (KINDS.index(y.kind), y.seed))
    return {
        **asdict(size),
        "edge": "trend",
        "strength": 2.0,
        "drift": found[0]["drift"] if found else 0.0,
        "kinds": summarise(years, size.nights // 2),
        "years": [asdict(y) for y in years],
        "seconds": 0.0,
    }


def _outcome(stored: dict[str, Any]) -> YearOutcome:
    # A year read back from JSON (its dict keys are strings there).
    return YearOutcome(
        stored["kind"],
        stored["seed"],
        [YearNight(**row) for row in stored["rows"]],
        {int(k): v for k, v in stored["real"].items()},
        {int(k): v for k, v in stored["real_edge"].items()},
        {int(k): v for k, v in stored["proposed"].items()},
        list(stored["book_at_death"]),
        {int(k): v for k, v in stored["after"].items()},
        stored.get("found", 0),
        {int(k): v for k, v in stored.get("forward", {}).items()},
    )


def summarise(years: list[YearOutcome], death: int) -> dict[str, dict[str, Any]]:
    """Per kind of year: how often a strategy reached real orders (one trading the planted
    edge), when, the pass line's first and last nights, and a dying edge's retirements."""
    out: dict[str, dict[str, Any]] = {}
    for kind in dict.fromkeys(y.kind for y in years):
        group = [y for y in years if y.kind == kind]
        real = sum(y.reached_real for y in group)
        edge = sum(any(y.real_edge.values()) for y in group)
        firsts = [min(y.real.values()) for y in group if y.real]
        row: dict[str, Any] = {
            "years": len(group),
            "reached_real": real,
            # The one-sided 95 % bound on the share of years that reach real orders: upper for a
            # null market (how bad it could be), lower for an edge (how good it surely is).
            "reached_real_bound": (
                upper_bound(real, len(group))
                if kind == "null"
                else 1.0 - upper_bound(len(group) - real, len(group))
            ),
            "real_trading_the_edge": edge,
            "first_real_night_median": float(np.median(firsts)) if firsts else None,
            "pass_line_first": float(np.median([y.rows[0].pass_line for y in group])),
            "pass_line_last": float(np.median([y.rows[-1].pass_line for y in group])),
            "pass_line_max": float(max(r.pass_line for y in group for r in y.rows)),
            "n_last": float(np.median([y.rows[-1].n for y in group])),
            "gate_passes": sum(r.passed for y in group for r in y.rows),
            "years_edge_bred": sum(y.found > 0 for y in group),
            # Followed candidates whose forward record at the year's end says P(Sharpe > 0)
            # of at least 0.9 (the incubation test's confidence), whatever their status.
            "forward_strong": sum(
                (f["psr"] or 0) >= 0.9 for y in group for f in y.forward.values()
            ),
            "followed": sum(len(y.forward) for y in group),
        }
        if kind == "dies":
            delays = [d for y in group for d in y.retire_delays(death)]
            row["edge_traders_at_death"] = len(delays)
            row["proposed_within_60"] = sum(d is not None and d <= 60 for d in delays)
            row["delays"] = delays
        out[kind] = row
    return out


def _budget(figures: dict[str, Any]) -> str:
    # The gate's budget a validation period.
    budget = figures["budget"]
    return f"gate budget {budget} a period" if budget else "no gate budget"


def table(figures: dict[str, Any]) -> list[str]:
    """The summary as Markdown: one row per kind of year."""
    lines = [
        f"edge {figures['edge']}, ideal Sharpe {figures['strength']:g} after costs (drift "
        f"{figures['drift']:.5f} a day); {figures['nights']} nights of population "
        f"{figures['population']} x {figures['generations']} generations, "
        f"{figures['candidates']} candidates and {figures['refine']} refinements a night, "
        f"{figures['n_symbols']} "
        f"symbols; windows {figures['train']}/{figures['validation']}/{figures['holdout']} "
        f"sessions re-anchored every {figures['reanchor']}; incubation {figures['incubation']}; "
        f"{_budget(figures)}",
        "",
        "| year | years | reached real orders | trading the edge | first real night (median) "
        "| pass line night 1 | last night | highest | N last night | gate passes "
        "| years the edge was bred |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for kind, row in figures["kinds"].items():
        first = row["first_real_night_median"]
        share = row["reached_real"] / row["years"]
        lines.append(
            f"| {kind} | {row['years']} | {row['reached_real']} ({share:.0%}; "
            f"95 % {'upper' if kind == 'null' else 'lower'} bound "
            f"{row['reached_real_bound']:.0%}) | {row['real_trading_the_edge']} | "
            f"{'-' if first is None else f'{first:.0f}'} | {row['pass_line_first']:.2f} | "
            f"{row['pass_line_last']:.2f} | {row['pass_line_max']:.2f} | {row['n_last']:.0f} | "
            f"{row['gate_passes']} | {row['years_edge_bred']} |"
        )
    lines.append("")
    for kind, row in figures["kinds"].items():
        lines.append(
            f"{kind}: {row['followed']} candidate(s) followed forward, {row['forward_strong']} "
            "with P(forward Sharpe > 0) >= 0.9 at the year's end"
        )
    lines += _nights_sample(figures["years"])
    dies = figures["kinds"].get("dies")
    if dies is not None:
        lines += [
            "",
            f"dying edge: {dies['edge_traders_at_death']} edge trader(s) in the book when it "
            f"died, {dies['proposed_within_60']} proposed for retirement within 60 sessions "
            f"(sessions to the proposal: {dies['delays']})",
        ]
    return lines


def _nights_sample(years: list[dict[str, Any]], every: int = 25) -> list[str]:
    # Every `every`-th night (and the last) of the first year of each kind: what a person
    # read in the morning.
    lines = [
        "",
        "| year (seed) | night | session | N | pass line | gated | passed | followed "
        "| incubating | real | proposals | waiting |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    shown = set()
    for year in years:
        if year["kind"] in shown:
            continue
        shown.add(year["kind"])
        rows = year["rows"]
        for row in rows[::every] + ([rows[-1]] if (len(rows) - 1) % every else []):
            lines.append(
                f"| {year['kind']} ({year['seed']}) | {row['night'] + 1} | {row['day']} | "
                f"{row['n']} | {row['pass_line']:.2f} | {row['gated']} | {row['passed']} | "
                f"{row['followed']} | {row['incubating']} | {row['real']} | {row['proposals']} | "
                f"{row['waiting']} |"
            )
    return lines
