"""The statistics of the promotion gate: PSR, DSR, MinTRL and PBO by CSCV.

Conventions (as in the papers, and in `../shared` reference "gate statistics"):

- `sr` is the **per-observation** Sharpe ratio (a daily Sharpe for daily returns; divide an
  annualised Sharpe by sqrt(252)), never an annualised one.
- `skew` is the skewness and `kurtosis` the **raw** kurtosis (3 for normal returns; pandas and
  scipy return excess kurtosis by default: add 3), both population moments as in
  `fitness.metrics`.
- `n_obs` is the number of return observations the Sharpe was measured on.

Invalid input raises `StatisticsError` naming the argument; no function returns NaN.

Papers: Bailey & López de Prado (2012), "The Sharpe Ratio Efficient Frontier" (PSR, MinTRL);
Bailey & López de Prado (2014), "The Deflated Sharpe Ratio", JPM 40(5) (DSR); Bailey, Borwein,
López de Prado & Zhu (2017), "The Probability of Backtest Overfitting" (PBO, CSCV).
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np

__all__ = [
    "PBOResult",
    "StatisticsError",
    "dsr",
    "effective_trials",
    "expected_max_sharpe",
    "min_trl",
    "pass_line",
    "pbo",
    "psr",
]

_Z = NormalDist()


class StatisticsError(ValueError):
    """An input no gate statistic is defined for (too few observations, non-finite values,
    kurtosis that cannot be raw kurtosis, ...)."""


def psr(sr: float, n_obs: int, skew: float, kurtosis: float, sr_benchmark: float = 0.0) -> float:
    """Probabilistic Sharpe Ratio: the probability that the true Sharpe exceeds `sr_benchmark`.

        PSR = Z[(SR - SR*) sqrt(T - 1) / sqrt(1 - skew SR + (kurtosis - 1) / 4 SR^2)]

    Args:
        sr: per-observation Sharpe ratio of the strategy.
        n_obs: T, the number of observations (at least 2).
        skew: of the returns.
        kurtosis: of the returns (raw kurtosis, >= 1 + skew^2 for any distribution).
        sr_benchmark: SR*, per observation.

    Returns:
        A probability in [0, 1].
    """
    _finite(sr=sr, skew=skew, kurtosis=kurtosis, sr_benchmark=sr_benchmark)
    if n_obs < 2:
        raise StatisticsError(f"n_obs: PSR needs at least 2 observations, got {n_obs}")
    spread = _sharpe_spread(sr, skew, kurtosis)
    return _Z.cdf((sr - sr_benchmark) * math.sqrt(n_obs - 1) / spread)


def expected_max_sharpe(n_trials: float, var_trials: float) -> float:
    """SR0: the Sharpe ratio expected from the best of `n_trials` trials whose true Sharpe is
    zero, with `var_trials` the variance of their (per-observation) Sharpe ratios.

        SR0 = sqrt(V) ((1 - g) Z^-1[1 - 1/N] + g Z^-1[1 - 1/(N e)]),  g = Euler-Mascheroni

    The approximation needs N >> 1; for 1 <= N < 2 (a single, pre-registered trial; an effective
    number can be fractional) SR0 is 0.
    """
    _finite(n_trials=n_trials, var_trials=var_trials)
    if n_trials < 1:
        raise StatisticsError(f"n_trials: at least 1 trial is needed, got {n_trials}")
    if var_trials < 0:
        raise StatisticsError(f"var_trials: a variance cannot be negative, got {var_trials}")
    if n_trials < 2 or var_trials == 0:
        return 0.0
    gamma = float(np.euler_gamma)
    return math.sqrt(var_trials) * (
        (1 - gamma) * _Z.inv_cdf(1 - 1 / n_trials) + gamma * _Z.inv_cdf(1 - 1 / (n_trials * math.e))
    )


def dsr(
    sr: float, n_obs: int, skew: float, kurtosis: float, n_trials: float, var_trials: float
) -> float:
    """Deflated Sharpe Ratio: PSR against SR0 = `expected_max_sharpe(n_trials, var_trials)`,
    the probability that the true Sharpe is positive after `n_trials` trials were made to find
    this one. Accept at DSR >= 0.95.

    Args:
        sr: per-observation Sharpe ratio of the selected strategy (see `psr`).
        n_obs: T, the number of its observations.
        skew: of its returns.
        kurtosis: of its returns (raw kurtosis).
        n_trials: N, the number of (independent) trials; see `effective_trials`.
        var_trials: V, the variance of the trials' per-observation Sharpe ratios.
    """
    return psr(sr, n_obs, skew, kurtosis, expected_max_sharpe(n_trials, var_trials))


def pass_line(n_trials: float, n_obs: int, min_dsr: float) -> float:
    """The per-observation Sharpe ratio at which returns with no skew and normal tails
    (kurtosis 3) reach a DSR of `min_dsr` after `n_trials` trials on `n_obs` observations
    (the trials' variance that of an estimate with no edge, 1 / (n_obs - 1), as the gate's):
    the line a candidate's validation Sharpe must clear. Multiply by sqrt(252) for a year."""
    if n_obs < 2 or not 0 < min_dsr < 1:
        raise StatisticsError(
            f"pass_line needs n_obs >= 2 and 0 < min_dsr < 1, got {n_obs}, {min_dsr}"
        )
    sr0 = expected_max_sharpe(max(n_trials, 1.0), 1.0 / (n_obs - 1))
    low, high = sr0, sr0 + 10.0
    for _ in range(100):  # dsr rises with sr: bisect
        middle = (low + high) / 2
        low, high = (
            (middle, high)
            if dsr(middle, n_obs, 0.0, 3.0, n_trials, 1.0 / (n_obs - 1)) < min_dsr
            else (low, middle)
        )
    return (low + high) / 2


