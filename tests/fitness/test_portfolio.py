"""Portfolio-level fitness: the correlation penalty and the score rules, on real returns."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from configs import load_config
from fitness.assess import assess_texts
from fitness.buy_and_hold import beyond, held_anyway, tilt_unpaid
from fitness.portfolio import (
    WORST_FITNESS,
    Blocks,
    consistent_sharpe,
    genome_score,
    highest_correlation,
    portfolio_fitness,
)
from fitness.windows import build_windows
from market.exchange import TRADING_DAYS
from market.sources import load_panel


def _sharpe(r: np.ndarray) -> float:
    return float(r.mean() / r.std(ddof=1) * np.sqrt(TRADING_DAYS))


@pytest.fixture(scope="module")
def live_returns() -> dict[str, np.ndarray]:
    config = load_config(None)
    panel, _ = load_panel(config.data, config.alpaca)
    train = build_windows(panel, config.windows, config.backtest)["train"]
    texts = ["gt(close, sma(close, 200))", "gt(sub(close, sma(close, 200)), 0)"]
    found = assess_texts(train.panel(panel), train, config.backtest, texts)
    assert all(a.returns is not None for a in found)
    return {a.text: a.returns for a in found if a.returns is not None}


def test_a_clone_of_a_live_strategy_scores_below_an_uncorrelated_genome_of_equal_sharpe(
    live_returns: dict[str, np.ndarray],
) -> None:
    live = live_returns["gt(close, sma(close, 200))"]
    # The same rule written differently: another genome id, the same daily returns.
    clone = live_returns["gt(sub(close, sma(close, 200)), 0)"]
    # The same returns in another order: exactly the same Sharpe, (almost) no correlation.
    uncorrelated = np.random.default_rng(7).permutation(live)
    assert _sharpe(clone) == pytest.approx(_sharpe(uncorrelated), rel=1e-9)
    score = genome_score(_sharpe(clone), 100, 5, parsimony=0.002, min_trades=20)
    clone_fitness, clone_rho = portfolio_fitness(score, clone, [live], penalty=0.5)
    other_fitness, other_rho = portfolio_fitness(score, uncorrelated, [live], penalty=0.5)
    assert clone_rho == pytest.approx(1.0)
    assert abs(other_rho) < 0.1
    assert clone_fitness < other_fitness
    assert clone_fitness == pytest.approx(score - 0.5)


def test_the_score_is_sharpe_less_parsimony_and_worst_below_min_trades() -> None:
    assert genome_score(1.2, 50, 10, 0.01, 20) == pytest.approx(1.1)
    assert genome_score(1.2, 19, 10, 0.01, 20) == WORST_FITNESS
    assert genome_score(None, 50, 10, 0.01, 20) == WORST_FITNESS
    assert portfolio_fitness(WORST_FITNESS, None, [], 0.5) == (WORST_FITNESS, 0.0)


def test_correlation_is_zero_for_a_flat_series_and_needs_equal_lengths() -> None:
    assert highest_correlation(np.zeros(10), [np.arange(10.0)]) == 0.0
    assert highest_correlation(np.arange(10.0), [np.zeros(10)]) == 0.0
    assert highest_correlation(np.arange(10.0), [-np.arange(10.0), np.arange(10.0)]) == (
        pytest.approx(1.0)
    )
    with pytest.raises(ValueError, match="equal length"):
        highest_correlation(np.arange(10.0), [np.arange(9.0)])


def test_the_consistent_sharpe_prefers_a_steady_edge_to_one_lucky_stretch() -> None:
    rng = np.random.default_rng(5)
    steady = rng.normal(0.0008, 0.01, 1500)
    # The same days, but the edge all in the second of six blocks and flat elsewhere.
    lucky = np.zeros(1500)
    lucky[250:500] = rng.normal(0.004, 0.01, 250)
    assert _sharpe(lucky) > _sharpe(steady)  # the whole window's Sharpe is fooled
    assert consistent_sharpe(steady, 6) > 1.0 > consistent_sharpe(lucky, 6)
    # By hand: mean less standard error of the six block Sharpe ratios (flat blocks count 0).
    blocks = [_sharpe(b) if b.std() > 0 else 0.0 for b in np.array_split(lucky, 6)]
    expected = np.mean(blocks) - np.std(blocks, ddof=1) / np.sqrt(6)
    assert consistent_sharpe(lucky, 6) == pytest.approx(expected)
    assert consistent_sharpe(steady, 1) == pytest.approx(_sharpe(steady))
    score = genome_score(_sharpe(lucky), 100, 10, 0.002, 20, lucky, Blocks(6))
    assert score == pytest.approx(consistent_sharpe(lucky, 6) - 0.02)
    assert genome_score(_sharpe(lucky), 100, 10, 0.002, 20, lucky, Blocks(1)) == pytest.approx(
        _sharpe(lucky) - 0.02
    )


def test_beyond_buy_and_hold_a_market_slice_scores_nothing_and_an_edge_keeps_its_own() -> None:
    rng = np.random.default_rng(8)
    market = rng.normal(0.001, 0.01, 5000)
    exact_slice = 0.5 * market  # holds half the market: its beta and nothing else
    noisy_slice = 0.5 * market + rng.normal(0.0, 0.001, 5000)
    edge = 0.1 * market + rng.normal(0.00008, 0.003, 5000)  # a small beta and an edge of its own
    plain = [genome_score(_sharpe(r), 100, 10, 0.0, 20, r, Blocks(6)) for r in (noisy_slice, edge)]
    assert plain[0] > plain[1]  # on raw returns the market's drift wins
    beyond = [
        genome_score(_sharpe(r), 100, 10, 0.0, 20, r, Blocks(6), market)
        for r in (noisy_slice, edge)
    ]
    assert beyond[0] < 0.3 < beyond[1]
    assert (
        genome_score(_sharpe(exact_slice), 100, 10, 0.0, 20, exact_slice, Blocks(6), market) == 0.0
    )
    # By hand: the consistent Sharpe of what is left after the least-squares beta.
    beta = np.cov(edge, market, ddof=1)[0, 1] / np.var(market, ddof=1)
    assert beyond[1] == pytest.approx(consistent_sharpe(edge - beta * market, 6))
    assert genome_score(_sharpe(edge), 10, 10, 0.0, 20, edge, Blocks(6), market) == WORST_FITNESS


def test_beyond_both_buy_and_holds_a_slot_tilt_scores_nothing_and_an_edge_keeps_its_own() -> None:
    rng = np.random.default_rng(9)
    universe = rng.normal(0.0004, 0.01, 5000)
    slots = 0.8 * universe + rng.normal(0.0004, 0.006, 5000)  # the most liquid names' tilt
    held = np.column_stack([universe, slots])
    always_on = slots.copy()  # the always-on rule holds exactly the slots
    tilted = 0.2 * universe + 0.7 * slots + rng.normal(0.0, 0.001, 5000)
    edge = 0.5 * slots + rng.normal(0.0004, 0.004, 5000)

    def score(r: np.ndarray, against: np.ndarray) -> float:
        return genome_score(_sharpe(r), 100, 10, 0.0, 20, r, Blocks(6), against)

    assert score(always_on, held) == 0.0  # zero by construction, not by luck
    assert score(always_on, universe) > 0.5  # beyond the universe alone, the tilt was paid
    assert score(tilted, held) < 0.3 < score(tilted, universe)  # noise is all that is left
    assert score(edge, held) > 1.0
    # By hand: the consistent Sharpe of what is left after the two least-squares betas.
    design = np.column_stack([np.ones(5000), held])
    _, b1, b2 = np.linalg.lstsq(design, edge, rcond=None)[0]
    assert score(edge, held) == pytest.approx(
        consistent_sharpe(edge - b1 * universe - b2 * slots, 6)
    )
    # A universe the slots cover whole: the two portfolios are one, and nothing breaks.
    same = np.column_stack([universe, universe])
    assert score(0.5 * universe, same) == 0.0
    assert score(edge, same) == pytest.approx(score(edge, universe))


@pytest.fixture(scope="module")
def held_on_train() -> np.ndarray:
    config = load_config(None)
    panel, _ = load_panel(config.data, config.alpaca)
    train = build_windows(panel, config.windows, config.backtest)["train"]
    return held_anyway(panel, train, config.backtest)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    seed=st.integers(0, 2**32 - 1),
    blocks=st.integers(4, 12),
    where=st.floats(0.0, 0.999),
    strength=st.floats(0.5, 3.0),
    spread=st.sampled_from([1.0, 2.0]),
)
def test_an_edge_that_lives_in_one_block_is_not_preferred_to_a_persistent_one(
    held_on_train: np.ndarray, seed: int, blocks: int, where: float, strength: float, spread: float
) -> None:
    # A market planted on the real train window: each strategy holds the market and the slots
    # with the same betas and the same noise, and earns the same total alpha (annualised Sharpe
    # `strength` over train); one earns it every day, the other in one block of train only.
    # The noise repeats block by block, so that where the alpha lives is all that differs.
    held = held_on_train
    days = len(held) - len(held) % blocks
    held = held[:days]
    rng = np.random.default_rng(seed)
    noise = np.tile(rng.normal(0.0, 0.01, days // blocks), blocks)
    daily = strength * 0.01 / np.sqrt(TRADING_DAYS)
    persistent = np.full(days, daily)
    lucky = np.zeros(days)
    block = int(where * blocks) * (days // blocks)
    lucky[block : block + days // blocks] = daily * blocks
    base = held @ np.array([0.3, 0.6]) + noise
    scores = [
        genome_score(1.0, 100, 10, 0.0, 20, base + alpha, Blocks(blocks, spread), held)
        for alpha in (persistent, lucky)
    ]
    # The persistent edge keeps its alpha; the lucky one gives up `spread` times its own (the
    # plain Sharpe ratio of the whole window could barely tell them apart).
    assert scores[0] - scores[1] > 0.5 * strength * spread
    whole = [
        genome_score(1.0, 100, 10, 0.0, 20, base + a, Blocks(1), held) for a in (persistent, lucky)
    ]
    assert abs(whole[0] - whole[1]) < 0.25 * (scores[0] - scores[1])


def test_an_unpaid_tilt_keeps_its_moves_and_loses_only_its_average_payoff() -> None:
    rng = np.random.default_rng(12)
    universe = rng.normal(0.0004, 0.01, 3000)
    slots = universe + rng.normal(-0.0004, 0.004, 3000)  # a tilt that lost money on average
    held = np.column_stack([universe, slots])
    rule = universe + 0.8 * (slots - universe) + rng.normal(0.0002, 0.002, 3000)
    unpaid = tilt_unpaid(rule, held, 6)
    # By hand: beyond the universe, less the loading times the tilt's mean in each block.
    _, own = beyond(rule, universe)
    _, tilt = beyond(slots, universe)
    loading = np.cov(own, tilt, ddof=1)[0, 1] / np.var(tilt, ddof=1)
    means = np.concatenate([np.full(len(p), p.mean()) for p in np.array_split(tilt, 6)])
    np.testing.assert_allclose(unpaid, own - loading * means)
    assert loading == pytest.approx(0.8, abs=0.05)
    # Paid, the lost tilt sinks the rule; unpaid it does not; removed, its moves go too, and
    # the same alpha looks steadier than it is.
    paid = consistent_sharpe(own, 6)
    kept = consistent_sharpe(unpaid, 6)
    removed = consistent_sharpe(beyond(rule, held)[1], 6)
    assert paid < 0 < kept < removed
