"""How quickly commands answer: `evolve --help` and `evolve backtest GENOME` as a user runs them
(real processes, wall time), the backtest's time broken down into imports, data and compute,
and the same run's plain `pandas.read_csv` of the file (pandas imported) as the baseline.

Each is run in a lab made for it (its own data cache) and measured in a fresh interpreter; the
figures are the best of `repeats` runs. "data" is the panel read from the lab's data cache (its
first run, which parses and checks the file and fills the cache, is reported apart); numba's
kernels are compiled before (`fitness.warm`), as `sh lab.sh` leaves them.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.load_speed import read_csv, run_json

GENOME = "gt(close, sma(close, 50))"
_BIN = Path(sys.executable).parent

# One `evolve backtest` in this interpreter, timed by step; peak memory from Linux's VmHWM.
_BREAKDOWN = """
import json, sys, time
began = time.perf_counter()
from configs import load_config
from evolve.reports import metrics_table
from market.sources import load_panel
from fitness.score import WindowScorer
from fitness.windows import build_windows
from genome.text import parse
imported = time.perf_counter()
home, source = sys.argv[1], sys.argv[2]
from pathlib import Path
config = load_config(None, Path(home))
panel, report = load_panel(config.data, config.alpaca, source=source)
loaded = time.perf_counter()
windows = build_windows(panel, config.windows, config.backtest)
tree = parse(sys.argv[3])
scorers = [WindowScorer(panel, windows[n], config.backtest) for n in ("train", "validation")]
scored = [scorer.score(tree) for scorer in scorers]
table = metrics_table([(s.window, "genome", s.metrics) for s in scored])
done = time.perf_counter()
status = open("/proc/self/status").read().split("VmHWM:")[1]
print(json.dumps({
    "imports_seconds": imported - began,
    "data_seconds": loaded - imported,
    "compute_seconds": done - loaded,
    "peak_mb": int(status.split()[0]) / 1024,
}))
"""


def _wall(command: list[str]) -> float:
    began = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True, timeout=600)
    return time.perf_counter() - began


def measure(path: Path, repeats: int) -> dict[str, Any]:
    """The figures for the bars file `path` (see the module docstring)."""
    evolve = str(_BIN / "evolve")
    subprocess.run([sys.executable, "-m", "fitness.warm"], check=True, capture_output=True)
    with tempfile.TemporaryDirectory(prefix="bench-commands-") as folder:
        home = Path(folder) / "lab"
        subprocess.run([evolve, "init", "--home", str(home)], check=True, capture_output=True)
        backtest = [evolve, "backtest", GENOME, "--data", str(path), "--home", str(home)]
        first = _wall(backtest)  # parses and checks the file, fills the data cache
        cached = min(_wall(backtest) for _ in range(repeats))
        help_ = min(_wall([evolve, "--help"]) for _ in range(repeats))
        parts = min(
            (run_json(_BREAKDOWN, str(home), str(path), GENOME) for _ in range(repeats)),
            key=lambda r: sum(v for k, v in r.items() if k.endswith("_seconds")),
        )
    baseline = read_csv(path, repeats)
    return {
        "file": str(path),
        "help_seconds": help_,
        "backtest_seconds": cached,
        "backtest_first_seconds": first,
        **{f"backtest_{k}": v for k, v in parts.items()},
        "read_csv_seconds": baseline["seconds"],
        "read_csv_peak_mb": baseline["peak_mb"],
        "x_read_csv": cached / baseline["seconds"],
        "x_data_read_csv": parts["data_seconds"] / baseline["seconds"],
    }