def min_trl(
    sr: float, skew: float, kurtosis: float, sr_benchmark: float = 0.0, prob: float = 0.95
) -> float:
    """Minimum track record length: the observations needed to reject SR <= `sr_benchmark`
    with confidence `prob`.

        MinTRL = 1 + (1 - skew SR + (kurtosis - 1) / 4 SR^2) (Z^-1[prob] / (SR - SR*))^2

    Raises:
        StatisticsError: SR <= SR* (no track record is long enough), or prob outside (0, 1).
    """
    _finite(sr=sr, skew=skew, kurtosis=kurtosis, sr_benchmark=sr_benchmark, prob=prob)
    if not 0 < prob < 1:
        raise StatisticsError(f"prob: a confidence in (0, 1) is needed, got {prob}")
    if sr <= sr_benchmark:
        raise StatisticsError(
            f"sr: MinTRL is undefined when the Sharpe ({sr:.4g}) is not above the benchmark "
            f"({sr_benchmark:.4g}): no track record is long enough"
        )
    spread = _sharpe_spread(sr, skew, kurtosis)
    return 1 + spread**2 * (_Z.inv_cdf(prob) / (sr - sr_benchmark)) ** 2


def effective_trials(n_trials: int, mean_correlation: float) -> float:
    """N-hat = rho + (1 - rho) M: the effective number of `n_trials` = M trials whose returns
    have average pairwise correlation `mean_correlation` = rho (DSR paper, appendix). A negative
    average correlation is taken as 0 (the trials count in full)."""
    _finite(mean_correlation=mean_correlation)
    if n_trials < 1:
        raise StatisticsError(f"n_trials: at least 1 trial is needed, got {n_trials}")
    if mean_correlation > 1:
        raise StatisticsError(f"mean_correlation: at most 1, got {mean_correlation}")
    rho = max(0.0, mean_correlation)
    return rho + (1 - rho) * n_trials


@dataclass(frozen=True)
class PBOResult:
    """The outcome of CSCV on a (time x strategies) matrix.

    Attributes:
        pbo: share of combinations whose in-sample winner ranks at or below the out-of-sample
            median (logit <= 0).
        logits: (C,) lambda = ln(w / (1 - w)) per combination, w = OOS rank / (N + 1) of the
            in-sample winner (rank 1 = worst, N = best; ties share their average rank).
        is_sharpe, oos_sharpe: (C,) per-observation Sharpe of the in-sample winner in and out of
            sample.
        slope, intercept: least-squares line of oos_sharpe on is_sharpe (the degradation).
        prob_oos_loss: share of combinations whose winner has a negative OOS Sharpe.
        n_splits, n_strategies: S and N.
    """

    pbo: float
    logits: np.ndarray
    is_sharpe: np.ndarray
    oos_sharpe: np.ndarray
    slope: float
    intercept: float
    prob_oos_loss: float
    n_splits: int
    n_strategies: int

    @property
    def n_combinations(self) -> int:
        """The number of train/test combinations the PBO was computed over."""
        return len(self.logits)


