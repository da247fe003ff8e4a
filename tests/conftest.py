"""Slow checks (`@pytest.mark.slow`) run only with `pytest --slow`; a real PostgreSQL server
for the tests that take `database_url`; every lab in a temporary folder, never the checkout."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.builders.alerts import Receiver
from tests.builders.postgres import PostgresServer, postgres_bin, running_postgres


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--slow", action="store_true", help="also run the slow checks")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption("--slow"):
        return
    skip = pytest.mark.skip(reason="slow: run with --slow")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)


CHECKOUT = Path(__file__).resolve().parents[1]
# What tools write into the checkout by design; anything else new is a test's doing.
TOOL_FILES = (
    ".venv",
    ".pytest_cache",
    ".mypy_cache",
    ".ruff_cache",
    ".hypothesis",
    "__pycache__",
    ".egg-info",
)


@pytest.fixture(scope="session", autouse=True)
def labs_outside_the_checkout(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """A lab made without --home or --config (configs.commands.lab_home) lives in a temporary
    folder, not in ~/.local/share (a data tool's cache outside a lab, not in ~/.cache); and when the tests end, the checkout holds no new file."""
    os.environ["XDG_DATA_HOME"] = str(tmp_path_factory.mktemp("xdg-data"))
    os.environ["XDG_CACHE_HOME"] = str(tmp_path_factory.mktemp("xdg-cache"))
    for name in ("LAB_HOME", "LAB_CONFIG", "LAB_DB"):
        os.environ.pop(name, None)
    before = _untracked()
    yield
    written = sorted(_untracked() - before)
    assert not written, f"the tests wrote into the checkout: {written[:10]}"


def _untracked() -> set[str]:
    if not (CHECKOUT / ".git").exists():
        return set()
    listed = subprocess.run(
        ["git", "ls-files", "--others", "--directory"],
        cwd=CHECKOUT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    return {p for p in listed if not any(part in p for part in TOOL_FILES)}


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    """A real PostgreSQL server (tests/postgres.py); the test is skipped, and says so in the
    summary, where none is installed (apt-get install postgresql)."""
    folder = postgres_bin()
    if folder is None:
        pytest.skip("PostgreSQL is not installed (apt-get install postgresql)")
    yield from running_postgres(folder)


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh research database: an SQLite file, then a database on the real PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'research.db'}"
    server: PostgresServer = request.getfixturevalue("postgres")
    return server.new_database()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A loopback receiver of alerts; point a command at it with ALERT_URLS=receiver.url."""
    r = Receiver()
    yield r
    r.server.shutdown()
    r.server.server_close()
