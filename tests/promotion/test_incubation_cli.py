"""Incubation through the commands a person uses: `promote show` and `live status` show the
forward record beside the validation figures, `live run` trades nothing while every approved
strategy incubates, and `promote review` confirms one whose incubation test passed."""

from __future__ import annotations

from pathlib import Path

from configs.alerts import ALERT_URLS
from tests.builders.alerts import Receiver
from tests.builders.cli import evolve, live, promote
from tests.builders.labs import incubating_lab
from tests.builders.nights import reviewer_decisions

LAB = {"LAB_CONFIG": "lab.toml"}


def test_an_incubating_strategy_is_shown_kept_from_real_orders_and_confirmed(
    tmp_path: Path,
) -> None:
    number = incubating_lab(tmp_path, 8)
    shown = promote("show", str(number), cwd=tmp_path, env=LAB)
    assert shown.returncode == 0, shown.stderr
    assert "candidate 1: incubating" in shown.stdout
    assert "forward record (paper returns on the sessions after the data" in shown.stdout
    assert "P(Sharpe > 0)" in shown.stdout and "deflated for 1 strategy followed" in shown.stdout
    assert "incubating since 2017-04-13: incubation test passed: 8 of 5 sessions" in shown.stdout
    status = live("status", cwd=tmp_path, env=LAB)
    assert status.returncode == 2 and "no live account yet" in status.stderr
    assert "incubating on paper (real orders only after `promote confirm`" in status.stdout
    assert "ready: confirm with `promote confirm 1 --note ...`" in status.stdout
    assert "validation 2007-07-02..2014-06-30: Sharpe 1.50, DSR 0.97" in status.stdout
    refused = live("run", "--days", "5", cwd=tmp_path, env=LAB)
    assert refused.returncode == 2
    assert "1 approved one(s) still incubating on paper" in refused.stderr
    review = promote("review", cwd=tmp_path, stdin="c\n\nmonths of paper look right\n", env=LAB)
    assert review.returncode == 0, review.stderr
    assert "1 incubating strateg(ies) passed the incubation test" in review.stdout
    assert "recorded: candidate 1 approved by dana" in review.stdout
    made = reviewer_decisions(f"sqlite:///{tmp_path / 'research.db'}")
    assert [(d.action, d.from_status, d.to_status) for d in made] == [
        ("incubate", "gate_passed", "incubating"),
        ("confirm", "incubating", "approved"),
    ]


def test_a_strategy_is_not_confirmed_before_its_test_passed(tmp_path: Path) -> None:
    number = incubating_lab(tmp_path, 3)
    refused = promote("confirm", str(number), "--note", "impatient", cwd=tmp_path, env=LAB)
    assert refused.returncode == 2
    assert (
        "candidate 1 cannot be confirmed yet: incubation test not passed: 3 of 5 sessions "
        "since approval"
    ) in refused.stderr
    review = promote("review", cwd=tmp_path, env=LAB)
    assert review.returncode == 0 and "incubation" not in review.stdout


def test_the_night_alerts_when_a_strategy_may_be_confirmed(
    tmp_path: Path, receiver: Receiver
) -> None:
    number = incubating_lab(tmp_path, 8)
    with (tmp_path / "lab.toml").open("a") as lab:
        lab.write("\n[evolve]\npopulation = 16\n")
    night = evolve(
        "nightly",
        "--discovery",
        "--generations",
        "1",
        cwd=tmp_path,
        env={**LAB, ALERT_URLS: receiver.url},
    )
    assert night.returncode == 0, night.stderr
    assert f"candidate {number} incubating since 2017-04-13: ready" in night.stdout
    titles = receiver.titles(3)
    assert "gplab: 1 incubating strateg(ies) may be confirmed for real orders" in titles, titles
    (body,) = [r["message"] for r in receiver.received if "may be confirmed" in r["title"]]
    assert f"promote confirm {number}" in body
