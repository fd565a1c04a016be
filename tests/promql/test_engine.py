"""Tests for ember/promql/engine.py: the public API, result shapes, limits and error mapping."""

from __future__ import annotations

import math

import numpy as np
import pytest

from ember.errors import BadDataError, ExecutionError, QueryParseError, QueryTimeoutError, TooManySamplesError
from ember.model import STALE_NAN, Labels, SampleBatch
from ember.promql.engine import Engine
from ember.testing import ReferenceStorage

MINUTE = 60_000


def storage_with(series: dict[str, list[float | None]], interval_ms: int = MINUTE) -> ReferenceStorage:
    """One sample per slot at `i * interval` (None skips a slot); keys are `name{a="b"}`-free names
    with optional `,label=value` suffixes, e.g. `"up,job=api"`."""
    storage = ReferenceStorage()
    appender = storage.appender()
    for key, values in series.items():
        name, *pairs = key.split(",")
        extra = [(p.split("=", 1)[0], p.split("=", 1)[1]) for p in pairs]
        labels = Labels([("__name__", name), *extra])
        slots = [(i * interval_ms, v) for i, v in enumerate(values) if v is not None]
        appender.append(SampleBatch.of_series(labels, [t for t, _ in slots], [v for _, v in slots]))
    appender.commit()
    return storage


@pytest.fixture
def engine() -> Engine:
    return Engine()


def test_instant_vector_selector_returns_latest_sample_in_lookback(engine: Engine) -> None:
    storage = storage_with({"up,job=a": [1, 2, 3], "up,job=b": [5, None, None]})
    result = engine.instant_query(storage, "up", 2 * MINUTE)
    assert result.result_type == "vector"
    assert result.series is not None
    got = {str(lb): float(v) for lb, _, v in ((lb, t, v[0]) for lb, t, v in result.series)}
    assert got == {'up{job="a"}': 3.0, 'up{job="b"}': 5.0}
    assert result.series.timestamps.tolist() == [2 * MINUTE, 2 * MINUTE]


def test_lookback_window_is_left_open(engine: Engine) -> None:
    storage = storage_with({"up": [1]})
    assert len(engine.instant_query(storage, "up", 5 * MINUTE - 1).series or []) == 1
    assert len(engine.instant_query(storage, "up", 5 * MINUTE).series or []) == 0


def test_stale_marker_ends_series(engine: Engine) -> None:
    storage = storage_with({"up": [1, STALE_NAN]})
    assert len(engine.instant_query(storage, "up", 0).series or []) == 1
    assert len(engine.instant_query(storage, "up", MINUTE).series or []) == 0


def test_range_query_returns_points_per_step_sorted_by_labels(engine: Engine) -> None:
    storage = storage_with({"up,job=b": [1, 2, 3], "up,job=a": [4, None, None, None, None, None, 6]})
    result = engine.range_query(storage, "up", 0, 2 * MINUTE, MINUTE)
    assert result.result_type == "matrix"
    assert result.series is not None
    labels = [lb.get("job") for lb in result.series.labels]
    assert labels == ["a", "b"]
    assert result.series.series(0)[1].tolist() == [4.0, 4.0, 4.0]
    assert result.series.series(1)[0].tolist() == [0, MINUTE, 2 * MINUTE]


def test_scalar_results(engine: Engine) -> None:
    storage = ReferenceStorage()
    instant = engine.instant_query(storage, "1 + 2 * 3", 0)
    assert instant.result_type == "scalar" and instant.scalar == 7.0
    ranged = engine.range_query(storage, "time()", 0, 2 * MINUTE, MINUTE)
    assert ranged.result_type == "matrix" and ranged.series is not None
    assert ranged.series.labels == [Labels()]
    assert ranged.series.values.tolist() == [0.0, 60.0, 120.0]


def test_string_result(engine: Engine) -> None:
    result = engine.instant_query(ReferenceStorage(), '"hello"', 0)
    assert result.result_type == "string" and result.string == "hello"


