"""Compare query results with a test script's expectations, as upstream's `promqltest` does.

Floats use `almost.Equal(a, b, 1e-6)`: a stale marker only equals a stale marker, NaNs equal NaNs,
zero must match exactly, otherwise |a-b| / (|a|+|b|) < 1e-6.
"""

from __future__ import annotations

import math
import sys

import numpy as np

from ember.model import Labels, is_stale_value
from ember.promql.result import QueryResult
from ember.promql.testscript.parser import EvalCommand, ExpectedSeries
from ember.promql.testscript.series_notation import HistogramValue, SeriesValue
from ember.storage import SeriesSet

EPSILON = 1e-6
_MIN_NORMAL = sys.float_info.min  # 2.2250738585072014e-308


def almost_equal(a: float, b: float, epsilon: float = EPSILON) -> bool:
    """Upstream's `almost.Equal`: relative tolerance on the sum of magnitudes; zero matches only zero."""
    if is_stale_value(a) or is_stale_value(b):
        return is_stale_value(a) and is_stale_value(b)
    if math.isnan(a) and math.isnan(b):
        return True
    if a == b:
        return True
    diff = abs(a - b)
    norm = abs(a) + abs(b)
    if a == 0 or b == 0 or norm < _MIN_NORMAL:
        return diff < epsilon * _MIN_NORMAL
    return diff / min(norm, sys.float_info.max) < epsilon


class MismatchError(Exception):
    """A result that does not meet the expectation; the message says how."""


def _format_labels(labels: Labels) -> str:
    return str(labels)


def check_sorted(series: SeriesSet) -> None:
    """Upstream requires every matrix to come back sorted by label set."""
    labels = list(series.labels)
    for i in range(len(labels) - 1):
        if labels[i + 1] < labels[i]:
            raise MismatchError(
                f"matrix results should always be sorted by labels, but {labels[i + 1]} "
                f"sorts before {labels[i]}"
            )


def _expected_points(ev: EvalCommand, entry: ExpectedSeries) -> list[tuple[int, float]]:
    points: list[tuple[int, float]] = []
    for i, value in enumerate(entry.values):
        t = ev.start_ms + i * ev.step_ms
        if t > ev.end_ms:
            raise MismatchError(
                f"expected {len(entry.values)} points for {entry.labels}, but query time range "
                "cannot return this many points"
            )
        if isinstance(value, HistogramValue):
            raise MismatchError(f"expected a native histogram for {entry.labels} at t={t}; Ember has none")
        if value is not None:
            points.append((t, value))
    return points


def compare_matrix(ev: EvalCommand, series: SeriesSet) -> None:
    if ev.ordered:
        raise MismatchError("expected ordered result, but query returned a matrix")
    if ev.scalar is not None:
        raise MismatchError("expected scalar result, but got matrix")
    check_sorted(series)
    seen: set[Labels] = set()
    for labels, timestamps, values in series:
        entry = ev.expected.get(labels)
        if entry is None:
            raise MismatchError(
                f"unexpected metric {labels} in result, has {len(values)} points "
                f"{_points_text(timestamps, values)}"
            )
        seen.add(labels)
        want = _expected_points(ev, entry)
        if len(want) != len(values):
            raise MismatchError(
                f"expected {len(want)} float points for {labels}, but got {_points_text(timestamps, values)}"
            )
        for i, (t, expected) in enumerate(want):
            if int(timestamps[i]) != t:
                raise MismatchError(
                    f"expected float value at index {i} for {labels} to have timestamp {t}, "
                    f"but it had timestamp {int(timestamps[i])}"
                )
            if not almost_equal(float(values[i]), expected):
                raise MismatchError(
                    f"expected float value at index {i} (t={t}) for {labels} to be {expected}, "
                    f"but got {float(values[i])}"
                )
    _check_all_seen(ev, seen)


def _points_text(timestamps: np.ndarray, values: np.ndarray, limit: int = 6) -> str:
    shown = ", ".join(
        f"{float(v)} @{int(t)}" for t, v in zip(timestamps[:limit], values[:limit], strict=True)
    )
    return f"[{shown}{', ...' if len(values) > limit else ''}]"


def _check_all_seen(ev: EvalCommand, seen: set[Labels]) -> None:
    for labels in ev.expected:
        if labels not in seen:
            raise MismatchError(f"expected metric {labels} not found")


def compare_vector(ev: EvalCommand, samples: list[tuple[Labels, float]]) -> None:
    """An instant vector (in result order) against the expected series."""
    if ev.scalar is not None:
        raise MismatchError("expected scalar result, but got vector")
    seen: set[Labels] = set()
    for position, (labels, value) in enumerate(samples, start=1):
        entry = ev.expected.get(labels)
        if entry is None:
            raise MismatchError(f"unexpected metric {labels} in result, has value {value}")
        if ev.ordered and entry.position != position:
            raise MismatchError(
                f"expected metric {labels} at position {entry.position} but was at {position}"
            )
        expected: SeriesValue = entry.values[0] if entry.values else None
        if isinstance(expected, HistogramValue):
            raise MismatchError(
                f"expected histogram {{{{{expected.text}}}}} for {labels} but got float value {value}"
            )
        if expected is None or not almost_equal(expected, value):
            raise MismatchError(f"expected {expected} for {labels} but got {value}")
        seen.add(labels)
    _check_all_seen(ev, seen)


def compare_scalar(ev: EvalCommand, value: float) -> None:
    if ev.scalar is None:
        raise MismatchError(f"expected vector or matrix result, but got scalar {value}")
    if not almost_equal(ev.scalar, value):
        raise MismatchError(f"expected scalar {ev.scalar} but got {value}")


def vector_samples(series: SeriesSet | None) -> list[tuple[Labels, float]]:
    """(labels, value) of an instant vector, in result order."""
    if series is None:
        return []
    return [(labels, float(values[0])) for labels, _, values in series if len(values)]


def compare_result(ev: EvalCommand, result: QueryResult) -> None:
    """Raise `MismatchError` unless `result` is what `ev` expects."""
    kind = result.result_type
    if kind == "matrix":
        compare_matrix(ev, result.series if result.series is not None else SeriesSet.empty())
    elif kind == "vector":
        compare_vector(ev, vector_samples(result.series))
    elif kind == "scalar":
        compare_scalar(ev, float(result.scalar if result.scalar is not None else math.nan))
    elif kind == "string":
        if ev.expected_string != result.string:
            raise MismatchError(f'expected string "{ev.expected_string}" but got "{result.string}"')
    else:
        raise MismatchError(f"unexpected result type {kind!r}")


def points_at(series: SeriesSet, time_ms: int) -> list[tuple[Labels, float]]:
    """From a range-query matrix, the point of each series at exactly `time_ms` (the range-mode check)."""
    found: list[tuple[Labels, float]] = []
    for labels, timestamps, values in series:
        hits = np.flatnonzero(timestamps == time_ms)
        if hits.size:
            found.append((labels, float(values[hits[0]])))
    return found
