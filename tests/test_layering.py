"""The layering of DESIGN.md's table, read from the code: every import, at module or function
level (type-checking ones included), of one of the lab's packages by another is one the table
allows. The commands' `cli.py` modules may also compose `evolve`, `promotion` and `live`."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PRODUCT = {
    "genome",
    "market",
    "fitness",
    "evolve",
    "promotion",
    "live",
    "store",
    "configs",
    "dashboard",
}
LAB = PRODUCT | {"labkit", "bench", "tests"}

# What each folder may import besides itself and `configs` (the leaf everyone may import).
ALLOWED: dict[str, set[str]] = {
    "configs": set(),
    "genome": set(),
    "market": set(),
    "fitness": {"genome", "market"},
    "store": {"genome", "market", "fitness"},  # market and fitness for their types only
    "evolve": {"genome", "market", "fitness", "store"},
    "promotion": {"genome", "market", "fitness", "store"},
    "live": {"genome", "market", "fitness", "store"},
    "dashboard": {"genome", "market", "fitness", "evolve", "promotion", "live", "store"},
    "labkit": PRODUCT,  # the test kit; nothing in the product imports it
    "bench": PRODUCT | {"labkit"},
    "tests": PRODUCT | {"labkit"},
}
COMPOSERS = {"evolve", "promotion", "live"}  # what a command's cli.py may compose


def lab_imports() -> list[tuple[str, int, str, list[str]]]:
    """(file, line, imported module, imported names) for every import of a lab package."""
    found = []
    for folder in sorted(LAB):
        for path in sorted((ROOT / folder).rglob("*.py")):
            tree = ast.parse(path.read_text(), str(path))
            for node in ast.walk(tree):
                modules: list[tuple[str, list[str]]]
                if isinstance(node, ast.Import):
                    modules = [(alias.name, []) for alias in node.names]
                elif isinstance(node, ast.ImportFrom):
                    assert node.level == 0, f"{path}:{node.lineno}: a relative import"
                    modules = [(node.module or "", [alias.name for alias in node.names])]
                else:
                    continue
                for module, names in modules:
                    if module.split(".")[0] in LAB:
                        found.append((str(path.relative_to(ROOT)), node.lineno, module, names))
    return found


def refusal(file: str, module: str) -> str | None:
    """Why the table refuses `file` importing `module`, or None when it allows it."""
    importer, imported = file.split("/")[0], module.split(".")[0]
    if imported in (importer, "configs") and importer != "configs":
        return None
    if importer == "configs" and imported == "configs":
        return None
    if imported in ALLOWED[importer]:
        return None
    if Path(file).name == "cli.py" and importer in COMPOSERS and imported in COMPOSERS:
        return None
    return f"{importer}/ may import {sorted(ALLOWED[importer] | {'configs'}) or 'nothing'}"


def test_every_import_is_one_the_table_allows() -> None:
    faults = [
        f"{file}:{line} imports {module}: {why}"
        for file, line, module, _ in lab_imports()
        if (why := refusal(file, module)) is not None
    ]
    assert not faults, "\n".join(faults)


def test_tests_share_helpers_through_builders_only() -> None:
    # A test module imports the product, `tests.builders`, and nothing of another test module.
    faults = [
        f"{file}:{line} imports {module}"
        for file, line, module, _ in lab_imports()
        if file.startswith("tests/")
        and module.startswith("tests")
        and not module.startswith("tests.builders")
    ]
    assert not faults, "\n".join(faults)


def test_store_imports_only_types_from_fitness_and_market() -> None:
    for file, line, module, names in lab_imports():
        if file.startswith("store/") and module.startswith(("fitness", "market")):
            source = importlib.import_module(module)
            for name in names:
                assert isinstance(getattr(source, name), type), f"{file}:{line}: {name}"


@pytest.mark.parametrize(
    ("file", "module", "allowed"),
    [
        ("fitness/backtest.py", "genome.text", True),
        ("fitness/score.py", "market.panel", True),
        ("market/panel.py", "fitness.windows", False),
        ("market/panel.py", "genome.kernels_nb", False),
        ("genome/text.py", "market.panel", False),
        ("configs/commands.py", "store.database", False),
        ("evolve/reports.py", "promotion.lifecycle", False),
        ("evolve/cli.py", "promotion.gating", True),
        ("live/cli.py", "dashboard.app", False),
        ("dashboard/app.py", "promotion.review", True),
        ("tests/test_x.py", "bench.power", False),
        ("bench/power.py", "tests.builders", False),
        ("live/trader.py", "labkit.alpaca_trading", False),
        ("tests/live/test_x.py", "labkit.alpaca_trading", True),
    ],
)
def test_the_rule_itself(file: str, module: str, allowed: bool) -> None:
    assert (refusal(file, module) is None) is allowed
