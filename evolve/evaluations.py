"""The evaluation cache: a genome is assessed at most once per window, ever.

Looking up a genome on a window tries, in order, this run's memory, then research.db (earlier
generations and nights), and only then assesses it with the executor; a fresh assessment is
added to the session (genome row if new, evaluation row, trial count) for the caller to commit.
Every fresh assessment is a trial of that window.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from configs import BacktestConfig, EvolveConfig
from evolve.executor import Executor
from evolve.variation import Child
from fitness.assess import Assessment, stored_precision
from fitness.buy_and_hold import held_anyway, tilt_unpaid
from fitness.portfolio import Blocks, genome_score
from fitness.windows import Window
from market.panel import Panel
from store import pack, unpack
from store.json_values import json_numbers
from store.models import Evaluation, Genome, TrialCount
from store.rows import is_stored

__all__ = ["EvaluationCache", "Record"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Record:
    """A genome's evaluation on one window, as stored."""

    genome_id: str
    window_id: str
    sharpe: float | None
    n_trades: int
    metrics: dict[str, Any]
    returns: np.ndarray | None
    descriptor: np.ndarray | None
    reason: str | None
    # What the account holds anyway, daily on the same window: buy-and-hold of the universe
    # and in the account's slots (fitness.buy_and_hold.held_anyway), at stored precision.
    held: np.ndarray | None = None

    @property
    def ok(self) -> bool:
        """Whether the genome could be backtested (it has a Sharpe)."""
        return self.sharpe is not None

    def score(self, size: int, config: EvolveConfig) -> float:
        """The genome's score (fitness.portfolio.genome_score) under `config`, for a tree of
        `size` nodes."""
        if config.fitness_score == "rank_ic":  # choosing symbols only (fitness.rank_ic)
            ir = self.metrics.get("rank_ic_ir") if self.ok else None
            return genome_score(ir, self.n_trades, size, config.parsimony, config.min_trades)
        returns, held = self.returns, self.held
        if held is None or not config.fitness_beyond_buy_and_hold:
            held = None
        elif config.fitness_slot_tilt == "paid":  # beyond the universe alone
            held = held[:, :1]
        elif config.fitness_slot_tilt == "unpaid" and returns is not None:
            returns, held = tilt_unpaid(returns, held, config.fitness_blocks), None
        return genome_score(
            self.sharpe,
            self.n_trades,
            size,
            config.parsimony,
            config.min_trades,
            returns,
            Blocks(config.fitness_blocks, config.fitness_spread),
            held,
        )


@dataclass
class CacheCounts:
    fresh: int = 0
    memory_hits: int = 0
    stored_hits: int = 0
    failures: int = 0

    @property
    def hits(self) -> int:
        return self.memory_hits + self.stored_hits

    @property
    def hit_rate(self) -> float:
        total = self.fresh + self.hits
        return self.hits / total if total else 0.0


