"""Open `research.db`: the engine, the session factory and automatic migrations.

Any SQLAlchemy URL works: SQLite (the default, a file next to the lab) gets WAL journaling,
foreign keys and a busy timeout on every connection; PostgreSQL (for a cluster) needs nothing
more than its URL. The schema is brought to the newest Alembic revision when the database is
opened, so a command never meets an old schema.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from configs import ConfigurationError, ServiceError
from configs.commands import CommandContext, sqlite_path
from configs.lab_folder import LAB_MARK, full_disk, mark_lab
from store.models import Base
from store.quarantine import COMMAND, quarantine
from store.repointed import install as leave_out_repointed
from store.unreadable import install

__all__ = [
    "MIGRATIONS",
    "Database",
    "alembic_config",
    "check_writable",
    "lab_database",
    "make_lab",
    "open_database",
    "sqlite_path",
]

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).with_name("migrations")
_REBUILD_COPY = "_alembic_tmp_"  # Alembic's name for the new table of a rebuild


@dataclass(frozen=True)
class Database:
    """The engine and session factory of one database, built once per command."""

    url: str
    engine: Engine
    sessions: sessionmaker[Session]

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session whose work is committed on success and rolled back on any error."""
        with self.sessions.begin() as session:
            yield session

    def revision(self) -> str | None:
        """The schema revision research.db is at; None before the first migration."""
        with self.engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()

    def close(self) -> None:
        """Close the database's connections."""
        self.engine.dispose()


def lab_database(lab: CommandContext) -> Database:
    """The research database of a command's lab (its URL and busy timeout), migrated.

    Raises:
        ConfigurationError: it is missing from the lab or is not a database (a command that
            can do without it was let run: `live halt`).
    """
    if lab.database_problem is not None:
        raise ConfigurationError(lab.database_problem)
    return open_database(lab.db_url, lab.config.store.busy_timeout_ms, command=lab.command)


def make_lab(lab: CommandContext) -> None:
    """Mark the folder of `lab` as a lab once its database exists (a lab whose mark is there
    and whose research.db is not has lost it, and every command says so). A database that is
    no file (PostgreSQL) is made here, at the newest schema; a SQLite research.db is made by
    the command that needs it (a first night backs up nothing, `evolve init` opens it)."""
    if (lab.home / LAB_MARK).exists():
        return
    path = sqlite_path(lab.db_url)
    if path is None:
        lab_database(lab).close()
    elif not path.exists():
        return
    mark_lab(lab.home)


def open_database(
    url: str, busy_timeout_ms: int = 30000, upgrade: bool = True, command: str = ""
) -> Database:
    """Connect to `url` and (unless `upgrade` is False) migrate it to the newest revision.
    `command` names the command that works with it (a quarantine record says who found a
    damaged row).

    Raises:
        ConfigurationError: the URL cannot be understood.
        ServiceError: the database cannot be opened or migrated (locked, unreachable, ...).
    """
    parsed, read_only = _connection_url(url)
    path = sqlite_path(url)
    try:
        engine = create_engine(parsed)
    except (ImportError, NoSuchModuleError) as e:
        raise ConfigurationError(
            f"--db: no driver for {parsed.drivername!r} ({e}); SQLite needs none, PostgreSQL "
            "needs `pip install 'gplab[postgres]'` and a postgresql+psycopg:// URL"
        ) from e
    if parsed.get_backend_name() == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas(busy_timeout_ms, read_only))
    sessions = sessionmaker(engine, expire_on_commit=False, info={COMMAND: command})
    leave_out_repointed(sessions)
    install(sessions, quarantine)
    database = Database(url, engine, sessions)
    if upgrade:
        try:
            before, head = database.revision(), head_revision()
            if before != head and read_only:
                engine.dispose()
                raise ConfigurationError(
                    f"research database {path} is read-only and at revision {before}: this "
                    f"version reads revision {head}; upgrade it where it can be written"
                )
            if before != head:
                upgrade_to(database, "head")
                log.info("research database %s migrated from %s to %s", _shown(url), before, head)
        except OperationalError as e:
            engine.dispose()
            full = full_disk(path, str(e.orig))
            raise ServiceError(
                full or f"cannot open the research database {_shown(url)}: {e.orig}"
            ) from e
    return database


def _connection_url(url: str) -> tuple[URL, bool]:
    """The URL to connect to `url` with, and whether it is a read-only SQLite file (then read
    as an immutable file: SQLite could not make the write-ahead log's index on a read-only
    disk; reads work, a write is refused in one line). Makes a new SQLite file's folder."""
    try:
        parsed = make_url(url)
    except ArgumentError as e:
        raise ConfigurationError(f"--db: {url!r} is not a database URL ({e})") from e
    path = sqlite_path(url)
    read_only = path is not None and path.exists() and not _writable(path)
    if read_only and path is not None:
        parsed = make_url(f"sqlite:///file:{path}?immutable=1&uri=true")
        if Path(f"{path}-wal").exists():
            log.warning(
                "research.db is read-only and its write-ahead log was never checkpointed: the "
                "newest changes in %s-wal are not shown",
                path,
            )
    elif path is not None and path.parent != Path():
        path.parent.mkdir(parents=True, exist_ok=True)
    return parsed, read_only


