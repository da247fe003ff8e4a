"""The gate's parts on real data: the look-ahead re-check, the robustness neighbours, years,
trials from research.db, every criterion with its value and threshold, and the stored reports
(immutable, re-runs add one)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DatabaseError
from sqlalchemy.orm import Session

from configs import LabConfig, load_config
from fitness.windows import Window, build_windows
from genome.evaluate import evaluate
from genome.leaves import neighbours, tunable_leaves
from genome.text import parse, to_text
from labkit.lab import NO_INCUBATION, put_forward
from market.panel import Panel
from market.sources import load_panel
from promotion.gate import CohortPBO, judge
from promotion.gating import gate_candidates, gate_pending
from promotion.lifecycle import PromotionError, decide
from promotion.measure import Measurement, Measurer, lookahead_cuts, yearly_sharpe
from promotion.statistics import expected_max_sharpe, psr
from promotion.trials import Trials, count_trials, judged_on
from store import open_database
from store.lifecycle import CandidateStatus
from store.models import Candidate, Evaluation, GateReport, WindowRecord
from store.quarantine import quarantine_reason
from tests.builders.cli import lab_folder
from tests.builders.labs import add_candidate
from tests.builders.nights import rows

SMA = "gt(close, sma(close, 200))"
NAMES = [
    "dsr",
    "sharpe",
    "beats_buy_and_hold",
    "edge_over_buy_and_hold",
    "trades",
    "max_drawdown",
    "cost_stress",
    "live_correlation",
    "pbo",
    "lookahead",
    "scale_free",
    "robustness",
    "stability",
]


@pytest.fixture(scope="module")
def bundled() -> tuple[Panel, dict[str, Window]]:
    config = load_config()
    panel, _ = load_panel(config.data, config.alpaca)
    return panel, build_windows(panel, config.windows, config.backtest)


def test_the_lookahead_recheck_passes_a_genome_and_catches_a_peek_at_tomorrow(
    bundled: tuple[Panel, dict[str, Window]],
) -> None:
    panel, windows = bundled
    data = windows["validation"].panel(panel)
    start = windows["validation"].warmup_days
    honest = lookahead_cuts(lambda d: evaluate(parse(SMA), d), data, start, 5)
    assert len(honest) == 5 and all(c.mismatches == 0 for c in honest)

    def peeks(d: Panel) -> np.ndarray:  # holds today what rises tomorrow
        tomorrow = np.vstack([d.close[1:], np.full((1, d.n_symbols), np.nan)])
        return tomorrow > d.close

    caught = lookahead_cuts(peeks, data, start, 5)
    assert all(c.mismatches > 0 for c in caught)


def test_neighbours_move_each_lookback_one_step_and_each_constant_ten_percent() -> None:
    tree = parse("and(gt(close, sma(close, 200)), and(lt(rsi(close, 2), 30), gt(ret, 0)))")
    assert tunable_leaves(tree) == [200, 2, 30.0, 0.0]
    moved = {change: to_text(t) for change, t in neighbours(tree, 0.10)}
    assert moved == {
        "leaf 1: lookback 200 -> 100": "and(gt(close, sma(close, 100)), and(lt(rsi(close, 2), 30), gt(ret, 0)))",
        "leaf 1: lookback 200 -> 252": "and(gt(close, sma(close, 252)), and(lt(rsi(close, 2), 30), gt(ret, 0)))",
        "leaf 2: lookback 2 -> 1": "and(gt(close, sma(close, 200)), and(lt(rsi(close, 1), 30), gt(ret, 0)))",
        "leaf 2: lookback 2 -> 3": "and(gt(close, sma(close, 200)), and(lt(rsi(close, 3), 30), gt(ret, 0)))",
        "leaf 3: constant 30 -> 27": "and(gt(close, sma(close, 200)), and(lt(rsi(close, 2), 27), gt(ret, 0)))",
        "leaf 3: constant 30 -> 33": "and(gt(close, sma(close, 200)), and(lt(rsi(close, 2), 33), gt(ret, 0)))",
    }


def test_yearly_sharpe_joins_a_year_split_between_windows_and_skips_short_years() -> None:
    days = np.arange(np.datetime64("2011-12-01"), np.datetime64("2012-03-01"))
    returns = np.where(np.arange(len(days)) % 2 == 0, 0.01, -0.005)
    split = 20
    years = yearly_sharpe(
        [("train", days[:split], returns[:split]), ("validation", days[split:], returns[split:])],
        min_days=25,
    )
    # 2011 has 31 days (all train), 2012 has 60 (train and validation).
    assert [(y.year, y.window, y.n_days) for y in years] == [
        (2011, "train+validation", 31),
        (2012, "validation", 60),
    ]
    r = returns[days.astype("datetime64[Y]") == np.datetime64("2012", "Y")]
    assert years[1].sharpe == pytest.approx(r.mean() / r.std(ddof=1) * math.sqrt(252))
    assert yearly_sharpe([("train", days, returns)], min_days=100) == []


@pytest.fixture(scope="module")
def sma(bundled: tuple[Panel, dict[str, Window]]) -> Measurement:
    """SMA measured for the gate on the bundled data with the default configuration."""
    panel, windows = bundled
    config = load_config()
    measurer = Measurer(
        panel, windows["train"], windows["validation"], config.backtest, config.gate
    )
    return measurer.measure(parse(SMA))


def test_every_criterion_has_its_value_threshold_and_verdict(sma: Measurement) -> None:
    config = load_config()
    m = sma
    assert len(m.variants) == 2  # the lookback 200 moves to 100 and 252
    trials = Trials(1, 1.0, "all", None, 0, 0, ("w",))
    alone = judge(m, trials, {}, CohortPBO(0.1, 10, 16), config.gate, config.backtest)
    assert [c.name for c in alone.criteria] == NAMES
    by_name = {c.name: c for c in alone.criteria}
    metrics = m.validation.metrics
    assert by_name["sharpe"].value == metrics.sharpe and by_name["sharpe"].threshold == 0.5
    assert by_name["trades"].value == metrics.n_trades
    assert by_name["beats_buy_and_hold"].threshold == max(m.buy_and_hold.sharpe, m.in_slots.sharpe)
    assert by_name["cost_stress"].value == m.stressed.sharpe < metrics.sharpe
    assert by_name["lookahead"].passed and by_name["live_correlation"].passed
    # One trial: the DSR is the PSR against 0.
    assert alone.details["statistics"]["dsr"] == alone.details["statistics"]["psr"]
    # Many trials deflate; a clone of a live strategy and an unknown PBO fail.
    crowded = Trials(10_000, 10_000.0, "all", None, 0, 10**6, ("w",))
    cloned = judge(
        m,
        crowded,
        {"abc": 0.99},
        CohortPBO(None, 1, 16, reason="1 genome"),
        config.gate,
        config.backtest,
    )
    by_name = {c.name: c for c in cloned.criteria}
    assert (
        by_name["dsr"].value is not None
        and by_name["dsr"].value < alone.details["statistics"]["dsr"]
    )
    assert not by_name["live_correlation"].passed and by_name["live_correlation"].value == 0.99
    assert not by_name["pbo"].passed and "1 genome" in by_name["pbo"].note
    assert not cloned.passed
    assert any(r.startswith("FAIL  live_correlation") for r in cloned.reasons)
    stricter = dataclasses.replace(config.gate, min_trades=10**6)
    assert "trades" in [
        c.name
        for c in judge(m, trials, {}, CohortPBO(0.1, 10, 16), stricter, config.backtest).criteria
        if not c.passed
    ]


@pytest.fixture(scope="module")
def night(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A lab folder after a small discovery night (the gate ran at its end)."""
    from tests.builders.cli import evolve as run

    folder = lab_folder(tmp_path_factory.mktemp("gate"), "lab")
    result = run("nightly", "--discovery", "--generations", "3", "--config", "lab.toml", cwd=folder)
    assert result.returncode == 0, result.stderr
    night_candidates = rows(f"sqlite:///{folder / 'research.db'}", Candidate)
    assert len(night_candidates) >= 3  # evolve.candidates = 3, and any refinement
    assert f"gate: {len(night_candidates)} candidate(s)" in result.stdout
    return folder


