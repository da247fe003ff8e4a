"""Markets with one planted edge of a chosen kind and strength, built like real ones.

Every market has `n_symbols` symbols on a given calendar, a common market factor with a small
drift, betas between 0.6 and 1.4, fat-tailed noise (Student t, 4 degrees of freedom) whose
volatility wanders slowly (the market's and each symbol's: calm and turbulent spells; daily
volatility about 1.5-2 %), overnight gaps, and a volume that follows its own slow process and
rises on large moves.

The edge: at each close t the kind's **ideal rule** (a genome, `EDGES`) is evaluated on the data
up to t, exactly as the lab evaluates it; the next day's return of each symbol is tilted by
`drift x (signal - share)`, where `share` is the fraction of symbols the rule holds that day
(the market-regime rule holds all or none, so its share is one half). The regime is the
market's volatility, which the drift barely moves: a regime defined by the market's own trend
would feed on its drift and lock the market into one state. The tilt has a mean of
zero across symbols, so buy-and-hold is not helped by it: the edge is selection or timing only.
It lands between the open and the close of day t + 1, so the account, which buys at the open
after a signal, can take it.

`calibrate` finds the drift that gives the ideal rule a chosen annualised Sharpe ratio after
costs, measured by the lab's own backtest on train and validation of a few calibration markets.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from configs import BacktestConfig
from fitness.backtest import backtest
from fitness.metrics import compute_metrics
from genome.evaluate import Evaluator
from genome.text import parse
from market.index_nb import market_nb
from market.panel import Panel

__all__ = ["EDGES", "Edge", "calibrate", "planted_market"]


@dataclass(frozen=True)
class Edge:
    """A kind of edge: its ideal rule, how many sessions of history the rule reads, and whether
    it holds every symbol or none (a market-wide rule)."""

    name: str
    rule: str
    lookback: int
    description: str
    market_wide: bool = False


EDGES: dict[str, Edge] = {
    e.name: e
    for e in (
        Edge(
            "trend",
            "gt(close, sma(close, 100))",
            101,
            "a symbol above its 100-day average drifts up",
        ),
        Edge(
            "momentum",
            "gt(rank(change(close, 20)), 0.8)",
            22,
            "the top fifth by 20-day return drifts up (cross-sectional)",
        ),
        Edge(
            "low_volatility",
            "lt(rank(std(ret, 20)), 0.2)",
            22,
            "the fifth with the lowest 20-day volatility drifts up (cross-sectional)",
        ),
        Edge(
            "breakout",
            "and(gt(close, lag(max(close, 20), 1)), gt(volume, mul(sma(volume, 20), 2)))",
            22,
            "a close above the last 20 days' highest close on twice the average volume",
        ),
        Edge(
            "regime",
            "lt(std(change(market, 1), 20), std(change(market, 1), 100))",
            102,
            "every symbol drifts up while the market is calm (its 20-day volatility below its "
            "100-day volatility) and down otherwise",
            market_wide=True,
        ),
    )
}

_MARKET_DRIFT = 0.0003  # a day: about 7.5 % a year, buy-and-hold's Sharpe about 0.4
_FACTOR_VOL = 0.009
_OVERNIGHT = 0.3  # share of a day's variance that comes before the open


@dataclass(frozen=True)
class _Bars:
    # The few rows the ideal rule reads, as the evaluator wants them.
    open: np.ndarray
    high: np.ndarray
    low: np.ndarray
    close: np.ndarray
    volume: np.ndarray
    market: np.ndarray


def planted_market(
    dates: np.ndarray,
    edge: Edge,
    drift: float,
    seed: int,
    n_symbols: int = 60,
    active: np.ndarray | None = None,
) -> Panel:
    """A market on `dates` ((T,) datetime64[D]) whose only edge is `edge` with daily `drift`
    (0 gives a null market: the same noise, no edge); with `active` ((T,) bool), the edge tilts
    only the days marked (an edge that appears, or dies, part-way). The noise is the same
    whatever `drift` and `active` are."""
    rng = np.random.default_rng(seed)
    n_days = len(dates)
    beta = rng.uniform(0.6, 1.4, n_symbols)
    idio = rng.uniform(0.010, 0.016, n_symbols)
    level = 10 ** rng.uniform(5.5, 7.0, n_symbols)

    def fat(*shape: int) -> np.ndarray:  # Student t(4) with unit variance
        return rng.standard_t(4, shape) / math.sqrt(2.0)

    wander = np.zeros((n_days, n_symbols + 1))  # the last column: the market's
    for t in range(1, n_days):
        wander[t] = 0.98 * wander[t - 1] + 0.35 * math.sqrt(1 - 0.98**2) * rng.normal(
            size=n_symbols + 1
        )
    calm = np.exp(wander - 0.35**2 / 2)
    vol = idio * calm[:, :n_symbols]
    factor = _FACTOR_VOL * calm[:, n_symbols:] * fat(n_days, 2)
    noise = vol[:, :, None] * fat(n_days, n_symbols, 2)
    overnight = math.sqrt(_OVERNIGHT) * (beta * factor[:, :1] + noise[:, :, 0])
    intraday = math.sqrt(1 - _OVERNIGHT) * (beta * factor[:, 1:] + noise[:, :, 1]) + _MARKET_DRIFT
    chatter = np.zeros((n_days, n_symbols))
    for t in range(1, n_days):
        chatter[t] = 0.7 * chatter[t - 1] + 0.35 * rng.normal(size=n_symbols)
    spread = np.abs(rng.normal(0.0, 0.3, (2, n_days, n_symbols))) * vol

    close = np.empty((n_days, n_symbols))
    open_ = np.empty((n_days, n_symbols))
    volume = np.empty((n_days, n_symbols))
    close[0] = open_[0] = rng.uniform(20.0, 100.0, n_symbols)
    volume[0] = level
    tree = parse(edge.rule)
    tilt = np.zeros(n_symbols)
    for t in range(1, n_days):
        open_[t] = close[t - 1] * (1.0 + np.maximum(overnight[t], -0.5))
        day = np.maximum(intraday[t] + tilt, -0.5)
        close[t] = open_[t] * (1.0 + day)
        move = np.abs(close[t] / close[t - 1] - 1.0)
        volume[t] = np.round(level * np.exp(chatter[t] + 8.0 * move))
        tilt = np.zeros(n_symbols)
        live = active is None or (t + 1 < n_days and bool(active[t + 1]))
        if drift and live and t + 1 >= edge.lookback:
            rows = slice(t + 1 - edge.lookback, t + 1)
            index = np.empty(edge.lookback)
            market_nb(close[rows], index)  # the index of the rows read, as it always was
            bars = _Bars(open_[rows], close[rows], close[rows], close[rows], volume[rows], index)
            held = Evaluator(bars).signal(tree)[-1].astype(float)
            share = 0.5 if edge.market_wide else held.mean()
            tilt = drift * (held - share)
    high = np.maximum(open_, close) * (1.0 + spread[0])
    low = np.minimum(open_, close) * (1.0 - spread[1])
    symbols = tuple(f"S{k:02d}" for k in range(n_symbols))
    return Panel(
        np.asarray(dates, dtype="datetime64[D]"),
        symbols,
        open=np.round(open_, 6),
        high=np.round(high, 6),
        low=np.round(low, 6),
        close=np.round(close, 6),
        volume=volume,
        tradable=np.ones((n_days, n_symbols), dtype=bool),
    )


def ideal_sharpe(
    panel: Panel, edge: Edge, rules: BacktestConfig, start: int, stop: int, warmup: int
) -> float:
    """Annualised Sharpe after costs of the ideal rule on days [start, stop) of `panel`, with
    `warmup` sessions before them to feed its lookbacks."""
    data = panel.days(start - warmup, stop)
    signal = Evaluator(data).signal(parse(edge.rule))
    return compute_metrics(backtest(data, signal, rules, start=warmup)).sharpe


def calibrate(
    dates: np.ndarray,
    edge: Edge,
    sharpe: float,
    rules: BacktestConfig,
    span: tuple[int, int],
    warmup: int,
    seeds: tuple[int, ...] = (9001, 9002, 9003),
    n_symbols: int = 60,
) -> float:
    """The daily drift that gives `edge`'s ideal rule an average annualised Sharpe of `sharpe`
    after costs (`rules`) on days `span` of markets with `seeds` (secant steps on the drift,
    which the Sharpe ratio follows almost linearly)."""

    def measured(drift: float) -> float:
        values = [
            ideal_sharpe(
                planted_market(dates, edge, drift, seed, n_symbols), edge, rules, *span, warmup
            )
            for seed in seeds
        ]
        return float(np.mean(values))

    low, high = 0.0, 0.004
    f_low, f_high = measured(low) - sharpe, measured(high) - sharpe
    for _ in range(6):
        if f_high == f_low:
            break
        guess = max(0.0, high - f_high * (high - low) / (f_high - f_low))
        f_guess = measured(guess) - sharpe
        low, f_low, high, f_high = high, f_high, guess, f_guess
        if abs(f_guess) < 0.03:
            break
    return high
