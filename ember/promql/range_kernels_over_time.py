"""Compiled kernels for the `*_over_time` aggregations and the `ts_of_*_over_time` functions.

Same calling shape as `range_kernels_rate`: flat samples, window bounds `lo[s, j]:hi[s, j]`, outputs
`out[s, j]` and `present[s, j]`. Every kernel here yields a point for every non-empty window.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numba
import numpy as np
import numpy.typing as npt

from ember.promql.kahan import kahan_inc

Int64Array = npt.NDArray[np.int64]
Float64Array = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

# Selectors for `simple_over_time_kernel`.
COUNT = 0
PRESENT = 1
LAST = 2
FIRST = 3
TS_OF_LAST = 4
TS_OF_FIRST = 5
SUM = 6
AVG = 7
STDDEV = 8
STDVAR = 9
MIN = 10
MAX = 11
TS_OF_MIN = 12
TS_OF_MAX = 13


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _sum(vals: Float64Array, a: int, b: int) -> float:
    total = 0.0
    comp = 0.0
    for i in range(a, b):
        total, comp = kahan_inc(vals[i], total, comp)
    if math.isinf(total):
        return total
    return total + comp


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _avg(vals: Float64Array, a: int, b: int) -> float:
    """Direct Kahan mean while the sum stays finite, then the incremental mean (Prometheus #16714)."""
    total = vals[a]
    count = 1.0
    mean = 0.0
    comp = 0.0
    incremental = False
    for i in range(a + 1, b):
        count = float(i - a + 1)
        if not incremental:
            new_total, new_comp = kahan_inc(vals[i], total, comp)
            if not math.isinf(new_total):
                total = new_total
                comp = new_comp
                continue
            incremental = True
            mean = total / (count - 1)
            comp /= count - 1
        q = (count - 1) / count
        mean, comp = kahan_inc(vals[i] / count, q * mean, q * comp)
    if incremental:
        return mean + comp
    return float(total / count + comp / count)


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _variance(vals: Float64Array, a: int, b: int) -> float:
    """Welford's online variance with Kahan-compensated mean and sum of squares."""
    count = 0.0
    mean = c_mean = aux = c_aux = 0.0
    for i in range(a, b):
        count += 1.0
        delta = vals[i] - (mean + c_mean)
        mean, c_mean = kahan_inc(delta / count, mean, c_mean)
        aux, c_aux = kahan_inc(delta * (vals[i] - (mean + c_mean)), aux, c_aux)
    return (aux + c_aux) / count


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _extreme(ts: Int64Array, vals: Float64Array, a: int, b: int, which: int) -> float:
    """min/max and the timestamp of it. A NaN is replaced by any later value; ts_of_* take the
    latest of equal extremes (`>=`/`<=` in Prometheus)."""
    best = vals[a]
    best_t = ts[a]
    for i in range(a, b):
        v = vals[i]
        if which == MIN:
            better = v < best
        elif which == MAX:
            better = v > best
        elif which == TS_OF_MIN:
            better = v <= best
        else:
            better = v >= best
        if better or math.isnan(best):
            best = v
            best_t = ts[i]
    if which in (MIN, MAX):
        return float(best)
    return float(best_t / 1000.0)


@numba.njit(cache=True, nogil=True, error_model="numpy", inline="always")
def _window_value(ts: Int64Array, vals: Float64Array, a: int, b: int, which: int) -> float:
    """One window's value for selector `which` (a compile-time constant in each loop below)."""
    if which == COUNT:
        return float(b - a)
    if which == PRESENT:
        return 1.0
    if which == LAST:
        return float(vals[b - 1])
    if which == FIRST:
        return float(vals[a])
    if which == TS_OF_LAST:
        return float(ts[b - 1] / 1000.0)
    if which == TS_OF_FIRST:
        return float(ts[a] / 1000.0)
    if which == SUM:
        return _sum(vals, a, b)
    if which == AVG:
        return _avg(vals, a, b)
    if which == STDDEV:
        return math.sqrt(_variance(vals, a, b))
    if which == STDVAR:
        return _variance(vals, a, b)
    return _extreme(ts, vals, a, b, which)


def _window_loop(which: int) -> Callable[..., None]:
    """A compiled loop over all series and steps for one window function. One loop per function
    (rather than one loop choosing the function per window) keeps the per-window cost at a few ns.

    The loop closes over the selector number, not over a compiled function: numba's cache key hashes
    the closure's contents, and a dispatcher pickles differently in every process, so closing over one
    recompiled each loop (130-420 ms, holding up queries) on first use in every process."""

    @numba.njit(cache=True, nogil=True, error_model="numpy")
    def kernel(
        ts: Int64Array, vals: Float64Array, lo: Int64Array, hi: Int64Array, out: Float64Array,
        present: BoolArray,
    ) -> None:
        for s in range(lo.shape[0]):
            for j in range(lo.shape[1]):
                a = lo[s, j]
                b = hi[s, j]
                if b <= a:
                    continue
                out[s, j] = _window_value(ts, vals, a, b, which)
                present[s, j] = True

    return kernel  # type: ignore[no-any-return]


_SIMPLE_KERNELS = {which: _window_loop(which) for which in range(COUNT, TS_OF_MAX + 1)}


def simple_over_time_kernel(
    ts: Int64Array, vals: Float64Array, lo: Int64Array, hi: Int64Array, which: int,
    out: Float64Array, present: BoolArray,
) -> None:
    """The aggregations that need no sorting, picked by `which` (one of the selectors above)."""
    _SIMPLE_KERNELS[which](ts, vals, lo, hi, out, present)


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _quantile_in_place(q: float, buffer: Float64Array, n: int) -> float:
    """Prometheus's `quantile` over `buffer[:n]` (which it sorts): linear interpolation between the
    closest ranks, with NaNs ranked first as Prometheus's `vectorByValueHeap` orders them."""
    if n == 0 or math.isnan(q):
        return math.nan
    if q < 0:
        return -math.inf
    if q > 1:
        return math.inf
    values = buffer[:n]
    values.sort()  # numpy sorts NaNs last; rank k maps to values[k - nan_count]
    nan_count = 0
    while nan_count < n and math.isnan(values[n - 1 - nan_count]):
        nan_count += 1
    rank = q * (n - 1)
    lower = int(max(0.0, math.floor(rank)))
    upper = int(min(n - 1.0, lower + 1.0))
    weight = rank - math.floor(rank)
    low_value = math.nan if lower < nan_count else values[lower - nan_count]
    high_value = math.nan if upper < nan_count else values[upper - nan_count]
    return float(low_value * (1 - weight) + high_value * weight)


@numba.njit(cache=True, nogil=True, error_model="numpy")
def quantile_over_time_kernel(
    vals: Float64Array, lo: Int64Array, hi: Int64Array, q: float, out: Float64Array,
    present: BoolArray,
) -> None:
    buffer = np.empty(max_window(lo, hi), dtype=np.float64)
    for s in range(lo.shape[0]):
        for j in range(lo.shape[1]):
            a = lo[s, j]
            b = hi[s, j]
            if b <= a:
                continue
            buffer[: b - a] = vals[a:b]
            out[s, j] = _quantile_in_place(q, buffer, b - a)
            present[s, j] = True


@numba.njit(cache=True, nogil=True, error_model="numpy")
def mad_over_time_kernel(
    vals: Float64Array, lo: Int64Array, hi: Int64Array, out: Float64Array, present: BoolArray
) -> None:
    """Median absolute deviation from the median; a NaN in the window makes it NaN (Prometheus 3.14)."""
    buffer = np.empty(max_window(lo, hi), dtype=np.float64)
    for s in range(lo.shape[0]):
        for j in range(lo.shape[1]):
            a = lo[s, j]
            b = hi[s, j]
            if b <= a:
                continue
            n = b - a
            buffer[:n] = vals[a:b]
            if np.isnan(buffer[:n]).any():
                out[s, j] = math.nan
            else:
                median = _quantile_in_place(0.5, buffer, n)
                buffer[:n] = np.abs(buffer[:n] - median)
                out[s, j] = _quantile_in_place(0.5, buffer, n)
            present[s, j] = True


@numba.njit(cache=True, nogil=True, error_model="numpy")
def max_window(lo: Int64Array, hi: Int64Array) -> int:
    """The largest window size, to size one scratch buffer per call."""
    largest = 0
    for s in range(lo.shape[0]):
        for j in range(lo.shape[1]):
            largest = max(largest, hi[s, j] - lo[s, j])
    return largest
