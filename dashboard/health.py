"""The health page: what a person checks before trusting a night: disk, memory, research.db's
size, the last backup, how fresh the data is, the next timer run, the recent errors and the
stored rows left out because they cannot be read (the quarantine)."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from configs import LabConfig
from dashboard.board import Board
from store import sqlite_path
from store.backup import backups
from store.models import PanelRecord, QuarantineEntry, Run
from store.statuses import RunStatus

__all__ = ["Health", "health", "routes"]

MB = 2**20


@dataclass(frozen=True)
class Health:
    """What the Health page shows: disk, memory, database size, backups, recent errors."""

    disk_free_mb: float
    disk_min_mb: int
    memory_available_mb: float
    memory_min_mb: int
    database: str
    database_mb: float | None  # SQLite: the file and its WAL; None for a server database
    last_backup: str | None
    backups: int
    data_source: str | None
    data_last_day: dt.date | None
    next_night: str
    errors: list[str]  # the newest tracebacks' headers, newest first
    failed_runs: list[int]
    quarantined: list[QuarantineEntry]  # the newest rows left out, newest first
    quarantined_count: int


def health(session: Session, home: Path, config: LabConfig, db_url: str) -> Health:
    """The lab's health now: its home's disk, the machine's memory, the database, the backups and
    the logs."""
    import psutil

    path = sqlite_path(db_url)
    size = None
    if path is not None and path.exists():
        wal = path.with_name(path.name + "-wal")
        size = (path.stat().st_size + (wal.stat().st_size if wal.exists() else 0)) / MB
    copies = backups(Path(config.store.backup_dir), path.stem if path is not None else "research")
    newest = copies[-1] if copies else None
    panel = session.scalars(select(PanelRecord).order_by(PanelRecord.created_at.desc())).first()
    failed = session.scalars(
        select(Run.id).where(Run.status == RunStatus.FAILED).order_by(Run.id.desc()).limit(5)
    ).all()
    quarantined = session.scalars(
        select(QuarantineEntry).order_by(QuarantineEntry.id.desc()).limit(20)
    ).all()
    return Health(
        disk_free_mb=shutil.disk_usage(home).free / MB,
        disk_min_mb=config.store.min_free_mb,
        memory_available_mb=psutil.virtual_memory().available / MB,
        memory_min_mb=config.evolve.min_free_memory_mb,
        database=str(path) if path is not None else "a server database",
        database_mb=size,
        last_backup=(
            f"{newest.name} ({newest.stat().st_size / MB:.1f} MB)" if newest is not None else None
        ),
        backups=len(copies),
        data_source=panel.source if panel else None,
        data_last_day=panel.last_day if panel else None,
        next_night=_next_timer_run(),
        errors=_recent_errors(Path(config.log.dir) / "errors.log"),
        failed_runs=list(failed),
        quarantined=list(quarantined),
        quarantined_count=session.scalar(select(func.count()).select_from(QuarantineEntry)) or 0,
    )


def _next_timer_run() -> str:
    systemctl = shutil.which("systemctl")
    if systemctl is None:
        return "no systemd here (README: Running it nightly)"
    try:
        shown = subprocess.run(
            [systemctl, "show", "evolve-nightly.timer", "-p", "NextElapseUSecRealtime,LoadState"],
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        ).stdout
    except (OSError, subprocess.TimeoutExpired):
        return "unknown (systemctl did not answer)"
    values = dict(line.split("=", 1) for line in shown.splitlines() if "=" in line)
    if values.get("LoadState") != "loaded":
        return "the evolve-nightly timer is not installed (README: Running it nightly)"
    return values.get("NextElapseUSecRealtime") or "not scheduled"


def _recent_errors(log: Path, count: int = 5) -> list[str]:
    # Each traceback in errors.log starts with "--- <UTC time> <command>".
    if not log.exists():
        return []
    with log.open(errors="replace") as handle:
        heads = [line[4:].strip() for line in handle if line.startswith("--- ")]
    return heads[::-1][:count]


def routes(board: Board) -> list[Route]:
    """The Health page."""

    def page(request: Request) -> Response:
        with board.database.transaction() as session:
            found = health(session, board.home, board.config, board.database.url)
        return board.render(request, "health.html", {"h": found, "page": "health"})

    return [Route("/health", page)]
