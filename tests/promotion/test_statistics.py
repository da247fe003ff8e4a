"""The gate's statistics: the DSR paper's worked example, hand-checkable CSCV cohorts, and clear
errors for input no statistic is defined for."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from promotion import (
    StatisticsError,
    dsr,
    effective_trials,
    expected_max_sharpe,
    min_trl,
    pass_line,
    pbo,
    psr,
)

# The worked example of Bailey & López de Prado (2014): annual Sharpe 2.5 over 1250 days,
# skew -3, raw kurtosis 10, annual variance of the trials' Sharpe 1/2.
SR = 2.5 / math.sqrt(250)
V = 0.5 / 250


def test_the_expected_maximum_of_100_trials_is_the_papers() -> None:
    assert expected_max_sharpe(100, V) == pytest.approx(0.1132, abs=1e-4)


@pytest.mark.parametrize(
    ("n_trials", "skew", "kurtosis", "expected"),
    [
        (100, -3.0, 10.0, 0.9004),  # rejected: below 0.95
        (46, -3.0, 10.0, 0.9505),  # fewer trials: accepted
        (88, 0.0, 3.0, 0.9505),  # normal returns
    ],
)
def test_the_deflated_sharpe_of_the_papers_worked_example(
    n_trials: int, skew: float, kurtosis: float, expected: float
) -> None:
    assert dsr(SR, 1250, skew, kurtosis, n_trials, V) == pytest.approx(expected, abs=1e-4)


def test_psr_against_zero_and_a_single_trial_dsr_agree() -> None:
    assert dsr(SR, 1250, -3, 10, 1, V) == psr(SR, 1250, -3, 10)
    # Normal returns: Z(SR sqrt(T-1) / sqrt(1 + SR^2 / 2)).
    expected = 0.5 * (1 + math.erf(SR * math.sqrt(1249) / math.sqrt(1 + SR**2 / 2) / math.sqrt(2)))
    assert psr(SR, 1250, 0, 3) == pytest.approx(expected, rel=1e-12)


def test_min_trl_is_where_psr_reaches_the_confidence() -> None:
    sr, skew, kurt = 0.05, -0.5, 6.0
    n = min_trl(sr, skew, kurt, prob=0.95)
    # PSR uses sqrt(T - 1): at T = MinTRL it is exactly the confidence.
    assert psr(sr, math.ceil(n), skew, kurt) >= 0.95 > psr(sr, math.floor(n) - 1, skew, kurt)
    assert psr(sr, 2, skew, kurt, sr_benchmark=0.0) == pytest.approx(
        0.5 * (1 + math.erf(sr / math.sqrt(1 + 0.5 * sr + 5 / 4 * sr**2) / math.sqrt(2)))
    )


def test_effective_trials_from_the_average_correlation() -> None:
    assert effective_trials(1000, 0.0) == 1000
    assert effective_trials(1000, 1.0) == 1
    assert effective_trials(1000, 0.5) == pytest.approx(500.5)
    assert effective_trials(1000, -0.2) == 1000


@pytest.mark.parametrize(
    ("call", "names"),
    [
        (lambda: psr(0.1, 1, 0, 3), "n_obs"),
        (lambda: psr(float("nan"), 100, 0, 3), "sr"),
        (lambda: psr(0.1, 100, 0, float("inf")), "kurtosis"),
        (lambda: psr(0.1, 100, 0, 0.0), "excess kurtosis"),
        (lambda: psr(0.5, 100, 3.0, 2.0), "inconsistent"),
        (lambda: dsr(0.1, 100, 0, 3, 0, V), "n_trials"),
        (lambda: dsr(0.1, 100, 0, 3, 10, -1.0), "var_trials"),
        (lambda: min_trl(0.0, 0, 3), "not above the benchmark"),
        (lambda: min_trl(0.1, 0, 3, sr_benchmark=0.2), "not above the benchmark"),
        (lambda: min_trl(0.1, 0, 3, prob=1.0), "prob"),
        (lambda: effective_trials(0, 0.1), "n_trials"),
        (lambda: pbo(np.zeros((100, 1))), "at least 2 strategies"),
        (lambda: pbo(np.zeros((100, 4)), n_splits=5), "even"),
        (lambda: pbo(np.zeros((20, 4)), n_splits=16), "blocks of at least 2"),
        (lambda: pbo(np.full((100, 4), np.nan)), "NaN"),
        (lambda: pbo(np.zeros(100)), "matrix"),
    ],
)
def test_invalid_input_raises_a_clear_error(call: object, names: str) -> None:
    with pytest.raises(StatisticsError, match=names):
        call()  # type: ignore[operator]


def test_fewer_than_two_trials_deflate_nothing() -> None:
    assert expected_max_sharpe(1, V) == 0.0
    assert expected_max_sharpe(1.7, V) == 0.0
    assert expected_max_sharpe(500, 0.0) == 0.0


def _mirror_cohort() -> np.ndarray:
    # A's block sums are 1, 2, 4, ..., 2^14 (times 1e-5) and -(2^15 - 1): they add up to zero,
    # and no 8 of them do, so A's in-sample mean always has the opposite sign of its
    # out-of-sample mean. B is -A. The in-sample winner is always the out-of-sample loser.
    rng = np.random.default_rng(3)
    sums = [2.0**k for k in range(15)] + [-(2.0**15 - 1)]
    blocks = []
    for total in sums:
        wiggle = rng.normal(0, 0.01, 10)
        blocks.append(wiggle - wiggle.mean() + total * 1e-5 / 10)
    a = np.concatenate(blocks)
    return np.column_stack([a, -a])


def test_an_in_sample_winner_that_always_loses_out_of_sample_gives_pbo_1() -> None:
    result = pbo(_mirror_cohort(), n_splits=16)
    assert result.n_combinations == 12870
    assert result.pbo == 1.0
    assert (result.logits < 0).all()
    assert result.slope < 0  # the better in sample, the worse out of sample
    assert result.prob_oos_loss == 1.0


def test_one_strategy_that_dominates_every_block_gives_pbo_0() -> None:
    rng = np.random.default_rng(4)
    noise = rng.normal(0, 0.01, (640, 6))
    noise[:, 2] += 0.02  # far better in every block
    result = pbo(noise, n_splits=16)
    assert result.pbo == 0.0
    # It is the best of 6 out of sample every time: rank 6, w = 6/7.
    assert np.allclose(result.logits, math.log(6.0))
    assert result.prob_oos_loss == 0.0


def test_pure_noise_overfits_about_half_the_time() -> None:
    rates = [pbo(np.random.default_rng(s).normal(0, 0.01, (800, 20)), 10).pbo for s in range(8)]
    assert 0.3 < float(np.mean(rates)) < 0.7


def test_strategies_that_never_move_tie_and_count_as_overfit() -> None:
    flat = np.zeros((64, 3))
    result = pbo(flat, n_splits=4)
    assert result.pbo == 1.0 and np.allclose(result.logits, 0.0)


@given(
    sr=st.floats(-0.5, 0.5),
    n=st.integers(2, 5000),
    skew=st.floats(-2, 2),
    extra=st.floats(0.0, 20.0),
)
def test_psr_is_a_probability_and_grows_with_the_sharpe(
    sr: float, n: int, skew: float, extra: float
) -> None:
    kurt = 1 + skew**2 + extra + 0.01
    p = psr(sr, n, skew, kurt)
    assert 0.0 <= p <= 1.0
    assert psr(sr + 0.01, n, skew, kurt) >= p - 1e-12 or sr * skew > 0


@given(n=st.integers(2, 10**6), v=st.floats(1e-6, 1.0))
def test_more_trials_never_lower_the_bar(n: int, v: float) -> None:
    assert expected_max_sharpe(n + 1, v) >= expected_max_sharpe(n, v) > 0


def test_the_pass_line_is_where_the_dsr_reaches_its_threshold() -> None:
    # The README's figures for the default 1,762-day validation window.
    year = math.sqrt(252)
    lines = {n: pass_line(n, 1762, 0.95) * year for n in (5, 50, 1250)}
    assert [round(lines[n], 1) for n in (5, 50, 1250)] == [1.1, 1.5, 1.9]
    for n, line in lines.items():
        at = dsr(line / year, 1762, 0.0, 3.0, n, 1 / 1761)
        assert at == pytest.approx(0.95, abs=1e-9)
