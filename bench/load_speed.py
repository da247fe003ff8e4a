"""Loading a bars file into a checked panel, versus a bare pandas.read_csv of the same file.

Each is measured in a fresh interpreter so that its peak memory (interpreter and libraries
included) belongs to it alone. The peak is Linux's VmHWM: getrusage's ru_maxrss survives execve
and would report the parent's peak.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

_SCRIPT = """
import json, resource, sys, time
import pandas as pd
from configs import load_config
from market.sources import load_panel
path, what = sys.argv[1], sys.argv[2]
config = load_config()
began = time.perf_counter()
if what == "panel":
    panel, report = load_panel(config.data, config.alpaca, source=path)
    shape = [panel.n_days, panel.n_symbols]
else:
    frame = pd.read_csv(path)
    shape = list(frame.shape)
seconds = time.perf_counter() - began
try:
    status = open("/proc/self/status").read().split("VmHWM:")[1]
    peak_mb = int(status.split()[0]) / 1024
except (OSError, IndexError):
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"seconds": seconds, "peak_mb": peak_mb, "shape": shape}))
"""


def run_json(script: str, *args: str) -> dict[str, Any]:
    """What `script` (run by a fresh interpreter with `args`) prints as JSON."""
    out = subprocess.run(
        [sys.executable, "-c", script, *args],
        capture_output=True,
        text=True,
        check=True,
        timeout=600,
    )
    result: dict[str, Any] = json.loads(out.stdout)
    return result


def _run(path: Path, what: str) -> dict[str, Any]:
    return run_json(_SCRIPT, str(path), what)


def read_csv(path: Path, repeats: int) -> dict[str, Any]:
    """The best of `repeats` plain `pandas.read_csv` of `path` in a fresh interpreter (pandas
    imported before the clock starts): seconds and peak MB."""
    return min((_run(path, "read_csv") for _ in range(repeats)), key=lambda r: r["seconds"])


def measure(path: Path, repeats: int) -> dict[str, Any]:
    panel = min((_run(path, "panel") for _ in range(repeats)), key=lambda r: r["seconds"])
    csv = read_csv(path, repeats)
    return {
        "file": str(path),
        "panel_seconds": panel["seconds"],
        "panel_peak_mb": panel["peak_mb"],
        "panel_shape": panel["shape"],
        "read_csv_seconds": csv["seconds"],
        "read_csv_peak_mb": csv["peak_mb"],
        "x_read_csv": panel["seconds"] / csv["seconds"],
    }
