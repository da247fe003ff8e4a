"""The holdout: opened once per candidate, at its review.

The first time a candidate's holdout is asked for, its metrics (and those of equal-weight
buy-and-hold on the same window and costs) are computed and stored with who opened it and when;
every later view shows the stored numbers and nothing is computed again, so the holdout cannot
be looked at repeatedly until a candidate happens to pass it.
"""

from __future__ import annotations

import dataclasses

from sqlalchemy.orm import Session

from configs import BacktestConfig
from fitness.buy_and_hold import buy_and_hold
from fitness.score import WindowScorer
from fitness.windows import Window
from genome.text import parse
from market.panel import Panel
from promotion.lifecycle import PromotionError, genome_texts
from store import pack
from store.json_values import json_numbers
from store.lifecycle import CandidateStatus
from store.models import Candidate, HoldoutResult
from store.rows import LeftOut, get

__all__ = ["open_holdout"]


def open_holdout(
    session: Session,
    candidate: Candidate,
    panel: Panel,
    holdout: Window,
    rules: BacktestConfig,
    opened_by: str,
) -> tuple[HoldoutResult, bool]:
    """The candidate's holdout result, and whether it was opened just now (False: the stored
    result from its first opening).

    Raises:
        PromotionError: the holdout was never opened and the candidate is not waiting for the
            review (only a candidate that passed the gate has its holdout opened).
    """
    try:
        stored = get(session, HoldoutResult, candidate.id)
    except LeftOut as e:
        raise PromotionError(
            f"candidate {candidate.id}'s holdout was opened before and its result cannot be read "
            f"now ({e.why}): a holdout is never opened twice"
        ) from e
    if stored is not None:
        return stored, False
    if candidate.status != CandidateStatus.GATE_PASSED:
        raise PromotionError(
            f"candidate {candidate.id} is {candidate.status}, not waiting for the review: the "
            "holdout is opened for candidates that passed the gate"
        )
    text = genome_texts(session, [candidate.genome_id]).get(candidate.genome_id)
    if text is None:  # the one opening must not be spent on a rule nobody approved
        raise PromotionError(
            f"candidate {candidate.id}'s stored genome text is quarantined (`promote show` says "
            "why): its holdout stays sealed"
        )
    scored = WindowScorer(panel, holdout, rules).score(parse(text))
    result = HoldoutResult(
        candidate_id=candidate.id,
        window_id=holdout.id,
        sharpe=scored.metrics.sharpe,
        n_trades=scored.metrics.n_trades,
        metrics=json_numbers(scored.metrics.as_dict()),
        buy_and_hold=json_numbers(buy_and_hold(panel, holdout, rules).metrics.as_dict()),
        costs=dataclasses.asdict(rules),
        returns=pack(scored.result.returns),
        opened_by=opened_by,
    )
    session.add(result)
    session.flush()
    return result, True
