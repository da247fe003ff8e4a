"""The lab's commands run as a user runs them (real subprocesses), and their environment."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.builders.nights import SMALL

EVOLVE, PROMOTE, LIVE = (
    str(Path(sys.executable).with_name(n)) for n in ("evolve", "promote", "live")
)
ROOT = Path(__file__).resolve().parents[2]
# A command's deadline: generous, because the Pi and a busy CI machine are slow; a command that
# passes it has hung.
DEADLINE_SECONDS = 1800


def lab_environment(home: Path | None = None, /, **extra: str) -> dict[str, str]:
    """This process's environment without broker keys or lab settings (APCA_*, LAB_*), with
    LAB_HOME set to `home` when given (the lab in that folder), and `extra`."""
    found = {k: v for k, v in os.environ.items() if not k.startswith(("APCA_", "LAB_"))}
    if home is not None:
        found["LAB_HOME"] = str(home)
    return found | extra


def evolve(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """`evolve ARGS` for the lab in `cwd`."""
    return _run(EVOLVE, args, cwd, lab_environment(cwd, **(env or {})))


def promote(
    *args: str,
    cwd: Path,
    stdin: str | None = None,
    user: str = "dana",
    env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """`promote ARGS` for the lab in `cwd`, as the user `user` (answering `stdin`)."""
    environment = lab_environment(cwd, USER=user, LOGNAME=user, **(env or {}))
    return _run(PROMOTE, args, cwd, environment, stdin)


def live(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """`live ARGS` for the lab in `cwd`."""
    return _run(LIVE, args, cwd, lab_environment(cwd, **(env or {})))


def bench(*args: str) -> subprocess.CompletedProcess[str]:
    """`python -m bench ARGS` in the project's folder: tests run the benchmarks as programs and
    read their results, and never import them."""
    return _run(sys.executable, ("-m", "bench", *args), ROOT, lab_environment())


def lab_folder(tmp_path: Path, name: str, extra: str = "") -> Path:
    """A new folder `name` whose lab.toml is the small test lab plus `extra` (not yet a lab:
    its first night, or `init_lab`, makes it one)."""
    folder = tmp_path / name
    folder.mkdir()
    (folder / "lab.toml").write_text(SMALL + extra)
    return folder


def at_step(
    step: int, folder: Path, command: tuple[str, ...], sent: str = "KILL", steps: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """`command` (console script and arguments) for the lab in `folder`, sent SIG`sent` just
    before its `step`-th database step (tests/builders/killed_at_step.py; 0: never), every step
    listed in `steps` when given."""
    extra = {"PYTHONPATH": str(ROOT), "LAB_STEP_SIGNAL": sent}
    if steps is not None:
        extra["LAB_STEPS_FILE"] = str(steps)
    module = ("-m", "tests.builders.killed_at_step", str(step), *command)
    return _run(sys.executable, module, folder, lab_environment(folder, **extra))


def init_lab(folder: Path) -> Path:
    """Make `folder` a lab (`evolve init`): commands other than the first night refuse a
    folder that is not one."""
    folder.mkdir(parents=True, exist_ok=True)
    done = evolve("init", cwd=folder)
    assert done.returncode == 0, done.stderr
    return folder


def _run(
    program: str, args: tuple[str, ...], cwd: Path, env: dict[str, str], stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [program, *args],
        cwd=cwd,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=DEADLINE_SECONDS,
    )