def _lab(folder: Path) -> tuple[str, LabConfig, Panel, str, dict[str, Window]]:
    """The night's database URL, configuration, data and windows."""
    config = load_config(folder / "lab.toml")
    panel, report = load_panel(config.data, config.alpaca)
    windows = build_windows(panel, config.windows, config.backtest)
    return f"sqlite:///{folder / 'research.db'}", config, panel, report.source, windows


def test_trials_are_the_candidates_tested_on_the_validation_window_and_those_overlapping_it(
    night: Path,
) -> None:
    db, config, panel, _, windows = _lab(night)
    database = open_database(db)
    with database.transaction() as session:
        validation = session.get_one(WindowRecord, windows["validation"].id)
        train = windows["train"].id
        tested = session.scalars(select(Candidate.genome_id).join(GateReport).distinct()).all()
        found = count_trials(session, validation.id, train, [], "all", 50)
        k = len(tested)  # the night's candidates, all gated at its end
        assert k >= 3 and found.gated == found.n == k
        # The search's size is reported: every genome evaluated on train.
        evaluated = session.scalars(
            select(func.count()).select_from(Evaluation).where(Evaluation.window_id == train)
        ).one()
        assert found.search == evaluated > 10
        # A batch about to be gated counts; a genome already tested counts once.
        batch = count_trials(session, validation.id, train, ["a" * 64, tested[0]], "all", 50)
        assert batch.gated == k + 1
        measurer = Measurer(
            panel, windows["train"], windows["validation"], config.backtest, config.gate
        )
        effective = count_trials(
            session,
            validation.id,
            train,
            [],
            "effective",
            50,
            lambda text: measurer.returns(parse(text)),
        )
        assert effective.method == "effective" and effective.sample == k
        assert effective.mean_correlation is not None and 1 <= effective.n <= k
        # An earlier version of the same window (re-adjusted data) counts too.
        session.add(
            WindowRecord(
                id="f" * 64,
                name="validation",
                panel_fingerprint=validation.panel_fingerprint,
                first_day=validation.first_day,
                last_day=validation.last_day,
                n_days=validation.n_days,
                warmup_days=validation.warmup_days,
                rules=validation.rules,
            )
        )
        session.flush()
        report = session.scalars(select(GateReport)).first()
        assert report is not None and report.run_id is not None
        other = session.scalars(select(Candidate).where(Candidate.genome_id.not_in(tested))).first()
        if other is None:  # every candidate was gated: put one more forward
            other = put_forward(session, "gt(close, sma(close, 20))", report.run_id)
        session.add(
            GateReport(
                candidate_id=other.id,
                run_id=report.run_id,
                config_id=report.config_id,
                code_version=report.code_version,
                panel_fingerprint=report.panel_fingerprint,
                train_window_id=report.train_window_id,
                validation_window_id="f" * 64,
                passed=False,
                reasons=[],
                criteria=[],
                details={},
            )
        )
        session.flush()
        both = count_trials(session, validation.id, train, [], "all", 50)
        assert both.gated == found.gated + 1 and len(both.window_ids) == 2
        # A rolling period that shares sessions with this one counts; a later period that
        # shares none does not: its data was judged on by no candidate of this one.
        day = dt.timedelta(days=1)
        periods = {
            "e" * 64: (validation.last_day - 30 * day, validation.last_day + 300 * day),
            "d" * 64: (validation.last_day + day, validation.last_day + 400 * day),
        }
        for number, (window_id, (first, last)) in enumerate(periods.items()):
            _judged_on(
                session,
                report,
                window_id,
                first,
                last,
                f"gt(close, sma(close, {(10, 14)[number]}))",
            )
        rolled = count_trials(session, validation.id, train, [], "all", 50)
        assert rolled.gated == both.gated + 1 and "e" * 64 in rolled.window_ids
        later = count_trials(session, "d" * 64, train, [], "all", 50)
        assert later.gated == 2 and set(later.window_ids) == {"e" * 64, "d" * 64}
        # With a budget, a period counts all of it from its first candidate: the earlier
        # overlapping period's one candidate plus 5; a period judged more than its budget
        # (by `promote gate`) counts what was judged.
        budgeted = count_trials(session, "d" * 64, train, [], "all", 50, budget=5)
        assert budgeted.gated == 2 and budgeted.n == 1 + 5 and judged_on(session, "d" * 64) == 1
        assert "budget of 5" in budgeted.describe()
        over = count_trials(session, validation.id, train, [], "all", 50, budget=1)
        assert over.n == rolled.gated
        session.rollback()
    database.close()


