"""`research.db`: SQLAlchemy 2.0 models, the database and its migrations, backups, and the
one-process-at-a-time lock of the lab's jobs.

Commands own sessions and transactions (`Database.transaction()`); library functions take a
session and never commit.
"""

from store.arrays import pack, unpack
from store.backup import BackupSkipped, backup_sqlite, rotate_backups
from store.database import Database, lab_database, make_lab, open_database, sqlite_path
from store.lock import LockBusy, RunLock

__all__ = [
    "BackupSkipped",
    "Database",
    "LockBusy",
    "RunLock",
    "backup_sqlite",
    "lab_database",
    "make_lab",
    "open_database",
    "pack",
    "rotate_backups",
    "sqlite_path",
    "unpack",
]
