"""The review's two rules, kept by promotion itself so that `promote approve`, `promote review`
and the page all meet them: a holdout is opened only for a candidate that passed the gate, and a
candidate that passed the gate is approved only once its holdout has been opened."""

from __future__ import annotations

from pathlib import Path

import pytest

from labkit.lab import NO_INCUBATION, put_forward
from promotion.holdout import open_holdout
from promotion.lifecycle import PromotionError, decide, holdout_opened
from store.models import Run
from store.statuses import CandidateStatus
from tests.builders.labs import review_lab

RULE = "gt(close, sma(close, 50))"


def test_the_holdout_opens_for_a_passed_candidate_and_comes_before_its_approval(
    tmp_path: Path,
) -> None:
    config, panel, windows, database = review_lab(tmp_path)
    with database.transaction() as session:
        candidate = put_forward(session, RULE, session.get_one(Run, 1).id)
        holdout = windows["holdout"]
        with pytest.raises(PromotionError, match="not waiting for the review"):
            open_holdout(session, candidate, panel, holdout, config.backtest, "dana")
        candidate.status = CandidateStatus.GATE_PASSED  # as the gate leaves it
        with pytest.raises(PromotionError, match=r"open the holdout of candidate \d+ first"):
            decide(session, candidate, "approve", "dana", "looks fine", incubation=NO_INCUBATION)
        assert candidate.status == "gate_passed" and not holdout_opened(session, candidate)
        _, now = open_holdout(session, candidate, panel, holdout, config.backtest, "dana")
        assert now and holdout_opened(session, candidate)
        assert (
            decide(
                session, candidate, "approve", "dana", "looks fine", incubation=NO_INCUBATION
            ).to_status
            == "approved"
        )
        # Once opened, the stored holdout is shown whatever the status is now.
        _, again = open_holdout(session, candidate, panel, holdout, config.backtest, "dana")
        assert not again


def test_a_rejection_leaves_the_holdout_sealed(tmp_path: Path) -> None:
    # Rejecting needs no look at the holdout: an unseen holdout stays unspent.
    *_, database = review_lab(tmp_path)
    with database.transaction() as session:
        candidate = put_forward(session, RULE, session.get_one(Run, 1).id)
        candidate.status = CandidateStatus.GATE_PASSED
        assert (
            decide(
                session, candidate, "reject", "dana", "too simple", incubation=NO_INCUBATION
            ).to_status
            == "rejected"
        )
        assert not holdout_opened(session, candidate)