def test_with_a_budget_the_night_judges_the_fittest_and_the_others_wait(night: Path) -> None:
    db, config, panel, source, windows = _lab(night)
    database = open_database(db)
    with database.transaction() as session:
        spent = judged_on(session, windows["validation"].id)
        budgeted = dataclasses.replace(
            config, gate=dataclasses.replace(config.gate, period_budget=spent + 2)
        )
        run_id = session.scalars(select(GateReport.run_id)).first()
        assert run_id is not None and spent >= 3
        waiting = []
        for fitness, lookback in zip((0.1, 0.4, 0.3, 0.2), (3, 4, 5, 100), strict=True):
            candidate = put_forward(session, f"lt(sma(close, {lookback}), close)", run_id)
            candidate.fitness = fitness
            waiting.append(candidate)
        gate = gate_pending(budgeted)
        lines = gate(session, panel, source, windows, run_id)
        judged = {c.id for c in waiting if c.status != CandidateStatus.CANDIDATE}
        assert judged == {waiting[1].id, waiting[2].id}  # fitness 0.4 and 0.3
        assert lines[0].startswith("gate: 2 candidate(s)")
        assert f"budget: {spent + 2} of {spent + 2} candidate(s) judged" in lines[1]
        assert "2 candidate(s) wait for the next period" in lines[1]
        trials = session.scalars(
            select(GateReport.details).where(GateReport.candidate_id == waiting[1].id)
        ).one()["trials"]
        assert trials["n"] == spent + 2 and trials["budget"] == spent + 2
        # The budget is spent: the next night on the same period judges none.
        again = gate(session, panel, source, windows, run_id)
        assert again[0].startswith("gate: 0 candidate(s)") and "2 candidate(s) wait" in again[1]
        assert judged_on(session, windows["validation"].id) == spent + 2
        # A new period (other validation dates) opens a new budget: the waiting are judged,
        # and N is the earlier, overlapping period's candidates plus the whole new budget.
        first, last = config.windows.validation
        moved = dataclasses.replace(config.windows, validation=(first, last - dt.timedelta(90)))
        later = build_windows(panel, moved, config.backtest)
        assert later["validation"].id != windows["validation"].id
        opened = gate(session, panel, source, later, run_id)
        assert opened[0].startswith("gate: 2 candidate(s)") and "wait" not in opened[1]
        assert all(c.status != CandidateStatus.CANDIDATE for c in waiting)
        trials = session.scalars(
            select(GateReport.details).where(
                GateReport.candidate_id == waiting[0].id,
                GateReport.validation_window_id == later["validation"].id,
            )
        ).one()["trials"]
        assert trials["n"] == (spent + 2) + (spent + 2)
        session.rollback()
    database.close()


