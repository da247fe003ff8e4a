"""Storage over a year of nights: what retention (evolve.retention) keeps research.db at.

1. Baseline, same run: a night that keeps everything (store.prune_every = 0) and one with the
   default retention, `baseline_generations` each, same seed, both followed by the gate: bytes
   per evaluation kept, and whether the gate's verdicts and statistics are identical (the
   search's size aside, which counts re-assessments of pruned genomes).
2. A projected Pi night, run for real: `generations` generations of `population` with the
   default retention (BENCHMARKS.md projects about 3,600 generations of 300 for a 45-minute Pi
   night), the file size sampled after every generation: its largest size during the night and
   what the night leaves (the growth).
3. A simulated year: that night's residue (its run, generations, stagnation events, candidates
   with their genomes, evaluations and gate reports, and a new panel with its windows and trial
   counts, as a data refresh makes) copied `nights - 1` more times into the same file, which
   is then measured.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
import shutil
import sqlite3
import tempfile
import time
from pathlib import Path
from typing import Any

from configs import LabConfig
from evolve.engine import GenerationReport
from evolve.nightly import NightOptions, run_nightly
from promotion.gating import gate_pending

MB = 2**20


def measure(
    data: Path,
    config: LabConfig,
    population: int,
    generations: int,
    baseline_generations: int,
    nights: int,
    workers: int,
) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        kept = _night(root / "kept", data, config, population, baseline_generations, 0, workers)
        pruned = _night(
            root / "pruned", data, config, population, baseline_generations, None, workers
        )
        night = _night(root / "pi", data, config, population, generations, None, workers)
        year = root / "year.db"
        shutil.copy(night["path"], year)
        started = time.monotonic()
        _simulate_year(year, nights)
        year_seconds = time.monotonic() - started
        return {
            "population": population,
            "workers": workers,
            "baseline_generations": baseline_generations,
            "baseline_evaluations": kept["evaluations"],
            "baseline_kept_mb": kept["mb"],
            "baseline_bytes_per_evaluation": kept["mb"] * MB / max(1, kept["evaluations"]),
            "pruned_mb": pruned["mb"],
            "x_smaller": kept["mb"] / pruned["mb"],
            "same_verdicts": kept["verdicts"] == pruned["verdicts"],
            "verdicts": len(kept["verdicts"]),
            "night_generations": night["generations"],
            "night_evaluations": night["evaluations"],
            "night_seconds": night["seconds"],
            "night_peak_mb": night["peak_mb"],
            "night_growth_mb": night["mb"],
            "night_candidates": night["candidates"],
            "year_nights": nights,
            "year_mb": year.stat().st_size / MB,
            "year_simulation_seconds": year_seconds,
        }


def _night(
    folder: Path,
    data: Path,
    config: LabConfig,
    population: int,
    generations: int,
    prune_every: int | None,
    workers: int,
) -> dict[str, Any]:
    folder.mkdir()
    store = config.store
    lab = dataclasses.replace(
        config,
        data=dataclasses.replace(config.data, source=str(data)),
        evolve=dataclasses.replace(
            config.evolve,
            population=population,
            workers=workers,
            budget_minutes=24 * 60.0,
            lock_file=str(folder / "lock"),
        ),
        store=dataclasses.replace(
            store,
            backup_dir=str(folder / "backups"),
            prune_every=store.prune_every if prune_every is None else prune_every,
        ),
    )
    path = folder / "research.db"
    url = f"sqlite:///{path}"
    peak = 0

    def sample(_report: GenerationReport, _elapsed: float) -> None:
        nonlocal peak
        peak = max(peak, _file_bytes(path))

    summary = run_nightly(
        lab,
        url,
        NightOptions(discovery=True, generations=generations),
        progress=sample,
        after=gate_pending(lab),
    )
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        verdicts = sorted(
            (genome, passed, _without_search(criteria), _without_search(details))
            for genome, passed, criteria, details in db.execute(
                "SELECT c.genome_id, r.passed, r.criteria, r.details FROM gate_reports r "
                "JOIN candidates c ON c.id = r.candidate_id"
            )
        )
    db.close()
    return {
        "path": path,
        "mb": _file_bytes(path) / MB,
        "peak_mb": max(peak, _file_bytes(path)) / MB,
        "evaluations": summary.evaluations,
        "generations": summary.generations,
        "seconds": summary.seconds,
        "candidates": len(summary.candidates) + len(summary.refined),
        "verdicts": verdicts,
    }


def _without_search(text: str) -> str:
    # The search's size ("search": N in the trials, and the sentence that reports it) counts
    # assessments, and a pruned genome met again is assessed again.
    value = json.loads(text)
    if isinstance(value, dict) and isinstance(value.get("trials"), dict):
        value["trials"].pop("search", None)
    return re.sub(r"evaluated \d+ genomes", "evaluated N genomes", json.dumps(value))


def _file_bytes(path: Path) -> int:
    wal = path.with_name(path.name + "-wal")
    return path.stat().st_size + (wal.stat().st_size if wal.exists() else 0)


def _simulate_year(path: Path, nights: int) -> None:
    db = sqlite3.connect(path)
    db.execute("PRAGMA foreign_keys=OFF")  # rows are copied table by table
    (run,) = db.execute("SELECT max(id) FROM runs").fetchone()
    (panel,) = db.execute("SELECT panel_fingerprint FROM runs WHERE id = ?", (run,)).fetchone()
    (top,) = db.execute("SELECT max(number) FROM generations").fetchone()
    windows = _ids(db, "SELECT id FROM windows WHERE panel_fingerprint = ?", panel)
    genomes = _ids(db, "SELECT genome_id FROM candidates WHERE run_id = ?", run)
    for night in range(1, nights):

        def new(old: str, night: int = night) -> str:
            return hashlib.sha256(f"{old}/{night}".encode()).hexdigest()

        _copy(db, "panels", "fingerprint", panel, {"fingerprint": ("?", new(panel))})
        for w in windows:
            ids = {"panel_fingerprint": ("?", new(panel))}
            _copy(db, "windows", "id", w, {"id": ("?", new(w)), **ids})
            _copy(db, "trial_counts", "window_id", w, {"window_id": ("?", new(w)), **ids})
        copy = _copy(db, "runs", "id", run, {"id": None})
        offset = {"run_id": ("?", copy)}
        _copy(
            db,
            "generations",
            "run_id",
            run,
            {"id": None, "number": ("number + ?", night * top), **offset},
        )
        _copy(
            db,
            "stagnation_events",
            "run_id",
            run,
            {"id": None, "generation": ("generation + ?", night * top), **offset},
        )
        for g in genomes:
            _copy(db, "genomes", "id", g, {"id": ("?", new(g))})
            _copy(db, "evaluations", "genome_id", g, {"id": None, "genome_id": ("?", new(g))})
            (candidate,) = _ids(db, "SELECT id FROM candidates WHERE genome_id = ?", g)
            made = _copy(
                db,
                "candidates",
                "id",
                candidate,
                {"id": None, "genome_id": ("?", new(g)), **offset},
            )
            _copy(
                db,
                "gate_reports",
                "candidate_id",
                candidate,
                {"id": None, "candidate_id": ("?", made)},
            )
        db.commit()
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()


def _ids(db: sqlite3.Connection, query: str, value: Any) -> list[Any]:
    return [row[0] for row in db.execute(query, (value,))]


def _copy(
    db: sqlite3.Connection,
    table: str,
    key: str,
    value: Any,
    changes: dict[str, tuple[str, Any] | None],
) -> int:
    """Copy the rows of `table` whose `key` is `value`, with `changes`: column -> (SQL
    expression, parameter), or None for a column left to the database (an autoincrement id).
    Returns the last inserted row id."""
    columns = [row[1] for row in db.execute(f"PRAGMA table_info({table})")]
    kept = [c for c in columns if changes.get(c, ()) is not None]
    chosen = [changes[c][0] if c in changes else c for c in kept]  # type: ignore[index]
    parameters = [changes[c][1] for c in kept if c in changes]  # type: ignore[index]
    cursor = db.execute(
        f"INSERT INTO {table} ({', '.join(kept)}) SELECT {', '.join(chosen)} FROM {table} "
        f"WHERE {key} = ?",
        (*parameters, value),
    )
    return int(cursor.lastrowid or 0)
