"""Compiled kernels for aggregation operators over `[series, steps]` arrays grouped by series.

Float semantics follow Prometheus 3: `sum` uses Kahan-Neumaier compensation, `avg` sums with
compensation and switches to an incremental mean when the sum would overflow, `stddev`/`stdvar` use
Welford's update, `min`/`max` return NaN only when every input is NaN.
"""

from __future__ import annotations

import math

import numba
import numpy as np
import numpy.typing as npt

from ember.promql.kahan import kahan_inc

SUM, AVG, MIN, MAX, COUNT, GROUP, STDDEV, STDVAR = range(8)
OP_CODES = {
    "sum": SUM, "avg": AVG, "min": MIN, "max": MAX, "count": COUNT, "group": GROUP,
    "stddev": STDDEV, "stdvar": STDVAR,
}

FloatMatrix = npt.NDArray[np.float64]
BoolMatrix = npt.NDArray[np.bool_]
Int64Array = npt.NDArray[np.int64]




@numba.njit(cache=True, nogil=True, error_model="numpy")
def _avg_update(f: float, g: int, j: int, value: FloatMatrix, comp: FloatMatrix, mean: FloatMatrix,
                count: FloatMatrix, incremental: BoolMatrix) -> None:
    n = count[g, j]
    if not incremental[g, j]:
        new_v, new_c = kahan_inc(f, value[g, j], comp[g, j])
        if not math.isinf(new_v):
            value[g, j] = new_v
            comp[g, j] = new_c
            return
        incremental[g, j] = True
        mean[g, j] = value[g, j] / (n - 1)
        comp[g, j] = comp[g, j] / (n - 1)
    m = mean[g, j]
    if math.isinf(m):
        if math.isinf(f) and (m > 0) == (f > 0):
            return
        if not math.isinf(f) and not math.isnan(f):
            return
    q = (n - 1) / n
    mean[g, j], comp[g, j] = kahan_inc(f / n, q * m, q * comp[g, j])


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _reduce_kernel(op: int, values: FloatMatrix, present: BoolMatrix, group_ids: Int64Array,
                   num_groups: int) -> tuple[FloatMatrix, BoolMatrix]:
    num_series, num_steps = values.shape
    value = np.zeros((num_groups, num_steps))
    comp = np.zeros((num_groups, num_steps))
    mean = np.zeros((num_groups, num_steps))
    count = np.zeros((num_groups, num_steps))
    incremental = np.zeros((num_groups, num_steps), dtype=np.bool_)
    for s in range(num_series):
        g = group_ids[s]
        for j in range(num_steps):
            if not present[s, j]:
                continue
            f = values[s, j]
            count[g, j] += 1.0
            if count[g, j] == 1.0 and op != STDDEV and op != STDVAR:
                value[g, j] = f
                mean[g, j] = f
                continue
            if op == SUM:
                value[g, j], comp[g, j] = kahan_inc(f, value[g, j], comp[g, j])
            elif op == AVG:
                _avg_update(f, g, j, value, comp, mean, count, incremental)
            elif op == MIN:
                if value[g, j] > f or math.isnan(value[g, j]):
                    value[g, j] = f
            elif op == MAX:
                if value[g, j] < f or math.isnan(value[g, j]):
                    value[g, j] = f
            elif op in (STDDEV, STDVAR):
                delta = f - mean[g, j]
                mean[g, j] += delta / count[g, j]
                value[g, j] += delta * (f - mean[g, j])
    out = np.empty((num_groups, num_steps))
    for g in range(num_groups):
        for j in range(num_steps):
            n = count[g, j]
            if op == SUM:
                out[g, j] = value[g, j] + comp[g, j]
            elif op == AVG:
                if incremental[g, j]:
                    out[g, j] = mean[g, j] + comp[g, j]
                else:
                    out[g, j] = (value[g, j] + comp[g, j]) / n
            elif op == COUNT:
                out[g, j] = n
            elif op == GROUP:
                out[g, j] = 1.0
            elif op == STDVAR:
                out[g, j] = value[g, j] / n
            elif op == STDDEV:
                out[g, j] = math.sqrt(value[g, j] / n)
            else:
                out[g, j] = value[g, j]
    return out, count > 0


def grouped_reduce(op: str, values: FloatMatrix, present: BoolMatrix, group_ids: Int64Array,
                   num_groups: int) -> tuple[FloatMatrix, BoolMatrix]:
    """Reduces the series of each group to one row per group, step by step."""
    return _reduce_kernel(  # type: ignore[no-any-return]
        OP_CODES[op], np.ascontiguousarray(values), np.ascontiguousarray(present),
        np.ascontiguousarray(group_ids, dtype=np.int64), int(num_groups),
    )


