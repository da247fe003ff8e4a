"""`evolve backtest`, `evolve signals` and `evolve random`, run as real subprocesses."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest

from configs import load_config
from genome.evaluate import evaluate
from genome.text import genome_id, parse
from market.sources import load_panel
from tests.builders.calendar import sessions
from tests.builders.cli import evolve

GENOME = "gt(close, sma(close, 50))"


def test_backtest_prints_metrics_per_window_with_costs(tmp_path: Path) -> None:
    result = evolve("backtest", GENOME, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert f"genome: {GENOME}" in out and f"id: {genome_id(parse(GENOME))}" in out
    assert "window train 2001-01-16..2007-06-29" in out and "window validation" in out
    assert "window holdout" not in out  # only when asked for
    assert "costs: slippage 5 bps" in out and "settlement T+1" in out
    assert "scale-free" not in out
    levels = evolve("backtest", "gt(rank(close), 0.5)", cwd=tmp_path)
    assert levels.returncode == 0, levels.stderr  # a user may still try it
    assert (
        "note: not scale-free, the gate refuses it: rank(close) ranks a price across symbols"
        in levels.stdout
    )


def test_backtest_json_has_ids_dates_metrics_and_equity(tmp_path: Path) -> None:
    result = evolve(
        "backtest",
        "lt(sma(close, 50), close)",
        "--window",
        "holdout",
        "--json",
        "--cost-bps",
        "12.5",
        "--settlement-days",
        "2",
        "--max-positions",
        "3",
        "--whole",
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["genome"] == GENOME  # the canonical, simplified text
    assert report["genome_id"] == genome_id(parse(GENOME))
    assert report["costs"]["slippage_bps"] == 12.5 and report["costs"]["settlement_days"] == 2
    assert report["costs"]["max_positions"] == 3 and report["costs"]["fractional"] is False
    (window,) = report["windows"]
    assert (window["name"], window["first"], window["last"]) == (
        "holdout",
        "2014-07-01",
        "2017-04-13",
    )
    assert len(window["id"]) == 64 and window["metrics"]["n_trades"] > 0
    equity = window["equity"]
    assert len(equity["dates"]) == len(equity["values"]) == window["metrics"]["n_days"]


def test_backtest_on_custom_dates_and_a_data_file(tmp_path: Path) -> None:
    path = tmp_path / "bars.csv"
    lines = ["date,symbol,open,high,low,close,volume"]
    for date in sessions("2021-02-01", end="2021-02-26"):
        day = date.day
        for symbol, base in (("AAA", 10.0), ("BBB", 20.0)):
            price = base + (day % 5) + day / 10
            lines.append(f"{date:%Y-%m-%d},{symbol},{price},{price + 1},{price - 1},{price},1000")
    path.write_text("\n".join(lines) + "\n")
    config = tmp_path / "lab.toml"
    config.write_text("[data]\nmin_bars = 10\n[windows]\nwarmup_days = 5\n")
    result = evolve(
        "backtest",
        "gt(close, sma(close, 3))",
        "--data",
        str(path),
        "--start",
        "2021-02-10",
        "--end",
        "2021-02-25",
        "--config",
        str(config),
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    # 12 weekdays, less Presidents Day (2021-02-15), when the exchange was closed.
    assert "window custom 2021-02-10..2021-02-25 (11 days" in result.stdout


@pytest.mark.parametrize(
    ("args", "reason"),
    [
        (
            ["backtest", "gt(close, sma(close, 7))"],
            "genome error at position 21: expected a window",
        ),
        (["backtest", "__import__('os')"], "genome error at position 11"),
        (
            ["backtest", GENOME, "--settlement-days", "5"],
            "backtest.settlement_days: must be 0, 1 or 2",
        ),
        (
            ["backtest", GENOME, "--window", "train", "--start", "2010-01-04"],
            "either --window or --start/--end",
        ),
        (["signals", "gt(close, smaa(close, 5))", "--out", "x.csv"], "did you mean 'sma'?"),
        (["backtest", GENOME, "--data", "missing.csv"], "missing.csv: file does not exist"),
    ],
)
def test_bad_genomes_and_inputs_exit_2_with_one_line(
    tmp_path: Path, args: list[str], reason: str
) -> None:
    result = evolve(*args, cwd=tmp_path)
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1 and reason in result.stderr
    assert "Traceback" not in result.stderr


def test_a_malformed_data_file_exits_2_naming_the_first_error(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(
        "date,symbol,open,high,low,close,volume\n"
        "2019-12-31,A,10,9,11,10,5\n"
        "2020-01-02,A,10,11,9,-1,5\n"
    )
    for command in (["backtest", GENOME], ["signals", GENOME, "--out", "x.csv"]):
        result = evolve(*command, "--data", str(path), cwd=tmp_path)
        assert result.returncode == 2
        (line,) = result.stderr.strip().splitlines()  # one line, however many errors
        assert "rejected, 4 error(s)" in line
        assert f"the first: {path}:3: A 2020-01-02: non-positive price" in line


def test_signals_writes_the_hold_matrix_as_long_csv(tmp_path: Path) -> None:
    out = tmp_path / "hold.csv"
    genome = "lt(rank(change(close, 20)), 0.2)"
    result = evolve("signals", genome, "--start", "2017-03-01", "--out", str(out), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    with out.open() as handle:
        rows = list(csv.DictReader(handle))
    assert rows[0].keys() == {"date", "symbol", "hold"}
    assert (
        min(r["date"] for r in rows) == "2017-03-01"
        and max(r["date"] for r in rows) == "2017-04-13"
    )
    config = load_config()
    panel = load_panel(config.data, config.alpaca)[0]
    hold = evaluate(parse(genome), panel)
    last = panel.n_days - 1
    expected = sorted(s for j, s in enumerate(panel.symbols) if hold[last, j])
    assert (
        sorted(r["symbol"] for r in rows if r["date"] == "2017-04-13" and r["hold"] == "1")
        == expected
    )
    assert f"holds at the close of 2017-04-13: {', '.join(expected)}" in result.stdout
    assert np.isclose(sum(r["hold"] == "1" for r in rows) / len(rows), 0.2, atol=0.05)


def test_random_genomes_are_valid_canonical_and_repeatable(tmp_path: Path) -> None:
    first = evolve("random", "--n", "30", "--seed", "7", "--max-depth", "5", cwd=tmp_path)
    again = evolve("random", "--n", "30", "--seed", "7", "--max-depth", "5", cwd=tmp_path)
    other = evolve("random", "--n", "30", "--seed", "8", "--max-depth", "5", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    lines = first.stdout.splitlines()
    assert len(lines) == 30 and lines == again.stdout.splitlines()
    assert lines != other.stdout.splitlines()
    for text in lines:
        tree = parse(text)
        assert tree.height <= 5
        assert text not in ("true", "false")


@pytest.mark.parametrize("command", [["signals", GENOME], ["report"]], ids=["signals", "report"])
def test_an_out_file_in_a_missing_folder_is_a_usage_error(
    tmp_path: Path, command: list[str]
) -> None:
    missing = tmp_path / "no-such-folder" / "out.file"
    result = evolve(*command, "--out", str(missing), cwd=tmp_path)
    assert result.returncode == 2
    assert f"folder {missing.parent} does not exist" in result.stderr
    assert "Traceback" not in result.stderr and not missing.parent.exists()
