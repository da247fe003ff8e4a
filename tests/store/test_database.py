"""research.db: migrations from empty and from the previous revision, SQLite settings, a
PostgreSQL-ready schema, compact arrays and backups."""

from __future__ import annotations

import datetime as dt
import gzip
import io
import sqlite3
import subprocess
import sys
from contextlib import redirect_stdout
from pathlib import Path

import numpy as np
import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError

from configs import ConfigurationError, ServiceError
from store import BackupSkipped, backup_sqlite, open_database, pack, rotate_backups, unpack
from store.backup import backups
from store.database import alembic_config, head_revision, upgrade_to
from store.models import APPEND_ONLY, Base, Genome, PanelRecord, Run, WindowRecord
from tests.builders.cli import DEADLINE_SECONDS


def _url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'research.db'}"


def _schema_differences(db_url: str) -> list[object]:
    database = open_database(db_url, upgrade=False)
    try:
        with database.engine.connect() as connection:
            return list(compare_metadata(MigrationContext.configure(connection), Base.metadata))
    finally:
        database.close()


def test_an_empty_database_is_migrated_to_the_models(database_url: str) -> None:
    database = open_database(database_url)
    assert database.revision() == head_revision()
    database.close()
    assert _schema_differences(database_url) == []


def test_upgrade_from_the_previous_revision_keeps_the_data(database_url: str) -> None:
    database = open_database(database_url, upgrade=False)
    upgrade_to(database, "0001")
    assert database.revision() == "0001"
    with database.engine.begin() as connection:
        connection.execute(
            insert(Genome),
            {
                "id": "a" * 64,
                "text": "gt(close, sma(close, 200))",
                "size": 5,
                "height": 2,
                "origin": "user",
                "created_at": dt.datetime(2026, 1, 2),
            },
        )
    reopened = open_database(database_url)
    assert reopened.revision() == head_revision() != "0001"
    with reopened.transaction() as session:
        genome = session.get(Genome, "a" * 64)
        assert genome is not None and genome.text == "gt(close, sma(close, 200))"
    database.close()
    reopened.close()
    assert _schema_differences(database_url) == []


def test_sqlite_runs_in_wal_mode_and_enforces_foreign_keys(tmp_path: Path) -> None:
    database = open_database(_url(tmp_path), busy_timeout_ms=1234)
    with database.engine.connect() as connection:
        raw = connection.connection.dbapi_connection
        assert raw is not None
        assert raw.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        assert raw.execute("PRAGMA foreign_keys").fetchone() == (1,)
        assert raw.execute("PRAGMA busy_timeout").fetchone() == (1234,)
    with pytest.raises(IntegrityError), database.transaction() as session:
        session.add(
            WindowRecord(
                id="w" * 64,
                name="train",
                panel_fingerprint="missing",
                first_day=dt.date(2006, 1, 3),
                last_day=dt.date(2011, 12, 30),
                n_days=1510,
                warmup_days=250,
                rules={},
            )
        )
    with database.transaction() as session:
        assert session.scalars(select(WindowRecord)).all() == []


def test_the_migrations_compile_for_postgresql() -> None:
    # No server is needed to prove the schema has nothing SQLite-only: Alembic writes the DDL.
    out = io.StringIO()
    with redirect_stdout(out):
        command.upgrade(alembic_config("postgresql://lab@localhost/research"), "head", sql=True)
    ddl = out.getvalue()
    assert "CREATE TABLE evaluations" in ddl and "BYTEA" in ddl and "SERIAL" in ddl


def test_a_url_that_is_not_a_database_url_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match="not a database URL"):
        open_database("research.db")
    for url in ("mysql://lab@localhost/research", "nosuch://lab@localhost/research"):
        with pytest.raises(ConfigurationError, match="--db: no driver for"):
            open_database(url)


def test_packed_returns_round_trip_at_half_precision() -> None:
    values = np.random.default_rng(1).normal(0, 0.01, 1500)
    values[:700] = 0.0
    blob = pack(values)
    assert len(blob) < values.nbytes / 5
    np.testing.assert_allclose(unpack(blob), values, rtol=5e-4, atol=1e-7)
    assert np.corrcoef(unpack(blob), values)[0, 1] > 0.999999
    with pytest.raises(ValueError, match="finite"):
        pack(np.array([0.01, np.nan]))


def _panel_database(tmp_path: Path) -> Path:
    database = open_database(_url(tmp_path))
    with database.transaction() as session:
        session.add(
            PanelRecord(
                fingerprint="f" * 64,
                source="bundled",
                n_symbols=2,
                n_days=3,
                first_day=dt.date(2020, 1, 2),
                last_day=dt.date(2020, 1, 6),
            )
        )
    database.close()
    return tmp_path / "research.db"


def _backup_and_rotate(path: Path, folder: Path, now: dt.datetime) -> Path | None:
    copy = backup_sqlite(path, folder, now)
    rotate_backups(folder, path.stem, 3)
    return copy


