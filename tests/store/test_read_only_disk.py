"""A read-only disk (an SD card the kernel remounted read-only) still serves every read: the
status commands show the lab as it was, and what would write says so in one line (a real tmpfs
remounted read-only, where this machine lets a test mount one)."""

from __future__ import annotations

from pathlib import Path

from tests.builders.cli import evolve, lab_folder, live, promote
from tests.builders.disk import full_disk, remount_read_only


def test_a_read_only_disk_serves_reads_and_refuses_writes_in_one_line(tmp_path: Path) -> None:
    with full_disk(tmp_path / "disk", "64m") as disk:
        folder = lab_folder(disk, "lab")
        night = evolve("nightly", "--discovery", "--generations", "1", cwd=folder)
        assert night.returncode == 0, night.stderr
        listed_before = promote("list", cwd=folder).stdout
        remount_read_only(disk)
        status = evolve("status", cwd=folder)
        assert status.returncode == 0, status.stderr
        assert "population: generation 1" in status.stdout
        listed = promote("list", cwd=folder)
        assert (listed.returncode, listed.stdout) == (0, listed_before)
        shown = promote("show", "1", cwd=folder)
        assert shown.returncode == 0, shown.stderr
        trading = live("status", cwd=folder)
        assert trading.stderr == "error: no live account yet: start one with `live run`\n"
        refused = evolve("nightly", cwd=folder)
        assert refused.returncode == 2 and "Read-only file system" in refused.stderr
        assert len(refused.stderr.strip().splitlines()) <= 2 and "Traceback" not in refused.stderr
        halted = live("halt", "--reason", "disk", cwd=folder)
        assert halted.returncode == 1 and "trading is NOT halted" in halted.stderr
