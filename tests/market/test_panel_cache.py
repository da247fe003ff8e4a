"""The checked panel kept in the lab's data cache: read back equal, never stale, a damaged entry
made again, nothing kept outside a lab's cache folder, and bounded."""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import os
from pathlib import Path

import numpy as np
import pytest

from configs import DataConfig, load_config
from market.panel import Panel
from market.panel_cache import KEEP, cache_key
from market.problems import DataReport
from market.sources import BUNDLED_BARS, load_panel
from tests.builders.cli import evolve, lab_folder, live

CONFIG = load_config()
GENOME = "gt(close, sma(close, 50))"


def cached(folder: Path, **overrides: object) -> DataConfig:
    fields: dict[str, object] = {"cache_dir": str(folder), "min_bars": 2, **overrides}
    return dataclasses.replace(CONFIG.data, **fields)  # type: ignore[arg-type]


def same(a: tuple[Panel, DataReport], b: tuple[Panel, DataReport]) -> bool:
    (panel_a, report_a), (panel_b, report_b) = a, b
    return (
        panel_a.fingerprint == panel_b.fingerprint
        and panel_a.symbols == panel_b.symbols
        and np.array_equal(np.asarray(panel_a.market), np.asarray(panel_b.market))
        and (report_a.rows, report_a.problems, report_a.dropped, report_a.notes)
        == (report_b.rows, report_b.problems, report_b.dropped, report_b.notes)
    )


def entries(folder: Path) -> list[Path]:
    return sorted(folder.glob("panel-*.npz"))


