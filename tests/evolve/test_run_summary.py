"""The night's stored summary: written typed, read typed, and a damaged or partial one read
without failing, saying what it could not read."""

from __future__ import annotations

import json

from evolve.run_summary import RunSummary


def test_a_summary_reads_back_as_it_was_written() -> None:
    written = RunSummary(
        generations=12,
        last_generation=40,
        evaluations=900,
        cache_hits=30,
        best_fitness=1.25,
        stagnation_events=1,
        candidates=(3, 4),
        refined=(5,),
        seconds=125.0,
        peak_memory_mb={"main": 310.5},
        stopped_by="budget",
    )
    stored = json.loads(json.dumps(written.as_record()))  # as the JSON column keeps it
    assert "unreadable" not in stored
    assert RunSummary.read(stored) == written
    assert written.minutes is not None and abs(written.minutes - 125.0 / 60) < 1e-12


def test_a_run_that_did_not_end_and_a_damaged_summary_read_without_failing() -> None:
    assert RunSummary.read(None) == RunSummary() == RunSummary.read({})
    found = RunSummary.read(
        {"generations": "many", "candidates": [1, "x"], "seconds": 60, "stopped_by": None}
    )
    assert found.unreadable == ("generations", "candidates", "stopped_by")
    assert (found.generations, found.candidates, found.minutes) == (0, (), 1.0)
