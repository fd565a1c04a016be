"""Compiled kernels for classic (`le` bucket) histograms: quantile and fraction per step."""

from __future__ import annotations

import math

import numba
import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _buckets_at(bounds: FloatArray, counts: FloatArray, present: npt.NDArray[np.bool_], j: int,
                out_bounds: FloatArray, out_counts: FloatArray) -> tuple[int, bool, bool]:
    """The coalesced, precision-corrected, monotonic buckets of step j; returns (n, forced, fixed)."""
    n = 0
    for b in range(len(bounds)):
        if not present[b, j]:
            continue
        if n > 0 and out_bounds[n - 1] == bounds[b]:
            out_counts[n - 1] += counts[b, j]
            continue
        out_bounds[n] = bounds[b]
        out_counts[n] = counts[b, j]
        n += 1
    fixed = False
    if n > 0:
        prev = out_counts[0]
        for i in range(1, n):
            delta = abs(out_counts[i] - prev)
            if delta == 0:
                continue
            if delta / out_counts[i] <= 1e-12:
                out_counts[i] = prev
                fixed = True
            else:
                prev = out_counts[i]
    forced = False
    if n > 0:
        top = out_counts[0]
        for i in range(1, n):
            if out_counts[i] > top:
                top = out_counts[i]
            elif out_counts[i] < top:
                out_counts[i] = top
                forced = True
    return n, forced, fixed


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _quantile_of(q: float, ub: FloatArray, c: FloatArray, n: int) -> float:
    if math.isnan(q):
        return math.nan
    if q < 0:
        return -math.inf
    if q > 1:
        return math.inf
    if n == 0 or not (math.isinf(ub[n - 1]) and ub[n - 1] > 0) or n < 2:
        return math.nan
    observations = c[n - 1]
    if observations == 0 or math.isnan(observations):
        return math.nan
    rank = q * observations
    b = n - 1
    for i in range(n - 1):
        if c[i] >= rank:
            b = i
            break
    if b == n - 1:
        return float(ub[n - 2])
    if b == 0 and ub[0] <= 0:
        return float(ub[0])
    start = 0.0
    end = ub[b]
    count = c[b]
    if b > 0:
        start = ub[b - 1]
        count -= c[b - 1]
        rank -= c[b - 1]
    return float(start + (end - start) * (rank / count))


@numba.njit(cache=True, nogil=True, error_model="numpy")
def bucket_quantiles(qs: FloatArray, bounds: FloatArray, counts: FloatArray,
                     present: npt.NDArray[np.bool_]) -> tuple[FloatArray, npt.NDArray[np.bool_],
                                                              npt.NDArray[np.bool_]]:
    """Prometheus's `bucketQuantile` for each step; `bounds` sorted ascending, `counts[bucket, step]`.

    Returns the quantiles and, per step, whether monotonicity had to be forced / precision fixed.
    """
    steps = counts.shape[1]
    out = np.full(steps, np.nan)
    forced = np.zeros(steps, dtype=np.bool_)
    fixed = np.zeros(steps, dtype=np.bool_)
    ub = np.empty(len(bounds))
    c = np.empty(len(bounds))
    for j in range(steps):
        n, forced[j], fixed[j] = _buckets_at(bounds, counts, present, j, ub, c)
        if math.isnan(qs[j]) or qs[j] < 0 or qs[j] > 1:
            forced[j] = False
            fixed[j] = False
        out[j] = _quantile_of(qs[j], ub, c, n)
    return out, forced, fixed


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _fraction_of(lower: float, upper: float, ub: FloatArray, c: FloatArray, n: int) -> float:
    if n == 0 or not (math.isinf(ub[n - 1]) and ub[n - 1] > 0):
        return math.nan
    total = c[n - 1]
    if total == 0 or math.isnan(lower) or math.isnan(upper):
        return math.nan
    if lower >= upper:
        return 0.0
    return float((_rank_below(upper, ub, c, n) - _rank_below(lower, ub, c, n)) / total)


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _rank_below(x: float, ub: FloatArray, c: FloatArray, n: int) -> float:
    """Observations at or below x, interpolating linearly inside the bucket holding x.

    The lowest bucket starts at 0 when its upper bound is positive (as histogram_quantile assumes),
    otherwise it has no lower bound and cannot be interpolated.
    """
    previous_count = 0.0
    for i in range(n):
        low = ub[i - 1] if i > 0 else (0.0 if ub[0] > 0 else -math.inf)
        high = ub[i]
        if x <= low:
            return previous_count
        if x < high:
            if math.isinf(low) or math.isinf(high):
                return previous_count if math.isinf(high) else float(c[i])
            return float(previous_count + (c[i] - previous_count) * (x - low) / (high - low))
        previous_count = float(c[i])
    return float(c[n - 1])


@numba.njit(cache=True, nogil=True, error_model="numpy")
def bucket_fractions(lowers: FloatArray, uppers: FloatArray, bounds: FloatArray, counts: FloatArray,
                     present: npt.NDArray[np.bool_]) -> FloatArray:
    """The fraction of observations between lower and upper per step (classic buckets)."""
    steps = counts.shape[1]
    out = np.full(steps, np.nan)
    ub = np.empty(len(bounds))
    c = np.empty(len(bounds))
    for j in range(steps):
        n, _, _ = _buckets_at(bounds, counts, present, j, ub, c)
        out[j] = _fraction_of(lowers[j], uppers[j], ub, c, n)
    return out
