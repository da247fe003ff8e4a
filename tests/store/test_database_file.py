"""A lab whose research.db is lost or is not a database: every command refuses it by name and
says how to restore the newest backup (exit 2, one line, nothing made in its place, no backup
rotated out); `live halt` halts all the same (it needs no database)."""

from __future__ import annotations

import datetime as dt
import gzip
import os
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from store import backup_sqlite
from tests.builders.cli import evolve, init_lab, lab_folder, live, promote

Command = Callable[..., subprocess.CompletedProcess[str]]
# What a user runs on a lab in the morning, and the night.
CONFIG = ("--config", "lab.toml")
REFUSING: list[tuple[Command, tuple[str, ...]]] = [
    (promote, ("list", *CONFIG)),
    (evolve, ("status", *CONFIG)),
    (live, ("status", *CONFIG)),
    (live, ("resume", *CONFIG)),
    (evolve, ("nightly", "--generations", "0", *CONFIG)),
    (evolve, ("init", *CONFIG)),
]


def _lab_with_backups(tmp_path: Path, count: int = 2, keep: int = 7) -> tuple[Path, list[Path]]:
    folder = lab_folder(tmp_path, "lab")
    toml = folder / "lab.toml"
    toml.write_text(toml.read_text().replace("[store]\n", f"[store]\nkeep_backups = {keep}\n"))
    init_lab(folder)
    made = [
        backup_sqlite(folder / "research.db", folder / "backups", dt.datetime(2026, 1, day))
        for day in range(1, count + 1)
    ]
    return folder, [p for p in made if p is not None]


def _bytes(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted((folder / "backups").iterdir())}


def _assert_refused(done: subprocess.CompletedProcess[str], *words: str) -> None:
    assert done.returncode == 2, (done.stdout, done.stderr)
    errors = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, done.stderr
    assert "Traceback" not in done.stderr
    for word in words:
        assert word in errors[0], done.stderr


def test_a_lab_without_its_research_db_is_refused_by_name_and_nothing_is_made(
    tmp_path: Path,
) -> None:
    folder, copies = _lab_with_backups(tmp_path)
    (folder / "research.db").unlink()
    (folder / "HALT").write_text("halted before the loss\n")
    before = _bytes(folder)
    for command, args in REFUSING:
        done = command(*args, cwd=folder)
        _assert_refused(done, f"{folder / 'research.db'} is missing", f"gunzip -c {copies[-1]} > ")
        assert not (folder / "research.db").exists(), args
    assert _bytes(folder) == before  # no backup made, none rotated out
    assert (folder / "HALT").exists()  # `live resume` refused: still halted


def test_nights_on_a_lab_that_lost_its_database_keep_its_one_good_backup(tmp_path: Path) -> None:
    # keep_backups = 1: two nights that made an empty database used to leave no good copy.
    folder, _ = _lab_with_backups(tmp_path, 1, keep=1)
    (folder / "research.db").unlink()
    before = _bytes(folder)
    for _ in range(2):
        night = evolve("nightly", "--discovery", "--generations", "1", *CONFIG, cwd=folder)
        _assert_refused(night)
    assert _bytes(folder) == before
    assert not (folder / "research.db").exists()


def test_the_advised_restore_brings_the_lab_back(tmp_path: Path) -> None:
    folder, copies = _lab_with_backups(tmp_path)
    (folder / "research.db").unlink()
    refused = promote("list", cwd=folder)
    command = refused.stderr.split("runs: ", 1)[1].split(" (or pass", 1)[0]
    restored = subprocess.run(["sh", "-c", command], capture_output=True, text=True, check=False)
    assert restored.returncode == 0, restored.stderr
    assert (folder / "research.db").read_bytes() == gzip.decompress(copies[-1].read_bytes())
    assert promote("list", cwd=folder).returncode == 0


