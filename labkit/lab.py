"""A lab as a user makes one by hand: a run their own genomes are put forward under, the genome
put forward, and a batch of genome texts scored as a worker scores them."""

from __future__ import annotations

from sqlalchemy.orm import Session

from configs import BacktestConfig, IncubationConfig, InputError, LabConfig
from configs.version import code_version
from evolve.candidates import add_candidate
from evolve.evaluations import add_genomes
from evolve.variation import child_of
from fitness.metrics import Metrics
from fitness.score import WindowScorer
from fitness.windows import Window
from genome.text import parse
from market.panel import Panel
from store.data_records import record_data
from store.models import Candidate, Run
from store.statuses import RunStatus

__all__ = ["NO_INCUBATION", "put_forward", "score_texts", "user_run"]

# No incubation: an approval sends a strategy to real orders at once (incubation.sessions = 0).
NO_INCUBATION = IncubationConfig(sessions=0, confidence=0.9)


def put_forward(session: Session, text: str, run_id: int) -> Candidate:
    """The genome `text` put forward by its user as a candidate of run `run_id`, unscored
    (added to `session` and flushed, not committed).

    Raises:
        GenomeError: `text` is not a genome of the grammar.
    """
    child = child_of(parse(text), "user")
    add_genomes(session, [child], run_id)
    window_id = session.get_one(Run, run_id).train_window_id
    if window_id is None:  # runs before windows were recorded
        raise InputError(f"run {run_id} has no train window to put a genome forward on")
    candidate = add_candidate(session, child, run_id, window_id, 0.0, 0.0)
    session.flush()
    return candidate


def user_run(
    session: Session, config: LabConfig, panel: Panel, source: str, windows: dict[str, Window]
) -> Run:
    """A finished run (no breeding) that a user's own genomes are put forward under, on `panel`
    and its `windows` (recorded too; flushed, not committed)."""
    record_data(session, panel, source, windows, config.backtest)
    run = Run(
        discovery=False,
        config_id=config.id,
        config=config.to_dict(),
        seed=0,
        code_version=code_version(),
        status=RunStatus.FINISHED,
        pid=0,
        panel_fingerprint=panel.fingerprint,
        train_window_id=windows["train"].id,
    )
    session.add(run)
    session.flush()
    return run


def score_texts(
    panel: Panel, window: Window, rules: BacktestConfig, texts: list[str], cache_bytes: int = 0
) -> list[Metrics]:
    """Metrics of each genome text on `window`: one batch of work for a parallel worker
    (genomes travel as their text, the only form the lab trusts, and are parsed here)."""
    from genome.text import parse

    scorer = WindowScorer(panel, window, rules, cache_bytes)
    return [scorer.score(parse(text)).metrics for text in texts]
