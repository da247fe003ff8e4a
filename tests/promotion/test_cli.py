"""`promote` as real subprocesses: list, show, gate, the interactive review (holdout opened
once, chart written), approve / reject / retire with their audit trail, and clear refusals."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from labkit import LENIENT_GATE_PATH
from promotion.lifecycle import awaiting_review, latest_report, latest_reports
from store import open_database
from store.models import Candidate, Decision, GateReport, Genome, HoldoutResult
from tests.builders.cli import evolve, lab_folder, promote
from tests.builders.labs import add_candidate
from tests.builders.nights import reviewer_decisions, rows


@pytest.mark.parametrize(
    "command",
    [[], ["gate"], ["list"], ["show"], ["review"], ["approve"], ["reject"], ["retire"]],
)
def test_every_promote_command_has_help(command: list[str], tmp_path: Path) -> None:
    result = promote(*command, "--help", cwd=tmp_path)
    assert result.returncode == 0 and "Usage:" in result.stdout
    if command:
        assert "--config" in result.stdout


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A lab after a small discovery night whose candidates were then gated leniently."""
    folder = lab_folder(tmp_path_factory.mktemp("promote"), "lab")
    night = evolve(
        "nightly", "--discovery", "--generations", "3", "--config", "lab.toml", cwd=folder
    )
    assert night.returncode == 0, night.stderr
    (folder / "lenient.toml").write_text(
        (folder / "lab.toml").read_text() + LENIENT_GATE_PATH.read_text()
    )
    # Two of the user's own genomes, put forward after the night (not gated yet).
    for text in ("gt(close, sma(close, 200))", "gt(close, sma(close, 100))"):
        add_candidate(f"sqlite:///{folder / 'research.db'}", text)
    return folder


def test_list_show_and_gate_on_demand(lab: Path) -> None:
    listed = promote("list", "--config", "lab.toml", cwd=lab)
    assert listed.returncode == 0, listed.stderr
    assert "gate_failed" in listed.stdout or "gate_passed" in listed.stdout
    assert "validation window, after costs" in listed.stdout
    shown = promote("show", "1", "--config", "lab.toml", cwd=lab)
    assert shown.returncode == 0, shown.stderr
    out = shown.stdout
    for expected in (
        "candidate 1:",
        "└─ ",  # the tree
        "metrics per window (after costs):",
        "train 2001-01-16..2007-06-29",
        "validation 2007-07-02..2014-06-30",
        "holdout: sealed",
        "gate report",
        "trials: N = ",
        "cohort PBO",
        "buy-and-hold in the account's 10 slots (validation, same costs): Sharpe ",
        "exposures (validation, after costs; beta and t): market ",
        "liquidity ",
        "momentum 12-1 ",
        "low volatility ",
        "Sharpe per year:",
        "correlation with live strategies (validation): nothing is live",
        "lineage:",
        "decisions:",
    ):
        assert expected in out, expected
    genome_id = rows(f"sqlite:///{lab / 'research.db'}", Candidate)[0].genome_id
    by_prefix = promote("show", genome_id[:8], "--config", "lab.toml", cwd=lab)
    assert by_prefix.returncode == 0 and f"id: {genome_id}" in by_prefix.stdout
    huge = promote("show", "9" * 30, "--config", "lab.toml", cwd=lab)  # beyond any row id
    assert (huge.returncode, huge.stderr.splitlines()[-1][:29]) == (
        2,
        "error: no candidate '99999999",
    )
    pending = promote("gate", "--config", "lenient.toml", cwd=lab)
    assert pending.returncode == 0, pending.stderr
    # Only the two candidates added after the night were pending.
    assert "gate: 2 candidate(s), 2 passed" in pending.stdout
    again = promote("gate", "2", "--config", "lenient.toml", cwd=lab)
    assert again.returncode == 0, again.stderr
    assert "gate: 1 candidate(s)" in again.stdout
    db = f"sqlite:///{lab / 'research.db'}"
    night = len(rows(db, Candidate)) - 2
    assert len(rows(db, GateReport)) == night + 3  # the night's, two pending and a re-run
    # The lists read every candidate's newest report at once: the re-run's for candidate 2.
    with open_database(db).transaction() as session:
        ids = [c.id for c in session.scalars(select(Candidate))]
        newest = {k: r.id for k, r in latest_reports(session, ids).items()}
        one_by_one = {k: r.id for k in ids if (r := latest_report(session, k)) is not None}
    assert newest == one_by_one and newest[2] == max(r.id for r in rows(db, GateReport))
    # What the review_waiting alert lists: every candidate that passed, and its genome.
    passed = [c for c in rows(db, Candidate) if c.status == "gate_passed"]
    texts = {g.id: g.text for g in rows(db, Genome)}
    with open_database(db).transaction() as session:
        waiting = awaiting_review(session)
    assert passed and waiting == [f"candidate {c.id}: {texts[c.genome_id]}" for c in passed]