def test_the_bundled_panel_is_read_back_equal_with_its_report(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    data = dataclasses.replace(CONFIG.data, cache_dir=str(tmp_path / "cache"))
    fresh = load_panel(data, CONFIG.alpaca)
    [entry] = entries(tmp_path / "cache")
    modified = entry.stat().st_mtime_ns
    with caplog.at_level(logging.INFO, logger="market.panel_cache"):
        again = load_panel(data, CONFIG.alpaca)
    assert not caplog.records  # read, not found damaged and made again
    assert entry.stat().st_mtime_ns >= modified
    assert same(fresh, again) and again[1].source == fresh[1].source
    assert again[1].warnings  # the data's quirks are still reported (XLF's high, gaps...)
    assert entries(tmp_path / "cache") == [entry]
    # The entry, not the file, was read: with the file's checks broken, the panel still loads.
    entry.write_bytes(entry.read_bytes())  # untouched content, a new modification time
    assert same(load_panel(data, CONFIG.alpaca), fresh)


def bars(path: Path, closes: list[float]) -> Path:
    lines = ["date,symbol,open,high,low,close,volume"]
    days = np.busday_offset("2020-01-02", np.arange(len(closes)), roll="forward")
    lines += [f"{d},AAA,{c},{c + 1},{c - 1},{c},1000" for d, c in zip(days, closes, strict=True)]
    path.write_text("\n".join(lines) + "\n")
    return path


def test_a_changed_file_or_setting_is_another_entry(tmp_path: Path) -> None:
    folder = tmp_path / "cache"
    path = bars(tmp_path / "bars.csv", [10.0, 11.0, 12.0, 13.0])
    first, _ = load_panel(cached(folder), CONFIG.alpaca, source=str(path))
    bars(path, [10.0, 11.0, 12.0, 14.0])  # the same path and size, another close
    second, _ = load_panel(cached(folder), CONFIG.alpaca, source=str(path))
    assert first.close[-1, 0] == 13.0 and second.close[-1, 0] == 14.0
    third, report = load_panel(cached(folder, min_bars=3), CONFIG.alpaca, source=str(path))
    assert third.fingerprint == second.fingerprint and len(entries(folder)) == 3
    assert report.source == str(path)
    # The checks refuse a date after today: their verdict, and so the key, is the day's.
    day = dt.date(2026, 12, 3)
    keys = {cache_key(path, cached(folder), d) for d in (day, day + dt.timedelta(days=1))}
    assert len(keys) == 2 and cache_key(path, cached(folder), day) in keys


@pytest.mark.parametrize("damage", ["cut short", "a flipped byte", "not a zip", "empty"])
def test_a_damaged_entry_is_said_and_made_again(
    tmp_path: Path, damage: str, caplog: pytest.LogCaptureFixture
) -> None:
    folder = tmp_path / "cache"
    path = bars(tmp_path / "bars.csv", [10.0, 11.0, 12.0, 13.0])
    fresh = load_panel(cached(folder), CONFIG.alpaca, source=str(path))
    [entry] = entries(folder)
    content = bytearray(entry.read_bytes())
    if damage == "cut short":
        content = content[: len(content) // 2]
    elif damage == "a flipped byte":  # inside the close prices: only the fingerprint sees it
        at = content.index(np.float64(12.0).tobytes())
        content[at + 7] ^= 0x01
    elif damage == "not a zip":
        content = bytearray(b"date,symbol\n" * 10)
    else:
        content = bytearray()
    entry.write_bytes(bytes(content))
    with caplog.at_level(logging.WARNING, logger="market.panel_cache"):
        again = load_panel(cached(folder), CONFIG.alpaca, source=str(path))
    assert same(fresh, again)
    assert f"panel cache {entry} cannot be used" in caplog.text
    assert same(load_panel(cached(folder), CONFIG.alpaca, source=str(path)), fresh)
    assert entry.read_bytes() != bytes(content)  # written again, whole


def test_no_cache_in_a_relative_folder_or_one_that_cannot_be_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = bars(tmp_path / "bars.csv", [10.0, 11.0, 12.0, 13.0])
    monkeypatch.chdir(tmp_path)
    panel, _ = load_panel(cached(Path("relative-cache")), CONFIG.alpaca, source=str(path))
    assert panel.n_days == 4 and not (tmp_path / "relative-cache").exists()
    a_file = tmp_path / "a-file"  # a folder that cannot be made, even by root
    a_file.write_text("not a folder\n")
    panel, _ = load_panel(cached(a_file / "cache"), CONFIG.alpaca, source=str(path))
    assert panel.n_days == 4 and a_file.read_text() == "not a folder\n"


def test_only_the_newest_entries_are_kept(tmp_path: Path) -> None:
    folder = tmp_path / "cache"
    for n in range(KEEP + 2):
        path = bars(tmp_path / f"bars{n}.csv", [10.0, 11.0, 12.0, 13.0 + n])
        load_panel(cached(folder), CONFIG.alpaca, source=str(path))
    assert len(entries(folder)) == KEEP
    newest = load_panel(cached(folder), CONFIG.alpaca, source=str(path))[0]
    assert newest.close[-1, 0] == 13.0 + KEEP + 1
    assert not list(folder.glob("*.part"))


def test_commands_keep_the_panel_in_the_lab_and_print_the_same(tmp_path: Path) -> None:
    lab = lab_folder(tmp_path, "lab")
    init = evolve("init", cwd=lab)
    assert init.returncode == 0, init.stderr
    first = evolve("backtest", GENOME, cwd=lab)
    assert first.returncode == 0, first.stderr
    [entry] = entries(lab / "data-cache")
    second = evolve("backtest", GENOME, cwd=lab)
    assert second.returncode == 0, second.stderr
    assert second.stdout == first.stdout and entries(lab / "data-cache") == [entry]
    assert BUNDLED_BARS.name in first.stdout


def test_a_data_tool_outside_a_lab_creates_nothing_in_its_folder(tmp_path: Path) -> None:
    elsewhere = tmp_path / "not-a-lab"
    elsewhere.mkdir()
    user_cache = tmp_path / "user-cache"
    ran = evolve("backtest", GENOME, cwd=elsewhere, env={"XDG_CACHE_HOME": str(user_cache)})
    assert ran.returncode == 0, ran.stderr
    assert list(elsewhere.iterdir()) == []
    assert len(entries(user_cache / "gplab")) == 1


def _claiming(entry: Path, name: str, shape: tuple[int, ...]) -> bytes:
    """`entry` with array `name`'s header claiming `shape` (the archive otherwise sound: its
    checksums are right)."""
    import io
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(entry) as archive, zipfile.ZipFile(out, "w") as rewritten:
        for info in archive.infolist():
            content = archive.read(info)
            if info.filename == f"{name}.npy":
                header_end = content.index(b"\n") + 1
                header = content[:header_end].decode("latin1")
                start = header.index("'shape': (") + len("'shape': ")
                end = header.index(")", start) + 1
                claimed = header[:start] + repr(shape) + header[end:]
                claimed = claimed.rstrip("\n ").ljust(header_end - 1) + "\n"
                assert len(claimed) == header_end
                content = claimed.encode("latin1") + content[header_end:]
            rewritten.writestr(info.filename, content)
    return out.getvalue()


@pytest.mark.parametrize("shape", [(10**12, 1), (4, 10**11)])
def test_an_entry_whose_header_claims_a_huge_shape_is_rebuilt_without_allocating_it(
    tmp_path: Path, shape: tuple[int, ...], caplog: pytest.LogCaptureFixture
) -> None:
    folder = tmp_path / "cache"
    path = bars(tmp_path / "bars.csv", [10.0, 11.0, 12.0, 13.0])
    fresh = load_panel(cached(folder), CONFIG.alpaca, source=str(path))
    [entry] = entries(folder)
    entry.write_bytes(_claiming(entry, "close", shape))
    with caplog.at_level(logging.WARNING, logger="market.panel_cache"):
        again = load_panel(cached(folder), CONFIG.alpaca, source=str(path))  # no MemoryError
    assert same(fresh, again)
    assert "header claims" in caplog.text and caplog.text.count("cannot be used") == 1
    assert same(load_panel(cached(folder), CONFIG.alpaca, source=str(path)), fresh)


def test_a_folder_where_an_entry_goes_leaves_no_partial_file(tmp_path: Path) -> None:
    folder = tmp_path / "cache"
    path = bars(tmp_path / "bars.csv", [10.0, 11.0, 12.0, 13.0])
    fresh = load_panel(cached(folder), CONFIG.alpaca, source=str(path))
    [entry] = entries(folder)
    entry.unlink()
    entry.mkdir()
    for _ in range(2):
        assert same(load_panel(cached(folder), CONFIG.alpaca, source=str(path)), fresh)
    assert sorted(p.name for p in folder.iterdir()) == [entry.name]


def test_a_named_pipe_in_the_cache_hangs_no_command(tmp_path: Path) -> None:
    # Every command that reads data opened it and waited for a writer; `evolve nightly` did so
    # holding its lock. Each command is run with the suite's deadline: a hang fails it.
    lab = lab_folder(tmp_path, "lab")
    assert evolve("init", cwd=lab).returncode == 0
    first = evolve("backtest", GENOME, cwd=lab)
    assert first.returncode == 0, first.stderr
    [entry] = entries(lab / "data-cache")
    entry.unlink()
    os.mkfifo(entry)
    again = evolve("backtest", GENOME, cwd=lab)
    assert again.returncode == 0, again.stderr
    assert again.stdout == first.stdout
    assert again.stderr.count("cannot be used (it is not a regular file)") == 1
    for command, args in ((live, ("status",)), (evolve, ("nightly", "--generations", "0"))):
        entry.unlink()
        os.mkfifo(entry)
        done = command(*args, cwd=lab)
        assert "cannot be used (it is not a regular file)" in done.stderr
        assert "Traceback" not in done.stderr
    assert done.returncode == 0, done.stderr
    assert entry.is_file()  # made again, whole