def _judged_on(
    session: Session, like: GateReport, window_id: str, first: dt.date, last: dt.date, text: str
) -> None:
    # A validation window of these dates and a new candidate with a report on it.
    shape = session.get_one(WindowRecord, like.validation_window_id)
    session.add(
        WindowRecord(
            id=window_id,
            name="validation",
            panel_fingerprint=shape.panel_fingerprint,
            first_day=first,
            last_day=last,
            n_days=shape.n_days,
            warmup_days=shape.warmup_days,
            rules=shape.rules,
        )
    )
    assert like.run_id is not None
    candidate = put_forward(session, text, like.run_id)
    session.add(
        GateReport(
            candidate_id=candidate.id,
            run_id=like.run_id,
            config_id=like.config_id,
            code_version=like.code_version,
            panel_fingerprint=like.panel_fingerprint,
            train_window_id=like.train_window_id,
            validation_window_id=window_id,
            passed=False,
            reasons=[],
            criteria=[],
            details={},
        )
    )
    session.flush()


def test_reports_are_immutable_and_a_rerun_adds_one(night: Path) -> None:
    db, config, panel, source, windows = _lab(night)
    database = open_database(db)
    with database.transaction() as session:
        first = session.scalars(select(GateReport).order_by(GateReport.id)).first()
        assert first is not None
        assert [c["name"] for c in first.criteria] == NAMES
        for c in first.criteria:
            assert set(c) >= {"name", "meaning", "value", "rule", "threshold", "passed"}
        candidate = session.get_one(Candidate, first.candidate_id)
        before = session.scalar(select(text("count(*)")).select_from(GateReport))
        (again,) = gate_candidates(session, panel, source, windows, config, [candidate])
        assert again.report_id != first.id
        assert session.scalar(select(text("count(*)")).select_from(GateReport)) == before + 1
        assert candidate.status == ("gate_passed" if again.verdict.passed else "gate_failed")
    for statement in (
        "UPDATE gate_reports SET passed = 1",
        "DELETE FROM gate_reports",
    ):
        with pytest.raises(DatabaseError, match="append-only"), database.engine.begin() as c:
            c.execute(text(statement))
    database.close()


