"""The review's two rules, kept by promotion itself so that `promote approve`, `promote review`
and the page all meet them: a holdout is opened only for a candidate that passed the gate, and a
candidate that passed the gate is approved only once its holdout has been opened."""

from __future__ import annotations

from pathlib import Path

import pytest

from configs import LabConfig, load_config
from evolve.candidates import put_forward, user_run
from fitness.market_data import load_panel
from fitness.panel import Panel
from fitness.windows import Window, build_windows
from promotion.holdout import open_holdout
from promotion.lifecycle import PromotionError, decide, holdout_opened
from store import Database, open_database
from store.models import Run

RULE = "gt(close, sma(close, 50))"


def lab(folder: Path) -> tuple[LabConfig, Panel, dict[str, Window], Database]:
    # A research.db in `folder` with a run that genomes are put forward under (run 1).
    config = load_config()
    panel, report = load_panel(config.data, config.alpaca)
    windows = build_windows(panel, config.windows, config.backtest)
    database = open_database(f"sqlite:///{folder / 'research.db'}")
    with database.transaction() as session:
        user_run(session, config, panel, report.source, windows)
    return config, panel, windows, database


def test_the_holdout_opens_for_a_passed_candidate_and_comes_before_its_approval(
    tmp_path: Path,
) -> None:
    config, panel, windows, database = lab(tmp_path)
    with database.transaction() as session:
        candidate = put_forward(session, RULE, session.get_one(Run, 1).id)
        holdout = windows["holdout"]
        with pytest.raises(PromotionError, match="not waiting for the review"):
            open_holdout(session, candidate, panel, holdout, config.backtest, "dana")
        candidate.status = "gate_passed"  # as the gate leaves it
        with pytest.raises(PromotionError, match=r"open the holdout of candidate \d+ first"):
            decide(session, candidate, "approve", "dana", "looks fine")
        assert candidate.status == "gate_passed" and not holdout_opened(session, candidate)
        _, now = open_holdout(session, candidate, panel, holdout, config.backtest, "dana")
        assert now and holdout_opened(session, candidate)
        assert decide(session, candidate, "approve", "dana", "looks fine").to_status == "approved"
        # Once opened, the stored holdout is shown whatever the status is now.
        _, again = open_holdout(session, candidate, panel, holdout, config.backtest, "dana")
        assert not again


def test_a_rejection_leaves_the_holdout_sealed(tmp_path: Path) -> None:
    # Rejecting needs no look at the holdout: an unseen holdout stays unspent.
    *_, database = lab(tmp_path)
    with database.transaction() as session:
        candidate = put_forward(session, RULE, session.get_one(Run, 1).id)
        candidate.status = "gate_passed"
        assert decide(session, candidate, "reject", "dana", "too simple").to_status == "rejected"
        assert not holdout_opened(session, candidate)
