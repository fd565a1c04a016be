"""Tests for ember/promql/testscript/compare.py: upstream's almost-equal rule and result matching."""

from __future__ import annotations

import math
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ember.model import STALE_NAN, Labels
from ember.promql.result import QueryResult
from ember.promql.testscript.compare import MismatchError, almost_equal, compare_result
from ember.promql.testscript.parser import parse_script
from ember.storage import SeriesSet


def reference_almost_equal(a: float, b: float, epsilon: float = 1e-6) -> bool:
    """Upstream's rule written out directly from its description."""
    a_stale = math.isnan(a) and np.float64(a).view(np.uint64) == 0x7FF0000000000002
    b_stale = math.isnan(b) and np.float64(b).view(np.uint64) == 0x7FF0000000000002
    if a_stale or b_stale:
        return bool(a_stale and b_stale)
    if math.isnan(a) and math.isnan(b):
        return True
    if a == b:
        return True
    smallest_normal = 2.2250738585072014e-308
    diff, total = abs(a - b), abs(a) + abs(b)
    if a == 0 or b == 0 or total < smallest_normal:
        return diff < epsilon * smallest_normal
    return diff / min(total, sys.float_info.max) < epsilon


@pytest.mark.parametrize(
    ("a", "b", "equal"),
    [
        (1.0, 1.0, True),
        (1.0, 1.0 + 1e-7, True),
        (1.0, 1.0 + 3e-6, False),
        (1.0, 1.0 + 1.9e-6, True),  # the denominator is |a|+|b|: about 2e-6 relative
        (0.0, 1e-300, False),  # zero matches only zero
        (0.0, -0.0, True),
        (math.nan, math.nan, True),
        (STALE_NAN, math.nan, False),
        (STALE_NAN, STALE_NAN, True),
        (math.inf, math.inf, True),
        (math.inf, -math.inf, False),
        (1e308, 1.0000001e308, True),
    ],
)
def test_almost_equal_cases(a: float, b: float, equal: bool) -> None:
    assert almost_equal(a, b) is equal
    assert almost_equal(b, a) is equal


@settings(max_examples=200, deadline=None)
@given(st.floats(allow_nan=True), st.floats(allow_nan=True))
def test_almost_equal_matches_reference(a: float, b: float) -> None:
    assert almost_equal(a, b) == reference_almost_equal(a, b)


def eval_of(text: str):  # type: ignore[no-untyped-def]
    (ev,) = parse_script(text, "c.test").evals
    return ev


def vector(*samples: tuple[Labels, float]) -> QueryResult:
    series = SeriesSet(
        [labels for labels, _ in samples],
        np.arange(len(samples) + 1, dtype=np.int64),
        np.zeros(len(samples), dtype=np.int64),
        np.array([v for _, v in samples], dtype=np.float64),
    )
    return QueryResult("vector", series=series, time_ms=0)


A = Labels.from_strings("a", "1")
B = Labels.from_strings("a", "2")


def test_vector_is_compared_as_a_set() -> None:
    ev = eval_of('eval instant at 0 x\n  {a="1"} 1\n  {a="2"} 2\n')
    compare_result(ev, vector((B, 2.0), (A, 1.0)))
    with pytest.raises(MismatchError, match="not found"):
        compare_result(ev, vector((A, 1.0)))
    with pytest.raises(MismatchError, match="unexpected metric"):
        compare_result(ev, vector((A, 1.0), (B, 2.0), (Labels.from_strings("a", "3"), 3.0)))
    with pytest.raises(MismatchError, match="expected 2"):
        compare_result(ev, vector((A, 1.0), (B, 2.5)))


def test_ordered_vector_checks_positions() -> None:
    ev = eval_of('eval instant at 0 x\n  expect ordered\n  {a="1"} 1\n  {a="2"} 2\n')
    compare_result(ev, vector((A, 1.0), (B, 2.0)))
    with pytest.raises(MismatchError, match="position"):
        compare_result(ev, vector((B, 2.0), (A, 1.0)))


def test_empty_expectation_needs_empty_result() -> None:
    ev = eval_of("eval instant at 0 x\n")
    compare_result(ev, vector())
    with pytest.raises(MismatchError):
        compare_result(ev, vector((A, 1.0)))


def test_scalar_and_string_results() -> None:
    compare_result(eval_of("eval instant at 0 1\n  1\n"), QueryResult("scalar", scalar=1.0))
    with pytest.raises(MismatchError, match=r"expected scalar 1\.0 but got 2\.0"):
        compare_result(eval_of("eval instant at 0 1\n  1\n"), QueryResult("scalar", scalar=2.0))
    with pytest.raises(MismatchError, match="expected vector or matrix"):
        compare_result(eval_of("eval instant at 0 1\n"), QueryResult("scalar", scalar=1.0))
    ev = eval_of('eval instant at 0 "x"\n  expect string "x"\n')
    compare_result(ev, QueryResult("string", string="x"))
    with pytest.raises(MismatchError):
        compare_result(ev, QueryResult("string", string="y"))


def matrix(points: dict[Labels, list[tuple[int, float]]]) -> QueryResult:
    return QueryResult(
        "matrix",
        series=SeriesSet.from_series(
            [
                (labels, np.array([t for t, _ in pts], dtype=np.int64), np.array([v for _, v in pts]))
                for labels, pts in points.items()
            ]
        ),
    )


def test_matrix_points_and_gaps() -> None:
    ev = eval_of('eval range from 0 to 2m step 1m x\n  {a="1"} 1 _ 3\n')
    compare_result(ev, matrix({A: [(0, 1.0), (120_000, 3.0)]}))
    with pytest.raises(MismatchError, match="timestamp"):
        compare_result(ev, matrix({A: [(0, 1.0), (60_000, 3.0)]}))
    with pytest.raises(MismatchError, match="float points"):
        compare_result(ev, matrix({A: [(0, 1.0), (60_000, 2.0), (120_000, 3.0)]}))


def test_matrix_must_be_sorted_and_not_longer_than_the_range() -> None:
    ev = eval_of('eval range from 0 to 1m step 1m x\n  {a="1"} 1\n  {a="2"} 2\n')
    unsorted = QueryResult(
        "matrix", series=SeriesSet([B, A], np.array([0, 1, 2]), np.array([0, 0]), np.array([2.0, 1.0]))
    )
    with pytest.raises(MismatchError, match="sorted"):
        compare_result(ev, unsorted)
    too_long = eval_of('eval range from 0 to 1m step 1m x\n  {a="1"} 1 2 3\n')
    with pytest.raises(MismatchError, match="cannot return this many points"):
        compare_result(too_long, matrix({A: [(0, 1.0), (60_000, 2.0)]}))


def test_stale_marker_expectation_needs_stale_marker() -> None:
    ev = eval_of('eval instant at 0 x\n  {a="1"} stale\n')
    compare_result(ev, vector((A, STALE_NAN)))
    with pytest.raises(MismatchError):
        compare_result(ev, vector((A, math.nan)))
