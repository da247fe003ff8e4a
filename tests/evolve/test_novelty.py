"""The novelty archive: admission by an adaptive threshold, a bound with its replacement rule,
and novelty as the mean distance to the k nearest."""

from __future__ import annotations

import numpy as np
import pytest

from evolve.novelty import LOWER, RAISE, NoveltyArchive, novelty


def _points(*rows: list[float]) -> list[np.ndarray | None]:
    return [np.array(r, dtype=float) for r in rows]


def test_novelty_is_the_mean_distance_to_the_k_nearest_others() -> None:
    population = _points([0.0, 0.0], [3.0, 0.0], [0.0, 4.0])
    archive = [np.array([0.0, 1.0])]
    got = novelty(population, archive, k=2)
    # (0,0): others at 3, 4, 1 -> nearest two 1, 3 -> 2.0
    assert got[0] == pytest.approx(2.0)
    # (3,0): 3, 5, sqrt(10) -> 3 and 3.1623
    assert got[1] == pytest.approx((3.0 + np.sqrt(10.0)) / 2)


def test_a_failed_genome_has_no_novelty_and_fewer_neighbours_than_k_are_averaged() -> None:
    got = novelty([None, np.array([1.0]), np.array([3.0])], [], k=20)
    assert got[0] == 0.0 and got[1] == pytest.approx(2.0) and got[2] == pytest.approx(2.0)


def test_admission_beats_the_threshold_and_the_threshold_adapts() -> None:
    archive = NoveltyArchive(size=10, threshold=1.0, population=50)  # crowd = 1
    ids = ["a", "b", "c"]
    points = _points([0.0], [5.0], [10.0])
    joined = archive.admit(ids, points, np.array([0.5, 2.0, 3.0]), generation=1)
    assert joined == 2 and [m.genome_id for m in archive.members] == ["c", "b"]
    assert archive.threshold == pytest.approx(RAISE)  # 2 joined > crowd of 1
    # The same genomes never join twice; nobody new joining lowers the threshold.
    assert archive.admit(ids, points, np.array([9.0, 9.0, 9.0]), generation=2) == 1
    assert archive.admit(["c"], _points([10.0]), np.array([9.0]), generation=3) == 0
    assert archive.threshold == pytest.approx(RAISE * LOWER)


def test_a_full_archive_drops_its_most_crowded_member() -> None:
    archive = NoveltyArchive(size=3, threshold=0.0, population=50)
    ids = ["far", "near1", "near2", "mid"]
    points = _points([100.0], [0.0], [0.1], [50.0])
    archive.admit(ids, points, np.array([4.0, 3.0, 2.0, 1.0]), generation=1)
    kept = sorted(m.genome_id for m in archive.members)
    # near1 and near2 are each other's nearest (0.1): one of the pair leaves, by id on the tie.
    assert kept == ["far", "mid", "near2"]
    assert len(archive.members) == 3


def test_the_archive_stays_bounded_under_many_admissions() -> None:
    rng = np.random.default_rng(3)
    archive = NoveltyArchive(size=25, threshold=0.0, population=100)
    for generation in range(10):
        points = list(rng.normal(size=(30, 4)))
        ids = [f"g{generation}-{i}" for i in range(30)]
        archive.admit(ids, points, np.ones(30), generation)
        assert len(archive.members) <= 25
    assert len({m.genome_id for m in archive.members}) == 25
