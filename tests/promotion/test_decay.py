"""The decay watch's CUSUM: its threshold gives the promised false-alarm rate, it finds an edge
that is gone, and it refuses a validation window that promised nothing."""

from __future__ import annotations

import numpy as np
import pytest

from promotion.decay import cusum_threshold, decay_watch
from promotion.statistics import StatisticsError


def _run_lengths(
    shift: float, k: float, h: float, paths: int, horizon: int, seed: int
) -> np.ndarray:
    # Sessions until C_t > h for standardised returns of mean `shift` (capped at `horizon`).
    rng = np.random.default_rng(seed)
    c = np.zeros(paths)
    length = np.full(paths, horizon)
    running = np.ones(paths, dtype=bool)
    for t in range(horizon):
        z = rng.standard_normal(paths) + shift
        c = np.maximum(0.0, c - z - k)
        crossed = running & (c > h)
        length[crossed] = t + 1
        running &= ~crossed
        if not running.any():
            break
    return length


@pytest.mark.parametrize(("k", "arl"), [(0.025, 1260), (0.05, 500), (0.1, 252)])
def test_the_threshold_keeps_the_promised_false_alarm_rate(k: float, arl: int) -> None:
    h = cusum_threshold(k, arl)
    lengths = _run_lengths(0.0, k, h, paths=2000, horizon=20 * arl, seed=7)
    # Siegmund's approximation is within a few per cent; 2000 paths give about +-2.5 %.
    assert abs(lengths.mean() / arl - 1) < 0.12, lengths.mean()
    # An edge gone to zero (the mean falls by 2k) is found much sooner.
    gone = _run_lengths(-2 * k, k, h, paths=1000, horizon=20 * arl, seed=8)
    assert gone.mean() < arl / 2


def test_an_edge_that_holds_is_left_alone_and_one_that_is_gone_is_found() -> None:
    rng = np.random.default_rng(3)
    validation = rng.normal(0.001, 0.01, 1500)  # daily Sharpe ~0.1 (1.6 a year)
    m, s = validation.mean(), validation.std(ddof=1)
    k = m / s / 2
    holding = decay_watch(rng.normal(m, s, 250), validation, arl_sessions=1260)
    assert not holding.alarm and holding.alarm_day is None
    assert holding.n_days == 250 and holding.threshold > 0
    assert abs(holding.expected_sharpe - m / s * np.sqrt(252)) < 1e-12
    assert holding.sharpe is not None and holding.psr is not None and 0 < holding.psr < 1
    gone = decay_watch(rng.normal(-m, s, 750), validation, arl_sessions=1260)
    assert gone.alarm and gone.alarm_day is not None and gone.alarm_day < 750
    assert gone.peak > gone.threshold and gone.psr is not None and gone.psr < 0.01
    # One that crossed and recovered since is no longer proposed for retirement.
    recovered = decay_watch(
        np.concatenate([rng.normal(-m, s, 750), rng.normal(4 * m, s, 750)]), validation, 1260
    )
    assert recovered.alarm_day is not None and not recovered.alarm
    assert recovered.cusum < recovered.threshold < recovered.peak
    # Three days by hand: C falls back to 0 on a good day and grows on bad ones.
    z = np.array([-1.0, 2.0, -3.0])
    three = decay_watch(m + s * z, validation, arl_sessions=1260)
    c1 = max(0.0, 1.0 - k)
    c2 = max(0.0, c1 - 2.0 - k)
    c3 = max(0.0, c2 + 3.0 - k)
    assert three.cusum == pytest.approx(c3) and three.peak == pytest.approx(max(c1, c3))


def test_a_validation_window_without_an_edge_is_refused() -> None:
    with pytest.raises(StatisticsError, match="promise no edge"):
        decay_watch(np.zeros(10), np.full(100, -0.001) + np.arange(100) * 1e-6, 1260)
    with pytest.raises(StatisticsError, match="k > 0"):
        cusum_threshold(0.0, 100)
