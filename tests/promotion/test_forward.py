"""The forward record's figures against plain references, its deflation by the strategies
followed forward only, and the incubation test's two conditions."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pytest

from configs import IncubationConfig
from promotion.forward import forward_record, incubation_test


def _days(n: int, first: dt.date = dt.date(2020, 1, 2)) -> list[dt.date]:
    return [first + dt.timedelta(days=i) for i in range(n)]


def _with_mean(rng: np.random.Generator, mean: float, sd: float, n: int) -> np.ndarray:
    # Noise of exactly this sample mean.
    noise = rng.normal(0, sd, n)
    return noise - noise.mean() + mean


def test_the_figures_match_plain_references() -> None:
    rng = np.random.default_rng(5)
    market = rng.normal(0.0003, 0.01, 200)
    strategy = 0.6 * market + _with_mean(rng, 0.0008, 0.008, 200)
    record = forward_record(_days(200), strategy, market, followed=1)
    sd = strategy.std(ddof=1)
    assert record.sessions == 200
    assert record.sharpe == pytest.approx(strategy.mean() / sd * math.sqrt(252))
    beta = np.cov(market, strategy)[0, 1] / market.var(ddof=1)
    assert record.beta == pytest.approx(beta)
    assert record.alpha == pytest.approx((strategy.mean() - beta * market.mean()) * 252)
    # One strategy followed: the deflated figure is the plain probability that Sharpe > 0.
    assert record.psr is not None and 0.5 < record.psr < 1
    assert record.dsr == pytest.approx(record.psr, abs=1e-9)
    assert "forward 2020-01-02..2020-07-19 (200 sessions): Sharpe" in record.text()


def test_the_deflation_counts_the_strategies_followed_and_lowers_the_figure() -> None:
    rng = np.random.default_rng(6)
    strategy = _with_mean(rng, 0.001, 0.01, 120)
    market = rng.normal(0, 0.01, 120)
    alone, among_ten = (forward_record(_days(120), strategy, market, n) for n in (1, 10))
    assert alone.psr == among_ten.psr
    assert alone.dsr is not None and among_ten.dsr is not None
    assert among_ten.dsr < alone.dsr
    assert "deflated for 10 strategies followed forward" in among_ten.text()


def test_too_few_sessions_give_no_figures() -> None:
    empty = forward_record([], np.array([]), np.array([]), followed=3)
    assert empty.sessions == 0 and empty.sharpe is None and empty.psr is None
    assert empty.text() == "forward: no session since its gate report yet"
    flat = forward_record(_days(5), np.zeros(5), np.zeros(5), followed=3)
    assert flat.sharpe is None and flat.alpha is None and "too few sessions" in flat.text()


def test_the_incubation_test_needs_both_the_sessions_and_the_confidence() -> None:
    rng = np.random.default_rng(7)
    good = _with_mean(rng, 0.002, 0.01, 100)  # a daily Sharpe near 0.2: P(Sharpe > 0) near 1
    days = _days(100)
    record = forward_record(days, good, rng.normal(0, 0.01, 100), followed=2)
    rules = IncubationConfig(sessions=63, confidence=0.9)
    # Approved on the 20th forward session: 80 sessions on paper since, enough.
    ready = incubation_test(record, days[19], rules)
    assert ready.sessions == 80 and ready.passed
    assert "incubation test passed: 80 of 63 sessions since approval" in ready.text()
    # Approved on the 50th: 50 sessions since, too few however good they are.
    early = incubation_test(record, days[49], rules)
    assert early.sessions == 50 and not early.passed
    # A record no better than chance fails the confidence after any number of sessions.
    noise = forward_record(days, _with_mean(rng, -0.0005, 0.01, 100), good, followed=2)
    assert not incubation_test(noise, days[0] - dt.timedelta(days=1), rules).passed
    # No incubation asked for: the confidence alone decides.
    assert incubation_test(record, days[-1], IncubationConfig(0, 0.9)).passed
