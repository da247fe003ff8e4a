"""`--version` on every program of the lab: the package's version with the commit of the
checkout it runs from (what every stored result records), in a real subprocess."""

from __future__ import annotations

import subprocess
from importlib.metadata import version

import pytest

from configs.version import code_version
from tests.builders.cli import EVOLVE, LIVE, PROMOTE, ROOT, lab_environment


@pytest.mark.parametrize(
    ("program", "name"),
    [(EVOLVE, "evolve"), (PROMOTE, "promote"), (LIVE, "live"), (EVOLVE, "evolve data")],
)
def test_every_program_prints_its_version_and_the_commit_it_runs_from(
    program: str, name: str
) -> None:
    words = name.split()[1:]
    done = subprocess.run(
        [program, *words, "--version"],
        capture_output=True,
        text=True,
        env=lab_environment(),
        cwd=ROOT,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"{name} (gplab) {version('gplab')}")
    assert code_version() in done.stdout
    head = subprocess.run(
        ["git", "rev-parse", "HEAD"], capture_output=True, text=True, cwd=ROOT, check=False
    ).stdout.strip()
    if head:  # a checkout (CI clones one)
        assert f"+{head[:12]}" in done.stdout
