"""Slow checks (`@pytest.mark.slow`) run only with `pytest --slow`; a real PostgreSQL server
for the tests that take `database_url`."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.postgres import PostgresServer, postgres_bin, running_postgres


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--slow", action="store_true", help="also run the slow checks")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption("--slow"):
        return
    skip = pytest.mark.skip(reason="slow: run with --slow")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)


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