def test_backups_rotate_and_are_complete_compressed_databases(tmp_path: Path) -> None:
    path = _panel_database(tmp_path)
    folder = tmp_path / "backups"
    (folder).mkdir()
    (folder / "research-20251231T030000.db").write_bytes(b"a copy of an earlier version")
    made = [
        _backup_and_rotate(path, folder, dt.datetime(2026, 1, day, 3, 0)) for day in range(1, 6)
    ]
    kept = sorted(p.name for p in folder.iterdir())
    assert kept == [p.name for p in made[2:] if p is not None]
    assert all(name.endswith(".db.gz") for name in kept)
    restored = tmp_path / "restored.db"
    with gzip.open(folder / kept[-1]) as packed:
        restored.write_bytes(packed.read())
    copy = sqlite3.connect(restored)
    assert copy.execute("SELECT count(*) FROM panels").fetchone() == (1,)
    assert copy.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    copy.close()
    assert backup_sqlite(tmp_path / "absent.db", folder, dt.datetime(2026, 2, 1)) is None
    # Copies a kill left half-written are no backup: the Health page and the rotation skip
    # them, and the next backup removes them.
    leftovers = [
        folder / "research-20260201T030000.db.gz.copy.partial",
        folder / "research-20260201T030000.db.gz.copy.partial-journal",
        folder / "research-20260201T030000.db.gz.partial",
    ]
    for leftover in leftovers:
        leftover.write_bytes(b"half a copy")
    assert [p.name for p in backups(folder)] == kept
    newest = _backup_and_rotate(path, folder, dt.datetime(2026, 2, 2, 3, 0))
    assert newest is not None
    assert sorted(p.name for p in folder.iterdir()) == [*kept[1:], newest.name]


def test_a_backup_without_room_is_skipped_and_leaves_nothing(tmp_path: Path) -> None:
    path = _panel_database(tmp_path)
    folder = tmp_path / "backups"
    with pytest.raises(BackupSkipped, match=r"MB free in .*store.min_free_mb = 100000000"):
        backup_sqlite(path, folder, dt.datetime(2026, 1, 1), min_free_mb=100_000_000)
    assert list(folder.iterdir()) == []


def test_a_disk_that_fills_during_the_backup_leaves_no_partial_file(tmp_path: Path) -> None:
    # A file-size limit in a child process stands in for a full disk: its writes past the
    # limit fail as they would on a full card (EFBIG instead of ENOSPC).
    path = _panel_database(tmp_path)
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE padding (x BLOB)")
        db.executemany("INSERT INTO padding VALUES (randomblob(10000))", [()] * 200)
    size = path.stat().st_size
    folder = tmp_path / "backups"
    script = (
        "import datetime, resource, signal, sys\n"
        "from pathlib import Path\n"
        "from store import BackupSkipped, backup_sqlite\n"
        "signal.signal(signal.SIGXFSZ, signal.SIG_IGN)\n"
        f"resource.setrlimit(resource.RLIMIT_FSIZE, ({size // 2}, {size // 2}))\n"
        "try:\n"
        f"    backup_sqlite(Path({str(path)!r}), Path({str(folder)!r}), "
        "datetime.datetime(2026, 1, 1))\n"
        "except BackupSkipped as e:\n"
        "    print(e)\n"
        "    sys.exit(3)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        check=False,
        timeout=DEADLINE_SECONDS,
    )
    assert done.returncode == 3, done.stderr
    assert "writing to" in done.stdout and "failed" in done.stdout
    assert list(folder.iterdir()) == []
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert db.execute("SELECT count(*) FROM padding").fetchone() == (200,)


def test_runs_store_plain_json(database_url: str) -> None:
    database = open_database(database_url)
    with database.transaction() as session:
        session.add(
            Run(
                discovery=True,
                config_id="c" * 64,
                config={"evolve": {"seed": 1}},
                seed=1,
                code_version="test",
                status="running",
                pid=1,
                reference=["a" * 64],
            )
        )
    with database.transaction() as session:
        run = session.scalars(select(Run)).one()
        assert run.config == {"evolve": {"seed": 1}} and run.reference == ["a" * 64]
        assert run.summary == {}
    database.close()


@pytest.mark.parametrize("table", APPEND_ONLY)
def test_promotion_records_cannot_be_changed_or_removed(tmp_path: Path, table: str) -> None:
    database = open_database(_url(tmp_path))
    with sqlite3.connect(tmp_path / "research.db") as connection:
        triggers = {
            row[0]
            for row in connection.execute(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = ?", (table,)
            )
        }
        assert triggers == {f"{table}_no_update", f"{table}_no_delete"}
        # A row needs no parents here (foreign keys are off on this plain connection).
        columns = [row[1] for row in connection.execute(f"PRAGMA table_info({table})")]
        connection.execute(
            f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
            [1] * len(columns),
        )
        connection.commit()
        for statement in (f"UPDATE {table} SET {columns[1]} = 2", f"DELETE FROM {table}"):
            with pytest.raises(sqlite3.IntegrityError, match="append-only"):
                connection.execute(statement)
        assert connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0] == 1
    database.close()


