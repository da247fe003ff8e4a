"""The `evolve` command line: market data tools, the baseline report, and a user's own genome
(backtest, signals) or random ones."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import TYPE_CHECKING, Any

import click

from configs.commands import CommandContext, LabGroup, lab_command_options
from configs.output import shown

if TYPE_CHECKING:
    from market.panel import Panel
    from market.problems import DataReport

__all__ = ["main"]

WINDOW_NAMES = ("train", "validation", "holdout")


def _in_a_folder(_ctx: click.Context, _param: click.Parameter, value: str | None) -> str | None:
    # An output file's folder must exist: a typo in it is a usage error (exit 2), not a crash.
    if value is not None:
        from pathlib import Path

        folder = Path(value).expanduser().parent
        if not folder.is_dir():
            raise click.BadParameter(f"folder {folder} does not exist")
    return value


@click.group(cls=LabGroup)
def main() -> None:
    """Breed trading-strategy genomes and look after their market data."""


@main.group(cls=LabGroup)
def data() -> None:
    """Inspect and check market data."""


def _load(
    lab: CommandContext, source: str | None, list_errors: bool = False
) -> tuple[Panel, DataReport]:
    """The panel of `source` (default: data.source). A rejected file gives a one-line reason;
    with `list_errors` (the data commands) every error goes to stderr before it."""
    from market.problems import DataError
    from market.sources import load_panel

    try:
        return load_panel(lab.config.data, lab.config.alpaca, source=source)
    except DataError as e:
        if list_errors and e.report is not None and len(e.report.errors) > 1:
            for line in e.report.summary_lines("error", examples=None):
                click.echo(line, err=True)
        raise


@data.command("info")
@click.argument("path", required=False)
@lab_command_options(needs="any")
def data_info(lab: CommandContext, path: str | None) -> None:
    """Summarise PATH (default: the configured data.source): symbols, dates, rows, fingerprint
    and the problems found."""
    from evolve.reports import data_summary

    panel, report = _load(lab, path, list_errors=True)
    click.echo(data_summary(panel, report, examples=3))


@data.command("validate")
@click.argument("path")
@lab_command_options(needs="any")
def data_validate(lab: CommandContext, path: str) -> None:
    """Check PATH with the configured data policy. Exit 0 when it is usable (warnings listed),
    2 with every error when the policy rejects it."""
    from evolve.reports import data_summary

    panel, report = _load(lab, path, list_errors=True)
    click.echo(data_summary(panel, report, examples=None))
    click.echo(f"usable: yes ({len(report.warnings)} warning(s))")


@main.command("baseline")
@lab_command_options(needs="any")
def baseline(lab: CommandContext) -> None:
    """Metrics per window for buy-and-hold and a 200-day moving-average rule on the configured
    data: the bar every bred strategy must clear."""
    from evolve.baseline import baseline_report
    from evolve.reports import costs_line, data_summary, metrics_table
    from fitness.windows import build_windows

    config = lab.config
    panel, report = _load(lab, None)
    windows = build_windows(panel, config.windows, config.backtest)
    click.echo(data_summary(panel, report, examples=0))
    click.echo(f"config: {config.id[:12]}\n{costs_line(config.backtest)}")
    click.echo(metrics_table(baseline_report(panel, windows, config.backtest)))


@main.command("backtest")
@click.argument("genome")
@click.option("--data", "data_path", help="bars file (default: data.source).")
@click.option(
    "--window",
    "window_names",
    type=click.Choice(WINDOW_NAMES),
    multiple=True,
    help="window(s) to report (default: train and validation).",
)
@click.option("--start", type=click.DateTime(["%Y-%m-%d"]), help="custom window: first day.")
@click.option("--end", type=click.DateTime(["%Y-%m-%d"]), help="custom window: last day.")
@click.option("--cost-bps", type=float, help="slippage in basis points (backtest.slippage_bps).")
@click.option("--settlement-days", type=int, help="0, 1 or 2 (backtest.settlement_days).")
@click.option("--max-positions", type=int, help="slots (backtest.max_positions).")
@click.option("--fractional/--whole", default=None, help="fractional or whole shares.")
@click.option("--json", "as_json", is_flag=True, help="print one JSON object instead.")
@lab_command_options(needs="any")
def backtest_command(
    lab: CommandContext,
    genome: str,
    data_path: str | None,
    window_names: tuple[str, ...],
    start: dt.datetime | None,
    end: dt.datetime | None,
    cost_bps: float | None,
    settlement_days: int | None,
    max_positions: int | None,
    fractional: bool | None,
    as_json: bool,
) -> None:
    """Backtest GENOME (genome text, e.g. "gt(close, sma(close, 50))") in the cash account:
    metrics per window, with the costs and settlement of the config unless overridden. The
    holdout is only shown when asked for with --window holdout."""
    import json

    from evolve.reports import costs_line, data_summary, metrics_table
    from fitness.score import WindowScorer
    from genome.sense import scale_problem
    from genome.simplify import simplify
    from genome.text import genome_id, parse, to_text

    tree = parse(genome)
    rules = _rules(lab, cost_bps, settlement_days, max_positions, fractional)
    panel, report = _load(lab, data_path)
    windows = _windows(lab, panel, rules, window_names, start, end)
    scored = [WindowScorer(panel, w, rules).score(tree) for w in windows]
    canonical = to_text(simplify(tree))
    if as_json:
        click.echo(
            json.dumps(
                _as_json(canonical, genome_id(tree), report, panel, rules, scored), allow_nan=False
            )
        )
        return
    click.echo(f"genome: {canonical}\nid: {genome_id(tree)}")
    problem = scale_problem(tree)
    if problem is not None:
        click.echo(f"note: not scale-free, the gate refuses it: {problem} (README: Genomes)")
    click.echo(data_summary(panel, report, examples=0))
    click.echo(costs_line(rules))
    click.echo(metrics_table([(s.window, "genome", s.metrics) for s in scored]))


def _rules(
    lab: CommandContext,
    cost_bps: float | None,
    settlement_days: int | None,
    max_positions: int | None,
    fractional: bool | None,
) -> Any:
    overrides: dict[str, Any] = {
        key: value
        for key, value in (
            ("slippage_bps", cost_bps),
            ("settlement_days", settlement_days),
            ("max_positions", max_positions),
            ("fractional", fractional),
        )
        if value is not None
    }
    rules = dataclasses.replace(lab.config.backtest, **overrides)
    rules.check()
    return rules


def _windows(
    lab: CommandContext,
    panel: Panel,
    rules: Any,
    names: tuple[str, ...],
    start: dt.datetime | None,
    end: dt.datetime | None,
) -> list[Any]:
    from configs import InputError
    from fitness.windows import build_window, build_windows

    if start or end:
        if names:
            raise InputError("give either --window or --start/--end, not both")
        first = start.date() if start else panel.dates[0].astype(dt.date)
        last = end.date() if end else panel.dates[-1].astype(dt.date)
        warmup = lab.config.windows.warmup_days
        return [build_window(panel, "custom", first, last, warmup, 2, rules)]
    built = build_windows(panel, lab.config.windows, rules)
    return [built[name] for name in (names or ("train", "validation"))]


def _as_json(
    canonical: str, identity: str, report: DataReport, panel: Panel, rules: Any, scored: list[Any]
) -> dict[str, Any]:
    from store.json_values import json_numbers

    return {
        "genome": canonical,
        "genome_id": identity,
        "data": {"source": report.source, "fingerprint": panel.fingerprint},
        "costs": dataclasses.asdict(rules),
        "windows": [
            {
                "name": s.window.name,
                "first": str(s.window.first),
                "last": str(s.window.last),
                "id": s.window.id,
                "metrics": json_numbers(s.metrics.as_dict()),
                "equity": {
                    "dates": [str(d) for d in s.result.dates],
                    "values": [round(float(v), 6) for v in s.result.equity],
                },
            }
            for s in scored
        ],
    }


@main.command("signals")
@click.argument("genome")
@click.option("--data", "data_path", help="bars file (default: data.source).")
@click.option("--start", type=click.DateTime(["%Y-%m-%d"]), help="first day written.")
@click.option("--end", type=click.DateTime(["%Y-%m-%d"]), help="last day written.")
@click.option(
    "--out",
    "out_path",
    required=True,
    type=click.Path(dir_okay=False),
    callback=_in_a_folder,
    help="CSV file to write (date,symbol,hold).",
)
@lab_command_options(needs="any")
def signals(
    lab: CommandContext,
    genome: str,
    data_path: str | None,
    start: dt.datetime | None,
    end: dt.datetime | None,
    out_path: str,
) -> None:
    """Write GENOME's hold signal as a long CSV (date, symbol, hold 1/0) for every symbol with
    a price that day: what the strategy wants to hold at each close (the cash account then
    trades at the next open, up to max_positions)."""
    import numpy as np
    import pandas as pd

    from genome.evaluate import evaluate
    from genome.text import parse

    tree = parse(genome)
    panel, _ = _load(lab, data_path)
    hold = evaluate(tree, panel)
    first = np.datetime64(start.date()) if start else panel.dates[0]
    last = np.datetime64(end.date()) if end else panel.dates[-1]
    days = (panel.dates >= first) & (panel.dates <= last)
    rows, cols = np.nonzero(np.isfinite(panel.close) & days[:, None])
    frame = pd.DataFrame(
        {
            "date": panel.dates[rows].astype(str),
            "symbol": np.asarray(panel.symbols, dtype=object)[cols],
            "hold": hold[rows, cols].astype(int),
        }
    )
    frame.to_csv(out_path, index=False)
    click.echo(f"wrote {len(frame)} rows ({int(days.sum())} days) to {out_path}")
    if len(frame):
        latest = frame["date"].max()
        held = frame[(frame["date"] == latest) & (frame["hold"] == 1)]["symbol"].tolist()
        click.echo(f"holds at the close of {latest}: {', '.join(held) if held else 'nothing'}")


@main.command("random")
@click.option(
    "--n",
    "count",
    type=click.IntRange(1, 100_000),
    default=10,
    show_default=True,
    help="how many genomes.",
)
@click.option("--seed", type=int, default=0, show_default=True, help="random seed.")
@click.option(
    "--max-depth",
    type=click.IntRange(1, 17),
    default=4,
    show_default=True,
    help="greatest tree height.",
)
@lab_command_options(needs="any")
def random_genomes(lab: CommandContext, count: int, seed: int, max_depth: int) -> None:
    """Print COUNT valid random genomes, one canonical text per line (the same seed gives the
    same genomes; trivial ones that simplify to true or false are skipped)."""
    import random

    from genome.generate import half_and_half
    from genome.simplify import simplify
    from genome.text import to_text

    rng = random.Random(seed)
    printed = 0
    while printed < count:
        text = to_text(simplify(half_and_half(rng, min(2, max_depth), max_depth)))
        if text not in ("true", "false"):
            click.echo(text)
            printed += 1


@main.command("nightly")
@click.option("--discovery", is_flag=True, help="also breed new genomes (else: re-score, refine).")
@click.option(
    "--budget",
    type=click.FloatRange(min=0, min_open=True),
    help="wall time of the discovery in minutes (default: evolve.budget_minutes).",
)
@click.option("--generations", type=click.IntRange(min=0), help="stop after this many generations.")
@click.option("--seed", type=click.IntRange(min=0), help="overrides evolve.seed.")
@lab_command_options(needs="makes")
def nightly(
    lab: CommandContext,
    discovery: bool,
    budget: float | None,
    generations: int | None,
    seed: int | None,
) -> None:
    """The nightly job: back up research.db, refresh the data, re-score the living genomes,
    refine the best candidates and, with --discovery, breed new ones (resuming the stored
    population and archive); then the promotion gate judges the new candidates on the
    validation window. Commits after every generation; a killed run resumes."""
    import sys

    from configs.alerts import alert
    from evolve.night_report import (
        disk_low,
        memory_low,
        next_step,
        night_summary,
        night_verdict,
        progress_printer,
    )
    from evolve.nightly import NightOptions, run_nightly
    from promotion.gating import gate_pending
    from promotion.incubation import incubating
    from promotion.lifecycle import awaiting_review
    from promotion.watch import decays_of_run
    from store import lab_database, make_lab

    make_lab(lab)
    options = NightOptions(discovery, budget, generations, seed)
    total = 60.0 * (budget or lab.config.evolve.budget_minutes)
    for event, title, problem in (
        ("disk_low", "disk space is low", disk_low(lab.db_url, lab.config.store.min_free_mb)),
        ("memory_low", "memory is low", memory_low(lab.config.evolve.min_free_memory_mb)),
    ):
        if problem:
            click.echo(f"warning: {problem}", err=True)
            alert(event, title, problem)
    try:
        with progress_printer(sys.stderr, generations, total) as progress:
            summary = run_nightly(
                lab.config, lab.db_url, options, progress=progress, after=gate_pending(lab.config)
            )
    finally:
        make_lab(lab)  # the first night made its database
    text = night_summary(summary, lab.config)
    with lab_database(lab).transaction() as session:
        waiting = awaiting_review(session)
        decays = decays_of_run(session, summary.run_id)
        ready = [i.text() for i in incubating(session, lab.config.incubation) if i.test.passed]
    step = next_step(summary, len(waiting))
    click.echo(f"lab home: {shown(str(lab.home))}\n{text}\n{step}")
    verdict = night_verdict(summary, len(waiting))
    alert("night_finished", verdict, f"{verdict}\n{step}\n\n{text}")
    if summary.data_warning:
        alert("stale_data", "the night did not run on fresh data", summary.data_warning)
    if summary.backup_skipped:
        alert("disk_low", "no backup of research.db tonight", summary.backup_skipped)
    for title, body in decays:
        alert("decay", title, body)
    if waiting:
        alert(
            "review_waiting",
            f"{len(waiting)} candidate(s) await review",
            "\n".join(waiting) + "\nrun `promote review`",
        )
    if ready:
        alert(
            "incubation_ready",
            f"{len(ready)} incubating strateg(ies) may be confirmed for real orders",
            "\n".join(ready) + "\nrun `promote review` (or `promote confirm N --note ...`)",
        )


@main.command("prune")
@click.option(
    "--vacuum",
    is_flag=True,
    help="then rewrite research.db so the file shrinks (SQLite; needs free space of its size).",
)
@lab_command_options
def prune_command(lab: CommandContext, vacuum: bool) -> None:
    """Delete the genomes and evaluations that died, and the population of earlier generations
    (README "Storage"); a discovery night does it by itself every store.prune_every
    generations. Takes the nightly run's lock, so it never runs during a night."""
    from pathlib import Path

    from evolve.retention import prune, vacuum_sqlite
    from store import RunLock, lab_database, sqlite_path

    with RunLock(Path(lab.config.evolve.lock_file), "evolve prune"):
        database = lab_database(lab)
        try:
            with database.transaction() as session:
                click.echo(prune(session).describe())
            path = sqlite_path(lab.db_url)
            if vacuum and path is not None:
                before, after = vacuum_sqlite(database.engine, path)
                click.echo(f"research.db: {before / 2**20:.1f} MB -> {after / 2**20:.1f} MB")
        finally:
            database.close()


