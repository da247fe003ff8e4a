"""A full disk for tests: a small tmpfs mounted where the test wants it, and filled."""

from __future__ import annotations

import contextlib
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

__all__ = ["fill", "full_disk", "remount_read_only"]


@contextlib.contextmanager
def full_disk(folder: Path, size: str = "4m") -> Iterator[Path]:
    """A small tmpfs mounted on `folder`; the caller fills it. Skips where mounting is not
    allowed (not root, or a container without the capability)."""
    folder.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)],
        capture_output=True,
        text=True,
        check=False,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here to fill a disk: {mounted.stderr.strip()}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


def fill(folder: Path) -> None:
    """Write zeros into `folder` until its disk refuses one more byte."""
    descriptor = os.open(folder / "filler", os.O_WRONLY | os.O_CREAT)
    try:
        for block in (65536, 1):
            with contextlib.suppress(OSError):
                while True:
                    os.write(descriptor, b"\0" * block)
    finally:
        os.close(descriptor)


def remount_read_only(folder: Path) -> None:
    """Make the tmpfs of `full_disk` read-only, as a failing SD card is remounted."""
    done = subprocess.run(
        ["mount", "-o", "remount,ro", str(folder)], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