def test_live_halt_halts_a_lab_that_lost_its_database(tmp_path: Path) -> None:
    folder, _ = _lab_with_backups(tmp_path)
    (folder / "research.db").unlink()
    done = live("halt", "--reason", "database lost", cwd=folder)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("halted: database lost")
    assert (folder / "HALT").exists() and not (folder / "research.db").exists()
    assert "research.db did not record it" in done.stderr and "is missing" in done.stderr


def test_create_makes_a_new_database_in_a_lab_that_lost_it(tmp_path: Path) -> None:
    folder, _ = _lab_with_backups(tmp_path)
    (folder / "research.db").unlink()
    assert evolve("init", "--create", cwd=folder).returncode == 0
    assert promote("list", cwd=folder).returncode == 0


def test_the_mark_is_written_once_the_database_exists(tmp_path: Path) -> None:
    # A first night refused before it made research.db leaves no mark: the folder is not a lab
    # that lost its database, and the next night makes it one.
    folder = lab_folder(tmp_path, "new", '\n[data]\nsource = "missing.csv"\n')
    refused = evolve("nightly", "--generations", "0", *CONFIG, cwd=folder)
    assert refused.returncode == 2, refused.stderr
    assert not (folder / ".gplab").exists() and not (folder / "research.db").exists()
    assert promote("list", cwd=folder).returncode == 2  # not a lab
    toml = folder / "lab.toml"
    toml.write_text(toml.read_text().split("[data]")[0])
    night = evolve("nightly", "--generations", "0", *CONFIG, cwd=folder)
    assert night.returncode == 0, night.stderr
    assert (folder / ".gplab").exists() and (folder / "research.db").exists()
    assert not (folder / "backups").exists()  # the first night had nothing to back up


def _overwrite_pages(path: Path) -> None:
    # Every page but the first (the header and the schema's root) overwritten by the disk.
    size = path.stat().st_size
    with path.open("r+b") as file:
        file.seek(4096)
        file.write(b"\xab" * (size - 4096))


DAMAGE: dict[str, Callable[[Path, Path], object]] = {
    "gzip backup copied in": lambda db, copy: db.write_bytes(copy.read_bytes()),
    "random bytes": lambda db, _: db.write_bytes(os.urandom(64 * 1024)),
    "overwritten pages": lambda db, _: _overwrite_pages(db),
}
SAID = {
    "gzip backup copied in": "is a gzip file (a backup copied in without gunzip?)",
    "random bytes": "is not a SQLite database",
    "overwritten pages": "is damaged (database disk image is malformed)",
}


@pytest.mark.parametrize("damage", sorted(DAMAGE))
def test_a_research_db_that_is_not_a_database_is_refused_in_one_line(
    tmp_path: Path, damage: str
) -> None:
    folder, copies = _lab_with_backups(tmp_path)
    database = folder / "research.db"
    DAMAGE[damage](database, copies[-1])
    damaged = database.read_bytes()
    (folder / "HALT").write_text("halted before the damage\n")
    for command, args in REFUSING[:-1]:
        done = command(*args, cwd=folder)
        _assert_refused(done, str(database), SAID[damage], f"gunzip -c {copies[-1]} > ")
    assert database.read_bytes() == damaged
    assert (folder / "HALT").exists()  # `live resume` refused: still halted
    (folder / "HALT").unlink()
    halted = live("halt", "--reason", "damaged", cwd=folder)
    assert halted.returncode == 0, halted.stderr
    assert halted.stdout.startswith("halted: damaged") and (folder / "HALT").exists()
    assert not (folder / "logs" / "errors.log").exists()


def test_a_db_of_another_lab_is_refused_with_its_home(tmp_path: Path) -> None:
    # `live halt --home A --db B/research.db` wrote HALT in A and listed B's accounts as stopped.
    a, b = init_lab(tmp_path / "a"), init_lab(tmp_path / "b")
    for command in (("halt", "--reason", "x"), ("status",)):
        done = live(*command, "--home", str(a), "--db", str(b / "research.db"), cwd=tmp_path)
        _assert_refused(done, f"the research database of the lab {b}", f"--home {b}")
    assert not (a / "HALT").exists() and not (b / "HALT").exists()