def check_writable(url: str) -> None:
    """Refuse, before anything is done, a SQLite research.db that cannot be written (a
    read-only file, folder or disk). Other databases report it at their first write.

    Raises:
        ConfigurationError: it cannot be written.
    """
    path = sqlite_path(url)
    if path is None or not path.exists():
        return
    database = open_database(url, upgrade=False)
    try:
        with database.engine.connect() as connection:
            # Writing the header's user_version back unchanged is a write that changes nothing.
            version = connection.exec_driver_sql("PRAGMA user_version").scalar()
            connection.exec_driver_sql(f"PRAGMA user_version = {int(version or 0)}")
    except OperationalError as e:
        raise ConfigurationError(
            f"the research database {path} cannot be written ({e.orig}): check the permissions "
            "of the file and its folder, and that its disk is not mounted read-only"
        ) from e
    finally:
        database.close()


def upgrade_to(database: Database, revision: str) -> None:
    """Apply the migrations up to `revision` ("head" for the newest), all or nothing.

    The whole upgrade is one transaction: a crash, a kill or a power cut during it leaves the
    database as it was before, and the next command upgrades it again. On SQLite the driver
    would commit each CREATE or ALTER on its own, so the transaction is begun by hand (BEGIN
    IMMEDIATE: one upgrade at a time, the others wait and then find nothing to do); tables a
    crashed upgrade of an earlier version left behind are cleared first (`_clear_leftovers`).
    A migration that changes a table's constraints rebuilds the table, which foreign keys
    would refuse; they are off while it runs, and every reference is checked before it
    commits."""
    config = alembic_config(database.url)
    sqlite = database.engine.dialect.name == "sqlite"
    with database.engine.connect() as connection:
        raw: Any = connection.connection.dbapi_connection
        if sqlite:
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
            connection.commit()
            raw.isolation_level = None  # the transaction below is begun and ended by hand
        try:
            with connection.begin():
                if sqlite:
                    connection.exec_driver_sql("BEGIN IMMEDIATE")
                    _clear_leftovers(connection, database.url)
                config.attributes["connection"] = connection
                command.upgrade(config, revision)
                if sqlite:
                    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                    if broken:
                        raise ServiceError(f"the migration broke references: {broken[:5]}")
        finally:
            if sqlite:
                raw.isolation_level = ""
                connection.exec_driver_sql("PRAGMA foreign_keys=ON")
                connection.commit()


def _clear_leftovers(connection: Connection, url: str) -> None:
    """Drop what an upgrade that earlier versions of the lab ran without one transaction left
    when killed: the empty tables of a first migration that never recorded its revision, and
    the `_alembic_tmp_<table>` copy of a table rebuild whose original is still there.

    Raises:
        ServiceError: what is left cannot be cleared safely (rows in a database with no
            revision, tables that are not the lab's, a rebuild whose original is gone).
    """
    tables = set(
        connection.exec_driver_sql(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        ).scalars()
    )
    where = _shown(url)
    for copy in sorted(t for t in tables if t.startswith(_REBUILD_COPY)):
        original = copy.removeprefix(_REBUILD_COPY)
        if original not in tables:
            raise ServiceError(
                f"research database {where}: an interrupted upgrade left table {original} only "
                f"as its copy {copy}; restore the newest file of the backups folder"
            )
        connection.exec_driver_sql(f'DROP TABLE "{copy}"')
        tables.discard(copy)
        log.warning("research database %s: dropped %s, left by an interrupted upgrade", where, copy)
    if not tables or MigrationContext.configure(connection).get_current_revision() is not None:
        return
    strangers = sorted(tables - set(Base.metadata.tables) - {"alembic_version"})
    if strangers:
        raise ServiceError(
            f"{where} is not a research database of this lab (tables {', '.join(strangers)})"
        )
    filled = [
        t
        for t in sorted(tables)
        if connection.exec_driver_sql(f'SELECT EXISTS (SELECT 1 FROM "{t}")').scalar()
    ]
    if filled:
        raise ServiceError(
            f"research database {where} has no schema revision but rows in {', '.join(filled)}; "
            "restore the newest file of the backups folder"
        )
    for table in sorted(tables):
        connection.exec_driver_sql(f'DROP TABLE "{table}"')
    log.warning(
        "research database %s: dropped the %d empty tables of an interrupted first migration",
        where,
        len(tables),
    )


def alembic_config(url: str) -> Config:
    """Alembic's configuration for the lab's migrations on `url`."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()
    assert head is not None
    return head


def _writable(path: Path) -> bool:
    # The file and its folder (where SQLite keeps the write-ahead log and its index).
    return os.access(path, os.W_OK) and os.access(path.parent, os.W_OK)


def _sqlite_pragmas(busy_timeout_ms: int, read_only: bool = False) -> Any:
    def on_connect(connection: Any, _record: Any) -> None:
        cursor = connection.cursor()
        if not read_only:
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    return on_connect


def _shown(url: str) -> str:
    # Never print a password that may be part of the URL.
    return make_url(url).render_as_string(hide_password=True)
