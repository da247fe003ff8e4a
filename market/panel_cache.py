"""The checked panel of a bars file, kept in the lab's data cache so that a command reads it in
a fraction of the time parsing and checking the file takes.

An entry is one uncompressed NumPy `.npz` file (read without pickle) named by its key: the
SHA-256 of the file's bytes, the `[data]` settings that shape the panel, the source of the
code that reads, checks and builds it, the versions of the libraries it uses and the day (the
checks refuse a date after today, so their verdict is the day's). A different file, setting,
loader, library or day is another key, so an entry is never stale. An entry is checked when
read (its key and the panel's fingerprint recomputed from its arrays); one that fails is
ignored, said in the log, and written again: so is anything but a regular file in its place
(a named pipe is never waited on) and a file whose arrays' headers claim more than it holds
(checked before anything is allocated). Writes go to a temporary file renamed into place, and
removed when the rename fails; the newest `KEEP` entries are kept.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import hashlib
import json
import logging
import math
import os
import stat
import tempfile
import time
import zipfile
from importlib.metadata import version
from pathlib import Path
from typing import BinaryIO

import numpy as np
from numpy.lib import format as np_format

from configs import DataConfig
from market.panel import Panel
from market.problems import DataProblem, DataReport

__all__ = ["KEEP", "MAX_ENTRY_BYTES", "cache_key", "read_entry", "write_entry"]

log = logging.getLogger(__name__)

KEEP = 3
# The largest entry read: a panel of 20 million bars (the most a bars file may hold) with every
# one of its arrays is under 1.2 GB.
MAX_ENTRY_BYTES = 2 * 2**30
_FORMAT = 1
_ARRAYS = ("open", "high", "low", "close", "volume", "tradable", "market")
_AXES = ("dates", "symbols")
_HEADERS = {(1, 0): np_format.read_array_header_1_0, (2, 0): np_format.read_array_header_2_0}
# The modules whose code decides what a file's panel is (their source is part of the key).
_LOADERS = ("bars.py", "validation.py", "panel.py", "index_nb.py", "problems.py", "sources.py")
_LIBRARIES = ("numpy", "pandas", "pyarrow", "exchange_calendars")


def cache_key(path: Path, data: DataConfig, today: dt.date) -> str:
    """The key of `path`'s panel under `data` (its source and cache folder aside) on `today`
    (the exchange's date: the checks refuse a date after it, so their verdict is the day's),
    with the versions of the libraries that parse and check it."""
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
    no usable entry. Only a regular file of at most `MAX_ENTRY_BYTES` is read, never waited on
    (a named pipe in its place is a damaged entry), and every array's header is checked against
    the panel's shape and the bytes that hold it before anything is allocated."""
    path = _entry(folder, key)
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK)  # a FIFO never blocks it
    except FileNotFoundError:
        return None
    except OSError as e:
        log.warning("panel cache %s cannot be used (%s): reading the data again", path, e)
        return None
    try:
        found = os.fstat(descriptor)
        if not stat.S_ISREG(found.st_mode):
            os.close(descriptor)
            raise ValueError("it is not a regular file")
        if found.st_size > MAX_ENTRY_BYTES:
            os.close(descriptor)
            raise ValueError(f"it holds {found.st_size:,} bytes, more than {MAX_ENTRY_BYTES:,}")
        with os.fdopen(descriptor, "rb") as handle:
            panel, report = _read(handle, found.st_size, key, source)
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


def _read(handle: BinaryIO, size: int, key: str, source: str) -> tuple[Panel, DataReport]:
    with zipfile.ZipFile(handle) as archive:
        shapes = {name: _shape(archive, name, size) for name in ("meta", *_ARRAYS, *_AXES)}
    days, symbols = shapes["dates"], shapes["symbols"]
    expected = {name: days + symbols for name in _ARRAYS}
    expected |= {"meta": (), "dates": days, "symbols": symbols, "market": days}
    if len(days) != 1 or shapes != expected:
        raise ValueError(f"its arrays' shapes do not make a panel: {shapes}")
    handle.seek(0)
    with np.load(handle, allow_pickle=False) as entry:
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
    return panel, report


def _shape(archive: zipfile.ZipFile, name: str, size: int) -> tuple[int, ...]:
    """The shape that array `name`'s header claims, once checked against the bytes stored for
    it (an entry is written uncompressed: header and data fill the member exactly)."""
    info = archive.getinfo(f"{name}.npy")
    if info.compress_type != zipfile.ZIP_STORED or info.file_size > size:
        raise ValueError(f"array {name} is compressed or larger than the file")
    with archive.open(info) as member:
        version = np_format.read_magic(member)
        if version not in _HEADERS:
            raise ValueError(f"array {name} has an unknown header version {version}")
        shape, _, dtype = _HEADERS[version](member)
        header = member.tell()
    if dtype.hasobject or header + math.prod(shape) * dtype.itemsize != info.file_size:
        raise ValueError(
            f"array {name}'s header claims {shape} of {dtype}, which its {info.file_size:,} "
            "bytes do not hold"
        )
    return tuple(shape)


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
            part = handle.name
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
                os.unlink(part)
                raise
        try:
            os.replace(part, _entry(folder, key))
        except BaseException:  # a folder in the entry's place: no partial file is left
            os.unlink(part)
            raise
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
