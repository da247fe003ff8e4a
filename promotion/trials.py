"""How many candidates have been tested on the validation data: the N of the gate's deflation,
read from research.db.

The gate deflates for the selection that touches the data it judges. Evolution tries thousands
of genomes, but only on the train window: that search is already paid for by judging its
output on data it never saw. What does touch the validation data is the gate itself: every
candidate ever measured there is one more try at a lucky validation Sharpe, across nights. So N
is the number of distinct candidates with a gate report on a validation window that shares a
session with this one (every stored version with the same dates counts, so re-adjusted data
does not reset it; with rolling windows, the earlier periods that overlap this one count, and a
period that overlaps none starts afresh), this batch included.

`method = "effective"` reduces N by the average pairwise correlation rho of the candidates'
validation returns, N-hat = rho + (1 - rho) N (Bailey & Lopez de Prado 2014, appendix),
measured on up to `sample` of them (the newest).

With a budget (`gate.period_budget` B > 0), at most B candidates are judged on one validation
period, and that period counts B from its first candidate, as if all B had been tried: a
number of trials stated before the data is looked at. N is then the candidates judged on the
earlier periods that overlap this one plus B, so the pass line does not rise while a period
lasts (`judged_on` says how much of a budget is spent).

The genomes evaluated on the train window (`search_trials`) are reported with every verdict as
the size of the search, not used to deflate.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any, Literal

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from promotion.statistics import effective_trials
from store.models import Candidate, GateReport, Genome, TrialCount, WindowRecord

__all__ = ["Trials", "count_trials", "judged_on", "search_trials"]


@dataclass(frozen=True)
class Trials:
    """The tests behind a verdict.

    Attributes:
        gated: distinct candidates tested on the validation window (this batch included).
        n: the N used by the deflation (gated, or the effective number; with a budget, the
            earlier periods' candidates plus the budget when that is more).
        method: "all" or "effective".
        mean_correlation: average pairwise correlation of validation returns ("effective").
        sample: how many candidates that correlation was measured on.
        search: genomes evaluated on the train window(s) (the search's size; not used to
            deflate).
        window_ids: the validation windows counted (this one and those that overlap it).
        budget: the candidates this period counts from its first one (0: no budget).
    """

    gated: int
    n: float
    method: str
    mean_correlation: float | None
    sample: int
    search: int
    window_ids: tuple[str, ...]
    budget: int = 0

    def as_dict(self) -> dict[str, Any]:
        """The trials as JSON-ready values."""
        return {**asdict(self), "window_ids": list(self.window_ids)}

    def describe(self) -> str:
        """How the number of trials was counted, as one line."""
        how = (
            f"effective N = {self.n:.1f} from {self.gated} candidates with average return "
            f"correlation {self.mean_correlation:.3f} (sample of {self.sample})"
            if self.method == "effective"
            else f"N = {self.gated} candidate(s)"
        )
        budget = (
            f"; N = {self.n:g}: this period counts its whole budget of {self.budget}"
            if self.budget
            else ""
        )
        return (
            f"{how} tested on the validation window ({len(self.window_ids)} version(s) or "
            "overlapping period(s)); "
            f"the search behind them evaluated {self.search} genomes on train{budget}"
        )


def count_trials(
    session: Session,
    validation_window_id: str,
    train_window_id: str,
    batch: Sequence[str],
    method: Literal["all", "effective"],
    sample: int,
    returns: Callable[[str], np.ndarray | None] | None = None,
    budget: int = 0,
) -> Trials:
    """The tests on validation window `validation_window_id` (and every stored window with the
    same name that shares a session with it): the genome ids of the candidates with a gate
    report there, plus `batch` (the genome ids about to be gated). With `method = "effective"`,
    `returns(text)` gives a genome's validation returns (None when it cannot be measured).
    With `budget` B > 0, this period (the windows with the same dates) counts at least B."""
    ids = _same_dates(session, validation_window_id, overlapping=True)
    genomes = list(dict.fromkeys([*batch, *_judged(session, ids)]))
    counted = len(genomes)
    if budget:
        here = set(batch) | set(_judged(session, _same_dates(session, validation_window_id)))
        counted = len(genomes) - len(here) + max(budget, len(here))
    search = search_trials(session, train_window_id)
    if method == "all" or counted < 2 or returns is None:
        n = float(max(counted, 1))
        return Trials(len(genomes), n, "all", None, 0, search, ids, budget)
    texts = {
        gid: text
        for gid, text in session.execute(
            select(Genome.id, Genome.text).where(Genome.id.in_(genomes[:sample]))
        )
    }
    series = [returns(texts[g]) for g in genomes[:sample] if g in texts]
    moving = [s for s in series if s is not None and np.std(s) > 0]
    if len(moving) < 2:
        n = float(counted)
        return Trials(len(genomes), n, "all", None, len(moving), search, ids, budget)
    matrix = np.corrcoef(np.vstack(moving))
    rho = float(np.mean(matrix[np.triu_indices(len(moving), k=1)]))
    n = effective_trials(counted, rho)
    return Trials(len(genomes), n, "effective", rho, len(moving), search, ids, budget)


def judged_on(session: Session, validation_window_id: str) -> int:
    """How many distinct candidates have a gate report on this validation period (the stored
    windows with its name and dates): what is spent of its budget."""
    return len(_judged(session, _same_dates(session, validation_window_id)))


def _judged(session: Session, window_ids: Sequence[str]) -> list[str]:
    # The genome ids with a gate report on `window_ids`, the most recently judged first.
    tested = session.execute(
        select(Candidate.genome_id, func.max(GateReport.id))
        .join(GateReport, GateReport.candidate_id == Candidate.id)
        .where(GateReport.validation_window_id.in_(window_ids))
        .group_by(Candidate.genome_id)
    ).all()
    return [gid for gid, _ in sorted(tested, key=lambda row: -row[1])]


def search_trials(session: Session, train_window_id: str) -> int:
    """Genomes evaluated on the train window `train_window_id` and every stored window with the
    same name and dates, and on the parts of it a selection period cuts it into (failed ones
    included)."""
    ids = _same_dates(session, train_window_id)
    train = session.get(WindowRecord, train_window_id)
    if train is not None:
        ids += tuple(
            session.scalars(
                select(WindowRecord.id).where(
                    WindowRecord.name.in_(("breeding", "selection")),
                    WindowRecord.first_day >= train.first_day,
                    WindowRecord.last_day <= train.last_day,
                )
            ).all()
        )
    counts = session.scalars(select(TrialCount.trials).where(TrialCount.window_id.in_(ids)))
    return int(sum(counts))


def _same_dates(session: Session, window_id: str, overlapping: bool = False) -> tuple[str, ...]:
    # The stored windows of the same name with the same dates (or, `overlapping`, any that
    # shares a session with it), this one included.
    window = session.get(WindowRecord, window_id)
    if window is None:  # not stored, or cannot be read (quarantined): this window's own count
        return (window_id,)
    dates = (
        (WindowRecord.first_day <= window.last_day, WindowRecord.last_day >= window.first_day)
        if overlapping
        else (WindowRecord.first_day == window.first_day, WindowRecord.last_day == window.last_day)
    )
    return tuple(
        session.scalars(
            select(WindowRecord.id)
            .where(WindowRecord.name == window.name, *dates)
            .order_by(WindowRecord.id)
        ).all()
    )
