"""Numba kernels of the genome functions, over (days x symbols) float64 arrays.

Every kernel writes into `out` (same shape as its input) and is causal: row t of the output
depends on rows <= t of the input only. NaN rule: a rolling value whose window (the last w
rows; w + 1 for rsi and change) holds a NaN, or that has fewer than w rows behind it, is NaN.
Arithmetic never leaves an infinity: a non-finite result is NaN. Loops run day by day with one
state per symbol, which follows the arrays' memory order.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

NAN = np.nan


@njit(cache=True)
def finite_or_nan(value: float) -> float:
    """`value`, or NaN where it is infinite."""
    return value if math.isfinite(value) else NAN


@njit(cache=True)
def add_nb(x: np.ndarray, y: np.ndarray, out: np.ndarray) -> None:
    """Write into `out`: x + y, (days, symbols); NaN where not finite."""
    for t in range(x.shape[0]):
        for j in range(x.shape[1]):
            out[t, j] = finite_or_nan(x[t, j] + y[t, j])


@njit(cache=True)
def sub_nb(x: np.ndarray, y: np.ndarray, out: np.ndarray) -> None:
    """Write into `out`: x - y, (days, symbols); NaN where not finite."""
    for t in range(x.shape[0]):
        for j in range(x.shape[1]):
            out[t, j] = finite_or_nan(x[t, j] - y[t, j])


@njit(cache=True)
def mul_nb(x: np.ndarray, y: np.ndarray, out: np.ndarray) -> None:
    """Write into `out`: x * y, (days, symbols); NaN where not finite."""
    for t in range(x.shape[0]):
        for j in range(x.shape[1]):
            out[t, j] = finite_or_nan(x[t, j] * y[t, j])


@njit(cache=True)
def div_nb(x: np.ndarray, y: np.ndarray, out: np.ndarray) -> None:
    """Write into `out`: x / y, (days, symbols); NaN where y is 0 or the result is not finite."""
    for t in range(x.shape[0]):
        for j in range(x.shape[1]):
            d = y[t, j]
            out[t, j] = finite_or_nan(x[t, j] / d) if d != 0.0 else NAN


@njit(cache=True)
def add_const_nb(x: np.ndarray, c: float, out: np.ndarray) -> None:
    """Write into `out`: x + c, (days, symbols); NaN where not finite."""
    for t in range(x.shape[0]):
        for j in range(x.shape[1]):
            out[t, j] = finite_or_nan(x[t, j] + c)


@njit(cache=True)
def mul_const_nb(x: np.ndarray, c: float, out: np.ndarray) -> None:
    """Write into `out`: x * c, (days, symbols); NaN where not finite."""
    for t in range(x.shape[0]):
        for j in range(x.shape[1]):
            out[t, j] = finite_or_nan(x[t, j] * c)


@njit(cache=True)
def lag_signal_nb(x: np.ndarray, w: int, out: np.ndarray) -> None:
    """Write into `out`: the bool signal x of w rows before, (days, symbols); False before
    the first row."""
    # A bool signal w rows ago; False where that is before the first row.
    for t in range(x.shape[0]):
        for j in range(x.shape[1]):
            out[t, j] = x[t - w, j] if t >= w else False


@njit(cache=True)
def log_nb(x: np.ndarray, out: np.ndarray) -> None:
    """Write into `out`: log(x), (days, symbols); NaN where x <= 0."""
    for t in range(x.shape[0]):
        for j in range(x.shape[1]):
            v = x[t, j]
            out[t, j] = math.log(v) if v > 0.0 else NAN


@njit(cache=True)
def sma_nb(x: np.ndarray, w: int, out: np.ndarray) -> None:
    """Write into `out`: the mean of the last w values, (days, symbols); NaN until w are valid."""
    n_days, n_symbols = x.shape
    total = np.zeros(n_symbols)
    nans = np.zeros(n_symbols, dtype=np.int64)
    for t in range(n_days):
        for j in range(n_symbols):
            v = x[t, j]
            if v == v:
                total[j] += v
            else:
                nans[j] += 1
            if t >= w:
                u = x[t - w, j]
                if u == u:
                    total[j] -= u
                else:
                    nans[j] -= 1
            out[t, j] = total[j] / w if t >= w - 1 and nans[j] == 0 else NAN


@njit(cache=True)
def _moments_nb(x: np.ndarray, w: int, out: np.ndarray, zscore: bool) -> None:
    # Welford's mean and sum of squared deviations (m2). With a full window and one value in
    # and one out, the sliding form needs no division:
    #   mean' = mean + (v - u) / w;  m2' = m2 + (v - u) * (v - mean' + u - mean)
    # Rounding accumulates as it slides, so every w slides both are recomputed exactly (two
    # passes over the window): O(1) per day on average, error bounded to w steps. A window of
    # w equal values has a standard deviation of exactly 0 (counted, not computed).
    n_days, n_symbols = x.shape
    inv_w = 1.0 / w
    same = np.zeros(n_symbols, dtype=np.int64)
    slides = np.zeros(n_symbols, dtype=np.int64)
    count = np.zeros(n_symbols, dtype=np.int64)
    mean = np.zeros(n_symbols)
    m2 = np.zeros(n_symbols)
    nans = np.zeros(n_symbols, dtype=np.int64)
    for t in range(n_days):
        for j in range(n_symbols):
            v = x[t, j]
            u = x[t - w, j] if t >= w else NAN
            same[j] = same[j] + 1 if t >= 1 and v == x[t - 1, j] else 1
            if v == v and u == u and count[j] == w:
                slides[j] += 1
                if slides[j] < w and w > 2:  # (two values can cancel: always exact)
                    old_mean = mean[j]
                    mean[j] = old_mean + (v - u) * inv_w
                    m2[j] += (v - u) * (v - mean[j] + u - old_mean)
                else:
                    slides[j] = 0
                    total = 0.0
                    for k in range(t - w + 1, t + 1):
                        total += x[k, j]
                    mean[j] = total * inv_w
                    total = 0.0
                    for k in range(t - w + 1, t + 1):
                        total += (x[k, j] - mean[j]) ** 2
                    m2[j] = total
            else:
                if v == v:
                    count[j] += 1
                    delta = v - mean[j]
                    mean[j] += delta / count[j]
                    m2[j] += delta * (v - mean[j])
                else:
                    nans[j] += 1
                if t >= w:
                    if u == u:
                        count[j] -= 1
                        if count[j] == 0:
                            mean[j] = 0.0
                            m2[j] = 0.0
                        else:
                            delta = u - mean[j]
                            mean[j] -= delta / count[j]
                            m2[j] -= delta * (u - mean[j])
                    else:
                        nans[j] -= 1
            if t < w - 1 or nans[j] > 0:
                out[t, j] = NAN
                continue
            std = 0.0 if same[j] >= w else math.sqrt(max(m2[j], 0.0) / (w - 1))
            if not zscore:
                out[t, j] = std
            else:
                out[t, j] = (v - mean[j]) / std if std > 0.0 else NAN


@njit(cache=True)
def std_nb(x: np.ndarray, w: int, out: np.ndarray) -> None:
    """Write into `out`: the standard deviation of the last w values, (days, symbols)."""
    _moments_nb(x, w, out, False)


@njit(cache=True)
def zscore_nb(x: np.ndarray, w: int, out: np.ndarray) -> None:
    """Write into `out`: (x - mean) / std over the last w values, (days, symbols)."""
    _moments_nb(x, w, out, True)


@njit(cache=True)
def ema_nb(x: np.ndarray, w: int, out: np.ndarray) -> None:
    """Write into `out`: the exponential average with span w, (days, symbols); a NaN restarts it."""
    # A NaN restarts the average: w valid values in a row seed it with their mean.
    n_days, n_symbols = x.shape
    alpha = 2.0 / (w + 1.0)
    run = np.zeros(n_symbols, dtype=np.int64)
    value = np.zeros(n_symbols)
    for t in range(n_days):
        for j in range(n_symbols):
            v = x[t, j]
            if v != v:
                run[j] = 0
                value[j] = 0.0
                out[t, j] = NAN
                continue
            run[j] += 1
            if run[j] < w:
                value[j] += v
                out[t, j] = NAN
            elif run[j] == w:
                value[j] = (value[j] + v) / w
                out[t, j] = value[j]
            else:
                value[j] = alpha * v + (1.0 - alpha) * value[j]
                out[t, j] = value[j]


@njit(cache=True)
def _extreme_nb(x: np.ndarray, w: int, out: np.ndarray, is_max: bool) -> None:
    # van Herk / Gil-Werman: cut the days into blocks of w; a window [t-w+1, t] is the suffix
    # of one block plus the prefix of the next, so out[t] = best(suffix[t-w+1], prefix[t]).
    # A suffix only reaches the end of its own block, which is <= t for every window that
    # uses it: nothing after t is read. A running count of NaNs in the window masks the rest.
    n_days, n_symbols = x.shape
    suffix = np.empty((n_days, n_symbols))
    for t in range(n_days - 1, -1, -1):
        last = t % w == w - 1 or t == n_days - 1
        for j in range(n_symbols):
            v = x[t, j]
            if last:
                suffix[t, j] = v
            else:
                s = suffix[t + 1, j]
                suffix[t, j] = (v if v >= s else s) if is_max else (v if v <= s else s)
    prefix = np.empty(n_symbols)
    nans = np.zeros(n_symbols, dtype=np.int64)
    for t in range(n_days):
        first = t % w == 0
        for j in range(n_symbols):
            v = x[t, j]
            if v != v:
                nans[j] += 1
            if t >= w and x[t - w, j] != x[t - w, j]:
                nans[j] -= 1
            if first:
                prefix[j] = v
            else:
                p = prefix[j]
                prefix[j] = (v if v >= p else p) if is_max else (v if v <= p else p)
            if t < w - 1 or nans[j] > 0:
                out[t, j] = NAN
            else:
                s = suffix[t - w + 1, j]
                p = prefix[j]
                out[t, j] = (s if s >= p else p) if is_max else (s if s <= p else p)


@njit(cache=True)
def min_nb(x: np.ndarray, w: int, out: np.ndarray) -> None:
    """Write into `out`: the lowest of the last w values, (days, symbols)."""
    _extreme_nb(x, w, out, False)


@njit(cache=True)
def max_nb(x: np.ndarray, w: int, out: np.ndarray) -> None:
    """Write into `out`: the highest of the last w values, (days, symbols)."""
    _extreme_nb(x, w, out, True)


@njit(cache=True)
def lag_nb(x: np.ndarray, w: int, out: np.ndarray) -> None:
    """Write into `out`: x of w rows before, (days, symbols); NaN before the first row."""
    for t in range(x.shape[0]):
        for j in range(x.shape[1]):
            out[t, j] = x[t - w, j] if t >= w else NAN


@njit(cache=True)
def change_nb(x: np.ndarray, w: int, out: np.ndarray) -> None:
    """Write into `out`: x / x w rows before - 1, (days, symbols); NaN where that is 0 or NaN."""
    for t in range(x.shape[0]):
        for j in range(x.shape[1]):
            if t < w or x[t - w, j] == 0.0:
                out[t, j] = NAN
            else:
                out[t, j] = finite_or_nan(x[t, j] / x[t - w, j] - 1.0)


@njit(cache=True)
def rsi_nb(x: np.ndarray, w: int, out: np.ndarray) -> None:
    """Write into `out`: Cutler's RSI of the last w changes (0..100, 50 when flat), (days,
    symbols)."""
    # Gains and losses of the last w day-to-day changes (Cutler's RSI: plain sums, so the
    # lookback is exactly w + 1 values). A flat window gives 50.
    n_days, n_symbols = x.shape
    gains = np.zeros(n_symbols)
    losses = np.zeros(n_symbols)
    nans = np.zeros(n_symbols, dtype=np.int64)
    for t in range(n_days):
        for j in range(n_symbols):
            d = x[t, j] - x[t - 1, j] if t >= 1 else NAN
            if d == d:
                if d > 0.0:
                    gains[j] += d
                else:
                    losses[j] -= d
            else:
                nans[j] += 1
            if t >= w:
                old = x[t - w, j] - x[t - w - 1, j] if t - w >= 1 else NAN
                if old == old:
                    if old > 0.0:
                        gains[j] -= old
                    else:
                        losses[j] += old
                else:
                    nans[j] -= 1
            if t < w or nans[j] > 0:
                out[t, j] = NAN
                continue
            g, lo = max(gains[j], 0.0), max(losses[j], 0.0)
            out[t, j] = 100.0 * g / (g + lo) if g + lo > 0.0 else 50.0


@njit(cache=True)
def demean_nb(x: np.ndarray, out: np.ndarray) -> None:
    """Write into `out`: x minus that day's mean over the symbols with a value; NaN stays NaN
    (and a day whose mean is not finite is NaN)."""
    for t in range(x.shape[0]):
        total, count = 0.0, 0
        for j in range(x.shape[1]):
            if not math.isnan(x[t, j]):
                total += x[t, j]
                count += 1
        mean = finite_or_nan(total / count) if count else NAN
        for j in range(x.shape[1]):
            out[t, j] = finite_or_nan(x[t, j] - mean)


def rank(x: np.ndarray, out: np.ndarray) -> None:
    """Percentile among the symbols with a value that day: (rank - 1) / (n - 1), ties sharing
    their mean rank; 0.5 when only one symbol has a value; NaN stays NaN.

    Each value becomes a uint64 key: its order-preserving bits with the low bits replaced by
    its column. numpy's (SIMD) sort orders the keys of each day in place; values whose
    truncated bits collide are adjacent and put in exact order while walking the keys."""
    bits = max(1, int(np.ceil(np.log2(max(x.shape[1], 2)))))
    keys = _rank_keys_nb(x, bits)
    keys.sort(axis=1)
    _rank_from_keys_nb(x, keys, bits, out)


@njit(cache=True)
def _rank_keys_nb(x: np.ndarray, bits: int) -> np.ndarray:
    n_days, n_symbols = x.shape
    keys = np.empty((n_days, n_symbols), dtype=np.uint64)
    top = ~np.uint64((1 << bits) - 1)
    sign = np.uint64(1) << np.uint64(63)
    raw = x.view(np.uint64)
    for t in range(n_days):
        for j in range(n_symbols):
            if x[t, j] != x[t, j]:
                keys[t, j] = top | np.uint64(j)  # NaN sorts last
            else:
                u = raw[t, j]
                u = ~u if u & sign else u | sign  # order-preserving: negatives flipped
                keys[t, j] = (u & top) | np.uint64(j)
    return keys


@njit(cache=True)
def _rank_from_keys_nb(x: np.ndarray, keys: np.ndarray, bits: int, out: np.ndarray) -> None:
    n_days, n_symbols = x.shape
    low = np.uint64((1 << bits) - 1)
    top = ~low
    columns = np.empty(n_symbols, dtype=np.int64)
    values = np.empty(n_symbols)
    for t in range(n_days):
        n = 0
        for i in range(n_symbols):
            key = keys[t, i]
            j = np.int64(key & low)
            v = x[t, j]
            if v != v:
                out[t, j] = NAN
                continue
            m = n  # among equal truncated keys, keep exact value order
            while m > 0 and (keys[t, m - 1] & top) == (key & top) and values[m - 1] > v:
                columns[m] = columns[m - 1]
                values[m] = values[m - 1]
                m -= 1
            columns[m] = j
            values[m] = v
            n += 1
        if n == 1:
            out[t, columns[0]] = 0.5
            continue
        i = 0
        while i < n:
            e = i
            while e + 1 < n and values[e + 1] == values[i]:
                e += 1
            pct = ((i + e) / 2.0) / (n - 1)
            for m in range(i, e + 1):
                out[t, columns[m]] = pct
            i = e + 1
