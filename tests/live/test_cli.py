"""The `live` command line, run as a user runs it (real subprocesses, a real research.db)."""

from __future__ import annotations

import signal
import subprocess
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from configs import load_config
from store import open_database
from store.models import LivePlan
from tests.builders.cli import DEADLINE_SECONDS, LIVE, init_lab, lab_environment, live
from tests.builders.live_lab import STRATEGIES, approve


@pytest.fixture
def lab(tmp_path: Path) -> Path:
    approve(f"sqlite:///{tmp_path / 'research.db'}", load_config(), STRATEGIES)
    return tmp_path


@pytest.mark.parametrize("command", [[], ["run"], ["status"], ["halt"], ["resume"]])
def test_every_live_command_has_help(command: list[str], tmp_path: Path) -> None:
    result = live(*command, "--help", cwd=tmp_path)
    assert result.returncode == 0 and "Usage:" in result.stdout
    if command:
        assert "--config" in result.stdout


def test_sim_run_then_status(lab: Path) -> None:
    result = live("run", "--broker", "sim", "--days", "30", cwd=lab)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "sim account sim-1: 30 sessions 2017-03-03..2017-04-13 of bundled" in out
    assert "costs: slippage 5 bps" in out and "tracking difference" in out
    status = live("status", cwd=lab)
    assert status.returncode == 0, status.stderr
    text = status.stdout
    for part in (
        "account sim-1 (sim)",
        "trading: allowed",
        "settled",
        "unsettled",
        "positions (",
        "orders of 2017-04-13",
        "fills of 2017-04-13",
        "last reconciliation",
        "P&L",
    ):
        assert part in text, part


def test_halt_and_resume(lab: Path) -> None:
    halted = live("halt", "--reason", "earnings season", cwd=lab)
    assert halted.returncode == 0 and "halted: earnings season" in halted.stdout
    assert (lab / "HALT").exists()
    run = live("run", "--days", "5", cwd=lab)
    assert run.returncode == 0, run.stderr
    assert "orders 0 " in run.stdout  # nothing was sent
    assert "HALTED - earnings season" in live("status", cwd=lab).stdout
    resumed = live("resume", cwd=lab)
    assert resumed.returncode == 0 and "resumed (was: earnings season" in resumed.stdout
    assert not (lab / "HALT").exists()
    assert "not halted" in live("resume", cwd=lab).stdout


def test_a_halt_file_that_is_a_dangling_link_halts_too(lab: Path) -> None:
    (lab / "HALT").symlink_to(lab / "gone")  # fail closed: someone meant to halt
    run = live("run", "--days", "5", cwd=lab)
    assert run.returncode == 0, run.stderr
    assert "orders 0 " in run.stdout
    assert "is a link to nothing" in live("status", cwd=lab).stdout
    assert live("resume", cwd=lab).returncode == 0
    assert not (lab / "HALT").is_symlink()


def test_sigterm_finishes_the_session_and_resume_completes_the_replay(lab: Path) -> None:
    process = subprocess.Popen(
        [LIVE, "run", "--days", "250"],
        cwd=lab,
        env=lab_environment(lab),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    database = open_database(f"sqlite:///{lab / 'research.db'}")
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        with database.transaction() as session:
            if (session.scalar(select(func.count()).select_from(LivePlan)) or 0) >= 10:
                break
        time.sleep(0.05)
    process.send_signal(signal.SIGTERM)
    out, err = process.communicate(timeout=DEADLINE_SECONDS)
    assert process.returncode == 0, err
    assert "stopped by SIGTERM after the current session (saved)" in out
    assert "stopped early: --resume continues" in out
    resumed = live("run", "--resume", cwd=lab)
    assert resumed.returncode == 0, resumed.stderr
    assert "sim account sim-1: 250 sessions" in resumed.stdout
    assert "stopped early" not in resumed.stdout


def test_bad_requests_exit_2_with_a_reason(lab: Path) -> None:
    empty = init_lab(lab / "empty")
    nothing = live("run", "--days", "5", cwd=empty)  # a new lab, nothing approved
    assert nothing.returncode == 2
    assert "no strategy may trade" in nothing.stderr
    both = live("run", "--days", "5", "--resume", cwd=lab)
    assert both.returncode == 2 and "--resume" in both.stderr
    status = live("status", "--account", "alpaca-live", cwd=lab)
    assert status.returncode == 2 and "no live account 'alpaca-live'" in status.stderr


def test_one_run_per_account_at_a_time(lab: Path) -> None:
    from store import RunLock

    with RunLock(lab / "live-run-sim.lock", "live run (sim)"):
        second = live("run", "--days", "5", cwd=lab)
    assert second.returncode == 2 and "already running" in second.stderr
    assert live("run", "--days", "5", cwd=lab).returncode == 0  # free again
