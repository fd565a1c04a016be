"""Tests for ember/promql/histogram_kernels.py against a plain-Python `bucketQuantile` (Prometheus's
classic-histogram quantile with bucket coalescing, precision correction and the monotonicity fix)."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from ember.promql.histogram_kernels import bucket_fractions, bucket_quantiles


def reference_quantile(q: float, buckets: list[tuple[float, float]]) -> float:
    if math.isnan(q):
        return math.nan
    if q < 0:
        return -math.inf
    if q > 1:
        return math.inf
    buckets = sorted(buckets, key=lambda b: b[0])
    if not buckets or buckets[-1][0] != math.inf:
        return math.nan
    merged: list[list[float]] = []
    for bound, count in buckets:
        if merged and merged[-1][0] == bound:
            merged[-1][1] += count
        else:
            merged.append([bound, count])
    prev = merged[0][1]
    for b in merged[1:]:
        delta = abs(b[1] - prev)
        if delta == 0:
            continue
        eps = delta / b[1] if b[1] != 0 else math.inf  # Go: x / 0 is +Inf
        if eps <= 1e-12:
            b[1] = prev
        else:
            prev = b[1]
    top = merged[0][1]
    for b in merged[1:]:
        top = max(top, b[1])
        b[1] = top
    if len(merged) < 2 or merged[-1][1] == 0 or math.isnan(merged[-1][1]):
        return math.nan
    rank = q * merged[-1][1]
    index = next((i for i in range(len(merged) - 1) if merged[i][1] >= rank), len(merged) - 1)
    if index == len(merged) - 1:
        return merged[-2][0]
    if index == 0 and merged[0][0] <= 0:
        return merged[0][0]
    start, end, count = 0.0, merged[index][0], merged[index][1]
    if index > 0:
        start = merged[index - 1][0]
        count -= merged[index - 1][1]
        rank -= merged[index - 1][1]
    return start + (end - start) * (rank / count)


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.tuples(st.sampled_from([-1.0, 0.0, 0.5, 1.0, 2.0, 5.0, math.inf]),
                       st.floats(min_value=0, max_value=100)), min_size=1, max_size=7),
    st.sampled_from([0.0, 0.1, 0.5, 0.9, 0.99, 1.0, -0.5, 1.5, math.nan]),
)
def test_bucket_quantiles_match_reference(buckets: list[tuple[float, float]], q: float) -> None:
    ordered = sorted(buckets, key=lambda b: b[0])
    bounds = np.array([b for b, _ in ordered])
    counts = np.array([[c] for _, c in ordered])
    out, _, _ = bucket_quantiles(np.array([q]), bounds, counts, np.ones(counts.shape, dtype=np.bool_))
    want = reference_quantile(q, ordered)
    assert (math.isnan(out[0]) and math.isnan(want)) or math.isclose(
        out[0], want, rel_tol=1e-9, abs_tol=1e-12
    )


def test_monotonicity_is_forced_and_reported() -> None:
    bounds = np.array([1.0, 2.0, math.inf])
    counts = np.array([[5.0], [3.0], [10.0]])
    out, forced, _ = bucket_quantiles(np.array([0.5]), bounds, counts, np.ones((3, 1), dtype=np.bool_))
    assert forced[0]
    assert out[0] == 1.0


def test_fraction_interpolates_inside_bucket() -> None:
    bounds = np.array([1.0, 2.0, math.inf])
    counts = np.array([[2.0], [6.0], [8.0]])
    present = np.ones((3, 1), dtype=np.bool_)
    half = bucket_fractions(np.array([0.0]), np.array([1.5]), bounds, counts, present)
    assert half[0] == (2.0 + 2.0) / 8.0
    assert bucket_fractions(np.array([3.0]), np.array([2.0]), bounds, counts, present)[0] == 0.0
    assert math.isnan(bucket_fractions(np.array([math.nan]), np.array([2.0]), bounds, counts, present)[0])
