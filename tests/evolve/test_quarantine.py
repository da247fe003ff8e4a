"""A stored genome text that no longer parses (edited by hand, damaged, written by an older
grammar) is quarantined: named with its table, id and reason, recorded once, and left out while
the night, the gate and the review go on. One test per table that refers to genome text."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from evolve.executor import LocalExecutor
from evolve.nightly import NightOptions, run_nightly
from promotion.gating import gate_pending
from promotion.views import candidate_lines
from store import open_database
from store.models import (
    ArchiveEntry,
    Candidate,
    GateReport,
    Generation,
    HallOfFameEntry,
    PopulationMember,
    QuarantineEntry,
)
from tests.builders.nights import rows, small_config

BROKEN = "gt(close, sma(close, 50)"  # one bracket short


def _night(folder: Path, generations: int) -> str:
    config, _ = small_config(folder)
    url = f"sqlite:///{folder / 'research.db'}"
    options = NightOptions(discovery=True, generations=generations)
    run_nightly(config, url, options, executor=LocalExecutor(1), after=gate_pending(config))
    return url


def _break(folder: Path, genome_id: str) -> None:
    with sqlite3.connect(folder / "research.db") as db:
        db.execute("UPDATE genomes SET text = ? WHERE id = ?", (BROKEN, genome_id))
    db.close()


@pytest.mark.parametrize(
    ("table", "model"),
    [
        ("population", PopulationMember),
        ("novelty_archive", ArchiveEntry),
        ("hall_of_fame", HallOfFameEntry),
        ("candidates", Candidate),
    ],
)
def test_a_night_goes_on_past_a_genome_that_does_not_parse(
    tmp_path: Path, table: str, model: type
) -> None:
    url = _night(tmp_path, 3)
    found = rows(url, model)
    if model is PopulationMember:  # the next night reads the newest generation's
        newest = max(rows(url, Generation), key=lambda g: g.number).id
        found = [r for r in found if r.generation_id == newest]
    assert found, f"the first night left nothing in {table}"
    victim = sorted(r.genome_id for r in found)[0]
    _break(tmp_path, victim)
    before = len(rows(url, GateReport))
    _night(tmp_path, 2)
    (entry,) = rows(url, QuarantineEntry)
    assert (entry.table_name, entry.row_id) == ("genomes", victim)
    assert "genome error" in entry.reason and entry.found_by == "evolve nightly"
    # The night bred its two generations and gated its new candidates.
    assert max(g.number for g in rows(url, Generation)) == 5
    assert len(rows(url, GateReport)) > before
    # Recorded once, however often it is met.
    _night(tmp_path, 1)
    assert len(rows(url, QuarantineEntry)) == 1


def test_a_candidate_that_does_not_parse_is_left_out_of_the_gate_and_the_others_are_judged(
    tmp_path: Path,
) -> None:
    config, _ = small_config(tmp_path)
    url = f"sqlite:///{tmp_path / 'research.db'}"
    run_nightly(config, url, NightOptions(discovery=True, generations=3), executor=LocalExecutor(1))
    pending = sorted(rows(url, Candidate), key=lambda c: c.id)
    assert len(pending) >= 2 and {c.status for c in pending} == {"candidate"}
    _break(tmp_path, pending[0].genome_id)
    run_nightly(config, url, NightOptions(), executor=LocalExecutor(1), after=gate_pending(config))
    reports = {r.candidate_id: r for r in rows(url, GateReport)}
    assert pending[0].id not in reports  # never gated: it stays where it was
    assert {c.id: c.status for c in rows(url, Candidate)}[pending[0].id] == "candidate"
    assert all(reports[c.id].criteria for c in pending[1:])
    (entry,) = rows(url, QuarantineEntry)
    assert entry.row_id == pending[0].genome_id
    # `promote show` still shows it, saying why there is no tree.
    database = open_database(url)
    with database.transaction() as session:
        candidate = session.get(Candidate, pending[0].id)
        assert candidate is not None
        text = "\n".join(candidate_lines(session, candidate, config))
    database.close()
    assert BROKEN in text and "QUARANTINED, never gated or traded: genome error" in text