@dataclass
class EvaluationCache:
    """Evaluations of genomes on `window` of `panel` (the full panel; workers get the window's
    slice)."""

    panel: Panel
    window: Window
    rules: BacktestConfig
    executor: Executor
    cache_bytes: int = 0
    run_id: int | None = None
    memory: dict[str, Record] = field(default_factory=dict)
    counts: CacheCounts = field(default_factory=CacheCounts)

    def __post_init__(self) -> None:
        self.data = self.window.panel(self.panel)
        self.held = stored_precision(held_anyway(self.panel, self.window, self.rules))

    def records(self, session: Session, genomes: Sequence[Child]) -> dict[str, Record]:
        """The evaluation of every genome (by id), assessing only those never seen on this
        window. Adds new genome and evaluation rows to `session` (not committed)."""
        wanted: dict[str, Child] = {}
        for child in genomes:
            if child.id in self.memory or child.id in wanted:
                self.counts.memory_hits += 1
            else:
                wanted[child.id] = child
        if wanted:
            stored = self._stored(session, list(wanted))
            self.counts.stored_hits += len(stored)
            self.memory.update(stored)
            missing = [c for gid, c in wanted.items() if gid not in stored]
            self._assess(session, missing)
        return {c.id: self.memory[c.id] for c in genomes}

    def forget(self, keep: set[str]) -> None:
        """Drop from memory every evaluation but those of `keep` (they stay in research.db and
        come back from there when needed): the memory of a long night stays bounded."""
        self.memory = {gid: r for gid, r in self.memory.items() if gid in keep}

    def _stored(self, session: Session, ids: list[str]) -> dict[str, Record]:
        out: dict[str, Record] = {}
        for start in range(0, len(ids), 500):
            rows = session.scalars(
                select(Evaluation).where(
                    Evaluation.window_id == self.window.id,
                    Evaluation.genome_id.in_(ids[start : start + 500]),
                )
            )
            for row in rows:
                out[row.genome_id] = _record(row, self.held)
        return out

    def _unreadable(self, session: Session, ids: list[str]) -> set[str]:
        """Those of `ids` stored on this window whose evaluation cannot be read (quarantined:
        `_stored` left it out)."""
        found: set[str] = set()
        for start in range(0, len(ids), 500):
            found.update(
                session.scalars(
                    select(Evaluation.genome_id).where(
                        Evaluation.window_id == self.window.id,
                        Evaluation.genome_id.in_(ids[start : start + 500]),
                    )
                )
            )
        return found

    def _assess(self, session: Session, children: list[Child]) -> None:
        if not children:
            return
        add_genomes(session, children, self.run_id)
        texts = [c.text for c in children]
        found = self.executor.assess(self.data, self.window, self.rules, texts, self.cache_bytes)
        trials = session.get(TrialCount, self.window.id)
        if trials is None:
            trials = TrialCount(
                window_id=self.window.id,
                panel_fingerprint=self.panel.fingerprint,
                trials=0,
                sharpe_n=0,
                sharpe_sum=0.0,
                sharpe_sq_sum=0.0,
            )
            if not is_stored(session, TrialCount, self.window.id):  # else: cannot be read, and
                session.add(trials)  # stays as it was (this count is thrown away)
        unreadable = self._unreadable(session, [c.id for c in children])
        for child, assessment in zip(children, found, strict=True):
            row = _row(child.id, self.window.id, assessment, self.run_id)
            self.memory[child.id] = _record(row, self.held)
            self.counts.fresh += 1
            if child.id in unreadable:  # assessed again, and stored and counted once only
                continue
            session.add(row)
            trials.trials += 1
            if row.sharpe is not None:
                trials.sharpe_n += 1
                trials.sharpe_sum += row.sharpe
                trials.sharpe_sq_sum += row.sharpe**2
            else:
                self.counts.failures += 1
                log.warning("genome %s failed on %s: %s", child.text, self.window.name, row.reason)
        session.flush()


def add_genomes(session: Session, children: Sequence[Child], run_id: int | None) -> None:
    """Add the genomes research.db does not know yet (first origin and parents are kept)."""
    ids = list({c.id: c for c in children})
    known: set[str] = set()
    for start in range(0, len(ids), 500):
        known.update(
            session.scalars(select(Genome.id).where(Genome.id.in_(ids[start : start + 500])))
        )
    for child in {c.id: c for c in children}.values():
        if child.id in known:
            continue
        parents = [*child.parents, None, None]
        session.add(
            Genome(
                id=child.id,
                text=child.text,
                size=len(child.tree),
                height=child.tree.height,
                origin=child.origin,
                first_parent_id=parents[0],
                second_parent_id=parents[1],
                run_id=run_id,
            )
        )
        known.add(child.id)
    session.flush()


def _row(genome_id: str, window_id: str, a: Assessment, run_id: int | None) -> Evaluation:
    if a.metrics is None or a.returns is None or a.descriptor is None:
        return Evaluation(
            genome_id=genome_id,
            window_id=window_id,
            ok=False,
            reason=a.reason,
            sharpe=None,
            n_trades=0,
            metrics={},
            returns=None,
            descriptor=None,
            run_id=run_id,
        )
    return Evaluation(
        genome_id=genome_id,
        window_id=window_id,
        ok=True,
        reason=None,
        sharpe=a.metrics.sharpe,
        n_trades=a.metrics.n_trades,
        metrics=json_numbers(a.stored_metrics()),
        returns=pack(a.returns),
        descriptor=a.descriptor.astype("<f8").tobytes(),
        run_id=run_id,
    )


def _record(row: Evaluation, held: np.ndarray) -> Record:
    return Record(
        genome_id=row.genome_id,
        window_id=row.window_id,
        sharpe=row.sharpe,
        n_trades=row.n_trades,
        metrics=dict(row.metrics),
        returns=None if row.returns is None else unpack(row.returns),
        descriptor=None if row.descriptor is None else np.frombuffer(row.descriptor, "<f8").copy(),
        reason=row.reason,
        held=held,
    )
