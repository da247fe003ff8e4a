"""The checked panel of a bars file, kept in the lab's data cache so that a command reads it in
a fraction of the time parsing and checking the file takes.

An entry is one uncompressed NumPy `.npz` file (read without pickle) named by its key: the
SHA-256 of the file's bytes, the `[data]` settings that shape the panel, the source of the
code that reads, checks and builds it, the versions of the libraries it uses and the day (the
checks refuse a date after today, so their verdict is the day's). A different file, setting,
loader, library or day is another key, so an entry is never stale. An entry is checked when
read (its key and the panel's fingerprint recomputed from its arrays); one that fails is
ignored, said in the log, and written again. Writes go to a temporary file renamed into place;
the newest `KEEP` entries are kept.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import hashlib
import json
import logging
import os
import tempfile
import time
import zipfile
from importlib.metadata import version
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np

from configs import DataConfig
from fitness.panel import Panel
from fitness.problems import DataProblem, DataReport

__all__ = ["KEEP", "cache_key", "read_entry", "write_entry"]

log = logging.getLogger(__name__)

KEEP = 3
_FORMAT = 1
_ARRAYS = ("open", "high", "low", "close", "volume", "tradable", "market")
# The modules whose code decides what a file's panel is (their source is part of the key).
_LOADERS = ("bars.py", "validation.py", "panel.py", "problems.py", "market_data.py")
_LIBRARIES = ("numpy", "pandas", "pyarrow", "exchange_calendars")


def cache_key(path: Path, data: DataConfig, today: dt.date | None = None) -> str:
    """The key of `path`'s panel under `data` (its source and cache folder aside) on `today`
    (default: today in New York: the checks refuse a date after it, so their verdict is the
    day's), with the versions of the libraries that parse and check it."""
    today = today or dt.datetime.now(ZoneInfo("America/New_York")).date()
    digest = hashlib.sha256(f"panel cache {_FORMAT}\n{today}\n".encode())
    for package in _LIBRARIES:
        digest.update(f"{package} {version(package)}\n".encode())
    settings = dataclasses.asdict(data)
    del settings["source"], settings["cache_dir"]
    digest.update(json.dumps(settings, sort_keys=True).encode())
    here = Path(__file__).parent
    for name in _LOADERS:
        digest.update((here / name).read_bytes())
    with path.open("rb") as handle:
        digest.update(hashlib.file_digest(handle, "sha256").digest())
    return digest.hexdigest()


def _entry(folder: Path, key: str) -> Path:
    return folder / f"panel-{key[:32]}.npz"


def read_entry(folder: Path, key: str, source: str) -> tuple[Panel, DataReport] | None:
    """The cached panel and report of `key` (its report named `source`), or None when there is
    no usable entry."""
    path = _entry(folder, key)
    try:
        with path.open("rb") as handle, np.load(handle, allow_pickle=False) as entry:
            meta = json.loads(str(entry["meta"]))
            arrays = {name: entry[name] for name in _ARRAYS}
            panel = Panel(
                entry["dates"],
                tuple(str(s) for s in entry["symbols"]),
                benchmark_symbol=meta["benchmark_symbol"],
                **arrays,
            )
        if meta["key"] != key or panel.fingerprint != meta["fingerprint"]:
            raise ValueError("its content does not match its key")
        report = DataReport(
            source=source,
            rows=meta["rows"],
            problems=[DataProblem(**p) for p in meta["problems"]],
            dropped=meta["dropped"],
            notes=meta["notes"],
        )
    except FileNotFoundError:
        return None
    except (
        OSError,
        EOFError,
        ValueError,
        KeyError,
        TypeError,
        AttributeError,
        zipfile.BadZipFile,
    ) as e:
        log.warning("panel cache %s cannot be used (%s): reading the data again", path, e)
        return None
    with contextlib.suppress(OSError):  # a read-only disk still serves the entry
        os.utime(path)  # the newest entries are kept
    return panel, report


def write_entry(folder: Path, key: str, panel: Panel, report: DataReport) -> None:
    """Keep `panel` and `report` under `key`; a folder that cannot be written is only logged
    (the cache saves time, it holds nothing that cannot be made again)."""
    meta = {
        "key": key,
        "fingerprint": panel.fingerprint,
        "benchmark_symbol": panel.benchmark_symbol,
        "rows": report.rows,
        "problems": [dataclasses.asdict(p) for p in report.problems],
        "dropped": report.dropped,
        "notes": report.notes,
    }
    arrays = {name: getattr(panel, name) for name in _ARRAYS}
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, suffix=".part", delete=False) as handle:
            try:
                np.savez(
                    handle,
                    meta=np.array(json.dumps(meta)),
                    dates=panel.dates,
                    symbols=np.array(panel.symbols, dtype=str),
                    **arrays,
                )
                handle.flush()
                os.fsync(handle.fileno())
            except BaseException:
                os.unlink(handle.name)
                raise
        os.replace(handle.name, _entry(folder, key))
    except OSError as e:
        log.info("panel cache %s not written: %s", folder, e)
        return
    _keep_newest(folder)


def _keep_newest(folder: Path) -> None:
    # Another command may be writing or removing entries at the same time: what has gone is
    # skipped, and a temporary file is only removed once it is an hour old (a killed writer's).
    dated = []
    for path in folder.glob("panel-*.npz"):
        with contextlib.suppress(OSError):
            dated.append((path.stat().st_mtime_ns, path))
    stale = [path for _, path in sorted(dated, reverse=True)[KEEP:]]
    for path in folder.glob("tmp*.part"):
        with contextlib.suppress(OSError):
            if time.time() - path.stat().st_mtime > 3600:
                stale.append(path)
    for path in stale:
        with contextlib.suppress(OSError):
            path.unlink()
