"""What trades is what was approved: a stored genome text changed after it was stored (a hand
edit, one digit of a constant) parses, but does not hash to its id. It is quarantined, named and
alerted, and neither traded nor gated; the untouched strategies go on (real subprocesses, a real
research.db edited as a person would)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import select

from configs import load_config
from evolve.evaluations import add_genomes
from evolve.variation import child_of
from genome.text import parse
from store import open_database
from store.models import Candidate, GateReport, HoldoutResult, LivePlan, QuarantineEntry
from store.quarantine import CHANGED
from store.repointed import REPOINTED
from store.statuses import CandidateStatus
from tests.builders.cli import live, promote
from tests.builders.live_lab import STRATEGIES, approve
from tests.builders.nights import rows

EDITED = "gt(close, sma(close, 20))"  # a valid rule, not the approved one (50 -> 20)


def _edit(folder: Path, genome_id: str) -> None:
    with sqlite3.connect(folder / "research.db") as db:
        db.execute("UPDATE genomes SET text = ? WHERE id = ?", (EDITED, genome_id))
    db.close()


def _traded(url: str) -> set[str]:
    """The genome ids that the planned sessions of a replay gave weight to (in every plan)."""
    database = open_database(url)
    with database.transaction() as session:
        plans = session.scalars(select(LivePlan)).all()
        found = [set(p.strategy_weights()) for p in plans]
    database.close()
    assert found and all(f == found[0] for f in found)
    return found[0]


def test_an_approved_strategy_whose_text_was_changed_never_trades(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'research.db'}"
    changed, kept = approve(url, load_config(), STRATEGIES)
    _edit(tmp_path, changed)
    run = live("run", "--days", "10", cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert f"genomes row {changed} cannot be read and is left out: {CHANGED}" in run.stderr
    assert _traded(url) == {kept}
    (entry,) = rows(url, QuarantineEntry)
    assert (entry.table_name, entry.row_id, entry.reason) == ("genomes", changed, CHANGED)
    assert entry.found_by == "live run"  # the command that met it, as typed
    listed = promote("list", cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    assert EDITED not in listed.stdout and "(quarantined" in listed.stdout


def test_a_candidate_whose_text_was_changed_is_not_gated(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'research.db'}"
    changed, kept = approve(url, load_config(), STRATEGIES)
    database = open_database(url)
    with database.transaction() as session:  # back to candidates, waiting for the gate
        for candidate in session.scalars(select(Candidate)):
            candidate.status = CandidateStatus.CANDIDATE
    database.close()
    _edit(tmp_path, changed)
    gated = promote("gate", cwd=tmp_path)
    assert gated.returncode == 0, gated.stderr
    assert f"genomes row {changed} cannot be read" in gated.stderr
    judged = {c.genome_id for c in rows(url, Candidate) if c.status != "candidate"}
    assert judged == {kept}
    assert len(rows(url, GateReport)) == 1
    shown = promote("show", "1", cwd=tmp_path)
    assert "QUARANTINED, never gated or traded: its text does not hash to its id" in shown.stdout


def test_a_quarantined_strategy_is_named_once_in_a_replay(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'research.db'}"
    changed, _ = approve(url, load_config(), STRATEGIES)
    _edit(tmp_path, changed)
    assert live("run", "--days", "3", cwd=tmp_path).returncode == 0  # recorded
    run = live("run", "--days", "20", cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert run.stderr.count(f"genomes row {changed} cannot be read") == 1


def test_the_review_names_a_changed_candidate_and_shows_the_others(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'research.db'}"
    changed, _ = approve(url, load_config(), STRATEGIES)
    database = open_database(url)
    with database.transaction() as session:  # both passed the gate, waiting for the review
        for candidate in session.scalars(select(Candidate)):
            candidate.status = CandidateStatus.GATE_PASSED
    database.close()
    _edit(tmp_path, changed)
    reviewed = promote("review", cwd=tmp_path, stdin="s\n")
    assert reviewed.returncode == 0, reviewed.stderr
    out = reviewed.stdout
    assert "candidate 1 is left out of the review: its stored genome text is quarantined" in out
    assert "=== 2 of 2" in out and "holdout opened now" in out and "skipped" in out
    assert "left out (quarantined, see `promote show`): candidate(s) 1" in out
    assert EDITED not in out
    refused = promote("approve", "1", "--note", "looks fine", cwd=tmp_path)
    assert refused.returncode == 2 and "quarantined" in refused.stderr
    held = {h.candidate_id for h in rows(url, HoldoutResult)}
    assert held == {2}  # the changed rule's holdout stays sealed


def _repoint(folder: Path, old: str, new: str) -> None:
    with sqlite3.connect(folder / "research.db") as db:
        db.execute("UPDATE candidates SET genome_id = ? WHERE genome_id = ?", (new, old))
    db.close()


def test_an_approval_cannot_be_moved_to_a_rule_nobody_reviewed(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'research.db'}"
    config = load_config()
    approved, kept = approve(url, config, STRATEGIES)
    database = open_database(url)
    with database.transaction() as session:  # as the gate and `promote approve` leave them
        for candidate in session.scalars(select(Candidate)):
            candidate.status = CandidateStatus.CANDIDATE
    database.close()
    assert promote("gate", cwd=tmp_path).returncode == 0
    (tmp_path / "at_once.toml").write_text("[incubation]\nsessions = 0\n")  # real orders at once
    for number in ("1", "2"):
        done = promote(
            "approve",
            number,
            "--note",
            "ok",
            "--override",
            "--config",
            "at_once.toml",
            cwd=tmp_path,
        )
        assert done.returncode == 0, done.stderr
    # A correctly hashed genome row, as the lab itself writes it, that nobody reviewed.
    database = open_database(url)
    with database.transaction() as session:
        child = child_of(parse(EDITED), "user")
        add_genomes(session, [child], 1)
    database.close()
    with pytest.raises(sqlite3.IntegrityError, match="genome_id never changes once written"):
        _repoint(tmp_path, approved, child.id)
    with sqlite3.connect(tmp_path / "research.db") as db:  # the guard lifted by hand
        db.execute("DROP TRIGGER candidates_genome_fixed")
    db.close()
    _repoint(tmp_path, approved, child.id)
    run = live("run", "--days", "10", cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert f"candidates row 1 cannot be read and is left out: {REPOINTED}" in run.stderr
    assert _traded(url) == {kept}
    listed = promote("list", cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    assert EDITED not in listed.stdout
    assert [line.split()[0] for line in listed.stdout.splitlines()[1:3]] == ["2", "val"]
    assert "left out (cannot be read, see `promote show N`): candidate(s) 1" in listed.stdout
    for command in (("show", "1"), ("gate", "1"), ("approve", "1", "--note", "again")):
        refused = promote(*command, cwd=tmp_path)
        assert refused.returncode == 2, refused.stderr
        assert f"error: candidate 1 cannot be read and is left out: {REPOINTED}" in refused.stderr
    assert len(rows(url, GateReport)) == 2  # nothing judged the new rule
    (entry,) = rows(url, QuarantineEntry)
    assert (entry.table_name, entry.row_id) == ("candidates", "1")
