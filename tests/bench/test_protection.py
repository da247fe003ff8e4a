"""Does the gate protect the user, and does it let a real edge through? On markets where nothing
is predictable it must promote (almost) nothing; on a market with a planted edge it must promote
a strategy that exploits it. Each market gets a real discovery night followed by the gate, as
the timer runs them, in the benchmark's own markets (`python -m bench --protection`, a real
subprocess); the benchmark-sized version is `python -m bench --power` (BENCHMARKS.md,
"Discovery power")."""

from __future__ import annotations

import json
from pathlib import Path

from tests.builders.cli import bench


def test_the_gate_promotes_almost_nothing_on_null_markets_and_a_planted_edge(
    tmp_path: Path,
) -> None:
    done = bench("--protection", "--results", str(tmp_path))
    assert done.returncode == 0, done.stdout + done.stderr
    (saved,) = tmp_path.glob("protection-*.json")
    figures = json.loads(saved.read_text())["protection"]
    null, planted = figures["null"], figures["planted"]
    print(f"false promotions on null markets: {null['passed']} of {null['gated']} candidates")
    assert null["nights_gated"] == null["nights"] == 3, "a night put no candidate through the gate"
    assert null["passed"] <= 1
    # Every verdict is stored criterion by criterion, and a failure says why.
    assert null["criteria_per_report"] == [13] and null["failures_without_reason"] == 0
    print(planted["candidates"])
    # The rule that made the edge, put forward as a candidate, passes the gate.
    assert planted["ideal_passed"], planted["ideal_failed"]
    assert planted["found"], "the search found no strategy that exploits the edge"
    assert planted["promoted"], "the gate rejected every strategy that exploits a real edge"