def test_the_review_opens_the_holdout_once_and_records_decisions(lab: Path) -> None:
    db = f"sqlite:///{lab / 'research.db'}"
    passed = [c.id for c in rows(db, Candidate) if c.status == "gate_passed"]
    assert len(passed) >= 2
    # Skip the first, reject the second (an empty note is asked again), skip the others.
    answers = "s\nreject\n\nnoise\n" + "s\n" * (len(passed) - 2)
    first = promote("review", "--config", "lenient.toml", cwd=lab, stdin=answers)
    assert first.returncode == 0, first.stderr
    out = first.stdout
    assert out.count("holdout opened now, for the first and only time:") == len(passed)
    assert "reviewer: dana" in out and "candidate       " in out and "buy-and-hold    " in out
    for number in passed:
        chart = lab / "charts" / f"candidate-{number}-validation.png"
        assert chart.read_bytes()[:4] == b"\x89PNG" and str(chart.relative_to(lab)) in out
    holdouts = {h.candidate_id: h for h in rows(db, HoldoutResult)}
    assert set(holdouts) == set(passed)
    # The second review finds the others; their holdouts are the stored ones.
    second = promote(
        "review",
        "--config",
        "lenient.toml",
        "--reviewer",
        "eve",
        cwd=lab,
        stdin="a\nsmall size\n" + "s\n" * (len(passed) - 2),
    )
    assert second.returncode == 0, second.stderr
    assert "holdout opened now" not in second.stdout
    assert second.stdout.count("holdout (stored when it was first opened") == len(passed) - 1
    assert {h.candidate_id: h.opened_at for h in rows(db, HoldoutResult)} == {
        k: h.opened_at for k, h in holdouts.items()
    }
    gated = [d for d in rows(db, Decision) if d.reviewer == "gate"]
    assert {d.candidate_id for d in gated if d.to_status == "gate_passed"} == set(passed)
    assert all(d.gate_report_id is not None for d in gated)
    decisions = reviewer_decisions(db)
    assert [(d.candidate_id, d.action, d.reviewer, d.note) for d in decisions] == [
        (passed[1], "reject", "dana", "noise"),
        (passed[0], "incubate", "eve", "small size"),
    ]
    assert all(d.gate_report_id is not None and not d.override for d in decisions)
    shown = promote("show", str(passed[0]), "--config", "lab.toml", cwd=lab)
    assert "holdout 2014-07-01..2017-04-13" in shown.stdout and "by dana" in shown.stdout
    assert "eve: incubate (gate_passed -> incubating): small size" in shown.stdout


def test_decisions_from_scripts_and_their_refusals(tmp_path: Path) -> None:
    folder = lab_folder(tmp_path, "lab")
    night = evolve(
        "nightly", "--discovery", "--generations", "3", "--config", "lab.toml", cwd=folder
    )
    assert night.returncode == 0, night.stderr
    db = f"sqlite:///{folder / 'research.db'}"
    failed = [c.id for c in rows(db, Candidate) if c.status == "gate_failed"]
    assert len(failed) >= 2, "the default gate should fail these small-run candidates"
    one, two = str(failed[0]), str(failed[1])
    refused = promote("approve", one, "--note", "looks fine", "--config", "lab.toml", cwd=folder)
    assert refused.returncode == 2
    assert refused.stderr.strip().count("\n") == 0 and "--override" in refused.stderr
    no_note = promote(
        "approve", one, "--note", "  ", "--override", "--config", "lab.toml", cwd=folder
    )
    assert no_note.returncode == 2 and "note is required" in no_note.stderr
    forced = promote(
        "approve", one, "--note", "paper only", "--override", "--config", "lab.toml", cwd=folder
    )
    assert forced.returncode == 0, forced.stderr and "OVERRIDE" in forced.stdout
    rejected = promote(
        "reject", two, "--note", "too few trades", "--config", "lab.toml", cwd=folder
    )
    assert rejected.returncode == 0, rejected.stderr
    cannot = promote("retire", two, "--note", "x", "--config", "lab.toml", cwd=folder)
    assert cannot.returncode == 2 and "rejected" in cannot.stderr
    retired = promote("retire", one, "--note", "drawdown", "--config", "lab.toml", cwd=folder)
    assert retired.returncode == 0, retired.stderr
    missing = promote("show", "999", "--config", "lab.toml", cwd=folder)
    assert missing.returncode == 2 and "no candidate '999'" in missing.stderr
    decisions = reviewer_decisions(db)
    assert [(d.action, d.from_status, d.to_status, d.override, d.reviewer) for d in decisions] == [
        ("incubate", "gate_failed", "incubating", True, "dana"),
        ("reject", "gate_failed", "rejected", False, "dana"),
        ("retire", "incubating", "retired", False, "dana"),
    ]
    statuses = {c.id: c.status for c in rows(db, Candidate)}
    assert statuses[failed[0]] == "retired" and statuses[failed[1]] == "rejected"
    listed = promote("list", "--status", "retired", "--config", "lab.toml", cwd=folder)
    assert listed.stdout.count("retired") == 1
    nothing = promote("review", "--config", "lab.toml", cwd=folder)
    assert nothing.returncode == 0 and "nothing to review" in nothing.stdout
