"""Text that reaches a terminal: control characters escaped, long texts cut with their length."""

from __future__ import annotations

import sqlite3
import subprocess
import urllib.request
from contextlib import contextmanager
from pathlib import Path

from configs import load_config
from configs.output import shown
from tests.builders.browser import serve
from tests.builders.cli import (
    DEADLINE_SECONDS,
    EVOLVE,
    evolve,
    lab_environment,
    lab_folder,
    live,
    promote,
)
from tests.builders.labs import add_candidate, review_lab
from tests.builders.live_lab import STRATEGIES, approve


def test_control_characters_are_escaped_and_long_texts_cut() -> None:
    assert shown("gt(close, \x1b]0;owned\x07)") == "gt(close, \\x1b]0;owned\\x07)"
    assert shown("a\nb") == "a\\nb"
    assert shown("x" * 1000, 10) == "xxxxxxxxxx... (1,000 characters)"
    assert shown("plain") == "plain"


def test_a_typed_genome_with_an_escape_sequence_is_echoed_escaped(tmp_path: Path) -> None:
    done = subprocess.run(
        [EVOLVE, "backtest", "gt(close, \x1b]0;owned\x07 sma(close, 5))"],
        cwd=tmp_path,
        env=lab_environment(tmp_path),
        capture_output=True,
        text=True,
        timeout=DEADLINE_SECONDS,
    )
    assert done.returncode == 2
    assert "\x1b" not in done.stderr and "\\x1b]0;owned\\x07" in done.stderr


def test_a_lab_home_and_a_reviewer_name_with_control_characters_are_printed_escaped(
    tmp_path: Path,
) -> None:
    # They were printed raw: a newline split the line, an escape sequence reached the terminal.
    home = tmp_path / "lab\x1b[31m\nsecond line"
    made = evolve("init", cwd=tmp_path, env={"LAB_HOME": str(home)})
    assert made.returncode == 0, made.stderr
    for command, run in (("status", evolve), ("status", live), ("halt", live)):
        args = ("halt", "--reason", "test") if command == "halt" else (command,)
        done = run(*args, cwd=tmp_path, env={"LAB_HOME": str(home)})
        assert "\x1b" not in done.stdout and "\nsecond line" not in done.stdout, done.stdout
        assert "lab\\x1b[31m\\nsecond line" in done.stdout
    lab = lab_folder(tmp_path, "review")
    review_lab(lab)[3].close()
    number = str(add_candidate(f"sqlite:///{lab / 'research.db'}", "gt(close, sma(close, 50))"))
    who = "dana\x1b]0;owned\x07\nroot"
    decided = promote("reject", number, "--note", "no", cwd=lab, user=who)
    assert decided.returncode == 0, decided.stderr
    shown_lines = promote("show", number, cwd=lab).stdout
    assert "\x1b" not in shown_lines and "dana\\x1b]0;owned\\x07\\nroot: reject" in shown_lines


def test_an_account_name_with_an_escape_sequence_is_shown_escaped_on_the_live_page(
    tmp_path: Path,
) -> None:
    lab = lab_folder(tmp_path, "lab")
    approve(f"sqlite:///{lab / 'research.db'}", load_config(), STRATEGIES[:1])
    assert live("run", "--days", "2", "--config", "lab.toml", cwd=lab).returncode == 0
    with sqlite3.connect(lab / "research.db") as db:  # a hand edit
        db.execute("UPDATE live_accounts SET name = ?", ("sim\x1b]0;owned\x07-1",))
    db.close()
    with (
        contextmanager(serve)(lab) as site,
        urllib.request.urlopen(f"{site}/live", timeout=60) as answer,
    ):
        page = answer.read().decode()
    assert "\x1b" not in page and "\x07" not in page
    assert "sim\\x1b]0;owned\\x07-1" in page
