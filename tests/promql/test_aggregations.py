"""Tests for ember/promql/aggregations.py through the engine: grouping, selection order, count_values."""

from __future__ import annotations

import pytest

from ember.errors import ExecutionError
from ember.model import Labels, SampleBatch
from ember.promql.engine import Engine
from ember.testing import ReferenceStorage


def storage_of(values: dict[tuple[str, str], float]) -> ReferenceStorage:
    storage = ReferenceStorage()
    appender = storage.appender()
    for (job, instance), value in values.items():
        labels = Labels.from_strings("__name__", "cpu", "job", job, "instance", instance)
        appender.append(SampleBatch.of_series(labels, [0], [value]))
    appender.commit()
    return storage


DATA = storage_of({("a", "1"): 1.0, ("a", "2"): 5.0, ("b", "1"): 3.0, ("b", "2"): 3.0})


def query(expr: str) -> list[tuple[str, float]]:
    result = Engine().instant_query(DATA, expr, 0)
    assert result.series is not None
    return [(str(lb), float(v[0])) for lb, _, v in result.series]


def test_sum_by_and_without() -> None:
    assert sorted(query("sum by (job) (cpu)")) == [('{job="a"}', 6.0), ('{job="b"}', 6.0)]
    assert sorted(query("sum without (job) (cpu)")) == [('{instance="1"}', 4.0), ('{instance="2"}', 8.0)]
    assert query("avg(cpu)") == [("{}", 3.0)]
    assert query("count(cpu)") == [("{}", 4.0)]


def test_topk_orders_instant_results_best_first() -> None:
    got = query("topk(3, cpu)")
    assert [v for _, v in got] == [5.0, 3.0, 3.0]
    assert query("bottomk by (job) (1, cpu)")[0][1] in (1.0, 3.0)


def test_count_values_labels_by_value() -> None:
    assert sorted(query('count_values("v", cpu)')) == [('{v="1"}', 1.0), ('{v="3"}', 2.0), ('{v="5"}', 1.0)]


def test_quantile_and_stddev() -> None:
    assert query("quantile(0.5, cpu)") == [("{}", 3.0)]
    assert query("stdvar(cpu)") == [("{}", 2.0)]


def test_nan_parameter_fails() -> None:
    with pytest.raises(ExecutionError, match="Parameter value is NaN"):
        query("topk(NaN, cpu)")


def test_limit_ratio_complements() -> None:
    first = {name for name, _ in query("limit_ratio(0.3, cpu)")}
    second = {name for name, _ in query("limit_ratio(-0.7, cpu)")}
    assert first.isdisjoint(second)
    assert len(first | second) == 4
