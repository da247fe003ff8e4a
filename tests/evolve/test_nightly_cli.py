"""`evolve nightly`, `status` and `report` as real subprocesses on the bundled data: the end to
end run, resuming after `kill -9`, the lock, the data fallback, a read-only database and a full
disk."""

from __future__ import annotations

import json
import resource
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest

from tests.builders.cli import (
    DEADLINE_SECONDS,
    EVOLVE,
    evolve,
    init_lab,
    lab_environment,
    lab_folder,
)
from tests.builders.nights import SMALL, populations


def _start_night(folder: Path, generations: int) -> subprocess.Popen[bytes]:
    # `evolve nightly --discovery` in `folder` (its lab.toml), in the background.
    environment = lab_environment()
    command = [EVOLVE, "nightly", "--discovery", "--generations", str(generations)]
    return subprocess.Popen(
        [*command, "--config", "lab.toml"],
        cwd=folder,
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _generations(db: Path) -> int:
    try:
        with sqlite3.connect(db, timeout=5) as connection:
            return int(connection.execute("SELECT count(*) FROM generations").fetchone()[0])
    except sqlite3.OperationalError:
        return 0


@pytest.mark.parametrize("command", [["nightly"], ["status"], ["report"], ["prune"]])
def test_the_nightly_commands_have_help(command: list[str], tmp_path: Path) -> None:
    result = evolve(*command, "--help", cwd=tmp_path)
    assert result.returncode == 0 and "--config" in result.stdout


def test_nightly_discovery_end_to_end_then_status_and_report(tmp_path: Path) -> None:
    folder = lab_folder(tmp_path, "lab")
    result = evolve(
        "nightly", "--discovery", "--generations", "3", "--config", "lab.toml", cwd=folder
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    for expected in (
        "generations: 3",
        "evaluations:",
        "hit rate",
        "trials on the train window",
        "best fitness (train)",
        "stagnation events:",
        "new candidates:",
        "peak memory:",
        "window train: train 2001-01-16..2007-06-29",
        "costs:",
    ):
        assert expected in out, expected
    assert "fitness" in out.split("new candidates:")[1]
    assert (folder / "research.db").exists()
    # The night's record names the candidates it wrote (number and rule), as their rows and its
    # output do.
    with sqlite3.connect(folder / "research.db") as db:
        written = [n for (n,) in db.execute("SELECT id FROM candidates WHERE run_id = 1")]
        stored = json.loads(db.execute("SELECT summary FROM runs WHERE id = 1").fetchone()[0])
    db.close()
    found = [c["number"] for c in stored["candidates"] + stored["refined"]]
    assert written and found == written
    texts = dict(db_texts(folder))
    assert all(c["text"] == texts[c["number"]] for c in stored["candidates"])
    printed = [int(line.split()[1]) for line in out.splitlines() if line.startswith("  candidate ")]
    assert printed[: len(written)] == written  # then the gate's lines, by the same numbers
    listed = evolve("status", "--config", "lab.toml", cwd=folder)
    assert f"candidates {', '.join(map(str, written))} (" in listed.stdout
    assert "unreadable" not in listed.stdout
    # Not a terminal: one plain log line per generation.
    assert result.stderr.count("generation ") >= 3
    # A short line per gated candidate (each criterion's value is the summary's and show's).
    gated = [line for line in result.stderr.splitlines() if "promotion.gating" in line]
    assert gated and all(len(line) < 240 for line in gated), gated
    again = evolve("nightly", "--config", "lab.toml", cwd=folder)
    assert again.returncode == 0, again.stderr
    assert "generations: 0" in again.stdout and "re-scored living genomes:" in again.stdout
    backups = sorted((folder / "backups").iterdir())
    assert [p.suffixes for p in backups] == [[".db", ".gz"]]
    # A night refused for its data makes no backup (it would push a good one out).
    (folder / "bad.csv").write_text("date,symbol,open,high,low,close,volume\n2020-01-02,A,1\n")
    (folder / "bad.toml").write_text(SMALL + '[data]\nsource = "bad.csv"\n')
    refused = evolve("nightly", "--config", "bad.toml", cwd=folder)
    assert refused.returncode == 2, refused.stderr
    assert sorted((folder / "backups").iterdir()) == backups
    pruned = evolve("prune", "--vacuum", "--config", "lab.toml", cwd=folder)
    assert pruned.returncode == 0, pruned.stderr
    assert "pruned" in pruned.stdout and "research.db:" in pruned.stdout
    status = evolve("status", "--config", "lab.toml", cwd=folder)
    assert status.returncode == 0, status.stderr
    assert "population: generation 3" in status.stdout and "trials" in status.stdout
    chart = evolve("report", "--config", "lab.toml", "--out", "lineage.png", cwd=folder)
    assert chart.returncode == 0, chart.stderr
    assert (folder / "lineage.png").read_bytes()[:4] == b"\x89PNG"


def test_a_run_killed_with_sigkill_resumes_where_it_was_committed(tmp_path: Path) -> None:
    reference = lab_folder(tmp_path, "reference")
    whole = evolve(
        "nightly", "--discovery", "--generations", "8", "--config", "lab.toml", cwd=reference
    )
    assert whole.returncode == 0, whole.stderr
    killed = lab_folder(tmp_path, "killed")
    process = _start_night(killed, 8)
    deadline = time.monotonic() + 120
    while _generations(killed / "research.db") < 3 and time.monotonic() < deadline:
        time.sleep(0.005)
    process.send_signal(signal.SIGKILL)
    assert process.wait() == -signal.SIGKILL
    done = _generations(killed / "research.db")
    assert 3 <= done < 8
    resumed = evolve(
        "nightly", "--discovery", "--generations", str(8 - done), "--config", "lab.toml", cwd=killed
    )
    assert resumed.returncode == 0, resumed.stderr
    assert "interrupted" in resumed.stderr and "died holding the lock" in resumed.stderr
    assert populations(f"sqlite:///{killed / 'research.db'}") == populations(
        f"sqlite:///{reference / 'research.db'}"
    )


def test_a_second_nightly_run_is_refused_while_one_holds_the_lock(tmp_path: Path) -> None:
    folder = init_lab(lab_folder(tmp_path, "lab"))
    holder = subprocess.Popen(
        [
            EVOLVE.replace("evolve", "python"),
            "-c",
            "import sys, time; from pathlib import Path; from store import RunLock; "
            "RunLock(Path('evolve-nightly.lock'), 'evolve nightly').acquire(); "
            "print('held', flush=True); time.sleep(60)",
        ],
        cwd=folder,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        for command in ("nightly", "prune"):  # the refused command, then the running one
            result = evolve(command, "--config", "lab.toml", cwd=folder)
            assert result.returncode == 2
            running = f"evolve {command} cannot run now: evolve nightly is already running (pid {holder.pid}"
            assert running in result.stderr
    finally:
        holder.kill()
        holder.wait()
        assert holder.stdout is not None
        holder.stdout.close()


def test_a_lock_file_that_is_not_a_regular_file_is_refused_in_one_line(tmp_path: Path) -> None:
    folder = lab_folder(tmp_path, "lab")
    toml = folder / "lab.toml"
    toml.write_text(toml.read_text().replace('"evolve-nightly.lock"', '"/dev/null"'))
    result = evolve("nightly", "--config", "lab.toml", cwd=folder)
    assert result.returncode == 2, result.stderr
    assert "cannot use the lock file /dev/null of evolve nightly: it is not a regular file" in (
        result.stderr
    )


def test_without_alpaca_keys_the_night_falls_back_to_the_bundled_data(tmp_path: Path) -> None:
    folder = lab_folder(tmp_path, "lab", '[data]\nsource = "alpaca"\n')
    result = evolve("nightly", "--config", "lab.toml", cwd=folder)
    assert result.returncode == 0, result.stderr
    assert "no Alpaca keys in the environment" in result.stdout
    assert "using the bundled data instead" in result.stderr


def _children(pid: int) -> set[int]:
    found = set()
    for entry in Path("/proc").iterdir():
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[1]) == pid:
            found.add(int(entry.name))
    return found


def _living(pids: set[int]) -> set[int]:
    alive = set()
    for pid in pids:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state != "Z":
            alive.add(pid)
    return alive


def _finished_runs(db: Path) -> int:
    try:
        with sqlite3.connect(db, timeout=5) as connection:
            query = "SELECT count(*) FROM runs WHERE status = 'finished'"
            return int(connection.execute(query).fetchone()[0])
    except sqlite3.OperationalError:
        return 0


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux /proc")
@pytest.mark.parametrize(
    ("sig", "moment"),
    [
        (signal.SIGKILL, "startup"),  # workers spawned, no generation committed yet
        (signal.SIGKILL, "generation"),
        (signal.SIGKILL, "gate"),  # the run is finished and the gate judges its candidates
        (signal.SIGTERM, "generation"),
    ],
)
def test_the_workers_die_with_the_nightly_run(
    sig: signal.Signals, moment: str, tmp_path: Path
) -> None:
    folder = tmp_path / "lab"
    folder.mkdir()
    (folder / "lab.toml").write_text(SMALL.replace("workers = 1", "workers = 2"))
    process = _start_night(folder, 3 if moment == "gate" else 500)
    db = folder / "research.db"
    reached = {
        "startup": lambda: True,
        "generation": lambda: _generations(db) >= 2,
        "gate": lambda: _finished_runs(db) >= 1,
    }[moment]
    deadline = time.monotonic() + 120
    seen: set[int] = set()
    while time.monotonic() < deadline and process.poll() is None:
        seen |= _children(process.pid)
        if len(seen) >= 2 and reached():
            break
        time.sleep(0.01)
    assert len(seen) >= 2, "the run never started its workers"
    process.send_signal(sig)
    process.wait(timeout=DEADLINE_SECONDS)
    deadline = time.monotonic() + 30
    while _living(seen) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _living(seen), f"workers outlived the run: {sorted(_living(seen))}"


def test_a_read_only_database_is_refused_in_one_line_without_a_backup(tmp_path: Path) -> None:
    folder = lab_folder(tmp_path, "lab")
    first = evolve("nightly", "--generations", "0", "--config", "lab.toml", cwd=folder)
    assert first.returncode == 0, first.stderr
    assert not (folder / "backups").exists()  # there was no database to copy
    # SQLite's read-only mode stands in for a read-only file or disk (root ignores file modes).
    read_only = f"sqlite:///file:{folder / 'research.db'}?mode=ro&uri=true"
    refused = evolve("nightly", "--config", "lab.toml", "--db", read_only, cwd=folder)
    assert refused.returncode == 2
    assert (
        refused.stderr.strip()
        .splitlines()[-1]
        .startswith(
            f"error: the research database {folder / 'research.db'} cannot be written (attempt to "
            "write a readonly database)"
        )
    )
    assert "Traceback" not in refused.stderr and "INSERT" not in refused.stderr
    assert not (folder / "backups").exists()
    # Any other command that meets it at its first write says so in one line too.
    pruned = evolve("prune", "--config", "lab.toml", "--db", read_only, cwd=folder)
    assert pruned.returncode == 2
    assert pruned.stderr.strip().splitlines() == [
        "error: the research database cannot be written (attempt to write a readonly database): "
        "check the permissions of research.db and its folder, and that its disk is not mounted "
        "read-only"
    ]
    # The kill switch still works: the HALT file is what the trader checks.
    live = str(Path(EVOLVE).with_name("live"))
    halted = subprocess.run(
        [live, "halt", "--reason", "disk trouble", "--config", "lab.toml", "--db", read_only],
        cwd=folder,
        env=lab_environment(),
        capture_output=True,
        text=True,
        timeout=DEADLINE_SECONDS,
    )
    assert halted.returncode == 0 and (folder / "HALT").exists()
    assert "research.db did not record it" in halted.stderr


def test_a_disk_that_fills_during_a_night_ends_it_in_one_line_and_keeps_what_was_committed(
    tmp_path: Path,
) -> None:
    # A file-size limit on the night's process stands in for a full card: research.db may grow
    # by 64 KB, then every write fails as it would on a full disk.
    folder = lab_folder(tmp_path, "lab")
    first = evolve(
        "nightly", "--discovery", "--generations", "1", "--config", "lab.toml", cwd=folder
    )
    assert first.returncode == 0, first.stderr
    size = (folder / "research.db").stat().st_size + 65536

    def limit() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (size, size))

    command = [EVOLVE, "nightly", "--discovery", "--generations", "60", "--config", "lab.toml"]
    full = subprocess.run(
        command,
        cwd=folder,
        env=lab_environment(),
        preexec_fn=limit,
        capture_output=True,
        text=True,
        timeout=DEADLINE_SECONDS,
    )
    assert full.returncode == 1
    last = full.stderr.strip().splitlines()[-1]
    assert last.startswith("error: the research database's disk failed (")
    assert "Traceback" not in full.stderr
    with sqlite3.connect(folder / "research.db") as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        generations = db.execute("SELECT count(*) FROM generations").fetchone()[0]
    db.close()
    assert 1 <= generations < 61
    assert not [p for p in (folder / "backups").iterdir() if p.name.endswith(".partial")]


def test_a_night_whose_database_cannot_be_opened_adds_no_backup_and_rotates_none(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "lab"
    folder.mkdir()
    (folder / "lab.toml").write_text(SMALL.replace("[store]\n", "[store]\nkeep_backups = 2\n"))
    older = folder / "backups"
    older.mkdir()
    for day in (1, 2):
        (older / f"research-2026010{day}T030000.db.gz").write_bytes(b"a good copy")
    with sqlite3.connect(folder / "research.db") as db:  # rows, but no schema revision
        db.execute("CREATE TABLE panels (fingerprint VARCHAR(64) PRIMARY KEY)")
        db.execute("INSERT INTO panels VALUES ('abc')")
    refused = evolve("nightly", "--config", "lab.toml", cwd=folder)
    assert refused.returncode == 1, refused.stderr
    assert "no schema revision but rows in panels" in refused.stderr
    assert sorted(p.name for p in older.iterdir()) == [
        "research-20260101T030000.db.gz",
        "research-20260102T030000.db.gz",
    ]


def db_texts(folder: Path) -> list[tuple[int, str]]:
    """(candidate number, its genome's text) of every candidate in the folder's research.db."""
    with sqlite3.connect(folder / "research.db") as db:
        found = db.execute(
            "SELECT candidates.id, genomes.text FROM candidates JOIN genomes "
            "ON genomes.id = candidates.genome_id"
        ).fetchall()
    db.close()
    return [(int(n), str(t)) for n, t in found]
