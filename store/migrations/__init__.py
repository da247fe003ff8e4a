"""Alembic migrations of research.db, applied automatically by `store.open_database`."""
