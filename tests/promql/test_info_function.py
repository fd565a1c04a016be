"""Tests for ember/promql/info_function.py: `info()` enrichment through the engine."""

from __future__ import annotations

import pytest

from ember.errors import ExecutionError
from ember.model import Labels, SampleBatch
from ember.promql.engine import Engine
from ember.testing import ReferenceStorage

MINUTE = 60_000


def storage_of(series: dict[Labels, list[float]]) -> ReferenceStorage:
    storage = ReferenceStorage()
    appender = storage.appender()
    for labels, values in series.items():
        appender.append(SampleBatch.of_series(labels, [i * MINUTE for i in range(len(values))], values))
    appender.commit()
    return storage


def labels(name: str, **pairs: str) -> Labels:
    return Labels([("__name__", name), *pairs.items()])


DATA = storage_of({
    labels("metric", instance="a", job="1"): [1.0, 2.0, 3.0],
    labels("target_info", instance="a", job="1", version="v1"): [1.0, 1.0, 1.0],
    labels("build_info", instance="a", job="1", version="v2"): [1.0, 1.0, 1.0],
})


def names(expr: str) -> set[str]:
    result = Engine().instant_query(DATA, expr, 2 * MINUTE)
    assert result.series is not None
    return {str(lb) for lb in result.series.labels}


def test_info_adds_target_info_data_labels() -> None:
    assert names("info(metric)") == {'metric{instance="a", job="1", version="v1"}'}
    assert names('info(metric, {__name__="build_info"})') == {'metric{instance="a", job="1", version="v2"}'}


def test_info_series_themselves_are_not_enriched() -> None:
    assert names("info(target_info)") == {'target_info{instance="a", job="1", version="v1"}'}


def test_data_matcher_not_matching_empty_drops_unenriched_series() -> None:
    assert names('info(metric, {nothing=~".+"})') == set()


def test_conflicting_labels_fail() -> None:
    with pytest.raises(ExecutionError, match="conflicting label"):
        names('info(metric, {__name__=~".+_info"})')
