"""Alembic environment: migrates the connection `store.database` hands over (or, for
`alembic upgrade --sql`, writes the SQL for the configured URL's dialect)."""

from __future__ import annotations

from alembic import context

from store.models import Base

config = context.config
connection = config.attributes.get("connection")

if connection is None:
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=Base.metadata,
        literal_binds=True,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()
else:
    context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()
