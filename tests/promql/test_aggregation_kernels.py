"""Tests for ember/promql/aggregation_kernels.py against a plain-Python reference of Prometheus's
aggregation semantics (Kahan sum, incremental mean on overflow, Welford variance, NaN-aware min/max)."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from ember.promql.aggregation_kernels import (
    grouped_limitk,
    grouped_quantile,
    grouped_reduce,
    grouped_topk,
)
from tests.promql.reference_math import kahan_inc


def reference_reduce(op: str, values: list[float]) -> float:
    """One group at one step, written the way Prometheus's aggregation loop reads."""
    if op == "count":
        return float(len(values))
    if op == "group":
        return 1.0
    if op == "sum":
        total, comp = values[0], 0.0
        for f in values[1:]:
            total, comp = kahan_inc(f, total, comp)
        return total + comp
    if op in ("min", "max"):
        best = values[0]
        for f in values[1:]:
            if math.isnan(best) or (f < best if op == "min" else f > best):
                best = f
        return best
    if op in ("stddev", "stdvar"):
        mean = acc = 0.0
        for n, f in enumerate(values, start=1):
            delta = f - mean
            mean += delta / n
            acc += delta * (f - mean)
        var = acc / len(values)
        return math.sqrt(var) if op == "stddev" else var
    return reference_avg(values)


def reference_avg(values: list[float]) -> float:
    total, comp, mean, incremental = values[0], 0.0, values[0], False
    for n, f in enumerate(values[1:], start=2):
        if not incremental:
            new_total, new_comp = kahan_inc(f, total, comp)
            if not math.isinf(new_total):
                total, comp = new_total, new_comp
                continue
            incremental, mean, comp = True, total / (n - 1), comp / (n - 1)
        if math.isinf(mean) and (
            (math.isinf(f) and (mean > 0) == (f > 0)) or (not math.isinf(f) and not math.isnan(f))
        ):
            continue
        q = (n - 1) / n
        mean, comp = kahan_inc(f / n, q * mean, q * comp)
    return mean + comp if incremental else (total + comp) / len(values)


floats = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.floats(min_value=-1e6, max_value=1e6),
    st.sampled_from([0.0, 1.0, -1.0, 1e308, -1e308]),
)


@st.composite
def grouped_matrices(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    series = draw(st.integers(1, 6))
    steps = draw(st.integers(1, 4))
    groups = draw(st.integers(1, 3))
    values = np.array(draw(st.lists(floats, min_size=series * steps, max_size=series * steps)))
    present = np.array(draw(st.lists(st.booleans(), min_size=series * steps, max_size=series * steps)))
    ids = np.array(draw(st.lists(st.integers(0, groups - 1), min_size=series, max_size=series)))
    return values.reshape(series, steps), present.reshape(series, steps), ids.astype(np.int64), groups


def same(a: float, b: float) -> bool:
    return (math.isnan(a) and math.isnan(b)) or a == b or math.isclose(a, b, rel_tol=1e-12)


@settings(max_examples=60, deadline=None)
@given(grouped_matrices(),
       st.sampled_from(["sum", "avg", "min", "max", "count", "group", "stddev", "stdvar"]))
def test_grouped_reduce_matches_reference(
    data: tuple[np.ndarray, np.ndarray, np.ndarray, int], op: str
) -> None:
    values, present, ids, groups = data
    out, found = grouped_reduce(op, values, present, ids, groups)
    for g in range(groups):
        for j in range(values.shape[1]):
            members = [float(values[s, j]) for s in range(len(ids)) if ids[s] == g and present[s, j]]
            assert found[g, j] == bool(members)
            if members:
                assert same(out[g, j], reference_reduce(op, members)), (op, members, out[g, j])


def test_sum_is_kahan_compensated() -> None:
    values = np.array([[1e100], [1.0], [-1e100]])
    out, _ = grouped_reduce("sum", values, np.ones((3, 1), bool), np.zeros(3, np.int64), 1)
    assert out[0, 0] == 1.0


def reference_quantile(phi: float, values: list[float]) -> float:
    if math.isnan(phi):
        return math.nan
    if phi < 0:
        return -math.inf
    if phi > 1:
        return math.inf
    ordered = sorted([v for v in values if math.isnan(v)]) + sorted(v for v in values if not math.isnan(v))
    rank = phi * (len(ordered) - 1)
    lower = max(0, math.floor(rank))
    upper = min(len(ordered) - 1, lower + 1)
    weight = rank - math.floor(rank)
    return ordered[lower] * (1 - weight) + ordered[upper] * weight


@settings(max_examples=60, deadline=None)
@given(grouped_matrices(), st.sampled_from([0.0, 0.25, 0.5, 0.9, 1.0, -1.0, 2.0, math.nan]))
def test_grouped_quantile_matches_reference(data: tuple[np.ndarray, np.ndarray, np.ndarray, int],
                                            phi: float) -> None:
    values, present, ids, groups = data
    out, found = grouped_quantile(values, present, ids, groups, np.full(values.shape[1], phi))
    for g in range(groups):
        for j in range(values.shape[1]):
            members = [float(values[s, j]) for s in range(len(ids)) if ids[s] == g and present[s, j]]
            assert found[g, j] == bool(members)
            if members:
                assert same(out[g, j], reference_quantile(phi, members))


@settings(max_examples=60, deadline=None)
@given(grouped_matrices(), st.integers(0, 4), st.booleans())
def test_grouped_topk_selects_the_k_best(data: tuple[np.ndarray, np.ndarray, np.ndarray, int], k: int,
                                         bottom: bool) -> None:
    values, present, ids, groups = data
    keep, rank = grouped_topk(values, present, ids, groups, np.full(values.shape[1], k), bottom)
    for g in range(groups):
        for j in range(values.shape[1]):
            rows = [s for s in range(len(ids)) if ids[s] == g and present[s, j]]
            chosen = [s for s in rows if keep[s, j]]
            assert len(chosen) == min(k, len(rows))

            keys = {s: rank_key(float(values[s, j]), bottom) for s in rows}
            expected = sorted(keys.values())[: len(chosen)]
            assert sorted(keys[s] for s in chosen) == expected
            assert sorted(int(rank[s, j]) for s in chosen) == list(range(len(chosen)))


def rank_key(value: float, bottom: bool) -> tuple[bool, float]:
    """NaN ranks last; otherwise larger first for topk, smaller first for bottomk."""
    return (math.isnan(value), value if bottom else -value)


def test_grouped_limitk_takes_first_present_series() -> None:
    present = np.array([[True, False], [True, True], [True, True]])
    keep = grouped_limitk(present, np.zeros(3, np.int64), 1, np.array([2, 1]))
    assert keep.tolist() == [[True, False], [True, True], [False, False]]
