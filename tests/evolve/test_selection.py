"""The selection period: the night breeds on train's first sessions and chooses its candidates
by their fitness on train's last ones, never on validation (evolve.selection_share)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pandas as pd
import pytest

from configs import ConfigurationError, load_config
from evolve.evaluations import Record
from evolve.executor import LocalExecutor
from evolve.nightly import NightOptions, run_nightly
from fitness.assess import stored_precision
from fitness.buy_and_hold import held_anyway
from fitness.windows import build_windows, split_train
from market.sources import load_panel
from promotion.trials import search_trials
from store import open_database, unpack
from store.models import Candidate, Evaluation, Generation, Genome, TrialCount, WindowRecord
from tests.builders.nights import SMALL, bars_frame, rows, small_config


def test_train_is_cut_into_breeding_then_selection_with_nothing_after_train() -> None:
    config = load_config()
    panel, _ = load_panel(config.data, config.alpaca)
    train = build_windows(panel, config.windows, config.backtest)["train"]
    parts = split_train(panel, train, 0.3, config.windows, config.backtest)
    breeding, selection = parts["breeding"], parts["selection"]
    assert (breeding.start, breeding.stop, selection.stop) == (
        train.start,
        selection.start,
        train.stop,
    )
    assert selection.n_days == round(0.3 * train.n_days)
    # The selection's warm-up is data of the breeding part and train's own warm-up.
    assert train.warmup_start <= selection.warmup_start < selection.start
    assert len({train.id, breeding.id, selection.id}) == 3
    with pytest.raises(
        ConfigurationError, match=r"evolve.selection_share: 0.99 .* windows.min_days"
    ):
        split_train(panel, train, 0.99, config.windows, config.backtest)


def _lab(folder: Path, later: float) -> str:
    # A small lab with the selection period whose data is the bundled file with every price
    # after train's last day times `later`: what validation and the holdout see, not train.
    folder.mkdir()
    config, _ = small_config(folder)
    panel, _ = load_panel(config.data, config.alpaca)
    last = build_windows(panel, config.windows, config.backtest)["train"].last
    bars = bars_frame(panel)
    after = bars["date"] > pd.Timestamp(last)
    for column in ("open", "high", "low", "close"):
        bars.loc[after, column] *= later
    bars.to_csv(folder / "bars.csv", index=False)
    lab = textwrap.dedent(SMALL).replace("[evolve]\n", "[evolve]\nselection_share = 0.3\n")
    (folder / "lab.toml").write_text(lab + '[data]\nsource = "bars.csv"\n')
    return f"sqlite:///{folder / 'research.db'}"


def test_candidates_are_chosen_on_the_selection_period_and_never_on_validation(
    tmp_path: Path,
) -> None:
    found = {}
    for name, later in (("plain", 1.0), ("moved", 1.7)):
        url = _lab(tmp_path / name, later)
        config = load_config(tmp_path / name / "lab.toml")
        run_nightly(
            config, url, NightOptions(discovery=True, generations=2), executor=LocalExecutor(1)
        )
        windows = {w.name: w for w in rows(url, WindowRecord)}
        assert {"breeding", "selection", "train"} <= set(windows)
        # The search bred on the breeding part only.
        assert {g.train_window_id for g in rows(url, Generation)} == {windows["breeding"].id}
        candidates = rows(url, Candidate)
        assert candidates and {c.window_id for c in candidates} == {windows["selection"].id}
        found[name] = sorted(c.genome_id for c in candidates)
        # The search's trials reported with a verdict count both parts of train.
        counts = {t.window_id: t.trials for t in rows(url, TrialCount)}
        bred = counts[windows["breeding"].id] + counts[windows["selection"].id]
        database = open_database(url)
        with database.transaction() as session:
            assert search_trials(session, windows["train"].id) == bred + counts.get(
                windows["train"].id, 0
            )
        database.close()
    # Prices after train moved: the validation and holdout differ, the choice does not.
    assert found["plain"] == found["moved"]
    # Each candidate's score is its fitness recomputed on the selection period.
    panel, _ = load_panel(config.data, config.alpaca)
    all_windows = build_windows(panel, config.windows, config.backtest)
    selection = split_train(panel, all_windows["train"], 0.3, config.windows, config.backtest)[
        "selection"
    ]
    held = stored_precision(held_anyway(panel, selection, config.backtest))
    sizes = {g.id: g.size for g in rows(url, Genome)}
    stored = {e.genome_id: e for e in rows(url, Evaluation) if e.window_id == selection.id}
    for candidate in rows(url, Candidate):
        e = stored[candidate.genome_id]
        record = Record(e.genome_id, e.window_id, e.sharpe, e.n_trades, {},
                        unpack(e.returns), None, None, held)  # fmt: skip
        assert candidate.score == pytest.approx(record.score(sizes[e.genome_id], config.evolve))
