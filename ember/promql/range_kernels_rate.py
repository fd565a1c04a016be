"""Compiled kernels for the rate-like range functions: rate, increase, delta, irate, idelta, deriv,
predict_linear, resets, changes and double_exponential_smoothing.

Every kernel has the same shape: it takes the flat samples, the per-(series, step) window bounds
`lo[s, j]:hi[s, j]`, the step times, the range and up to two float parameters, and fills `out[s, j]`
and `present[s, j]`. The semantics follow Prometheus 3's `promql/functions.go`.
"""

from __future__ import annotations

import math

import numba
import numpy as np
import numpy.typing as npt

from ember.promql.kahan import kahan_inc

Int64Array = npt.NDArray[np.int64]
Float64Array = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
Int32Array = npt.NDArray[np.int32]




RESETS = 0
CHANGES = 1


@numba.njit(cache=True, nogil=True, error_model="numpy")
def prefix_transitions(vals: Float64Array, kind: int) -> Int32Array:
    """counts[i]: resets (a value below its predecessor) or changes (a value differing from its
    predecessor, NaN to NaN being no change) among the pairs (k-1, k) with k <= i, over the flat
    array. Only differences within one series' window are meaningful: counts[b-1] - counts[a] is the
    number in the window [a, b), exact because they are integers."""
    counts = np.empty(vals.size, dtype=np.int32)  # int32 halves the memory traffic of this pass
    if vals.size:
        counts[0] = 0
    for i in range(1, vals.size):
        current = vals[i]
        previous = vals[i - 1]
        if kind == RESETS:
            hit = current < previous
        else:
            hit = current != previous and not (math.isnan(current) and math.isnan(previous))
        counts[i] = counts[i - 1] + (1 if hit else 0)
    return counts


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _extrapolated_rate(
    ts: Int64Array, vals: Float64Array, lo: int, hi: int, t_eval: int, range_ms: int,
    is_counter: bool, is_rate: bool, has_reset: bool,
) -> float:
    """Prometheus's `extrapolatedRate` for one window of at least two float samples."""
    first = lo
    last = hi - 1
    result = vals[last] - vals[first]
    if is_counter and has_reset:
        for i in range(first + 1, hi):
            if vals[i] < vals[i - 1]:
                result += vals[i - 1]
    range_start = t_eval - range_ms
    to_start = (ts[first] - range_start) / 1000.0
    to_end = (t_eval - ts[last]) / 1000.0
    sampled = (ts[last] - ts[first]) / 1000.0
    average_gap = sampled / (hi - lo - 1)
    threshold = average_gap * 1.1
    if to_start >= threshold:
        to_start = average_gap / 2.0
    if is_counter:
        # A counter cannot go below zero: extrapolate at most to where the slope reaches zero.
        to_zero = to_start
        if result > 0 and vals[first] >= 0:
            to_zero = sampled * (vals[first] / result)
        if to_zero < to_start:
            to_start = to_zero
    if to_end >= threshold:
        to_end = average_gap / 2.0
    factor = (sampled + to_start + to_end) / sampled
    if is_rate:
        factor /= range_ms / 1000.0
    return float(result * factor)


@numba.njit(cache=True, nogil=True, error_model="numpy")
def rate_family_kernel(
    ts: Int64Array, vals: Float64Array, lo: Int64Array, hi: Int64Array, eval_times: Int64Array,
    range_ms: int, is_counter: bool, is_rate: bool, out: Float64Array, present: BoolArray,
) -> None:
    """rate (counter, per second), increase (counter) and delta (gauge)."""
    resets = prefix_transitions(vals, RESETS)
    for s in range(lo.shape[0]):
        for j in range(lo.shape[1]):
            a = lo[s, j]
            b = hi[s, j]
            if b - a < 2:
                continue
            # Most windows hold no counter reset: skip the correction loop for them.
            has_reset = resets[b - 1] != resets[a]
            out[s, j] = _extrapolated_rate(
                ts, vals, a, b, eval_times[j], range_ms, is_counter, is_rate, has_reset
            )
            present[s, j] = True


