"""A kill during a schema change never bricks the lab: a real first night and a real upgrade
are killed (SIGKILL) just before each step of the migration, then the lab's commands work and
the rows written before the upgrade are still there.

Kill points come from a reference run of the same command (tests/builders/killed_at_step.py).
A sample runs with the suite; `pytest --slow tests/store/test_migration_crash.py` kills at
every step.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
from sqlalchemy import insert

from store import open_database
from store.database import head_revision, upgrade_to
from store.models import Genome
from tests.builders.cli import at_step, evolve, lab_folder, live, promote

NIGHT = ("evolve", "nightly", "--discovery", "--generations", "1", "--config", "lab.toml")
STATUS = ("evolve", "status", "--config", "lab.toml")
OLD_GENOME = "a" * 64
_WRITES = ("BEGIN", "CREATE", "ALTER", "DROP", "INSERT", "UPDATE", "DELETE")


def _killed_at(step: int, folder: Path, command: tuple[str, ...], steps: Path | None = None) -> int:
    done = at_step(step, folder, command, steps=steps)
    assert done.returncode in (0, -9), done.stderr
    return done.returncode


def _migration_steps(folder: Path, command: tuple[str, ...]) -> list[tuple[int, str]]:
    # The steps (1-based) of the migration in a reference run: from its first write to the
    # commit after the newest revision is recorded.
    steps = folder / "steps.txt"
    assert _killed_at(0, folder, command, steps) == 0
    lines = steps.read_text().splitlines()
    first = next(k for k, line in enumerate(lines) if line.startswith(_WRITES))
    recorded = next(k for k, line in enumerate(lines) if f"'{head_revision()}'" in line)
    last = lines.index("COMMIT", recorded)
    return [(k + 1, lines[k]) for k in range(first, last + 1)]


def _sample(steps: list[tuple[int, str]], every: bool) -> list[tuple[int, str]]:
    if every:
        return steps
    # The start and the end, a table created, a revision recorded, a table rebuilt.
    wanted = ("CREATE TABLE", "UPDATE alembic_version", "ALTER TABLE")
    return [steps[0], *(next(s for s in steps if s[1].startswith(w)) for w in wanted), steps[-1]]


def _old_lab(tmp_path: Path, name: str) -> Path:
    # A lab whose research.db is at the first revision, with a genome of that time in it.
    folder = lab_folder(tmp_path, name)
    database = open_database(f"sqlite:///{folder / 'research.db'}", upgrade=False)
    upgrade_to(database, "0001")
    with database.engine.begin() as connection:
        connection.execute(
            insert(Genome),
            {
                "id": OLD_GENOME,
                "text": "gt(close, sma(close, 200))",
                "size": 5,
                "height": 2,
                "origin": "user",
                "created_at": dt.datetime(2026, 1, 2),
            },
        )
    database.close()
    return folder


def _works(folder: Path, everything: bool) -> None:
    # The commands a user runs next: the status (it finishes the upgrade) always.
    status = evolve(*STATUS[1:], cwd=folder)
    assert status.returncode == 0, status.stderr
    if everything:
        for done in (
            evolve(*NIGHT[1:], cwd=folder),
            evolve("report", "--config", "lab.toml", "--out", "report.png", cwd=folder),
            promote("list", "--config", "lab.toml", cwd=folder),
        ):
            assert done.returncode == 0, done.stderr
        trading = live("status", "--config", "lab.toml", cwd=folder)
        assert (trading.returncode, trading.stderr) == (
            2,
            "error: no live account yet: start one with `live run`\n",
        )
    database = open_database(f"sqlite:///{folder / 'research.db'}", upgrade=False)
    assert database.revision() == head_revision()
    database.close()


@pytest.fixture(scope="module")
def first_night_steps(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[int, str]]:
    folder = lab_folder(tmp_path_factory.mktemp("reference"), "lab")
    return _migration_steps(folder, NIGHT)


@pytest.fixture(scope="module")
def upgrade_steps(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[int, str]]:
    return _migration_steps(_old_lab(tmp_path_factory.mktemp("reference"), "lab"), STATUS)


def test_a_first_night_killed_at_each_step_of_creating_the_schema_leaves_a_working_lab(
    tmp_path: Path, first_night_steps: list[tuple[int, str]], request: pytest.FixtureRequest
) -> None:
    every = bool(request.config.getoption("--slow"))
    for n, (step, what) in enumerate(_sample(first_night_steps, every)):
        folder = lab_folder(tmp_path, f"killed-{step}")
        assert _killed_at(step, folder, NIGHT) == -9, what
        _works(folder, everything=every or n == 0)
        shutil.rmtree(folder)


def test_an_upgrade_killed_at_each_step_keeps_the_data_and_leaves_a_working_lab(
    tmp_path: Path, upgrade_steps: list[tuple[int, str]], request: pytest.FixtureRequest
) -> None:
    every = bool(request.config.getoption("--slow"))
    for n, (step, what) in enumerate(_sample(upgrade_steps, every)):
        folder = _old_lab(tmp_path, f"killed-{step}")
        assert _killed_at(step, folder, STATUS) == -9, what
        _works(folder, everything=every or n == 0)
        database = open_database(f"sqlite:///{folder / 'research.db'}")
        with database.transaction() as session:
            kept = session.get(Genome, OLD_GENOME)
            assert kept is not None and kept.text == "gt(close, sma(close, 200))", what
        database.close()
        shutil.rmtree(folder)
