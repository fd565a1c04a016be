"""Tests for ember/promql/binary_ops.py through the engine: matching, cardinalities, set operators and
Prometheus's error messages."""

from __future__ import annotations

import pytest

from ember.errors import ExecutionError
from ember.model import Labels, SampleBatch
from ember.promql.engine import Engine
from ember.testing import ReferenceStorage


def storage_of(*series: tuple[dict[str, str], float]) -> ReferenceStorage:
    storage = ReferenceStorage()
    appender = storage.appender()
    for labels, value in series:
        appender.append(SampleBatch.of_series(Labels.from_dict(labels), [0], [value]))
    appender.commit()
    return storage


def vector(storage: ReferenceStorage, expr: str) -> dict[str, float]:
    result = Engine().instant_query(storage, expr, 0)
    assert result.series is not None
    return {str(lb): float(v[0]) for lb, _, v in result.series}


DATA = storage_of(
    ({"__name__": "req", "job": "a", "code": "200"}, 10.0),
    ({"__name__": "req", "job": "a", "code": "500"}, 2.0),
    ({"__name__": "req", "job": "b", "code": "200"}, 4.0),
    ({"__name__": "limit", "job": "a", "tier": "gold"}, 100.0),
    ({"__name__": "limit", "job": "b", "tier": "free"}, 50.0),
)


def test_arithmetic_drops_name_comparison_keeps_it() -> None:
    assert vector(DATA, 'req{code="500"} * 2') == {'{code="500", job="a"}': 4.0}
    assert vector(DATA, "req > 3") == {'req{code="200", job="a"}': 10.0, 'req{code="200", job="b"}': 4.0}
    assert vector(DATA, "3 < bool req{job=\"b\"}") == {'{code="200", job="b"}': 1.0}


def test_comparison_with_scalar_on_left_keeps_vector_value() -> None:
    assert vector(DATA, "5 < req") == {'req{code="200", job="a"}': 10.0}


def test_group_left_copies_labels_from_one_side() -> None:
    got = vector(DATA, "req / on(job) group_left(tier) limit")
    assert got == {
        '{code="200", job="a", tier="gold"}': 0.1,
        '{code="500", job="a", tier="gold"}': 0.02,
        '{code="200", job="b", tier="free"}': 0.08,
    }


def test_one_to_one_on_keeps_only_matching_labels() -> None:
    assert vector(DATA, 'req{code="200"} - on(job) limit') == {'{job="a"}': -90.0, '{job="b"}': -46.0}


def test_many_to_one_without_group_modifier_fails() -> None:
    with pytest.raises(ExecutionError, match="many-to-one matching must be explicit"):
        vector(DATA, "req + on(job) limit")


def test_duplicate_on_one_side_fails_with_prometheus_message() -> None:
    with pytest.raises(ExecutionError) as caught:
        vector(DATA, "limit / on(job) group_left req")
    assert str(caught.value).startswith(
        'found duplicate series for the match group {job="a"} on the right hand-side of the operation: '
        '[{__name__="req", code="200", job="a"}, {__name__="req", code="500", job="a"}]'
    )


def test_set_operators() -> None:
    assert set(vector(DATA, 'req and on(job) limit{tier="gold"}')) == {
        'req{code="200", job="a"}', 'req{code="500", job="a"}'}
    assert set(vector(DATA, 'req unless on(job) limit{tier="gold"}')) == {'req{code="200", job="b"}'}
    got = vector(DATA, 'req{job="a"} or limit')
    assert set(got) == {'req{code="200", job="a"}', 'req{code="500", job="a"}',
                        'limit{job="a", tier="gold"}', 'limit{job="b", tier="free"}'}


def test_division_and_modulo_follow_go() -> None:
    assert vector(DATA, 'req{code="500"} % -3') == {'{code="500", job="a"}': 2.0}
    assert vector(DATA, 'req{code="500"} / 0') == {'{code="500", job="a"}': float("inf")}


def test_fill_modifiers_fill_the_missing_side() -> None:
    storage = storage_of(
        ({"__name__": "l", "k": "a"}, 1.0), ({"__name__": "l", "k": "b"}, 2.0),
        ({"__name__": "r", "k": "a"}, 10.0), ({"__name__": "r", "k": "c"}, 30.0),
    )
    assert vector(storage, "l + fill(0) r") == {'{k="a"}': 11.0, '{k="b"}': 2.0, '{k="c"}': 30.0}
    assert vector(storage, "l + fill_right(5) r") == {'{k="a"}': 11.0, '{k="b"}': 7.0}
    assert vector(storage, "l + fill_left(5) r") == {'{k="a"}': 11.0, '{k="c"}': 35.0}
    assert vector(storage, "l != fill(30) r") == {'l{k="a"}': 1.0, 'l{k="b"}': 2.0}


def test_set_operators_work_per_step_in_range_queries() -> None:
    storage = ReferenceStorage()
    appender = storage.appender()
    appender.append(SampleBatch.of_series(Labels.from_strings("__name__", "a"), [0, 60_000], [1.0, 2.0]))
    appender.append(SampleBatch.of_series(Labels.from_strings("__name__", "b"), [60_000], [5.0]))
    appender.commit()
    result = Engine(lookback_delta_ms=30_000).range_query(storage, "a unless on() b", 0, 60_000, 60_000)
    assert result.series is not None
    assert result.series.timestamps.tolist() == [0]
