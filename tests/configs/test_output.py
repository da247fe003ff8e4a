"""Text that reaches a terminal: control characters escaped, long texts cut with their length."""

from __future__ import annotations

import subprocess
from pathlib import Path

from configs.output import shown
from tests.builders.cli import DEADLINE_SECONDS, EVOLVE, lab_environment


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
