"""The `evolve` command line, run as real subprocesses."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from configs.alerts import ALERT_URLS
from labkit.alpaca_data import KEY, SECRET, SYMBOLS, EmulatorState, alpaca_emulator, serve_bars
from tests.builders.alerts import Receiver
from tests.builders.calendar import sessions
from tests.builders.cli import DEADLINE_SECONDS, evolve, init_lab


@pytest.mark.parametrize(
    "command", [[], ["data"], ["data", "info"], ["data", "validate"], ["baseline"]]
)
def test_every_command_has_help(command: list[str], tmp_path: Path) -> None:
    result = evolve(*command, "--help", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Usage: evolve" in result.stdout
    if command and command != ["data"]:
        assert "--config" in result.stdout and "--db" in result.stdout


def test_baseline_reports_every_window_with_costs(tmp_path: Path) -> None:
    result = evolve("baseline", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    for name in ("window train 2001-01-16..2007-06-29", "window validation", "window holdout"):
        assert name in out
    assert out.count("buy-and-hold (60 slots)") == 3
    assert "gt(close, sma(close, 200)) (10 slots)" in out
    assert "costs: slippage 5 bps" in out and "settlement T+1" in out
    assert not (tmp_path / "research.db").exists()  # a report writes nothing


def test_data_info_on_the_bundled_data(tmp_path: Path) -> None:
    result = evolve("data", "info", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "source: bundled" in result.stdout
    assert "symbols: 60  sessions: 4348  dates: 2000-01-03..2017-04-13" in result.stdout
    assert "fingerprint: " in result.stdout
    assert "XLF 2011-06-16: suspect high" in result.stdout


def test_validate_accepts_a_usable_file_and_lists_its_warnings(tmp_path: Path) -> None:
    path = tmp_path / "ok.csv"
    days = enumerate(sessions("2019-12-31", 30), start=1)
    rows = [f"{day:%Y-%m-%d},A,10,11,9,{10 + d / 100},{0 if d == 3 else 100}" for d, day in days]
    path.write_text("date,symbol,open,high,low,close,volume\n" + "\n".join(rows) + "\n")
    result = evolve(
        "data", "validate", str(path), cwd=tmp_path, env={"LAB_CONFIG": str(config(tmp_path))}
    )
    assert result.returncode == 0, result.stderr
    assert f"{path}:4: A 2020-01-03: zero volume" in result.stdout
    assert "usable: yes (1 warning(s))" in result.stdout


def test_validate_rejects_a_bad_file_with_every_error(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(
        "date,symbol,open,high,low,close,volume\n"
        "2019-12-31,A,10,11,9,10,100\n"
        "2020-01-02,A,10,11,9,-10,100\n"
        "2020-01-03,A,10,9,11,10,100\n"
    )
    result = evolve(
        "data", "validate", str(path), cwd=tmp_path, env={"LAB_CONFIG": str(config(tmp_path))}
    )
    assert result.returncode == 2
    assert f"{path}:3: A 2020-01-02: non-positive price: close is -10" in result.stderr
    assert f"{path}:4: A 2020-01-03: high below low" in result.stderr
    assert result.stderr.splitlines()[-1].startswith(
        f"error: {path}: rejected, 4 error(s) (data.policy = 'reject'; 'drop_symbol' leaves "
        "the affected symbols out instead); the first: "
    )
    assert "Traceback" not in result.stderr


def test_validate_lists_every_error_not_just_the_first_ones(tmp_path: Path) -> None:
    path = tmp_path / "many.csv"
    rows = [f"2020-01-{d:02d},A,10,11,9,-1,100" for d in range(1, 31)]
    path.write_text("date,symbol,open,high,low,close,volume\n" + "\n".join(rows) + "\n")
    result = evolve("data", "validate", str(path), cwd=tmp_path)
    assert result.returncode == 2
    listed = [line for line in result.stderr.splitlines() if line.startswith("  ")]
    assert sum(": non-positive price: close is -1" in line for line in listed) == 30


def config(tmp_path: Path, text: str = "[data]\nmin_bars = 2\n") -> Path:
    path = tmp_path / "lab.toml"
    path.write_text(text)
    return path


def test_bad_configuration_exits_2_with_one_line(tmp_path: Path) -> None:
    cfg = config(tmp_path, "[backtest]\nmax_postions = 3\n")
    result = evolve("baseline", "--config", str(cfg), cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "error: backtest.max_postions: unknown key; did you mean 'max_positions'?"
    )


def test_windows_outside_the_data_exit_2(tmp_path: Path) -> None:
    cfg = config(tmp_path, "[windows]\nholdout = [2015-01-02, 2019-01-02]\n")
    result = evolve("baseline", "--config", str(cfg), cwd=tmp_path)
    assert result.returncode == 2
    assert "windows.holdout: 2015-01-02..2019-01-02 is outside the data" in result.stderr


def test_an_unexpected_failure_exits_1_and_logs_the_traceback(tmp_path: Path) -> None:
    script = textwrap.dedent(
        """
        import click
        from configs.commands import LabGroup, lab_command_options

        @click.group(cls=LabGroup)
        def main():
            pass

        @main.command()
        @lab_command_options(needs="any")
        def boom(lab):
            raise RuntimeError("something broke")

        main()
        """
    )
    cfg = config(tmp_path, "[log]\ndir = 'var'\n")
    result = subprocess.run(
        [sys.executable, "-c", script, "boom", "--config", str(cfg)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=DEADLINE_SECONDS,
    )
    assert result.returncode == 1
    log = tmp_path / "var" / "errors.log"
    assert result.stderr.strip() == (
        f"unexpected error: RuntimeError: something broke (traceback in {log})"
    )
    assert "Traceback" in log.read_text() and "something broke" in log.read_text()


@pytest.fixture
def emulator(tmp_path: Path) -> Iterator[tuple[str, EmulatorState]]:
    from configs import load_config
    from market.sources import load_panel

    config_ = load_config()
    panel = load_panel(config_.data, config_.alpaca)[0]
    with alpaca_emulator(KEY, SECRET) as (url, state):
        serve_bars(state, panel, through=dt.date(2017, 4, 13))
        yield url, state


def alpaca_config(tmp_path: Path, url: str, timeout: float = 5.0) -> Path:
    symbols = ", ".join(f'"{s}"' for s in SYMBOLS)
    return config(
        tmp_path,
        f"[data]\nsource = 'alpaca'\n[alpaca]\nsymbols = [{symbols}]\n"
        f"data_url = '{url}'\ntimeout_seconds = {timeout}\n",
    )


def test_alpaca_source_end_to_end_never_prints_the_keys(
    tmp_path: Path, emulator: tuple[str, EmulatorState]
) -> None:
    url, _ = emulator
    keys = {"APCA_API_KEY_ID": KEY, "APCA_API_SECRET_KEY": SECRET}
    result = evolve(
        "data", "info", "--config", str(alpaca_config(tmp_path, url)), cwd=tmp_path, env=keys
    )
    assert result.returncode == 0, result.stderr
    assert "source: alpaca" in result.stdout and "symbols: 3" in result.stdout
    assert (tmp_path / "data-cache" / "alpaca-bars-iex.parquet").exists()
    wrong = evolve(
        "data",
        "info",
        "--config",
        str(alpaca_config(tmp_path, url)),
        cwd=tmp_path,
        env={**keys, "APCA_API_SECRET_KEY": SECRET + "x"},
    )
    assert wrong.returncode == 2 and "HTTP 403" in wrong.stderr
    for output in (result.stdout, result.stderr, wrong.stdout, wrong.stderr):
        assert KEY not in output and SECRET not in output


def test_a_silent_data_service_exits_1(tmp_path: Path, emulator: tuple[str, EmulatorState]) -> None:
    url, state = emulator
    state.hanging = True
    keys = {"APCA_API_KEY_ID": KEY, "APCA_API_SECRET_KEY": SECRET}
    result = evolve(
        "data", "info", "--config", str(alpaca_config(tmp_path, url, 1.0)), cwd=tmp_path, env=keys
    )
    assert result.returncode == 1
    assert result.stderr.startswith("error: Alpaca data request failed (ReadTimeout; timeout 1 s)")


def test_an_unexpected_failure_before_the_lab_is_known_leaves_no_log_in_the_working_folder(
    tmp_path: Path,
) -> None:
    script = textwrap.dedent(
        """
        import click
        from configs.commands import LabGroup

        @click.group(cls=LabGroup)
        def main():
            pass

        @main.command()
        def boom():
            raise RuntimeError("before any lab")

        main()
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script, "boom"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=DEADLINE_SECONDS,
    )
    assert result.returncode == 1
    assert "unexpected error: RuntimeError: before any lab (traceback in (stderr" in result.stderr
    assert "Traceback" in result.stderr and list(tmp_path.iterdir()) == []


def test_a_path_that_cannot_be_written_is_an_input_error_not_a_crash(
    tmp_path: Path, receiver: Receiver
) -> None:
    lab = init_lab(tmp_path / "lab")
    refused = evolve(
        "signals",
        "gt(close, sma(close, 50))",
        "--out",
        "/proc/hold.csv",
        cwd=lab,
        env={ALERT_URLS: receiver.url},
    )
    assert refused.returncode == 2, refused.stderr
    assert refused.stderr.endswith("error: /proc/hold.csv: No such file or directory\n")
    assert "unexpected" not in refused.stderr and "Traceback" not in refused.stderr
    assert not (lab / "logs").exists() and receiver.received == []
