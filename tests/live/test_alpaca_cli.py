"""`live run --broker alpaca` as a service runs it: the loop follows the broker's clock into the
trade window and out, SIGTERM stops it cleanly, keys come only from the environment and never
show."""

from __future__ import annotations

import signal
import subprocess
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from configs import load_config
from labkit.alpaca_trading import Fault, TradingState, trading_emulator
from market.panel import Panel
from store import open_database
from store.models import LiveOrder
from tests.builders.cli import DEADLINE_SECONDS, LIVE, init_lab, lab_environment
from tests.builders.emulated import FIRST_SESSION, KEY, SECRET, account_state, lab_config, new_york
from tests.builders.live_lab import STRATEGIES, approve

PAPER = {"APCA_PAPER_API_KEY_ID": KEY, "APCA_PAPER_API_SECRET_KEY": SECRET}


def clock_reads(state: TradingState) -> int:
    """How many times the lab has read the emulated broker's clock (once a cycle)."""
    with state.lock:
        return sum(1 for r in state.requests if r.path == "/v2/clock")


def orders_in(folder: Path) -> int:
    with open_database(f"sqlite:///{folder / 'research.db'}").transaction() as session:
        return session.scalar(select(func.count()).select_from(LiveOrder)) or 0


def test_the_loop_waits_for_the_window_trades_in_it_and_stops_on_sigterm(
    tmp_path: Path, panel: Panel
) -> None:
    approve(f"sqlite:///{tmp_path / 'research.db'}", load_config(), STRATEGIES)
    state = account_state(panel)
    state.now = new_york(FIRST_SESSION, 7, 0)  # before the window
    with trading_emulator(state) as url:
        config = lab_config(tmp_path, url)
        config.write_text(
            config.read_text()
            .replace('["09:30", "09:45"]', '["08:00", "09:25"]')
            .replace("poll_seconds = 1.0", "poll_seconds = 0.2")
        )
        process = subprocess.Popen(
            [LIVE, "run", "--broker", "alpaca", "--config", "lab.toml"],
            cwd=tmp_path,
            env=lab_environment(**PAPER),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            # Several cycles before the window (each reads the clock): nothing is sent.
            deadline = time.monotonic() + 120
            while clock_reads(state) < 4 and time.monotonic() < deadline:
                assert process.poll() is None, process.communicate()
                time.sleep(0.1)
            assert clock_reads(state) >= 4
            assert orders_in(tmp_path) == 0 and not state.orders
            state.faults.append(Fault("GET", "/v2/clock", "500_text"))  # a bad moment passes
            with state.lock:
                state.now = new_york(FIRST_SESSION, 8, 30)
            deadline = time.monotonic() + 120
            while not (state.orders and orders_in(tmp_path) == len(state.orders)):
                assert time.monotonic() < deadline, "no order was sent in the trade window"
                time.sleep(0.1)
        finally:
            process.send_signal(signal.SIGTERM)
            out, err = process.communicate(timeout=DEADLINE_SECONDS)
    assert process.returncode == 0, err
    assert "stopped by SIGTERM after the current step (saved)" in out
    assert "outside the trade window (no new orders)" in out
    assert "in the trade window: planned" in out


def test_keys_come_from_the_environment_and_never_show(tmp_path: Path, panel: Panel) -> None:
    approve(f"sqlite:///{tmp_path / 'research.db'}", load_config(), STRATEGIES)
    state = account_state(panel)
    state.now = new_york(FIRST_SESSION, 8, 30)
    outputs: list[str] = []
    with trading_emulator(state) as url:
        (tmp_path / "lab.toml").write_text(
            f'[live]\ntrading_url = "{url}"\ntimeout_seconds = 1.0\n[log]\nlevel = "DEBUG"\n'
        )

        def live(*args: str, **keys: str) -> subprocess.CompletedProcess[str]:
            result = subprocess.run(
                [LIVE, *args, "--config", "lab.toml"],
                cwd=tmp_path,
                env=lab_environment(**keys),
                capture_output=True,
                text=True,
                timeout=DEADLINE_SECONDS,
            )
            outputs.extend([result.stdout, result.stderr])
            return result

        # Keys the broker refuses (a wrong secret): a clear error, no key in it.
        wrong = live(
            "run",
            "--broker",
            "alpaca",
            "--once",
            APCA_PAPER_API_KEY_ID=KEY,
            APCA_PAPER_API_SECRET_KEY=SECRET + "x",
        )
        assert wrong.returncode == 1 and "HTTP 403" in wrong.stderr
        # No keys at all; real money needs its own keys, not the paper ones.
        none = live("run", "--broker", "alpaca", "--once")
        assert none.returncode == 2 and "APCA_PAPER_API_KEY_ID" in none.stderr
        real = live("run", "--broker", "alpaca", "--once", "--live", **PAPER)
        assert real.returncode == 2 and "APCA_LIVE_API_KEY_ID" in real.stderr
        # A broker failure mid-run, a good run, the status, with debug logging on.
        state.faults.append(Fault("POST", "/v2/orders", "500_text"))
        good = live("run", "--broker", "alpaca", "--once", **PAPER)
        assert good.returncode == 0, good.stderr
        assert "in the trade window: planned" in good.stdout
        live("status", **PAPER)
    # Nothing the lab wrote anywhere holds a key: outputs, logs, research.db, any file.
    written = "\n".join(outputs)
    for path in tmp_path.rglob("*"):
        if path.is_file():
            written += path.read_bytes().decode("utf-8", "replace")
    for secret in (KEY, SECRET):
        assert secret not in written
    assert repr_of_broker() == "AlpacaBroker(paper)"


def repr_of_broker() -> str:
    from configs.credentials import Credentials
    from live.alpaca_broker import AlpacaBroker

    return repr(AlpacaBroker(Credentials(KEY, SECRET), True, "http://127.0.0.1:9", 1.0, 10))


@pytest.mark.parametrize("flag", ["--days", "--resume"])
def test_sim_options_are_refused_for_alpaca(tmp_path: Path, flag: str) -> None:
    args = [LIVE, "run", "--broker", "alpaca", flag] + (["5"] if flag == "--days" else [])
    init_lab(tmp_path)
    result = subprocess.run(
        args,
        cwd=tmp_path,
        env=lab_environment(tmp_path),
        capture_output=True,
        text=True,
        timeout=DEADLINE_SECONDS,
    )
    assert result.returncode == 2 and "for --broker sim" in result.stderr
