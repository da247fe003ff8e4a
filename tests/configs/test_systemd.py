"""The systemd units pass `systemd-analyze verify` once installed as the README says."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

import configs
from tests.builders.cli import DEADLINE_SECONDS

UNITS = Path(configs.__file__).with_name("systemd")
ROOT = Path(__file__).resolve().parents[2]


def verify(*units: Path) -> None:
    """`systemd-analyze verify` passes on the installed `units`."""
    result = subprocess.run(
        ["systemd-analyze", "verify", *(str(u) for u in units)],
        capture_output=True,
        text=True,
        timeout=DEADLINE_SECONDS,
    )
    assert result.returncode == 0, result.stderr


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="needs systemd-analyze")
def test_the_nightly_units_verify(tmp_path: Path) -> None:
    assert (ROOT / ".venv" / "bin" / "evolve").exists() or shutil.which("evolve")
    for name in ("evolve-nightly.service", "evolve-nightly.timer"):
        # The README's install step: the checkout's folder in place of /opt/gplab.
        text = (UNITS / name).read_text().replace("/opt/gplab", str(ROOT))
        (tmp_path / name).write_text(text)
    verify(*sorted(tmp_path.iterdir()))
    assert "MemoryMax=2560M" in (UNITS / "evolve-nightly.service").read_text()
    assert "Persistent=true" in (UNITS / "evolve-nightly.timer").read_text()


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="needs systemd-analyze")
def test_the_live_unit_verifies_and_restarts_on_failure(tmp_path: Path) -> None:
    assert (ROOT / ".venv" / "bin" / "live").exists() or shutil.which("live")
    text = (UNITS / "live.service").read_text().replace("/opt/gplab", str(ROOT))
    (tmp_path / "alpaca.env").write_text("")
    text = text.replace(
        f"EnvironmentFile={ROOT}/alpaca.env", f"EnvironmentFile={tmp_path}/alpaca.env"
    )
    (tmp_path / "live.service").write_text(text)
    verify(tmp_path / "live.service")
    for setting in (
        "Restart=on-failure",
        "KillSignal=SIGTERM",
        "ExecStart=",
        "run --broker alpaca",
    ):
        assert setting in text


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="needs systemd-analyze")
def test_the_dashboard_unit_verifies_and_listens_on_this_machine_only(tmp_path: Path) -> None:
    assert (ROOT / ".venv" / "bin" / "live").exists() or shutil.which("live")
    text = (UNITS / "dashboard.service").read_text().replace("/opt/gplab", str(ROOT))
    (tmp_path / "dashboard.service").write_text(text)
    verify(tmp_path / "dashboard.service")
    start = next(line for line in text.splitlines() if line.startswith("ExecStart="))
    assert start.endswith("live dashboard")  # 127.0.0.1 until a password is set
