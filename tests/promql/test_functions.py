"""Tests for ember/promql/functions.py (and the instant, label and histogram function modules it
dispatches to) through the engine."""

from __future__ import annotations

import math

import pytest

from ember.errors import BadDataError, ExecutionError
from ember.model import Labels, SampleBatch
from ember.promql.engine import Engine
from ember.testing import ReferenceStorage

MINUTE = 60_000


def storage_of(series: dict[Labels, list[tuple[int, float]]]) -> ReferenceStorage:
    storage = ReferenceStorage()
    appender = storage.appender()
    for labels, samples in series.items():
        appender.append(SampleBatch.of_series(labels, [t for t, _ in samples], [v for _, v in samples]))
    appender.commit()
    return storage


def name(metric: str, **labels: str) -> Labels:
    return Labels([("__name__", metric), *labels.items()])


DATA = storage_of({
    name("temp", room="a"): [(0, -1.5), (MINUTE, 2.5)],
    name("temp", room="b"): [(0, 4.0)],
    name("req_bucket", le="0.1"): [(0, 1.0)],
    name("req_bucket", le="1"): [(0, 3.0)],
    name("req_bucket", le="+Inf"): [(0, 4.0)],
    name("counter"): [(i * MINUTE, float(i * 60)) for i in range(11)],
})


def query(expr: str, at: int = 0) -> dict[str, float]:
    result = Engine().instant_query(DATA, expr, at)
    if result.result_type == "scalar":
        assert result.scalar is not None
        return {"scalar": result.scalar}
    assert result.series is not None
    return {str(lb): float(v[0]) for lb, _, v in result.series}


def test_math_functions_drop_name() -> None:
    assert query('abs(temp{room="a"})') == {'{room="a"}': 1.5}
    assert query('round(temp{room="a"})') == {'{room="a"}': -1.0}  # ties round up, as Go's Floor(x+0.5)
    assert query('clamp(temp, 0, 3)') == {'{room="a"}': 0.0, '{room="b"}': 3.0}
    assert query("clamp(temp, 3, 0)") == {}


def test_calendar_functions() -> None:
    assert query("year()") == {"{}": 1970.0}
    assert query("day_of_week(vector(86400 * 3))") == {"{}": 0.0}  # 1970-01-04 was a Sunday
    assert query("days_in_month(vector(86400 * 40))") == {"{}": 28.0}


def test_timestamp_of_selector_is_sample_time() -> None:
    assert query('timestamp(temp{room="b"})', 2 * MINUTE) == {'{room="b"}': 0.0}
    assert query("timestamp(vector(1))", 2 * MINUTE) == {"{}": 120.0}


def test_scalar_vector_absent() -> None:
    assert math.isnan(query("scalar(temp)")["scalar"])
    assert query('scalar(temp{room="b"})') == {"scalar": 4.0}
    assert query('absent(nothing{job="x", a=~"b"})') == {'{job="x"}': 1.0}
    assert query("absent(temp)") == {}


def test_label_replace_and_join() -> None:
    got = query('label_replace(temp, "floor", "f-$1", "room", "(.*)")')
    assert got == {'temp{floor="f-a", room="a"}': -1.5, 'temp{floor="f-b", room="b"}': 4.0}
    assert query('label_join(temp{room="b"}, "x", "-", "room", "room")') == {'temp{room="b", x="b-b"}': 4.0}
    with pytest.raises(ExecutionError, match="same labelset"):
        query('label_replace(temp, "room", "same", "room", ".*")')
    with pytest.raises(BadDataError):
        query('label_replace(temp, "x", "y", "room", "(")')


def test_sort_orders_nan_last() -> None:
    result = Engine().instant_query(DATA, "sort_desc(temp)", 0)
    assert result.series is not None
    assert [float(v) for v in result.series.values] == [4.0, -1.5]


def test_histogram_quantile_over_classic_buckets() -> None:
    got = query("histogram_quantile(0.5, req_bucket)")
    assert got == {"{}": 0.1 + (1 - 0.1) * (2.0 - 1.0) / (3.0 - 1.0)}
    warned = Engine().instant_query(DATA, "histogram_quantile(2, req_bucket)", 0)
    assert warned.warnings == ["PromQL warning: quantile value should be between 0 and 1, got 2 (1:20)"]


def test_rate_over_counter_and_subquery() -> None:
    assert query("rate(counter[5m])", 10 * MINUTE) == {"{}": 1.0}
    assert query("max_over_time(rate(counter[2m])[5m:1m])", 10 * MINUTE) == {"{}": 1.0}
    assert query("last_over_time(counter[5m])", 10 * MINUTE) == {"counter": 600.0}


def test_predict_linear_with_at_predicts_from_step_time() -> None:
    base = query("predict_linear(counter[5m] @ 300, 0)", 300_000)["{}"]
    shifted = query("predict_linear(counter[5m] @ 300, 0)", 400_000)["{}"]
    assert math.isclose(shifted - base, 100.0)


def test_step_range_and_min_of() -> None:
    result = Engine().range_query(DATA, "step() + range()", 0, 2 * MINUTE, MINUTE)
    assert result.series is not None and result.series.values.tolist() == [180.0] * 3
    assert query("min_of(3, 5)") == {"scalar": 3.0}