def test_a_clone_of_a_live_strategy_fails_on_correlation_and_live_ones_are_not_gated(
    night: Path,
) -> None:
    db, config, panel, source, windows = _lab(night)
    live = add_candidate(db, SMA)
    clone = add_candidate(db, "and(gt(close, sma(close, 200)), gt(close, 0))")
    database = open_database(db)
    with database.transaction() as session:
        gate_candidates(session, panel, source, windows, config, [session.get_one(Candidate, live)])
        approved = session.get_one(Candidate, live)
        decide(session, approved, "approve", "tester", "the book", True, incubation=NO_INCUBATION)
        (copied,) = gate_candidates(
            session, panel, source, windows, config, [session.get_one(Candidate, clone)]
        )
        by_name = {c.name: c for c in copied.verdict.criteria}
        assert by_name["live_correlation"].value == pytest.approx(1.0)
        assert not by_name["live_correlation"].passed and not copied.verdict.passed
        with pytest.raises(PromotionError, match="approved"):
            gate_candidates(
                session, panel, source, windows, config, [session.get_one(Candidate, live)]
            )
    database.close()


def test_a_tampered_genome_is_left_out_of_the_gate_and_the_others_are_gated(
    night: Path,
) -> None:
    db, config, panel, source, windows = _lab(night)
    tampered = add_candidate(db, "gt(close, sma(close, 50))")
    fine = add_candidate(db, "gt(close, sma(close, 20))")
    database = open_database(db)
    with database.engine.begin() as connection:
        connection.execute(
            text(
                "UPDATE genomes SET text = 'gt(close, bogus(close))' WHERE id = "
                "(SELECT genome_id FROM candidates WHERE id = :id)"
            ),
            {"id": tampered},
        )
    with database.transaction() as session:
        chosen = [session.get_one(Candidate, tampered), session.get_one(Candidate, fine)]
        (measured,) = gate_candidates(session, panel, source, windows, config, chosen)
        assert measured.candidate_id == fine
        assert [c.name for c in measured.verdict.criteria] == NAMES
        assert chosen[0].status == "candidate"  # quarantined: where it was, never judged
        reason = quarantine_reason(session, "genomes", chosen[0].genome_id)
        assert reason is not None and "unknown function 'bogus'" in reason
    database.close()


