"""How fast the morning page answers on a lab after a night on the full dataset.

The lab is made as a person's would be, by the real commands: `evolve nightly --discovery`
(the gate at its end), `promote gate` again with lenient thresholds so that the night's
candidates wait for the review, two of them approved, `live run --broker sim` over the last
sessions so that the Live page has an account and the decay watch has returns. Then a real
`live dashboard` serves it; each page is asked for once to warm it (the first ask reads the
market data and compiles the signal code) and then `requests` times in a row.

Baseline, same run: the sign-in page, which renders a template and reads nothing.
"""

from __future__ import annotations

import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

from labkit import LENIENT_GATE_PATH

BIN = Path(sys.executable).parent
# Thresholds every candidate clears (the look-ahead re-check stays), to exercise the review.
TARGET_MS = 300.0


def measure(
    data: Path, population: int, generations: int, workers: int, requests: int
) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as folder:
        lab = Path(folder)
        (lab / "lab.toml").write_text(
            f'[data]\nsource = "{data}"\n[evolve]\npopulation = {population}\n'
            f"workers = {workers}\nbudget_minutes = 1440.0\n"
            # Approved strategies trade at once, so the Live page has an account to show.
            "[incubation]\nsessions = 0\n"
        )
        (lab / "lenient.toml").write_text(
            (lab / "lab.toml").read_text() + LENIENT_GATE_PATH.read_text()
        )
        started = time.monotonic()
        _run(lab, "evolve", "nightly", "--discovery", "--generations", str(generations))
        night_seconds = time.monotonic() - started
        _run(lab, "promote", "gate", *_candidates(lab), config="lenient.toml")
        waiting = _candidates(lab)
        # The review approves the first two (their holdouts opened first) and skips the rest.
        answers = "a\nbenchmark\n" * 2 + "s\n" * len(waiting)
        _run(lab, "promote", "review", "--reviewer", "bench", stdin=answers)
        _run(lab, "live", "run", "--broker", "sim", "--days", "60")
        review = waiting[2] if len(waiting) > 2 else waiting[0]
        pages = {
            "baseline: sign-in page": "/login",
            "nights": "/nights",
            "candidates": "/candidates",
            f"candidate {review} (review, same-sitting check)": f"/candidates/{review}",
            "live (account, decay watch)": "/live",
            "health": "/health",
            "lineage chart (SVG)": "/nights/lineage.svg",
            "equity chart (SVG)": f"/candidates/{review}/validation.svg",
        }
        times, peak_mb = _serve_and_time(lab, pages, requests)
        database_mb = (lab / "research.db").stat().st_size / 2**20
    baseline = statistics.median(times["baseline: sign-in page"][1:])
    figures: dict[str, Any] = {
        "population": population,
        "generations": generations,
        "night_seconds": night_seconds,
        "research_db_mb": database_mb,
        "requests": requests,
        "dashboard_peak_mb": peak_mb,
        "pages": {},
    }
    for name, (first, *warm) in times.items():
        median = statistics.median(warm)
        figures["pages"][name] = {
            "first_ms": first,
            "median_ms": median,
            "p95_ms": _p95(warm),
            "x_baseline": median / baseline,
        }
    html = [v for k, v in figures["pages"].items() if "SVG" not in k and "baseline" not in k]
    figures["slowest_page_p95_ms"] = max(p["p95_ms"] for p in html)
    figures["pages_under_target"] = figures["slowest_page_p95_ms"] < TARGET_MS
    return figures


def _run(
    lab: Path, command: str, *args: str, config: str = "lab.toml", stdin: str | None = None
) -> str:
    result = subprocess.run(
        [str(BIN / command), *args, "--config", config],
        cwd=lab,
        input=stdin,
        env={"PATH": str(BIN), "HOME": str(lab), "LAB_HOME": str(lab)},
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        raise RuntimeError(f"{command} {' '.join(args)} failed: {result.stderr}")
    return result.stdout


def _candidates(lab: Path) -> list[str]:
    # The numbers of the candidates that passed the gate, or every candidate when none has.
    out = _run(lab, "promote", "list").splitlines()[1:-1]
    rows = [line.split() for line in out if line.split() and line.split()[0].isdigit()]
    passed = [r[0] for r in rows if r[1] == "gate_passed"]
    return sorted(passed or [r[0] for r in rows], key=int)


def _serve_and_time(
    lab: Path, pages: dict[str, str], requests: int
) -> tuple[dict[str, list[float]], float]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    process = subprocess.Popen(
        [str(BIN / "live"), "dashboard", "--config", "lab.toml", "--port", str(port)],
        cwd=lab,
        env={"PATH": str(BIN), "HOME": str(lab), "LAB_HOME": str(lab)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                _get(url + "/login")
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("the dashboard did not start") from None
                time.sleep(0.05)
        times: dict[str, list[float]] = {}
        for name, path in pages.items():
            times[name] = [_get(url + path) for _ in range(requests + 1)]
        return times, _peak_mb(process.pid)
    finally:
        process.terminate()
        process.wait(timeout=60)


def _peak_mb(pid: int) -> float:
    # The dashboard process's largest resident memory so far (Linux: VmHWM).
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _get(url: str) -> float:
    # Milliseconds until the whole answer has arrived.
    started = time.perf_counter()
    with urllib.request.urlopen(url, timeout=300) as answer:
        answer.read()
    return 1000 * (time.perf_counter() - started)


def _p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
