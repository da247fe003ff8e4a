"""Alerts through apprise to a real loopback HTTP receiver (apprise's `json://` service): what
the commands send, and that a receiver that is down never stops one."""

from __future__ import annotations

import re
import socket
import subprocess
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from configs.alerts import ALERT_URLS, alert
from configs.commands import LabGroup
from tests.builders.alerts import Receiver
from tests.builders.cli import (
    DEADLINE_SECONDS,
    LIVE,
    evolve,
    init_lab,
    lab_environment,
    promote,
)
from tests.builders.nights import SMALL


def _night(folder: Path, receiver: Receiver) -> subprocess.CompletedProcess[str]:
    # A one-generation discovery night of the lab in `folder`, alerting `receiver`.
    result = evolve(
        "nightly",
        "--discovery",
        "--generations",
        "1",
        "--config",
        "lab.toml",
        cwd=folder,
        env={ALERT_URLS: receiver.url},
    )
    assert result.returncode == 0, result.stderr
    return result


def _closed_port() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"json://127.0.0.1:{s.getsockname()[1]}/alerts"


def test_an_alert_reaches_every_address_and_none_is_sent_without_one(
    receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(ALERT_URLS, raising=False)
    assert alert("halted", "nothing", "no address") is False
    monkeypatch.setenv(ALERT_URLS, f"{receiver.url} {receiver.url}")
    assert alert("halted", "trading halted", "earnings season") is True
    assert receiver.titles(2) == ["gplab: trading halted"] * 2
    assert receiver.received[0]["message"] == "earnings season"
    assert receiver.received[0]["type"] == "warning"
    with pytest.raises(ValueError, match="unknown alert event"):
        alert("coffee", "x", "y")


def test_an_address_that_is_down_or_unknown_never_raises(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ALERT_URLS, _closed_port())
    assert alert("crash", "x", "y") is False
    monkeypatch.setenv(ALERT_URLS, "nosuchservice://somewhere")
    assert alert("crash", "x", "y") is False


def test_a_crash_is_alerted_with_its_command(
    receiver: Receiver, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv(ALERT_URLS, receiver.url)

    @click.group(cls=LabGroup)
    def main() -> None:
        pass

    @main.command()
    def explode() -> None:
        raise RuntimeError("boom")

    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["explode"], prog_name="evolve")
    assert result.exit_code == 1
    assert receiver.titles(1) == ["gplab: evolve explode crashed"]
    assert "RuntimeError: boom" in receiver.received[0]["message"]


def test_live_halt_alerts_and_a_receiver_that_is_down_does_not_stop_it(
    receiver: Receiver, tmp_path: Path
) -> None:
    for url, name in ((receiver.url, "up"), (_closed_port(), "down")):
        folder = init_lab(tmp_path / name)
        result = subprocess.run(
            [LIVE, "halt", "--reason", "earnings season"],
            cwd=folder,
            env=lab_environment(folder, **{ALERT_URLS: url}),
            capture_output=True,
            text=True,
            timeout=DEADLINE_SECONDS,
        )
        assert result.returncode == 0, result.stderr
        assert (folder / "HALT").exists()
        assert url not in result.stdout + result.stderr  # the address holds tokens
    assert receiver.titles(1) == ["gplab: live trading halted"]
    assert "earnings season" in receiver.received[0]["message"]
    # Resuming is said too: orders are allowed again.
    resumed = subprocess.run(
        [LIVE, "resume"],
        cwd=tmp_path / "up",
        env=lab_environment(tmp_path / "up", **{ALERT_URLS: receiver.url}),
        capture_output=True,
        text=True,
        timeout=DEADLINE_SECONDS,
    )
    assert resumed.returncode == 0, resumed.stderr
    assert receiver.titles(2)[1] == "gplab: live trading resumed: orders are allowed again"
    assert "earnings season" in receiver.received[1]["message"]


def test_a_night_alerts_its_summary_and_low_disk_and_memory(
    receiver: Receiver, tmp_path: Path
) -> None:
    low = SMALL.replace('backup_dir = "backups"', 'backup_dir = "backups"\nmin_free_mb = 10000000')
    low = low.replace("[evolve]", "[evolve]\nmin_free_memory_mb = 100000000")
    (tmp_path / "lab.toml").write_text(low)
    result = _night(tmp_path, receiver)
    titles = receiver.titles(3)
    assert titles[:2] == ["gplab: disk space is low", "gplab: memory is low"]
    assert "store.min_free_mb" in receiver.received[0]["message"]
    assert "evolve.min_free_memory_mb" in receiver.received[1]["message"]
    # The night's alert leads with its verdict: the title and the first line say it.
    assert re.fullmatch(
        r"gplab: night 1: (nothing passed the gate|no new candidate|\d+ candidate\(s\) await "
        r"your review) \(\d+ new, \d+ generations in \d+ min\)",
        titles[2],
    ), titles[2]
    first, second = receiver.received[2]["message"].splitlines()[:2]
    assert first == titles[2].removeprefix("gplab: ") and second.startswith("next: ")
    assert "new candidates" in receiver.received[2]["message"]
    # Said on the terminal too, not only sent.
    assert "warning:" in result.stderr and "MB of memory available" in result.stderr


def test_a_night_on_stale_data_alerts(receiver: Receiver, tmp_path: Path) -> None:
    # Alpaca is the source, but there are no keys (the environment has none): the night runs on
    # the bundled data and says so.
    (tmp_path / "lab.toml").write_text(SMALL + '[data]\nsource = "alpaca"\n')
    result = evolve(
        "nightly",
        "--generations",
        "0",
        "--config",
        "lab.toml",
        cwd=tmp_path,
        env={ALERT_URLS: receiver.url},
    )
    assert result.returncode == 0, result.stderr
    assert "gplab: the night did not run on fresh data" in receiver.titles(2)
    stale = next(r for r in receiver.received if "fresh data" in r["title"])
    assert "bundled" in stale["message"]


def test_a_quarantined_row_is_alerted_once_by_the_command_that_meets_it(
    receiver: Receiver, tmp_path: Path
) -> None:
    import sqlite3

    from labkit.lab import put_forward
    from store.models import Run
    from tests.builders.labs import review_lab

    *_, database = review_lab(tmp_path)
    with database.transaction() as session:
        candidate = put_forward(session, "gt(close, sma(close, 50))", session.get_one(Run, 1).id)
        number, genome_id = candidate.id, candidate.genome_id
    database.close()
    with sqlite3.connect(tmp_path / "research.db") as db:
        db.execute(
            "UPDATE genomes SET text = 'gt(close, sma(close, 50)' WHERE id = ?", (genome_id,)
        )
    db.close()
    for _ in range(2):  # met twice, recorded and sent once
        shown = promote("show", str(number), cwd=tmp_path, env={ALERT_URLS: receiver.url})
        assert shown.returncode == 0, shown.stderr
        assert f"genomes row {genome_id} cannot be read" in shown.stderr
    assert receiver.titles(1) == ["gplab: a genomes row was quarantined"]
    assert "genome error" in receiver.received[0]["message"]
    assert genome_id in receiver.received[0]["message"]
    assert len(receiver.received) == 1


def test_a_strategy_whose_edge_is_gone_is_alerted_once_by_the_nights(
    receiver: Receiver, tmp_path: Path
) -> None:
    from configs import load_config
    from store import open_database
    from store.models import Candidate
    from tests.builders.live_lab import GONE, HOLDING, QUICK_WATCH, approve

    (tmp_path / "lab.toml").write_text(SMALL + QUICK_WATCH)
    approve(
        f"sqlite:///{tmp_path / 'research.db'}", load_config(tmp_path / "lab.toml"), [HOLDING, GONE]
    )
    replay = subprocess.run(
        [LIVE, "run", "--broker", "sim", "--days", "80", "--config", "lab.toml"],
        cwd=tmp_path,
        env=lab_environment(tmp_path),
        capture_output=True,
        text=True,
        timeout=DEADLINE_SECONDS,
    )
    assert replay.returncode == 0, replay.stderr
    for night in (1, 2):
        result = _night(tmp_path, receiver)
        # Each night's report proposes it; the alert goes out the first time only.
        assert "decay watch: retire candidate 2: since 2016-12-19" in result.stdout
        assert "retire candidate 1" not in result.stdout
        titles = receiver.titles(2 * night)
        assert titles.count("gplab: candidate 2 may have lost its edge") == 1
    decay = next(r for r in receiver.received if "lost its edge" in r["title"])
    assert "promote retire 2" in decay["message"] and "CUSUM" in decay["message"]
    # Proposed, not done: only a person retires it.
    with open_database(f"sqlite:///{tmp_path / 'research.db'}").transaction() as session:
        assert session.get_one(Candidate, 2).status == "approved"
