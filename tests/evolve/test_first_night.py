"""A first night on a fresh install: its kernels compiled before the budget's clock starts (by
the set-up's warm-up, or by the night itself), its charts drawn from one generation, and the
next step said at its end."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import matplotlib.image
import numpy as np

from evolve.charts import lineage_chart
from evolve.night_report import next_step
from evolve.run_summary import NewCandidate, RunSummary
from evolve.status import History
from tests.builders.cli import DEADLINE_SECONDS, ROOT, evolve, lab_environment, lab_folder


def compiled(cache: Path) -> dict[str, tuple[int, int]]:
    """numba's cache files: name -> (size, modification time)."""
    return {
        str(p.relative_to(cache)): (p.stat().st_size, p.stat().st_mtime_ns)
        for p in cache.rglob("*")
        if p.suffix in (".nbi", ".nbc")
    }


def test_after_the_warm_up_a_night_compiles_nothing(tmp_path: Path) -> None:
    cache = tmp_path / "numba"  # a fresh install's: empty
    env = {"NUMBA_CACHE_DIR": str(cache)}
    warm = subprocess.run(
        [sys.executable, "-m", "fitness.warm"],
        cwd=ROOT,
        env=lab_environment(**env),
        capture_output=True,
        text=True,
        timeout=DEADLINE_SECONDS,
    )
    assert warm.returncode == 0, warm.stderr
    assert "the numba kernels are ready" in warm.stdout
    ready = compiled(cache)
    assert len(ready) > 20
    lab = lab_folder(tmp_path, "lab")
    lab.joinpath("lab.toml").write_text(
        lab.joinpath("lab.toml").read_text().replace("workers = 1", "workers = 2")
    )
    night = evolve("nightly", "--discovery", "--generations", "2", cwd=lab, env=env)
    assert night.returncode == 0, night.stderr
    assert compiled(cache) == ready  # the workers and the gate loaded every kernel they ran
    log = night.stderr
    assert log.index("numba kernels ready") < log.index("generation 1")
    assert night.stdout.rstrip().splitlines()[-2].startswith("next: ")


def test_a_cold_night_compiles_before_its_budget_clock_starts(tmp_path: Path) -> None:
    cache = tmp_path / "numba"
    lab = lab_folder(tmp_path, "lab")
    night = evolve(
        "nightly", "--discovery", "--generations", "1", cwd=lab, env={"NUMBA_CACHE_DIR": str(cache)}
    )
    assert night.returncode == 0, night.stderr
    # The warm-up compiled the kernels (the cache was empty) and said so before the generation.
    assert compiled(cache)
    log = night.stderr
    assert log.index("numba kernels ready") < log.index("generation 1")


def test_the_next_step_is_the_review_when_something_waits_else_where_to_look() -> None:
    found = RunSummary(candidates=[NewCandidate(1, "a")])
    assert next_step(found, waiting=2).startswith("next: 2 candidate(s) passed the gate")
    assert "`promote review`" in next_step(found, waiting=2)
    nothing = next_step(found, waiting=0)
    assert "nothing passed the gate" in nothing and "`promote show N`" in nothing
    assert "no new candidate" in next_step(RunSummary(), waiting=0)
    assert all(len(text.splitlines()) <= 2 for text in (nothing, next_step(found, 2)))


def test_a_lineage_of_one_generation_is_drawn() -> None:
    one = History(number=[1], best=[0.4], median=[-0.2], diversity=[1.3], archive=[12], events=[])
    image = io.BytesIO()
    lineage_chart(one, image, "png")
    pixels = (matplotlib.image.imread(io.BytesIO(image.getvalue()))[..., :3] * 255).round()
    # Diversity (green) and archive size (purple) have no legend: their colour on the chart is
    # the generation's point (a line of one point draws nothing).
    for colour in ((0x2C, 0xA0, 0x2C), (0x94, 0x67, 0xBD)):
        assert (np.abs(pixels - colour).sum(axis=-1) < 30).sum() > 10, colour
