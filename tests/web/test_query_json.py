from __future__ import annotations

import json

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from ember.model.labels import Labels
from ember.promql.result import QueryResult
from ember.storage.series_set import SeriesSet
from ember.web.query_json import query_response_json
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
    body = json.loads(query_response_json(QueryResult("matrix", series=series, warnings=["w"])))
    assert body == {"status": "success", "data": {"resultType": "matrix", "result": _expected(series)},
                    "warnings": ["w"]}


def test_vector_scalar_and_string() -> None:
    series = SeriesSet([Labels.from_strings("a", "1")], np.array([0, 1], np.int64), np.array([1500], np.int64),
                       np.array([0.1]))
    vector = json.loads(query_response_json(QueryResult("vector", series=series)))
    assert vector["data"] == {"resultType": "vector", "result": [{"metric": {"a": "1"}, "value": [1.5, "0.1"]}]}
    scalar = json.loads(query_response_json(QueryResult("scalar", scalar=float("inf"), time_ms=2000)))
    assert scalar["data"] == {"resultType": "scalar", "result": [2, "+Inf"]}
    text = json.loads(query_response_json(QueryResult("string", string='a"b', time_ms=0)))
    assert text["data"] == {"resultType": "string", "result": [0, 'a"b']}
