"""Factor portfolios and exposures (fitness.factors): what a rule is a bet on, on real data,
with no look-ahead."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from configs import load_config
from fitness.buy_and_hold import buy_and_hold, in_slots
from fitness.factors import FACTORS, exposures, factor_returns
from fitness.score import WindowScorer
from fitness.windows import Window, build_windows
from genome.text import parse
from market.panel import Panel
from market.sources import load_panel


@pytest.fixture(scope="module")
def validation() -> tuple[Panel, Window]:
    config = load_config()
    panel, _ = load_panel(config.data, config.alpaca)
    return panel, build_windows(panel, config.windows, config.backtest)["validation"]


def test_each_rule_shows_the_bet_it_makes(validation: tuple[Panel, Window]) -> None:
    panel, window = validation
    rules = load_config().backtest
    factors = factor_returns(panel, window)
    assert factors.shape == (window.n_days, len(FACTORS))
    market = buy_and_hold(panel, window, rules).result.returns

    def bets(text: str) -> dict[str, tuple[float, float]]:
        returns = WindowScorer(panel, window, rules).score(parse(text)).result.returns
        found = exposures(returns, market, factors)
        assert found is not None and found.days == window.n_days
        return {k: (e.beta, e.t or 0.0) for k, e in found.by_factor.items()}

    # The always-on rule in the account's slots holds the most liquid names: a liquidity bet.
    slots = exposures(in_slots(panel, window, rules).result.returns, market, factors)
    assert slots is not None
    assert slots.by_factor["liquidity"].beta > 0.3 and (slots.by_factor["liquidity"].t or 0) > 5
    momentum = bets("gt(rank(change(close, 252)), 0.7)")
    assert max(FACTORS, key=lambda k: momentum[k][1]) == "momentum 12-1"
    assert momentum["momentum 12-1"][0] > 0.2
    assert bets("lt(rank(std(ret, 50)), 0.3)")["low volatility"][0] > 0.2
    assert bets("gt(rank(std(ret, 50)), 0.7)")["low volatility"][0] < -0.2


def test_a_factor_return_uses_nothing_after_its_day(validation: tuple[Panel, Window]) -> None:
    panel, window = validation
    whole = factor_returns(panel, window)
    day = window.start + 400  # a day of the window, in the panel's rows
    rng = np.random.default_rng(3)
    later = np.zeros(panel.close.shape, dtype=bool)
    later[day + 1 :] = True
    changed = dataclasses.replace(
        panel,
        close=np.where(later, panel.close * rng.uniform(0.5, 2.0, panel.close.shape), panel.close),
        volume=np.where(later, panel.volume * 7.0, panel.volume),
    )
    cut = factor_returns(changed, window)
    upto = day - window.start + 1
    np.testing.assert_array_equal(cut[:upto], whole[:upto])
    assert not np.array_equal(cut[upto:], whole[upto:])  # the change is seen after the day


def test_exposures_recover_planted_betas_and_refuse_what_cannot_be_estimated() -> None:
    rng = np.random.default_rng(11)
    market = rng.normal(0.0004, 0.01, 2000)
    factors = rng.normal(0.0, 0.005, (2000, len(FACTORS)))
    returns = 0.6 * market + 0.8 * factors[:, 0] - 0.5 * factors[:, 2] + rng.normal(0, 0.002, 2000)
    found = exposures(returns, market, factors)
    assert found is not None and found.r_squared > 0.9
    betas = {k: e.beta for k, e in found.by_factor.items()}
    assert list(betas) == ["market", *FACTORS]
    assert betas["market"] == pytest.approx(0.6, abs=0.03)
    assert betas["liquidity"] == pytest.approx(0.8, abs=0.05)
    assert betas["momentum 12-1"] == pytest.approx(0.0, abs=0.05)
    assert betas["low volatility"] == pytest.approx(-0.5, abs=0.05)
    assert abs(found.by_factor["momentum 12-1"].t or 0) < 4 < (found.by_factor["liquidity"].t or 0)
    assert exposures(returns[:5], market[:5], factors[:5]) is None
    broken = returns.copy()
    broken[7] = np.nan
    assert exposures(broken, market, factors) is None
    # A factor that cannot be formed (all zero): betas, but no t statistics.
    flat = factors.copy()
    flat[:, 1] = 0.0
    found = exposures(returns, market, flat)
    assert found is not None and all(e.t is None for e in found.by_factor.values())
