"""The systemd units pass `systemd-analyze verify` once installed as the README says."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

import configs

UNITS = Path(configs.__file__).with_name("systemd")
ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="needs systemd-analyze")
def test_the_nightly_units_verify(tmp_path: Path) -> None:
    assert (ROOT / ".venv" / "bin" / "evolve").exists() or shutil.which("evolve")
    for name in ("evolve-nightly.service", "evolve-nightly.timer"):
        # The README's install step: the checkout's folder in place of /opt/gplab.
        text = (UNITS / name).read_text().replace("/opt/gplab", str(ROOT))
        (tmp_path / name).write_text(text)
    result = subprocess.run(
        ["systemd-analyze", "verify", *(str(p) for p in sorted(tmp_path.iterdir()))],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "MemoryMax=2560M" in (UNITS / "evolve-nightly.service").read_text()
    assert "Persistent=true" in (UNITS / "evolve-nightly.timer").read_text()