@numba.njit(cache=True, nogil=True, error_model="numpy")
def quantile_of_sorted(phi: float, ordered: npt.NDArray[np.float64]) -> float:
    """Prometheus's `quantile`: linear interpolation between closest ranks."""
    n = len(ordered)
    if n == 0 or math.isnan(phi):
        return math.nan
    if phi < 0:
        return -math.inf
    if phi > 1:
        return math.inf
    rank = phi * (n - 1)
    lower = max(0, math.floor(rank))
    upper = min(n - 1, lower + 1)
    weight = rank - math.floor(rank)
    return float(ordered[lower] * (1 - weight) + ordered[upper] * weight)


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _sort_nan_first(buffer: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    nans = buffer[np.isnan(buffer)]
    rest = np.sort(buffer[~np.isnan(buffer)])
    return np.concatenate((nans, rest))


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _quantile_kernel(values: FloatMatrix, present: BoolMatrix, order: Int64Array, starts: Int64Array,
                     phis: npt.NDArray[np.float64]) -> tuple[FloatMatrix, BoolMatrix]:
    num_groups = len(starts) - 1
    num_steps = values.shape[1]
    out = np.full((num_groups, num_steps), np.nan)
    found = np.zeros((num_groups, num_steps), dtype=np.bool_)
    for g in range(num_groups):
        rows = order[starts[g]:starts[g + 1]]
        buffer = np.empty(len(rows))
        for j in range(num_steps):
            n = 0
            for r in rows:
                if present[r, j]:
                    buffer[n] = values[r, j]
                    n += 1
            if n:
                # Go sorts NaN before every other float.
                out[g, j] = quantile_of_sorted(phis[j], _sort_nan_first(buffer[:n]))
                found[g, j] = True
    return out, found


def grouped_quantile(values: FloatMatrix, present: BoolMatrix, group_ids: Int64Array, num_groups: int,
                     phis: npt.NDArray[np.float64]) -> tuple[FloatMatrix, BoolMatrix]:
    """`quantile(phi, ...)` per group and step (phi may vary by step)."""
    order, starts = group_layout(group_ids, num_groups)
    return _quantile_kernel(  # type: ignore[no-any-return]
        np.ascontiguousarray(values), np.ascontiguousarray(present), order, starts,
        np.ascontiguousarray(phis, dtype=np.float64),
    )


def group_layout(group_ids: Int64Array, num_groups: int) -> tuple[Int64Array, Int64Array]:
    """Rows ordered by group (stable) and the start of each group in that order."""
    order = np.argsort(group_ids, kind="stable").astype(np.int64)
    starts = np.zeros(num_groups + 1, dtype=np.int64)
    np.cumsum(np.bincount(group_ids, minlength=num_groups), out=starts[1:])
    return order, starts


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _better(a: float, b: float, bottom: bool) -> bool:
    """Whether `a` ranks before `b`; NaN always ranks last (Prometheus's topk/bottomk heaps)."""
    if math.isnan(a):
        return False
    if math.isnan(b):
        return True
    return a < b if bottom else a > b


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _topk_kernel(values: FloatMatrix, present: BoolMatrix, order: Int64Array, starts: Int64Array,
                 ks: Int64Array, bottom: bool) -> tuple[BoolMatrix, Int64Array]:
    num_series, num_steps = values.shape
    keep = np.zeros((num_series, num_steps), dtype=np.bool_)
    rank = np.zeros((num_series, num_steps), dtype=np.int64)
    for g in range(len(starts) - 1):
        rows = order[starts[g]:starts[g + 1]]
        chosen = np.empty(len(rows), dtype=np.int64)
        for j in range(num_steps):
            k = ks[j]
            n = 0
            for r in rows:
                if not present[r, j] or k <= 0:
                    continue
                # Insertion into the sorted prefix of the best k; ties keep the earlier series.
                pos = min(n, k)
                while pos > 0 and _better(values[r, j], values[chosen[pos - 1], j], bottom):
                    pos -= 1
                if pos >= k:
                    continue
                last = min(n, k - 1)
                for q in range(last, pos, -1):
                    chosen[q] = chosen[q - 1]
                chosen[pos] = r
                n = min(n + 1, k)
            for q in range(n):
                keep[chosen[q], j] = True
                rank[chosen[q], j] = q
    return keep, rank


def grouped_topk(values: FloatMatrix, present: BoolMatrix, group_ids: Int64Array, num_groups: int,
                 ks: Int64Array, bottom: bool) -> tuple[BoolMatrix, Int64Array]:
    """Which series are among the k largest (smallest) of their group at each step, and their rank."""
    order, starts = group_layout(group_ids, num_groups)
    return _topk_kernel(  # type: ignore[no-any-return]
        np.ascontiguousarray(values), np.ascontiguousarray(present), order, starts,
        np.ascontiguousarray(ks, dtype=np.int64), bool(bottom),
    )


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _limitk_kernel(present: BoolMatrix, order: Int64Array, starts: Int64Array,
                   ks: Int64Array) -> BoolMatrix:
    num_series, num_steps = present.shape
    keep = np.zeros((num_series, num_steps), dtype=np.bool_)
    for g in range(len(starts) - 1):
        for j in range(num_steps):
            taken = 0
            for idx in range(starts[g], starts[g + 1]):
                r = order[idx]
                if taken >= ks[j]:
                    break
                if present[r, j]:
                    keep[r, j] = True
                    taken += 1
    return keep


def grouped_limitk(present: BoolMatrix, group_ids: Int64Array, num_groups: int,
                   ks: Int64Array) -> BoolMatrix:
    """The first k present series of each group at each step (series order decides)."""
    order, starts = group_layout(group_ids, num_groups)
    return _limitk_kernel(  # type: ignore[no-any-return]
        np.ascontiguousarray(present), order, starts, np.ascontiguousarray(ks, dtype=np.int64)
    )