def pbo(returns: np.ndarray, n_splits: int = 16) -> PBOResult:
    """Probability of Backtest Overfitting by combinatorially symmetric cross-validation.

        split the T rows into S contiguous blocks (sizes differ by at most one)
        for every choice J of S/2 blocks (C(S, S/2) of them):
            J is in sample, the other blocks out of sample
            n* = the column with the best Sharpe in sample (the first one on a tie)
            w = average rank of n* out of sample / (N + 1);  logit = ln(w / (1 - w))
        PBO = share of logits <= 0

    The performance statistic is the per-observation Sharpe ratio (mean / sample standard
    deviation; 0 for a column that does not vary). Order within J does not change it.

    Args:
        returns: (T, N) per-period returns, one column per strategy, rows aligned in time.
        n_splits: S, even, at least 2; every block needs at least 2 rows.

    Raises:
        StatisticsError: fewer than 2 strategies, an odd or too large S, non-finite values.
    """
    matrix = np.asarray(returns, dtype=np.float64)
    if matrix.ndim != 2:
        raise StatisticsError(
            f"returns: a (time x strategies) matrix is needed, got {matrix.ndim} dimension(s)"
        )
    n_obs, n_strategies = matrix.shape
    if n_strategies < 2:
        raise StatisticsError(f"returns: PBO compares at least 2 strategies, got {n_strategies}")
    if n_splits < 2 or n_splits % 2:
        raise StatisticsError(f"n_splits: an even number of at least 2 is needed, got {n_splits}")
    if n_obs < 2 * n_splits:
        raise StatisticsError(
            f"returns: {n_obs} observations cannot make {n_splits} blocks of at least 2"
        )
    if not np.isfinite(matrix).all():
        raise StatisticsError("returns: contains NaN or infinite values")
    starts = np.linspace(0, n_obs, n_splits + 1).round().astype(int)[:-1]
    total = np.add.reduceat(matrix, starts, axis=0)  # (S, N)
    squares = np.add.reduceat(matrix**2, starts, axis=0)
    count = np.diff(np.r_[starts, n_obs]).astype(np.float64)
    chosen = np.array(
        [
            [k in combination for k in range(n_splits)]
            for combination in itertools.combinations(range(n_splits), n_splits // 2)
        ],
        dtype=np.float64,
    )  # (C, S)
    in_sample = _sharpe(chosen @ total, chosen @ squares, chosen @ count)
    out = 1.0 - chosen
    out_sample = _sharpe(out @ total, out @ squares, out @ count)
    rows = np.arange(len(chosen))
    winner = np.argmax(in_sample, axis=1)
    oos = out_sample[rows, winner]
    below = (out_sample < oos[:, None]).sum(axis=1)
    equal = (out_sample == oos[:, None]).sum(axis=1)
    rank = below + (equal + 1) / 2.0
    omega = rank / (n_strategies + 1)
    logits = np.log(omega / (1.0 - omega))
    is_best = in_sample[rows, winner]
    if np.ptp(is_best) > 0:
        slope, intercept = (float(v) for v in np.polyfit(is_best, oos, 1))
    else:
        slope, intercept = 0.0, float(np.mean(oos))
    return PBOResult(
        pbo=float(np.mean(logits <= 0)),
        logits=logits,
        is_sharpe=is_best,
        oos_sharpe=oos,
        slope=slope,
        intercept=intercept,
        prob_oos_loss=float(np.mean(oos < 0)),
        n_splits=n_splits,
        n_strategies=n_strategies,
    )


def _sharpe(total: np.ndarray, squares: np.ndarray, count: np.ndarray) -> np.ndarray:
    # Per-observation Sharpe from sums over the chosen blocks; 0 where a column does not vary.
    n = count[:, None]
    mean = total / n
    variance = np.maximum(squares - n * mean**2, 0.0) / (n - 1)
    std = np.sqrt(variance)
    flat = std <= 1e-8 * np.abs(mean)  # zero, or rounding noise of a constant column
    return np.where(flat, 0.0, mean / np.where(flat, 1.0, std))


def _sharpe_spread(sr: float, skew: float, kurtosis: float) -> float:
    if kurtosis < 1:
        raise StatisticsError(
            f"kurtosis: {kurtosis:.4g} cannot be a raw kurtosis (at least 1; 3 for normal "
            "returns): was excess kurtosis given?"
        )
    term = 1 - skew * sr + (kurtosis - 1) / 4 * sr**2
    if term <= 0:
        raise StatisticsError(
            f"skew {skew:.4g} and kurtosis {kurtosis:.4g} are inconsistent (raw kurtosis is at "
            "least 1 + skew^2)"
        )
    return math.sqrt(term)


def _finite(**values: float) -> None:
    for name, value in values.items():
        if not isinstance(value, int | float | np.floating | np.integer) or not math.isfinite(
            value
        ):
            raise StatisticsError(f"{name}: a finite number is needed, got {value!r}")
