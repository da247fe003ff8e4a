"""A real PostgreSQL server for the tests, started once per test session when one is installed
(Debian's `postgresql` package, or initdb/pg_ctl on the PATH): trust authentication on
127.0.0.1 and a free port, data in a temporary folder, stopped and removed at the end. Each
test gets a database of its own."""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from itertools import count
from pathlib import Path

__all__ = ["PostgresServer", "postgres_bin", "running_postgres"]


def postgres_bin() -> Path | None:
    """The folder of initdb and pg_ctl, or None when PostgreSQL is not installed."""
    found = shutil.which("initdb")
    if found:
        return Path(found).parent
    versions = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return Path(versions[-1]).parent if versions else None


class PostgresServer:
    def __init__(self, port: int) -> None:
        self.port = port
        self._names = count(1)

    def new_database(self) -> str:
        """A fresh, empty database; its SQLAlchemy URL."""
        import psycopg

        name = f"lab_{os.getpid()}_{next(self._names)}"
        with psycopg.connect(self._url("postgres", ""), autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
        return self._url(name, "+psycopg")

    def _url(self, name: str, driver: str) -> str:
        return f"postgresql{driver}://postgres@127.0.0.1:{self.port}/{name}"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def running_postgres(folder_bin: Path) -> Iterator[PostgresServer]:
    """Start a server with the binaries in `folder_bin`, yield it, stop it."""
    home = Path(tempfile.mkdtemp(prefix="gplab-postgres-"))
    prefix: list[str] = []
    if os.geteuid() == 0:  # the server refuses to run as root
        owner = pwd.getpwnam("postgres")
        os.chown(home, owner.pw_uid, owner.pw_gid)
        prefix = ["runuser", "-u", "postgres", "--"]
    data, port = home / "data", _free_port()

    def run(*command: str) -> None:
        subprocess.run([*prefix, *command], check=True, capture_output=True, timeout=120)

    run(str(folder_bin / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust", "--no-sync")
    options = f"-p {port} -k {home} -c listen_addresses=127.0.0.1 -c fsync=off"
    run(
        str(folder_bin / "pg_ctl"),
        "-D",
        str(data),
        "-o",
        options,
        "-l",
        str(home / "log"),
        "-w",
        "start",
    )
    try:
        yield PostgresServer(port)
    finally:
        run(str(folder_bin / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop")
        shutil.rmtree(home, ignore_errors=True)
