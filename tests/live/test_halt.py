"""The kill switch never fails and never lies: `live halt` on a full disk, HALT files that are
not UTF-8, a FIFO or a megabyte long, and the lab a halt acted on (real subprocesses, a real
tmpfs where this machine lets a test mount one)."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from configs import load_config
from store import open_database
from store.models import LiveEvent
from tests.builders.cli import live
from tests.builders.disk import fill, full_disk
from tests.builders.live_lab import STRATEGIES, approve


@pytest.fixture
def lab(tmp_path: Path) -> Path:
    approve(f"sqlite:///{tmp_path / 'research.db'}", load_config(), STRATEGIES)
    return tmp_path


@contextlib.contextmanager
def _lab_on_a_full_disk(tmp_path: Path) -> Iterator[Path]:
    # A lab with approved strategies on a disk then filled to its last byte; its home.
    with full_disk(tmp_path / "disk", "32m") as disk:
        home = disk / "lab"
        home.mkdir()
        approve(f"sqlite:///{home / 'research.db'}", load_config(), STRATEGIES)
        fill(disk)
        with pytest.raises(OSError):
            (disk / "one-more-byte").write_bytes(b"x")
        yield home


def test_halt_on_a_full_disk_leaves_an_empty_halt_that_halts_and_exits_0(tmp_path: Path) -> None:
    with _lab_on_a_full_disk(tmp_path) as home:
        disk = home.parent
        halted = live("halt", "--reason", "the disk is full", cwd=home)
        assert halted.returncode == 0, halted.stderr
        assert "Traceback" not in halted.stderr
        assert (home / "HALT").exists() and (home / "HALT").stat().st_size == 0
        assert not list(home.glob("HALT.*"))  # no temporary file
        assert "HALT holds no reason (No space left on device)" in halted.stderr
        assert "research.db did not record it" in halted.stderr
        # Room again: the empty HALT is the switch every trader of this lab reads.
        (disk / "filler").unlink()
        run = live("run", "--days", "3", cwd=home)
        assert run.returncode == 0, run.stderr
        assert "orders 0 " in run.stdout
        assert f"HALTED - halt file {home / 'HALT'} exists" in live("status", cwd=home).stdout


def test_halt_names_the_lab_and_the_accounts_it_stops(lab: Path) -> None:
    assert live("run", "--days", "3", cwd=lab).returncode == 0
    halted = live("halt", "--reason", "earnings", cwd=lab)
    assert halted.returncode == 0, halted.stderr
    assert f"  lab: {lab} (HALT file: {lab / 'HALT'})" in halted.stdout
    assert "  accounts of this lab that stop: sim-1" in halted.stdout
    resumed = live("resume", cwd=lab)
    assert f"  lab: {lab} (HALT file removed: {lab / 'HALT'})" in resumed.stdout


def test_a_halt_that_is_not_utf8_halts_and_is_shown_escaped(lab: Path) -> None:
    (lab / "HALT").write_bytes(b"\xff\xfe stop \x1b]0;owned\x07 now")
    status = live("status", "--config", "lab.toml", cwd=lab)
    run = live("run", "--days", "5", cwd=lab)
    assert run.returncode == 0, run.stderr
    assert "orders 0 " in run.stdout
    # The replay says why it did nothing (it once said only "strategies 0").
    assert "  HALTED on 5 of 5 sessions (HALT: " in run.stdout and "`live resume`" in run.stdout
    for shown in (status.stdout, run.stdout):
        assert "\x1b" not in shown and "\x07" not in shown
    assert "stop \\x1b]0;owned\\x07 now" in live("status", cwd=lab).stdout


def test_a_fifo_named_halt_halts_without_hanging(lab: Path) -> None:
    os.mkfifo(lab / "HALT")
    run = live("run", "--days", "5", cwd=lab)  # the deadline of every test command applies
    assert run.returncode == 0, run.stderr
    assert "orders 0 " in run.stdout
    assert "exists (not a regular file)" in live("status", cwd=lab).stdout
    again = live("halt", "--reason", "on top of a FIFO", cwd=lab)
    assert again.returncode == 0, again.stderr


def test_a_huge_halt_is_read_in_part_and_recorded_briefly(lab: Path) -> None:
    (lab / "HALT").write_text("stop " * 200_000)  # a megabyte
    run = live("run", "--days", "20", cwd=lab)
    assert run.returncode == 0, run.stderr
    status = live("status", cwd=lab).stdout
    assert max(len(line) for line in status.splitlines()) < 400
    database = open_database(f"sqlite:///{lab / 'research.db'}")
    with database.transaction() as session:
        longest = session.scalar(select(func.max(func.length(LiveEvent.message))))
        assert longest is not None and longest < 1000
    database.close()


def test_status_and_run_on_a_full_disk_name_the_full_disk(tmp_path: Path) -> None:
    # They said "disk I/O error" (what SQLite reports when its write-ahead log cannot grow).
    with _lab_on_a_full_disk(tmp_path) as home:
        for args in (("status",), ("run", "--days", "3")):
            done = live(*args, cwd=home)
            assert done.returncode == 1, (args, done.stdout, done.stderr)
            assert f"the disk of the research database {home / 'research.db'} is full" in (
                done.stderr
            ), (args, done.stderr)
            assert "Traceback" not in done.stderr
