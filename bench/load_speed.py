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
from fitness.market_data import load_panel
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


def _run(path: Path, what: str) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, "-c", _SCRIPT, str(path), what],
        capture_output=True,
        text=True,
        check=True,
        timeout=600,
    )
    result: dict[str, Any] = json.loads(out.stdout)
    return result


def measure(path: Path, repeats: int) -> dict[str, Any]:
    panel = min((_run(path, "panel") for _ in range(repeats)), key=lambda r: r["seconds"])
    csv = min((_run(path, "read_csv") for _ in range(repeats)), key=lambda r: r["seconds"])
    return {
        "file": str(path),
        "panel_seconds": panel["seconds"],
        "panel_peak_mb": panel["peak_mb"],
        "panel_shape": panel["shape"],
        "read_csv_seconds": csv["seconds"],
        "read_csv_peak_mb": csv["peak_mb"],
        "x_read_csv": panel["seconds"] / csv["seconds"],
    }
