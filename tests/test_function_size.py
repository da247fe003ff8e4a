"""Functions stay small enough to read at once: none in the lab's code is over 80 lines, except
the numba kernels (one compiled loop over flat arrays) and the migrations (written once, never
changed), and the dashboard's `make_app` only mounts the pages (under 60). Counted from the
`def` line to the last line of the body, docstring and comments included."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FOLDERS = (
    "configs",
    "dashboard",
    "evolve",
    "fitness",
    "genome",
    "labkit",
    "live",
    "market",
    "promotion",
    "store",
)
LIMIT = 80


def _compiled(node: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    return any("njit" in ast.unparse(decorator) for decorator in node.decorator_list)


def function_sizes(folders: tuple[str, ...]) -> dict[str, int]:
    """`file:line name` -> lines, for every function and method in `folders`."""
    sizes = {}
    for folder in folders:
        for path in sorted((ROOT / folder).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            for node in ast.walk(ast.parse(path.read_text(), str(path))):
                if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and not _compiled(node):
                    where = f"{path.relative_to(ROOT)}:{node.lineno} {node.name}"
                    sizes[where] = (node.end_lineno or node.lineno) - node.lineno + 1
    return sizes


def test_no_function_is_over_80_lines() -> None:
    sizes = function_sizes((*FOLDERS, "bench"))
    assert len(sizes) > 500  # the walk found the code
    too_long = {where: lines for where, lines in sizes.items() if lines > LIMIT}
    assert too_long == {}


def test_make_app_only_mounts_the_pages() -> None:
    (lines,) = [n for where, n in function_sizes(("dashboard",)).items() if "make_app" in where]
    assert lines < 60


def test_the_numba_kernels_are_the_only_ones_left_out() -> None:
    left_out = []
    for folder in FOLDERS:
        for path in sorted((ROOT / folder).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, ast.FunctionDef) and _compiled(node):
                    left_out.append(path.parts[-1])
    assert set(left_out) <= {"simulate_nb.py", "kernels_nb.py", "rank_ic_nb.py", "index_nb.py"}
