from __future__ import annotations

import json

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from ember.model.labels import Labels
from ember.promql.result import QueryResult
from ember.storage.series_set import SeriesSet
from ember.web.query_json import query_response_body
from ember.web.responses import format_timestamp, format_value


def _expected(series: SeriesSet) -> list[dict[str, object]]:
    return [{"metric": dict(labels), "values": [[format_timestamp(t), format_value(v)]
                                                for t, v in zip(ts.tolist(), vals.tolist(), strict=True)]}
            for labels, ts, vals in series]


@given(st.lists(st.floats(allow_nan=True, allow_infinity=True) | st.sampled_from([-0.0, 1e-5, 1e21, 1e16]),
                min_size=1, max_size=20))
def test_matrix_text_equals_the_structured_form(values: list[float]) -> None:
    n = len(values)
    series = SeriesSet(
        [Labels.from_strings("__name__", "m", "a", 'x"y'), Labels.from_strings("b", "é")],
        np.array([0, n // 2, n], dtype=np.int64),
        np.array([1000 * (i % 7) + (i % 3) for i in range(n)], dtype=np.int64),
        np.array(values, dtype=np.float64),
    )
    body = json.loads(query_response_body(QueryResult("matrix", series=series, warnings=["w"])))
    assert body == {"status": "success", "data": {"resultType": "matrix", "result": _expected(series)},
                    "warnings": ["w"]}


def test_vector_scalar_and_string() -> None:
    series = SeriesSet([Labels.from_strings("a", "1")], np.array([0, 1], np.int64), np.array([1500], np.int64),
                       np.array([0.1]))
    vector = json.loads(query_response_body(QueryResult("vector", series=series)))
    assert vector["data"] == {"resultType": "vector", "result": [{"metric": {"a": "1"}, "value": [1.5, "0.1"]}]}
    scalar = json.loads(query_response_body(QueryResult("scalar", scalar=float("inf"), time_ms=2000)))
    assert scalar["data"] == {"resultType": "scalar", "result": [2, "+Inf"]}
    text = json.loads(query_response_body(QueryResult("string", string='a"b', time_ms=0)))
    assert text["data"] == {"resultType": "string", "result": [0, 'a"b']}


@given(st.lists(st.integers(min_value=0, max_value=9), min_size=1, max_size=12))
def test_matrix_in_small_batches_equals_the_structured_form(lengths: list[int]) -> None:
    """Series shorter and longer than a batch, and empty ones, come out whole and in order."""
    import ember.web.query_json as query_json

    offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    n = int(offsets[-1])
    series = SeriesSet([Labels.from_strings("s", str(i)) for i in range(len(lengths))], offsets,
                       np.array([1000 * (i % 5) + 250 * (i % 2) for i in range(n)], dtype=np.int64),
                       np.array([i / 4 if i % 3 else float(i) for i in range(n)], dtype=np.float64))
    saved = query_json.BATCH_POINTS
    query_json.BATCH_POINTS = 4
    try:
        body = json.loads(query_response_body(QueryResult("matrix", series=series)))
    finally:
        query_json.BATCH_POINTS = saved
    assert body["data"]["result"] == _expected(series)


def test_vector_in_small_batches_keeps_every_series_in_order() -> None:
    import ember.web.query_json as query_json

    n = 7
    series = SeriesSet([Labels.from_strings("s", str(i)) for i in range(n)], np.arange(n + 1, dtype=np.int64),
                       np.full(n, 1250, dtype=np.int64), np.array([i * 1.5 for i in range(n)]))
    saved = query_json.BATCH_POINTS
    query_json.BATCH_POINTS = 3
    try:
        body = json.loads(query_response_body(QueryResult("vector", series=series)))
    finally:
        query_json.BATCH_POINTS = saved
    assert body["data"]["result"] == [{"metric": {"s": str(i)}, "value": [1.25, format_value(i * 1.5)]}
                                      for i in range(n)]
