"""One lab home: every command resolves research.db, locks, HALT, logs and backups from the same
folder, wherever it is run from."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from live.halt import HaltSwitch
from tests.builders.cli import DEADLINE_SECONDS, lab_environment

BIN = Path(sys.executable).parent


def _run(*args: str, cwd: Path, home: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / args[0]), *args[1:]],
        cwd=cwd,
        env=lab_environment(home),
        capture_output=True,
        text=True,
        timeout=DEADLINE_SECONDS,
    )


def test_live_halt_from_another_folder_halts_the_lab_of_its_config(tmp_path: Path) -> None:
    lab, elsewhere = tmp_path / "lab", tmp_path / "elsewhere"
    lab.mkdir()
    elsewhere.mkdir()
    (lab / "lab.toml").write_text('[log]\nlevel = "WARNING"\n')
    made = _run("evolve", "init", "--config", str(lab / "lab.toml"), cwd=elsewhere)
    assert made.returncode == 0, made.stderr
    halted = _run(
        "live", "halt", "--reason", "test", "--config", str(lab / "lab.toml"), cwd=elsewhere
    )
    assert halted.returncode == 0, halted.stderr
    assert (lab / "HALT").exists() and list(elsewhere.iterdir()) == []
    # The lab's own commands, run from its folder, see that HALT.
    resumed = _run("live", "resume", "--config", "lab.toml", cwd=lab)
    assert resumed.returncode == 0, resumed.stderr
    assert "resumed (was: test" in resumed.stdout and not (lab / "HALT").exists()


def test_lab_home_puts_everything_in_one_folder(tmp_path: Path) -> None:
    home, elsewhere = tmp_path / "home", tmp_path / "elsewhere"
    elsewhere.mkdir()
    assert _run("evolve", "init", cwd=elsewhere, home=home).returncode == 0
    halted = _run("live", "halt", "--reason", "test", cwd=elsewhere, home=home)
    assert halted.returncode == 0, halted.stderr
    status = _run("evolve", "status", cwd=elsewhere, home=home)
    assert status.returncode == 0, status.stderr
    assert f"lab home: {home}" in status.stdout
    assert {p.name for p in home.iterdir()} >= {"HALT", "research.db"}
    assert list(elsewhere.iterdir()) == []
    # --home on the command line, the same folder.
    resumed = _run("live", "resume", "--home", str(home), cwd=elsewhere)
    assert resumed.returncode == 0 and "resumed (was: test" in resumed.stdout


def test_without_home_or_config_the_lab_lives_in_xdg_data_home(tmp_path: Path) -> None:
    assert _run("evolve", "init", cwd=tmp_path).returncode == 0
    status = _run("evolve", "status", cwd=tmp_path)
    assert status.returncode == 0, status.stderr
    expected = Path(os.environ["XDG_DATA_HOME"]) / "gplab"
    assert f"lab home: {expected}" in status.stdout
    assert (expected / "research.db").exists() and list(tmp_path.iterdir()) == []


def test_a_mistyped_db_for_an_existing_lab_is_refused_unless_create(tmp_path: Path) -> None:
    assert _run("evolve", "init", cwd=tmp_path, home=tmp_path).returncode == 0
    typo = f"sqlite:///{tmp_path / 'reserch.db'}"
    refused = _run("evolve", "status", "--db", typo, cwd=tmp_path, home=tmp_path)
    assert refused.returncode == 2
    assert refused.stderr.strip().splitlines() == [
        f"error: --db: {tmp_path / 'reserch.db'} does not exist, and this lab's database is "
        f"{tmp_path / 'research.db'}; pass --create to start a new database there"
    ]
    assert not (tmp_path / "reserch.db").exists()
    created = _run("evolve", "status", "--db", typo, "--create", cwd=tmp_path, home=tmp_path)
    assert created.returncode == 0, created.stderr
    assert (tmp_path / "reserch.db").exists()


def test_every_command_names_the_home_in_its_help(tmp_path: Path) -> None:
    for command in (["evolve", "nightly"], ["promote", "review"], ["live", "run"]):
        shown = _run(*command, "--help", cwd=tmp_path)
        assert shown.returncode == 0 and "--home" in shown.stdout and "LAB_HOME" in shown.stdout


def test_a_folder_that_is_not_a_lab_is_refused_by_name_and_left_as_it_was(tmp_path: Path) -> None:
    lab, typo = tmp_path / "lab", tmp_path / "lb"
    assert _run("evolve", "init", cwd=tmp_path, home=lab).returncode == 0
    assert _run("live", "halt", "--reason", "x", cwd=tmp_path, home=lab).returncode == 0
    refusal = (
        f"error: {typo} is not a lab (no research.db): check --home, LAB_HOME or --config; a lab "
        "is made by its first `evolve nightly`"
    )
    for command in (
        ["live", "halt", "--reason", "test"],
        ["live", "resume"],
        ["live", "status"],
        ["live", "run", "--days", "5"],
        ["live", "dashboard"],
        ["evolve", "status"],
        ["evolve", "report"],
        ["evolve", "prune"],
        ["promote", "list"],
        ["promote", "review"],
        ["promote", "gate"],
    ):
        refused = _run(*command, "--home", str(typo), cwd=tmp_path)
        assert (refused.returncode, refused.stderr.strip()) == (2, refusal), command
    assert not typo.exists()
    # The real lab still halts: the mistyped resume touched nothing.
    reason = HaltSwitch(lab / "HALT").reason()
    assert reason is not None and reason.startswith("x (by ")


def test_db_may_be_a_plain_file_path_whose_folder_is_then_the_lab(tmp_path: Path) -> None:
    lab, elsewhere = tmp_path / "lab", tmp_path / "elsewhere"
    elsewhere.mkdir()
    assert _run("evolve", "init", cwd=tmp_path, home=lab).returncode == 0
    listed = _run("promote", "list", "--db", "../lab/research.db", cwd=elsewhere)
    assert listed.returncode == 0, listed.stderr
    status = _run("evolve", "status", "--db", str(lab / "research.db"), cwd=elsewhere)
    assert status.returncode == 0 and f"lab home: {lab}" in status.stdout
    assert list(elsewhere.iterdir()) == []