@numba.njit(cache=True, nogil=True, error_model="numpy")
def instant_value_kernel(
    ts: Int64Array, vals: Float64Array, lo: Int64Array, hi: Int64Array, is_rate: bool,
    out: Float64Array, present: BoolArray,
) -> None:
    """irate and idelta: the last two samples of the window."""
    for s in range(lo.shape[0]):
        for j in range(lo.shape[1]):
            a = lo[s, j]
            b = hi[s, j]
            if b - a < 2:
                continue
            gap = ts[b - 1] - ts[b - 2]
            if gap == 0:
                continue
            previous = vals[b - 2]
            current = vals[b - 1]
            # irate after a counter reset uses the post-reset value alone.
            result = current if (is_rate and current < previous) else current - previous
            if is_rate:
                result /= gap / 1000.0
            out[s, j] = result
            present[s, j] = True


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _linear_regression(
    ts: Int64Array, vals: Float64Array, lo: int, hi: int, intercept_time: int
) -> tuple[float, float]:
    """Least-squares slope and intercept at `intercept_time`, Kahan-summed as Prometheus does."""
    n = 0.0
    sum_x = c_x = sum_y = c_y = sum_xy = c_xy = sum_x2 = c_x2 = 0.0
    init_y = vals[lo]
    const_y = True
    for i in range(lo, hi):
        y = vals[i]
        if const_y and i > lo and y != init_y:
            const_y = False
        n += 1.0
        x = (ts[i] - intercept_time) / 1e3
        sum_x, c_x = kahan_inc(x, sum_x, c_x)
        sum_y, c_y = kahan_inc(y, sum_y, c_y)
        sum_xy, c_xy = kahan_inc(x * y, sum_xy, c_xy)
        sum_x2, c_x2 = kahan_inc(x * x, sum_x2, c_x2)
    if const_y:
        if math.isinf(init_y):
            return math.nan, math.nan
        return 0.0, init_y
    sum_x += c_x
    sum_y += c_y
    sum_xy += c_xy
    sum_x2 += c_x2
    cov_xy = sum_xy - sum_x * sum_y / n
    var_x = sum_x2 - sum_x * sum_x / n
    slope = cov_xy / var_x
    intercept = sum_y / n - slope * sum_x / n
    return slope, intercept


@numba.njit(cache=True, nogil=True, error_model="numpy")
def deriv_kernel(
    ts: Int64Array, vals: Float64Array, lo: Int64Array, hi: Int64Array, out: Float64Array,
    present: BoolArray,
) -> None:
    """deriv: the regression slope, x measured from the window's first sample (Prometheus #2674)."""
    for s in range(lo.shape[0]):
        for j in range(lo.shape[1]):
            a = lo[s, j]
            b = hi[s, j]
            if b - a < 2:
                continue
            slope, _ = _linear_regression(ts, vals, a, b, ts[a])
            out[s, j] = slope
            present[s, j] = True


@numba.njit(cache=True, nogil=True, error_model="numpy")
def predict_linear_kernel(
    ts: Int64Array, vals: Float64Array, lo: Int64Array, hi: Int64Array, eval_times: Int64Array,
    seconds_ahead: float, out: Float64Array, present: BoolArray,
) -> None:
    """predict_linear: the regression line, anchored at the eval time, `seconds_ahead` later."""
    for s in range(lo.shape[0]):
        for j in range(lo.shape[1]):
            a = lo[s, j]
            b = hi[s, j]
            if b - a < 2:
                continue
            slope, intercept = _linear_regression(ts, vals, a, b, eval_times[j])
            out[s, j] = slope * seconds_ahead + intercept
            present[s, j] = True


@numba.njit(cache=True, nogil=True, error_model="numpy")
def transitions_kernel(
    vals: Float64Array, lo: Int64Array, hi: Int64Array, kind: int, out: Float64Array, present: BoolArray
) -> None:
    """resets and changes (`kind`), in constant time per window from prefix counts."""
    counts = prefix_transitions(vals, kind)
    for s in range(lo.shape[0]):
        for j in range(lo.shape[1]):
            a = lo[s, j]
            b = hi[s, j]
            if b <= a:
                continue
            out[s, j] = counts[b - 1] - counts[a]
            present[s, j] = True


@numba.njit(cache=True, nogil=True, error_model="numpy")
def double_exponential_smoothing_kernel(
    vals: Float64Array, lo: Int64Array, hi: Int64Array, sf: float, tf: float, out: Float64Array,
    present: BoolArray,
) -> None:
    """double_exponential_smoothing (Holt's linear method, Prometheus's initialisation)."""
    for s in range(lo.shape[0]):
        for j in range(lo.shape[1]):
            a = lo[s, j]
            b = hi[s, j]
            if b - a < 2:
                continue
            s0 = 0.0
            s1 = vals[a]
            trend = vals[a + 1] - vals[a]
            for i in range(1, b - a):
                x = sf * vals[a + i]
                if i > 1:
                    trend = tf * (s1 - s0) + (1 - tf) * trend
                y = (1 - sf) * (s1 + trend)
                s0 = s1
                s1 = x + y
            out[s, j] = s1
            present[s, j] = True