def test_instant_query_of_range_selector_returns_raw_window(engine: Engine) -> None:
    storage = storage_with({"x": [1, 2, 3, 4]})
    result = engine.instant_query(storage, "x[2m]", 3 * MINUTE)
    assert result.result_type == "matrix" and result.series is not None
    # (t - 2m, t] excludes the sample at exactly t - 2m.
    assert result.series.timestamps.tolist() == [2 * MINUTE, 3 * MINUTE]


def test_range_query_of_range_selector_is_rejected(engine: Engine) -> None:
    with pytest.raises(BadDataError):
        engine.range_query(ReferenceStorage(), "x[5m]", 0, MINUTE, MINUTE)


def test_parse_errors_are_bad_data(engine: Engine) -> None:
    with pytest.raises(QueryParseError) as caught:
        engine.instant_query(ReferenceStorage(), "sum(", 0)
    assert caught.value.error_type == "bad_data"
    with pytest.raises(QueryParseError, match="unsupported"):
        engine.instant_query(ReferenceStorage(), "rate(x[5m] anchored)", 0)


def test_delayed_name_removal_and_collision(engine: Engine) -> None:
    storage = storage_with({"a,job=x": [1], "b,job=x": [2]})
    result = engine.instant_query(storage, "a * 2", 0)
    assert result.series is not None and result.series.labels == [Labels.from_strings("job", "x")]
    with pytest.raises(ExecutionError, match="same labelset"):
        engine.instant_query(storage, '-{job="x"}', 0)


def test_too_many_samples_is_an_error_and_engine_stays_usable() -> None:
    storage = storage_with({f"m,i={i}": [1.0] * 10 for i in range(20)})
    small = Engine(max_samples=50)
    with pytest.raises(TooManySamplesError):
        small.range_query(storage, "m", 0, 9 * MINUTE, MINUTE)
    assert small.instant_query(storage, "count(m)", 0).series is not None


def test_query_of_death_tiny_step_is_refused() -> None:
    with pytest.raises(TooManySamplesError):
        Engine(max_samples=1000).range_query(ReferenceStorage(), "time()", 0, 10**12, 1)


def test_timeout_is_reported() -> None:
    storage = storage_with({"m": [1.0] * 5})
    with pytest.raises(QueryTimeoutError, match="query timed out"):
        Engine(timeout_s=-1.0).instant_query(storage, "sum(m)", 0)


def test_count_values_high_cardinality_is_limited() -> None:
    storage = storage_with({f"m,i={i}": [float(i)] for i in range(200)})
    with pytest.raises(TooManySamplesError):
        Engine(max_samples=10).instant_query(storage, 'count_values("v", m)', 0)


def test_to_pandas_long_format(engine: Engine) -> None:
    storage = storage_with({"up,job=a": [1, 2]})
    frame = engine.range_query(storage, "up", 0, MINUTE, MINUTE).to_pandas()
    assert list(frame.columns) == ["__name__", "job", "timestamp", "value"]
    assert frame["value"].tolist() == [1.0, 2.0]
    assert math.isclose(engine.instant_query(storage, "pi()", 0).to_pandas()["value"][0], np.pi)


def test_cancellation_stops_query() -> None:
    import threading

    from ember.errors import QueryCanceledError

    event = threading.Event()
    event.set()
    with pytest.raises(QueryCanceledError):
        Engine().instant_query(storage_with({"m": [1.0]}), "m", 0, cancel=event)


def test_experimental_functions_can_be_disabled() -> None:
    storage = storage_with({"m": [1.0]})
    with pytest.raises(QueryParseError, match="not enabled"):
        Engine(enable_experimental_functions=False).instant_query(storage, "sort_by_label(m, \"a\")", 0)
    assert Engine().instant_query(storage, "limitk(1, m)", 0).series is not None


def test_subquery_with_tiny_step_is_refused_before_allocating() -> None:
    storage = storage_with({"m": [1.0]})
    with pytest.raises(TooManySamplesError):
        Engine(max_samples=1000).instant_query(storage, "max_over_time(m[100y:1ms])", 0)
