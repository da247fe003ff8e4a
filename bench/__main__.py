"""Run the benchmarks: `python -m bench` (full) or `python -m bench --smoke` (seconds, for CI).

Prints the machine, every figure and the targets; writes the figures as JSON to bench/results/.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import tomllib
from pathlib import Path
from typing import Any

import numba
import numpy as np
import pandas as pd

from bench import (
    backtest_speed,
    command_speed,
    dashboard,
    evolution,
    folds,
    genome_speed,
    live_cycle,
    load_speed,
    lottery,
    power,
    storage,
    year,
)
from bench.night_lab import NightSize
from configs import load_config
from market.panel import Panel
from market.sources import BUNDLED_BARS, load_panel

FULL_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "daily_bars.csv.gz"
RESULTS = Path(__file__).resolve().parent / "results"
_folder = [RESULTS]  # where _save writes: --results
TARGETS = {
    "x_pandas": 50.0,
    "x_vectorbt": 10.0,
    "panel_seconds": 3.0,
    "panel_peak_mb": 600.0,
    "x_baseline (embedded)": 30.0,
    "x_baseline (full)": 20.0,
    "extra_mb_max": 300.0,
    "x_two_workers": 1.6,
    "x_floor": 3.0,
    "evolution_peak_mb_all": 1500.0,
    "planning_cycle_lab_seconds": 1.0,
    "storage_night_growth_mb": 50.0,
    "storage_year_mb": 2048.0,
    "dashboard_slowest_page_p95_ms": dashboard.TARGET_MS,
    "help_seconds": 0.5,
    "backtest_seconds": 3.0,
}


def machine() -> dict[str, Any]:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "pandas": pd.__version__,
        "numba": numba.__version__,
        "platform": platform.platform(),
    }


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--smoke", action="store_true", help="tiny sizes: check that it runs")
    parser.add_argument("--no-vectorbt", action="store_true", help="skip the vectorbt comparison")
    parser.add_argument(
        "--evolution-only", action="store_true", help="only the discovery-run benchmark"
    )
    parser.add_argument("--live", action="store_true", help="only the live cycle benchmark")
    parser.add_argument(
        "--genome",
        action="store_true",
        help="only the genome evaluation benchmark (engine, copy floor, primitives, memory)",
    )
    parser.add_argument(
        "--commands",
        action="store_true",
        help="only how quickly commands answer (evolve --help, evolve backtest)",
    )
    parser.add_argument(
        "--power",
        action="store_true",
        help="only the discovery-power benchmark (planted edges and null markets)",
    )
    parser.add_argument(
        "--lottery",
        action="store_true",
        help="only the lottery benchmark (bred candidates against random genomes, real data)",
    )
    parser.add_argument(
        "--folds",
        action="store_true",
        help="lottery: on every fold (both universes x four periods with their own holdouts)",
    )
    parser.add_argument(
        "--nights", type=int, default=5, help="lottery: nights per universe (default 5)"
    )
    parser.add_argument(
        "--crowd",
        type=int,
        default=1000,
        help="lottery: random genomes in the crowd (default 1000)",
    )
    parser.add_argument(
        "--protection",
        action="store_true",
        help="only the gate's protection check (two null nights, a shuffled one, a planted edge)",
    )
    parser.add_argument(
        "--storage",
        action="store_true",
        help="only the storage benchmark (a projected Pi night, then a simulated year)",
    )
    parser.add_argument(
        "--dashboard",
        action="store_true",
        help="only the dashboard benchmark (page times on a lab after a night)",
    )
    parser.add_argument(
        "--dashboard-generations",
        type=int,
        default=300,
        help="dashboard: generations of the night before (default 300)",
    )
    parser.add_argument(
        "--night-generations",
        type=int,
        default=3600,
        help="storage: generations of the projected Pi night (default 3600)",
    )
    _power_options(parser)
    _year_options(parser)
    parser.add_argument(
        "--results", type=Path, default=RESULTS, help=f"where the JSON goes (default {RESULTS})"
    )
    return parser


def _power_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--seeds", type=int, default=10, help="power: markets per planted cell (default 10)"
    )
    parser.add_argument(
        "--null-seeds", type=int, default=20, help="power: markets per null kind (default 20)"
    )
    parser.add_argument(
        "--kinds", default=",".join(power.EDGES), help="power: edge kinds, comma-separated"
    )
    parser.add_argument(
        "--strengths", default="1,1.5,2,3", help="power: ideal Sharpe ratios, comma-separated"
    )
    parser.add_argument(
        "--generations", type=int, default=50, help="power: generations a night (default 50)"
    )
    parser.add_argument(
        "--evolve",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="power: an [evolve] setting for every night (repeatable), e.g. fitness_blocks=1",
    )


def _year_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--year",
        action="store_true",
        help="only the simulated year (a market growing a session a night, incubation)",
    )
    parser.add_argument(
        "--year-seeds", type=int, default=10, help="year: years per kind (default 10)"
    )
    parser.add_argument(
        "--year-seed-from", type=int, default=1, help="year: the first seed (default 1)"
    )
    parser.add_argument(
        "--year-kinds", default=",".join(year.KINDS), help="year: kinds of year, comma-separated"
    )
    parser.add_argument(
        "--year-nights", type=int, default=250, help="year: nights a year (default 250)"
    )
    parser.add_argument(
        "--year-workers", type=int, default=2, help="year: years run at once (default 2)"
    )
    parser.add_argument(
        "--year-candidates", type=int, default=2, help="year: new candidates a night (default 2)"
    )
    parser.add_argument(
        "--year-refine", type=int, default=3, help="year: refinements a night (default 3)"
    )
    parser.add_argument(
        "--year-budget",
        type=int,
        default=0,
        help="year: gate.period_budget, candidates judged on one validation period (default 0)",
    )
    parser.add_argument(
        "--year-replay",
        action="store_true",
        help="year: the full data set replayed a session a night instead of planted markets",
    )
    parser.add_argument(
        "--year-from",
        type=dt.date.fromisoformat,
        default=dt.date(2012, 1, 3),
        help="year replay: the first night's session (default 2012-01-03)",
    )


def _settings(pairs: list[str]) -> str:
    """`--evolve KEY=VALUE` settings as TOML lines; a value that is not a TOML value (a bare
    word such as unpaid) is taken as a string."""
    lines = []
    for pair in pairs:
        key, _, value = pair.partition("=")
        try:
            tomllib.loads(f"x = {value}")
        except tomllib.TOMLDecodeError:
            value = json.dumps(value.strip())
        lines.append(f"{key.strip()} = {value.strip()}")
    return "\n".join(lines)


def main() -> int:
    args = _parser().parse_args()
    _folder[0] = args.results
    config = load_config()
    sources: list[tuple[str, Path]] = [("embedded", BUNDLED_BARS)]
    if FULL_DATA.exists():
        sources.insert(0, ("full", FULL_DATA))
    report: dict[str, Any] = {
        "when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "smoke": args.smoke,
        "machine": machine(),
        "backtest": {},
    }
    print(f"machine: {report['machine']}")
    if args.evolution_only:
        return _evolution(report, sources[0][1], config, args.smoke)
    if args.live:
        return _live(report, sources[0][1], args.smoke)
    if args.genome:
        return _genome(report, sources, config, args.smoke)
    if args.commands:
        return _commands(report, sources, args.smoke)
    if args.power:
        return _power(report, args)
    if args.lottery:
        return _lottery(report, args)
    if args.protection:
        report["protection"] = power.protection()
        print(f"protection: {report['protection']}")
        _save(report, "protection-", args.smoke)
        return 0
    if args.storage:
        return _storage(report, sources[0][1], config, args)
    if args.dashboard:
        return _dashboard(report, sources[0][1], args)
    if args.year:
        return _year(report, args)
    _speed(report, sources, config, args)
    _evolution(report, sources[0][1], config, args.smoke)
    _live(report, sources[0][1], args.smoke)
    _commands(report, sources, args.smoke)
    _power(report, args)
    _storage(report, sources[0][1], config, args)
    _dashboard(report, sources[0][1], args)
    _year(report, args)
    print(
        "targets: "
        + " ".join(f"{k}{'>=' if k.startswith('x_') else '<'}{v:g}" for k, v in TARGETS.items())
    )
    _save(report, "", args.smoke)
    ok = all(f["pandas_agrees"] for f in report["backtest"].values())
    print(f"engine agrees with the pandas reference: {'yes' if ok else 'NO'}")
    return 0 if ok else 1


def _speed(
    report: dict[str, Any], sources: list[tuple[str, Path]], config: Any, args: argparse.Namespace
) -> None:
    # The backtest, genome evaluation and data loading speeds.
    repeats = 3 if args.smoke else 20
    for label, path in sources:
        panel, _ = load_panel(config.data, config.alpaca, source=str(path))
        if args.smoke:
            panel = _small(panel)
        figures = backtest_speed.measure(panel, config.backtest, repeats, not args.no_vectorbt)
        label = f"{label} cut to {panel.n_symbols}x{panel.n_days}" if args.smoke else label
        report["backtest"][label] = figures
        print(f"backtest [{label}] " + " ".join(f"{k}={_fmt(v)}" for k, v in figures.items()))
        if args.smoke:
            break
    _genome_figures(report, sources, config, args.smoke, population=True)
    load_path = BUNDLED_BARS if args.smoke else sources[0][1]
    report["load"] = load_speed.measure(load_path, repeats=1 if args.smoke else 3)
    print("load " + " ".join(f"{k}={_fmt(v)}" for k, v in report["load"].items()))


def _genome(
    report: dict[str, Any], sources: list[tuple[str, Path]], config: Any, smoke: bool
) -> int:
    _genome_figures(report, sources, config, smoke, population=False)
    _save(report, "genome-", smoke)
    return 0


def _genome_figures(
    report: dict[str, Any],
    sources: list[tuple[str, Path]],
    config: Any,
    smoke: bool,
    population: bool,
) -> None:
    # Genome evaluation on each data set; the population figures (subtree cache, joblib) on
    # the first, when asked for.
    report["genome"] = {}
    for label, path in sources[-1:] if smoke else sources:  # smoke: the embedded data
        panel, _ = load_panel(config.data, config.alpaca, source=str(path))
        figures = genome_speed.measure(panel, config, smoke)
        if population and (label == sources[0][0] or smoke):
            figures.update(genome_speed.measure_population(panel, config, smoke))
        report["genome"][label] = figures
        print(f"genome [{label}] " + " ".join(f"{k}={_fmt(v)}" for k, v in figures.items()))


def _evolution(report: dict[str, Any], data: Path, config: Any, smoke: bool) -> int:
    if smoke:
        report["evolution"] = evolution.measure(BUNDLED_BARS, config, 20, 2, 1)
    else:
        report["evolution"] = evolution.measure(data, config, 300, 30, 2)
    print("evolution " + " ".join(f"{k}={_fmt(v)}" for k, v in report["evolution"].items()))
    _save(report, "evolution-", smoke)
    return 0


def _live(report: dict[str, Any], data: Path, smoke: bool) -> int:
    if smoke:
        report["live"] = live_cycle.measure(BUNDLED_BARS, 2, 1)
    else:
        report["live"] = live_cycle.measure(data, 10, 5)
    print("live " + " ".join(f"{k}={_fmt(v)}" for k, v in report["live"].items()))
    _save(report, "live-", smoke)
    return 0


def _commands(report: dict[str, Any], sources: list[tuple[str, Path]], smoke: bool) -> int:
    report["commands"] = {}
    for label, path in sources[-1:] if smoke else sources:  # smoke: the embedded data
        figures = command_speed.measure(path, repeats=1 if smoke else 5)
        report["commands"][label] = figures
        print(f"commands [{label}] " + " ".join(f"{k}={_fmt(v)}" for k, v in figures.items()))
    _save(report, "commands-", smoke)
    return 0


def _lottery(report: dict[str, Any], args: argparse.Namespace) -> int:
    size = (
        NightSize(16, 2)
        if args.smoke
        else NightSize(200, args.generations, 2, _settings(args.evolve))
    )
    nights, crowd = (1, 100) if args.smoke else (args.nights, args.crowd)
    if args.folds:  # smoke: two folds on the bundled universe (always there)
        periods = folds.PERIODS[::3] if args.smoke else folds.PERIODS
        figures = folds.measure(None if args.smoke else FULL_DATA, nights, size, crowd, periods)
        lines, kind = folds.table(figures), "folds"
    else:
        figures = lottery.measure(FULL_DATA, nights, size, crowd)
        lines, kind = lottery.table(figures), "lottery"
    report[kind] = figures
    for line in lines:
        print(line)
    _save(report, f"{kind}-", args.smoke)
    return 0


def _year(report: dict[str, Any], args: argparse.Namespace) -> int:
    if args.year_replay and not args.smoke:
        size = year.YearSize(nights=args.year_nights, budget=args.year_budget)
        replayed = year.replay(FULL_DATA, args.year_from, size)
        report["year_replay"] = replayed
        for line in year.replay_table(replayed):
            print(line)
        _save(report, "year-replay-", args.smoke)
        return 0
    if args.smoke:
        # The path only: a strong edge, a gate that passes everything, two sessions on paper.
        size = year.YearSize(
            nights=8, population=16, generations=1, incubation=2, confidence=0.6, lenient=True
        )
        figures = year.measure(["all year"], [1], size, strength=3.0)
    else:
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S")
        args.results.mkdir(parents=True, exist_ok=True)
        figures = year.measure(
            args.year_kinds.split(","),
            list(range(args.year_seed_from, args.year_seed_from + args.year_seeds)),
            year.YearSize(
                nights=args.year_nights,
                candidates=args.year_candidates,
                refine=args.year_refine,
                budget=args.year_budget,
            ),
            workers=args.year_workers,
            kept=args.results / f"year-kept-{stamp}.jsonl",
        )
    report["year"] = figures
    for line in year.table(figures):
        print(line)
    _save(report, "year-", args.smoke)
    return 0


def _power(report: dict[str, Any], args: argparse.Namespace) -> int:
    if args.smoke:
        figures = power.measure(
            ["regime"], [2.0], [1], [1], NightSize(16, 2), None, calibration_seeds=(9001,)
        )
    else:
        figures = power.measure(
            args.kinds.split(","),
            [float(s) for s in args.strengths.split(",")],
            list(range(1, args.seeds + 1)),
            list(range(1, args.null_seeds + 1)),
            NightSize(200, args.generations, 2, _settings(args.evolve)),
            FULL_DATA,
        )
    report["power"] = figures
    for line in power.table(figures):
        print(line)
    _save(report, "power-", args.smoke)
    return 0


def _storage(report: dict[str, Any], data: Path, config: Any, args: argparse.Namespace) -> int:
    if args.smoke:
        report["storage"] = storage.measure(BUNDLED_BARS, config, 20, 4, 3, 5, 1)
    else:
        report["storage"] = storage.measure(data, config, 300, args.night_generations, 30, 365, 2)
    print("storage " + " ".join(f"{k}={_fmt(v)}" for k, v in report["storage"].items()))
    _save(report, "storage-", args.smoke)
    return 0


def _dashboard(report: dict[str, Any], data: Path, args: argparse.Namespace) -> int:
    if args.smoke:
        report["dashboard"] = dashboard.measure(BUNDLED_BARS, 16, 2, 1, 3)
    else:
        report["dashboard"] = dashboard.measure(data, 300, args.dashboard_generations, 2, 50)
    figures = report["dashboard"]
    print(
        f"dashboard: night of {figures['generations']} generations of {figures['population']}, "
        f"research.db {figures['research_db_mb']:.1f} MB, {figures['requests']} requests a page, "
        f"dashboard peak memory {figures['dashboard_peak_mb']:.0f} MB"
    )
    for name, page in figures["pages"].items():
        print(
            f"  {name}: first {page['first_ms']:.0f} ms, median {page['median_ms']:.1f} ms, "
            f"p95 {page['p95_ms']:.1f} ms, x{page['x_baseline']:.1f} the baseline"
        )
    _save(report, "dashboard-", args.smoke)
    return 0


def _save(report: dict[str, Any], kind: str, smoke: bool) -> None:
    folder = _folder[0]
    folder.mkdir(parents=True, exist_ok=True)
    name = ("smoke-" if smoke else "") + kind + report["when"].replace(":", "") + ".json"
    (folder / name).write_text(json.dumps(report, indent=2))


def _small(panel: Panel) -> Panel:
    small = panel.days(panel.n_days - 400, panel.n_days)
    keep = slice(0, 12)
    return Panel(
        small.dates,
        small.symbols[keep],
        *(
            getattr(small, f)[:, keep]
            for f in ("open", "high", "low", "close", "volume", "tradable")
        ),
    )


def _fmt(value: Any) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)


if __name__ == "__main__":
    raise SystemExit(main())
