"""One name, one thing: no two public classes of the lab share a name, so that a reader (or a
search) never has to ask which `Window` or which `Night` is meant."""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FOLDERS = ("configs", "dashboard", "evolve", "fitness", "genome", "live", "promotion", "store")


def test_no_two_public_classes_share_a_name() -> None:
    where: dict[str, list[str]] = defaultdict(list)
    for folder in (*FOLDERS, "bench"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            for node in ast.parse(path.read_text(), str(path)).body:
                if isinstance(node, ast.ClassDef) and not node.name.startswith("_"):
                    where[node.name].append(str(path.relative_to(ROOT)))
    assert len(where) > 100  # the walk found the classes
    assert {name: files for name, files in where.items() if len(files) > 1} == {}
