"""Behaviour pinned: one small lab, built end to end from a seed (a night of four generations,
the gate, two approvals through the review's functions, twenty sessions of the sim replay), is
summarised in canonical `key=value` lines and compared with the checked-in
tests/golden/small_lab.txt: the lineage, the candidates, the gate reports criterion by criterion,
the live plans and their orders. A refactoring leaves every line as it was; a change of
behaviour shows exactly which lines moved. After a deliberate change, rewrite the file with
`GOLDEN_UPDATE=1 sh lab.sh test tests/test_golden_lab.py` and explain the difference in the
commit."""

from __future__ import annotations

import datetime as dt
import difflib
import os
from pathlib import Path

from sqlalchemy import select

from evolve.executor import LocalExecutor
from evolve.nightly import NightOptions, run_nightly
from labkit import LENIENT_GATE_PATH
from labkit.lab import NO_INCUBATION
from live.sim import run_sim
from promotion.gating import gate_pending
from promotion.holdout import open_holdout
from promotion.lifecycle import decide, in_status
from promotion.review import review_data
from store import open_database
from store.models import Candidate, GateReport, LiveOrder, LivePlan
from tests.builders.nights import populations, small_config

GOLDEN = Path(__file__).with_name("golden") / "small_lab.txt"


def _number(value: object) -> str:
    # Floats to 6 significant digits: what a refactoring keeps; bits of noise are not news.
    return f"{value:.6g}" if isinstance(value, float) else str(value)


def small_lab_lines(folder: Path) -> list[str]:
    """The canonical summary of the small lab built in `folder`."""
    config, _ = small_config(folder, LENIENT_GATE_PATH.read_text())
    url = f"sqlite:///{folder / 'research.db'}"
    options = NightOptions(discovery=True, generations=4, seed=7)
    run_nightly(config, url, options, executor=LocalExecutor(1), after=gate_pending(config))
    lines = [
        f"generation={number} members=" + ",".join(g[:12] for g, _, _ in members)
        for number, members in populations(url).items()
    ]
    database = open_database(url)
    panel, source, windows = review_data(config, dt.datetime.now(dt.UTC))
    with database.transaction() as session:
        for c in session.scalars(select(Candidate).order_by(Candidate.id)):
            lines.append(
                f"candidate={c.id} genome={c.genome_id[:12]} status={c.status} "
                f"score={_number(c.score)} fitness={_number(c.fitness)}"
            )
        for r in session.scalars(select(GateReport).order_by(GateReport.id)):
            criteria = " ".join(
                f"{k['name']}={_number(k['value'])}:{'pass' if k['passed'] else 'fail'}"
                for k in r.criteria
            )
            lines.append(f"gate candidate={r.candidate_id} passed={r.passed} {criteria}")
        for candidate in in_status(session, "gate_passed").rows[:2]:
            open_holdout(session, candidate, panel, windows["holdout"], config.backtest, "golden")
            decide(
                session,
                candidate,
                "approve",
                "golden",
                "the golden lab",
                incubation=NO_INCUBATION,
            )
    run_sim(database, config, panel, source, days=20)
    with database.transaction() as session:
        for plan in session.scalars(select(LivePlan).order_by(LivePlan.id)):
            weights = " ".join(
                f"{gid[:12]}={_number(float(w['weight']))}"
                for gid, w in sorted(plan.strategy_weights().items())
            )
            targets = " ".join(f"{s}={_number(float(q))}" for s, q in sorted(plan.targets.items()))
            lines.append(
                f"plan session={plan.session} equity={_number(plan.equity)} "
                f"settled={_number(plan.settled_cash)} weights: {weights} targets: {targets}"
            )
        for order in session.scalars(select(LiveOrder).order_by(LiveOrder.id)):
            lines.append(
                f"order plan={order.plan_id} {order.side} {order.symbol} qty={_number(order.qty)} "
                f"limit={_number(order.limit_price)} status={order.status} "
                f"filled={_number(order.filled_qty)}"
            )
    database.close()
    return lines


def test_a_small_lab_is_built_exactly_as_the_golden_file_says(tmp_path: Path) -> None:
    lines = small_lab_lines(tmp_path)
    assert any(line.startswith("order ") for line in lines), "the lab traded nothing"
    if os.environ.get("GOLDEN_UPDATE") == "1":
        GOLDEN.write_text("\n".join(lines) + "\n")
    expected = GOLDEN.read_text().splitlines()
    moved = "\n".join(difflib.unified_diff(expected, lines, "golden", "now", lineterm=""))
    assert lines == expected, f"the small lab changed:\n{moved}"