@main.command("init")
@lab_command_options(needs="makes")
def init(lab: CommandContext) -> None:
    """Make a lab in the home (its folder and research.db at the newest schema) without running
    a night; the first `evolve nightly` does it too. Every other command refuses a folder that
    is not a lab."""
    from store import lab_database, make_lab

    lab_database(lab).close()
    make_lab(lab)
    click.echo(f"lab home: {shown(str(lab.home))}\nresearch database: {shown(lab.db_url)}")


@main.command("status")
@lab_command_options
def status(lab: CommandContext) -> None:
    """Recent runs, the population, the novelty archive, trials per window, the hall of fame
    and the candidates."""
    from evolve.status import status_text
    from store import lab_database

    click.echo(f"lab home: {shown(str(lab.home))}")
    database = lab_database(lab)
    with database.transaction() as session:
        click.echo(status_text(session))


@main.command("report")
@click.option(
    "--out",
    type=click.Path(dir_okay=False),
    callback=_in_a_folder,
    help="the PNG to write (default: evolve-report.png in review.chart_dir, in the lab's home).",
)
@lab_command_options
def report(lab: CommandContext, out: str | None) -> None:
    """Write a PNG of the lineage: best and median fitness, diversity and archive size per
    generation, stagnation events marked."""
    from pathlib import Path

    from evolve.charts import lineage_chart
    from evolve.status import history
    from store import lab_database

    database = lab_database(lab)
    with database.transaction() as session:
        lineage = history(session)
    if not lineage.number:
        raise click.UsageError("no generations yet: run `evolve nightly --discovery` first")
    path = Path(out) if out else Path(lab.config.review.chart_dir) / "evolve-report.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    click.echo(f"wrote {lineage_chart(lineage, path)} ({len(lineage.number)} generations)")