def test_a_genome_that_reads_price_levels_fails_the_gate_by_name_in_review_and_on_the_page(
    night: Path,
) -> None:
    from dashboard.candidates import candidate_detail
    from tests.builders.cli import promote

    db, config, panel, source, windows = _lab(night)
    levels = add_candidate(db, "gt(rank(close), 0.5)")
    database = open_database(db)
    with database.transaction() as session:
        (outcome,) = gate_candidates(
            session, panel, source, windows, config, [session.get_one(Candidate, levels)]
        )
        by_name = {c.name: c for c in outcome.verdict.criteria}
        assert not by_name["scale_free"].passed and by_name["scale_free"].required
        assert by_name["scale_free"].note == "rank(close) ranks a price across symbols"
        assert not outcome.verdict.passed
        assert by_name["lookahead"].passed  # a level is no look-ahead: only this rule refuses it
    with database.transaction() as session:
        detail = candidate_detail(session, levels, config)
        assert detail is not None and detail.gate is not None
        assert [c.passed for c in detail.gate.criteria if c.name == "scale_free"] == [False]
    database.close()
    shown = promote("show", str(levels), "--config", "lab.toml", cwd=night)
    assert shown.returncode == 0, shown.stderr
    assert "FAIL  scale_free" in shown.stdout
    assert "rank(close) ranks a price across symbols" in shown.stdout


def test_the_edge_is_the_deflated_alpha_beyond_both_buy_and_holds(sma: Measurement) -> None:
    config = load_config()
    m = sma
    trials = Trials(6, 6.0, "all", None, 0, 5000, ("w",))
    verdict = judge(m, trials, {}, CohortPBO(0.1, 10, 16), config.gate, config.backtest)
    edge = {c.name: c for c in verdict.criteria}["edge_over_buy_and_hold"]
    # By hand: the returns less the least-squares fit on buy-and-hold of the universe and in
    # the account's slots (with an intercept), their PSR against the DSR's SR0.
    r, held = m.validation.result.returns, m.held
    design = np.column_stack([np.ones(len(r)), held])
    _, beta, beta_slots = np.linalg.lstsq(design, r, rcond=None)[0]
    x = r - beta * held[:, 0] - beta_slots * held[:, 1]
    c = x - x.mean()
    skew, kurtosis = np.mean(c**3) / np.mean(c**2) ** 1.5, np.mean(c**4) / np.mean(c**2) ** 2
    n = len(x)
    sr0 = expected_max_sharpe(6, 1 / (n - 1))
    expected = psr(x.mean() / x.std(ddof=1), n, skew, kurtosis, sr0)
    assert edge.value == pytest.approx(expected)
    assert verdict.details["statistics"]["beta"] == pytest.approx(beta)
    assert verdict.details["statistics"]["beta_slots"] == pytest.approx(beta_slots)
    assert verdict.details["statistics"]["expected_max_sharpe_per_day"] == pytest.approx(sr0)
    assert verdict.details["in_slots"]["sharpe"] == pytest.approx(m.in_slots.sharpe)
    # Holding the market is no edge, however good the market was; nor is holding the slots.
    for column in (0, 1):
        held_only = held.copy()
        held_only[:, column] = r
        again = judge(
            dataclasses.replace(m, held=held_only),
            trials,
            {},
            CohortPBO(0.1, 10, 16),
            config.gate,
            config.backtest,
        )
        edge = {c.name: c for c in again.criteria}["edge_over_buy_and_hold"]
        assert not edge.passed and edge.value is None and "do not vary" in edge.note