def test_the_postgresql_migration_makes_the_promotion_records_append_only() -> None:
    out = io.StringIO()
    with redirect_stdout(out):
        command.upgrade(alembic_config("postgresql://lab@localhost/research"), "head", sql=True)
    for table in APPEND_ONLY:
        assert f"BEFORE UPDATE OR DELETE ON {table}" in out.getvalue()
    assert "BEFORE UPDATE OF genome_id ON candidates" in out.getvalue()


_OPTIONAL_KEYS = ("parent_id", "resumes_run_id", "gate_report_id")


def test_earlier_reports_and_decisions_get_the_genome_judged_and_it_never_changes(
    tmp_path: Path,
) -> None:
    database = open_database(_url(tmp_path), upgrade=False)
    upgrade_to(database, "0005")
    database.close()
    judged = "a" * 64
    with sqlite3.connect(tmp_path / "research.db") as connection:
        # One row of each table they refer to, every key 1 (a genome's: `judged`).
        for table in ("panels", "windows", "runs", "genomes", "candidates"):
            columns = [row[1] for row in connection.execute(f"PRAGMA table_info({table})")]
            judged_key = {"genomes": "id", "candidates": "genome_id"}.get(table)
            values = [
                judged if c == judged_key else None if c.endswith(_OPTIONAL_KEYS) else 1
                for c in columns
            ]
            connection.execute(
                f"INSERT INTO {table} ({', '.join(columns)}) "
                f"VALUES ({', '.join('?' * len(columns))})",
                values,
            )
        for table in ("gate_reports", "decisions"):
            columns = [row[1] for row in connection.execute(f"PRAGMA table_info({table})")]
            values = [None if c.endswith(_OPTIONAL_KEYS) else 1 for c in columns]
            connection.execute(
                f"INSERT INTO {table} ({', '.join(columns)}) "
                f"VALUES ({', '.join('?' * len(columns))})",
                values,
            )
    connection.close()
    open_database(_url(tmp_path)).close()
    with sqlite3.connect(tmp_path / "research.db") as connection:
        for table in ("gate_reports", "decisions"):
            assert connection.execute(f"SELECT genome_id FROM {table}").fetchall() == [(judged,)]
        with pytest.raises(sqlite3.IntegrityError, match="genome_id never changes"):
            connection.execute("UPDATE candidates SET genome_id = ?", ("b" * 64,))
        connection.execute("UPDATE candidates SET status = 'approved'")  # its status moves
    connection.close()


def _tables(path: Path) -> set[str]:
    with sqlite3.connect(path) as db:
        return {name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}


def test_the_empty_tables_of_a_first_migration_killed_by_an_earlier_version_are_cleared(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # Earlier versions committed each CREATE on its own: a kill left tables and no revision.
    path = tmp_path / "research.db"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL)")
        db.execute("CREATE TABLE panels (fingerprint VARCHAR(64) PRIMARY KEY)")
    database = open_database(f"sqlite:///{path}")
    assert database.revision() == head_revision()
    database.close()
    assert "dropped the 2 empty tables of an interrupted first migration" in caplog.text
    assert _schema_differences(f"sqlite:///{path}") == []


def test_rows_without_a_revision_or_tables_of_another_program_are_refused_untouched(
    tmp_path: Path,
) -> None:
    path = tmp_path / "research.db"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE panels (fingerprint VARCHAR(64) PRIMARY KEY)")
        db.execute("INSERT INTO panels VALUES ('abc')")
    with pytest.raises(ServiceError, match="no schema revision but rows in panels"):
        open_database(f"sqlite:///{path}")
    other = tmp_path / "other.db"
    with sqlite3.connect(other) as db:
        db.execute("CREATE TABLE invoices (id INTEGER)")
    with pytest.raises(
        ServiceError, match=r"not a research database of this lab \(tables invoices"
    ):
        open_database(f"sqlite:///{other}")
    assert _tables(path) == {"panels"} and _tables(other) == {"invoices"}


def test_the_copy_of_a_table_rebuild_killed_by_an_earlier_version_is_dropped(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    url = _url(tmp_path)
    database = open_database(url, upgrade=False)
    upgrade_to(database, "0004")
    database.close()
    path = tmp_path / "research.db"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE _alembic_tmp_genomes (id VARCHAR(64))")
    reopened = open_database(url)
    assert reopened.revision() == head_revision()
    reopened.close()
    assert "_alembic_tmp_genomes" not in _tables(path)
    assert "dropped _alembic_tmp_genomes, left by an interrupted upgrade" in caplog.text
