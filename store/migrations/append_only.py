"""Database triggers that refuse to change or remove a table's rows (SQLite and PostgreSQL), so
an audit trail cannot be rewritten by a bug or a stray command. Used by the migrations."""

from __future__ import annotations

from alembic import op

__all__ = ["allow_changes", "forbid_changes"]


def forbid_changes(tables: tuple[str, ...]) -> None:
    dialect = op.get_context().dialect.name
    for table in tables:
        if dialect == "sqlite":
            for event in ("UPDATE", "DELETE"):
                op.execute(
                    f"CREATE TRIGGER {table}_no_{event.lower()} BEFORE {event} ON {table} "
                    f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END"
                )
        elif dialect == "postgresql":
            op.execute(
                f"CREATE FUNCTION {table}_append_only() RETURNS trigger AS $$ BEGIN "
                f"RAISE EXCEPTION '{table} is append-only'; END $$ LANGUAGE plpgsql"
            )
            op.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                f"FOR EACH ROW EXECUTE FUNCTION {table}_append_only()"
            )


def allow_changes(tables: tuple[str, ...]) -> None:
    dialect = op.get_context().dialect.name
    for table in tables:
        if dialect == "sqlite":
            for event in ("update", "delete"):
                op.execute(f"DROP TRIGGER IF EXISTS {table}_no_{event}")
        elif dialect == "postgresql":
            op.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
            op.execute(f"DROP FUNCTION IF EXISTS {table}_append_only()")
