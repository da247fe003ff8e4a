"""`evolve nightly`: the job the timer starts every night.

    take the lock (one run at a time; a lock left by a dead process is taken over)
    tonight's data (market.lab_panel, "night") -> panel, windows; recorded with their ids
    back up research.db (SQLite, compressed; the newest keep_backups copies stay; a night
    refused for its data or a read-only database makes none)
    runs still marked "running" died: mark them "interrupted"
    re-score the living genomes (evolve.retention.living_ids) on train and validation
    with --discovery:
        continue the lineage (evolve.lineage) generation after generation until --generations
        or the --budget would be exceeded; commit after each one, and prune what died
        (evolve.retention) every store.prune_every generations
        the best new genomes, distinct by id and behaviour, become candidates
    refine the constants of the best candidates (Optuna, train window); prune
    mark the run finished; then the `after` step, if given (`evolve nightly` passes the
    promotion gate, which judges the candidates not gated yet on the validation window)
    summary

The correlation penalty's reference strategies (the live book and the hall of fame as the run
starts) are fixed for the run and stored with it; a run that resumes an interrupted one uses the
interrupted run's reference, so the resumed lineage is the one the first run would have bred.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from configs import LabConfig
from configs.version import code_version
from evolve.candidates import add_candidate, choose_candidates
from evolve.engine import Engine, GenerationReport, Individual, judge
from evolve.evaluations import EvaluationCache, Record
from evolve.executor import Executor, open_executor
from evolve.lineage import children_of, load_lineage, save_generation
from evolve.memory import MemoryPeak
from evolve.refine import refine
from evolve.retention import living_ids, prune
from evolve.run_summary import NewCandidate, RunSummary
from evolve.variation import Child
from fitness.portfolio import WORST_FITNESS
from fitness.warm import warm_kernels
from fitness.windows import Window, build_windows, split_train
from market.lab_panel import LabPanel, lab_panel
from market.panel import Panel
from store import (
    BackupSkipped,
    Database,
    RunLock,
    backup_sqlite,
    open_database,
    rotate_backups,
    sqlite_path,
)
from store.data_records import record_data
from store.database import check_writable
from store.lifecycle import BOOK, CandidateStatus
from store.models import (
    Candidate,
    HallOfFameEntry,
    Run,
    TrialCount,
)
from store.statuses import RunStatus

__all__ = ["NightOptions", "run_nightly"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class NightOptions:
    """How to run a night: discovery or re-scoring only, and its budget, generations and seed."""

    discovery: bool = False
    budget_minutes: float | None = None
    generations: int | None = None
    seed: int | None = None


Progress = Callable[[GenerationReport, float], None]
# Run after a finished night, in its own transaction, with the night's data: (session, panel,
# data source, windows, run id) -> lines for the summary. The CLI passes the promotion gate.
AfterRun = Callable[[Session, Panel, str, dict[str, Window], int], list[str]]


def utc_now() -> dt.datetime:
    """The wall clock, in UTC (the night's default clock)."""
    return dt.datetime.now(dt.UTC)


def run_nightly(
    config: LabConfig,
    db_url: str,
    options: NightOptions,
    clock: Callable[[], dt.datetime] = utc_now,
    progress: Progress | None = None,
    executor: Executor | None = None,
    after: AfterRun | None = None,
) -> RunSummary:
    """One nightly run (see the module docstring). `clock` tells the time (aware): the data's
    moment, the backup's name and the end stored with the run. `executor` overrides the
    configured one; `after` runs once the night's work is committed and the run marked finished
    (its failure leaves that work in place)."""
    now = clock()
    started = time.monotonic()
    with RunLock(Path(config.evolve.lock_file), "evolve nightly") as lock:
        if lock.stale:
            log.warning("a previous run (pid %s) died holding the lock", lock.stale.get("pid"))
        # The data and a writable database first: a refused night makes no backup (seven
        # refused nights would otherwise push every good copy out of the rotation).
        data = lab_panel(config, now, "night")
        windows = night_windows(data.panel, config)
        check_writable(db_url)
        # numba compiles what the code needs now, and the budget's clock does not count it.
        warmed = warm_kernels()
        started += warmed
        log.info("numba kernels ready (%.1fs)", warmed)
        database, skipped = _backed_up_and_opened(config, db_url, now)
        own_executor = executor is None
        executor = executor or open_executor(config.evolve.executor, config.evolve.workers)
        try:
            with MemoryPeak() as peak:
                night = _NightRun(config, database, options, executor, started, progress, peak)
                summary = night.run(data, windows, clock)
                summary.backup_skipped = skipped
                if after is not None:
                    with database.transaction() as session:
                        source = data.report.source
                        summary.gate = after(session, data.panel, source, windows, summary.run_id)
                return summary
        finally:
            if own_executor:
                executor.close()
            database.close()


def _backed_up_and_opened(
    config: LabConfig, db_url: str, now: dt.datetime
) -> tuple[Database, str | None]:
    """Back up a SQLite research.db, then open (and upgrade) it: the database, and the reason
    when no copy could be made (the night goes on: its own writes are transactions, and pruning
    keeps them small). Older copies are rotated out only once the database opened: a night that
    cannot run removes its own copy and keeps every older one."""
    path = sqlite_path(db_url)
    store = config.store
    copy, skipped = None, None
    if path is not None:
        try:
            copy = backup_sqlite(path, Path(store.backup_dir), now, store.min_free_mb)
        except BackupSkipped as e:
            log.warning("%s", e)
            skipped = str(e)
    try:
        database = open_database(db_url, store.busy_timeout_ms, command="evolve nightly")
    except BaseException:
        if copy is not None:
            copy.unlink(missing_ok=True)
        raise
    if copy is not None and path is not None:
        log.info("research.db backed up to %s", copy)
        rotate_backups(copy.parent, path.stem, store.keep_backups)
    return database, skipped


class _NightRun:
    def __init__(
        self,
        config: LabConfig,
        database: Database,
        options: NightOptions,
        executor: Executor,
        started: float,
        progress: Progress | None,
        peak: MemoryPeak,
    ) -> None:
        """A night begun at `started` (time.monotonic: the budget's clock)."""
        self.peak = peak
        self.config = config
        self.db = database
        self.options = options
        self.executor = executor
        self.progress = progress
        self.seed = options.seed if options.seed is not None else config.evolve.seed
        self.summary = RunSummary()
        self.started = started

    def run(
        self,
        data: LabPanel,
        windows: dict[str, Window],
        clock: Callable[[], dt.datetime],
    ) -> RunSummary:
        """The night on `data` and its `windows`; its record (`clock` dates its end)."""
        panel, source = data.panel, data.report.source
        self.summary.data_warning = data.warning
        self.summary.windows = {name: w.describe() for name, w in windows.items()}
        with self.db.transaction() as session:
            record_data(session, panel, source, windows, self.config.backtest)
            resumed = _interrupted(session)
            run = self._start_run(session, panel, windows["train"], resumed)
            run_id = run.id
        self.summary.run_id = run_id
        try:
            self._work(run_id, panel, windows)
        except BaseException as e:
            status = RunStatus.INTERRUPTED if isinstance(e, KeyboardInterrupt) else RunStatus.FAILED
            self._finish(run_id, status, clock)
            raise
        self._finish(run_id, RunStatus.FINISHED, clock)
        return self.summary

    def _finish(self, run_id: int, status: str, clock: Callable[[], dt.datetime]) -> None:
        self.peak.sample()
        self.summary.peak_memory_mb = {
            "main": round(self.peak.main_mb, 1),
            "all_processes": round(self.peak.total_mb, 1),
        }
        self.summary.seconds = time.monotonic() - self.started
        with self.db.transaction() as session:
            _finish(session, run_id, status, self.summary, clock())

    def _start_run(self, session: Session, panel: Panel, train: Window, resumed: Run | None) -> Run:
        resumes = (
            resumed
            if resumed is not None
            and resumed.discovery
            and self.options.discovery
            and resumed.seed == self.seed
            and resumed.train_window_id == train.id
            else None
        )
        if resumes is not None:
            reference = list(resumes.reference)
            log.info("resuming interrupted run %d from its last committed generation", resumes.id)
        else:
            reference = _reference_ids(session)
        run = Run(
            discovery=self.options.discovery,
            config_id=self.config.id,
            config=self.config.to_dict(),
            seed=self.seed,
            code_version=code_version(),
            status=RunStatus.RUNNING,
            pid=os.getpid(),
            panel_fingerprint=panel.fingerprint,
            train_window_id=train.id,
            resumes_run_id=resumes.id if resumes else None,
            reference=reference,
        )
        session.add(run)
        session.flush()
        return run

    def _cache(self, panel: Panel, window: Window, run_id: int) -> EvaluationCache:
        return EvaluationCache(
            panel,
            window,
            self.config.backtest,
            self.executor,
            self.config.evolve.subtree_cache_mb * 2**20,
            run_id,
        )

    def _work(self, run_id: int, panel: Panel, windows: dict[str, Window]) -> None:
        train = self._cache(panel, windows["train"], run_id)
        validation = self._cache(panel, windows["validation"], run_id)
        # The search breeds on `breeding` and chooses on `selection`: both train without the
        # selection period, two parts of it with one.
        breeding, selection = train, train
        if "selection" in windows:
            breeding = self._cache(panel, windows["breeding"], run_id)
            selection = self._cache(panel, windows["selection"], run_id)
        with self.db.transaction() as session:
            living = children_of(session, living_ids(session))
            for cache in (train, validation):
                cache.records(session, list(living.values()))
            self.summary.rescored = len(living)
        if self.options.discovery:
            self._evolve(run_id, breeding, selection)
        self._refine(run_id, breeding, selection)
        with self.db.transaction() as session:
            if self.config.store.prune_every:
                self._prune(session)
            caches = {id(c): c for c in (train, validation, breeding, selection)}.values()
            self.summary.evaluations = sum(c.counts.fresh for c in caches)
            self.summary.cache_hits = sum(c.counts.hits for c in caches)
            self.summary.failures = sum(c.counts.failures for c in caches)
            trials = session.get(TrialCount, breeding.window.id)
            self.summary.trials = trials.trials if trials else 0

    def _prune(self, session: Session) -> None:
        pruned = prune(session)
        self.summary.pruned_evaluations += pruned.evaluations
        log.debug("%s", pruned.describe())

    def _evolve(self, run_id: int, train: EvaluationCache, selection: EvaluationCache) -> None:
        engine = self._engine(run_id, train)
        last_seconds = 0.0
        loop_started = time.monotonic()
        while (stop := self._stop(last_seconds)) is None:
            report = self._generation(run_id, train, engine)
            last_seconds = report.seconds
            self._tell_summary(report)
        self.summary.stopped_by = stop
        self.summary.evolve_seconds = time.monotonic() - loop_started
        with self.db.transaction() as session:
            self.summary.candidates = self._write_candidates(
                session, run_id, train, engine, selection
            )

    def _engine(self, run_id: int, train: EvaluationCache) -> Engine:
        # The lineage's engine, restored from the newest committed generation.
        cfg = self.config.evolve
        with self.db.transaction() as session:
            run = session.get_one(Run, run_id)
            references = _returns(train, session, list(run.reference))
            lineage = load_lineage(session, cfg, train.records)
            engine = Engine(
                cfg,
                self.seed,
                references,
                lineage.archive,
                lineage.hall,
                lineage.monitor,
                lineage.number,
                lineage.pending,
            )
            engine.restore(lineage.population, train.records(session, lineage.population))
        return engine

    def _stop(self, last_seconds: float) -> str | None:
        # Why the loop stops before the next generation ("generations", "budget"), or None.
        wanted = self.options.generations
        if wanted is not None and self.summary.generations >= wanted:
            return "generations"
        budget = 60.0 * (self.options.budget_minutes or self.config.evolve.budget_minutes)
        if time.monotonic() - self.started + last_seconds > budget:
            return "budget"
        return None

    def _generation(self, run_id: int, train: EvaluationCache, engine: Engine) -> GenerationReport:
        # One generation, committed with the lineage's state (and pruned on schedule).
        before = (train.counts.fresh, train.counts.hits, train.counts.failures)
        with self.db.transaction() as session:
            report = engine.tell(train.records(session, engine.ask()))
            counts = (
                train.counts.fresh - before[0],
                train.counts.hits - before[1],
                train.counts.failures - before[2],
            )
            save_generation(
                session,
                run_id,
                train.window.id,
                report,
                engine.archive,
                engine.hall,
                engine.monitor,
                counts,
            )
            every = self.config.store.prune_every
            if every and (self.summary.generations + 1) % every == 0:
                self._prune(session)
        train.forget(
            {i.child.id for i in report.population}
            | {f.genome_id for f in engine.hall.members}
            | {m.genome_id for m in engine.archive.members}
        )
        return report

    def _tell_summary(self, report: GenerationReport) -> None:
        self.summary.generations += 1
        self.summary.last_generation = report.number
        self.summary.best_fitness = max(
            self.summary.best_fitness or WORST_FITNESS, report.best_fitness
        )
        if report.event is not None:
            self.summary.stagnation_events.append(
                f"generation {report.number}: {report.event.action} "
                f"(best fitness {report.event.best:.3f}, improvement "
                f"{report.event.improvement:+.3f})"
            )
        if self.progress is not None:
            self.progress(report, time.monotonic() - self.started)

    def _write_candidates(
        self,
        session: Session,
        run_id: int,
        train: EvaluationCache,
        engine: Engine,
        selection: EvaluationCache,
    ) -> list[NewCandidate]:
        existing = session.scalars(select(Candidate.genome_id)).all()
        old = selection.records(session, list(children_of(session, existing).values()))
        pool = {i.child.id: i for i in engine.population if i.fitness > WORST_FITNESS}
        ids = [f.genome_id for f in engine.hall.members if f.genome_id not in pool]
        famous = list(children_of(session, ids).values())
        pool.update((i.child.id, i) for i in engine.judge(famous, train.records(session, famous)))
        if selection is not train:  # judged again, on the selection period
            pool = self._on_selection(session, run_id, selection, [i.child for i in pool.values()])
        old_returns = [o.returns for o in old.values() if o.returns is not None]
        chosen = choose_candidates(list(pool.values()), set(old), old_returns, self.config.evolve)
        rows = [
            add_candidate(session, i.child, run_id, selection.window.id, i.score, i.fitness)
            for i in chosen
        ]
        session.flush()  # their numbers
        return [
            _described(row.id, i.child, i.record, i.score, i.fitness)
            for row, i in zip(rows, chosen, strict=True)
        ]

    def _on_selection(
        self, session: Session, run_id: int, selection: EvaluationCache, children: list[Child]
    ) -> dict[str, Individual]:
        # The pool's score and fitness on the selection period, the correlation penalty against
        # the run's references there; the feasible ones.
        references = _returns(selection, session, list(session.get_one(Run, run_id).reference))
        records = selection.records(session, children)
        found = judge(children, records, references, self.config.evolve)
        return {i.child.id: i for i in found if i.fitness > WORST_FITNESS}

    def _refine(self, run_id: int, train: EvaluationCache, selection: EvaluationCache) -> None:
        # Refine the constants of the night's best candidates; the better rules found become
        # candidates.
        cfg = self.config.evolve
        if cfg.refine_candidates == 0 or cfg.refine_trials == 0:
            return
        with self.db.transaction() as session:
            ids = refine_pool(session, run_id)
            originals = to_refine(ids, children_of(session, ids), cfg.refine_candidates)
            found = self._refined(session, originals, train, selection)
            for child, value, original in found:
                record = selection.records(session, [child])[child.id]
                row = add_candidate(session, child, run_id, selection.window.id, value, value)
                session.flush()  # its number
                described = _described(row.id, child, record, value, value)
                self.summary.refined.append(dataclasses.replace(described, parent=original.text))

    def _refined(
        self,
        session: Session,
        originals: list[Child],
        train: EvaluationCache,
        selection: EvaluationCache,
    ) -> list[tuple[Child, float, Child]]:
        # (refined rule, its score, the original) for each original whose refinement is better,
        # also on the selection period when there is one, and not a candidate already.
        cfg = self.config.evolve

        def score(child: Child, on: EvaluationCache = train) -> float:
            record = on.records(session, [child])[child.id]
            return record.score(len(child.tree), cfg)

        out: list[tuple[Child, float, Child]] = []
        for k, original in enumerate(originals):
            found = refine(original, score, cfg.refine_trials, self.seed + k)
            if found is None:
                continue
            child, value = found
            if selection is not train:  # kept only if it is better on the selection period too
                value = score(child, selection)
                if value <= score(original, selection):
                    continue
            known = select(Candidate.id).where(Candidate.genome_id == child.id)
            chosen = {c.id for c, _, _ in out}
            if child.id not in chosen and session.scalars(known).first() is None:
                out.append((child, value, original))
        return out


def refine_pool(session: Session, run_id: int) -> list[str]:
    """The genome ids of run `run_id`'s candidates not gated yet, best score first: what its
    refinement chooses from. Only the run's own: with a gate budget (gate.period_budget)
    earlier nights' candidates wait, and refining the same ones every night would fill the
    queue with rules tuned again and again on the same train data."""
    return list(
        session.scalars(
            select(Candidate.genome_id)
            .where(Candidate.status == CandidateStatus.CANDIDATE, Candidate.run_id == run_id)
            .order_by(Candidate.score.desc(), Candidate.genome_id)
        )
    )


def to_refine(candidates: list[str], trees: dict[str, Child], most: int) -> list[Child]:
    """The first `most` of `candidates` (genome ids, best first) whose tree is known and that
    are not themselves refinements: the rules whose constants the night refines."""
    found = [trees[g] for g in candidates if g in trees and trees[g].origin != "refined"]
    return found[:most]


def _described(
    number: int, child: Child, record: Record, score: float, fitness: float
) -> NewCandidate:
    metrics = record.metrics
    return NewCandidate(
        number=number,
        genome_id=child.id,
        text=child.text,
        score=score,
        fitness=fitness,
        sharpe=record.sharpe,
        cagr=metrics.get("cagr"),
        max_drawdown=metrics.get("max_drawdown"),
        n_trades=record.n_trades,
    )


def _interrupted(session: Session) -> Run | None:
    """Mark runs left "running" (their process died: this one holds the lock) as interrupted;
    the newest of them, if any."""
    running = select(Run).where(Run.status == RunStatus.RUNNING).order_by(Run.id)
    dead = session.scalars(running).all()
    for run in dead:
        run.status = RunStatus.INTERRUPTED
        log.warning("run %d was interrupted (its process died); its committed work is kept", run.id)
    return dead[-1] if dead else None


def _reference_ids(session: Session) -> list[str]:
    """The book (incubating, approved and live candidates) and the hall of fame, as the run
    starts."""
    book = session.scalars(select(Candidate.genome_id).where(Candidate.status.in_(BOOK))).all()
    hall = session.scalars(select(HallOfFameEntry.genome_id)).all()
    return list(dict.fromkeys([*book, *hall]))


def _returns(cache: EvaluationCache, session: Session, ids: list[str]) -> list[Any]:
    children = children_of(session, ids)
    records = cache.records(session, [children[i] for i in ids if i in children])
    return [r.returns for r in records.values() if r.returns is not None]


def night_windows(panel: Panel, config: LabConfig) -> dict[str, Window]:
    """The night's windows of `panel`: train, validation and holdout, and with a selection
    period (`evolve.selection_share`) breeding and selection, two parts of train.

    Raises:
        ConfigurationError: the data does not fit the configured windows.
    """
    windows = build_windows(panel, config.windows, config.backtest)
    share = config.evolve.selection_share
    if share > 0:
        windows |= split_train(panel, windows["train"], share, config.windows, config.backtest)
    return windows


def _finish(
    session: Session, run_id: int, status: str, summary: RunSummary, ended: dt.datetime
) -> None:
    session.execute(
        update(Run)
        .where(Run.id == run_id)
        .values(
            status=status,
            finished_at=ended.astimezone(dt.UTC).replace(tzinfo=None),
            summary=summary.as_record(),
        )
    )
