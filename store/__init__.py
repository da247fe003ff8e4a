"""research.db: typed SQLAlchemy models, sessions, migrations and backups."""
