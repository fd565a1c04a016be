"""Tests for ember/promql/testscript/classify.py: which selectors reach native-histogram series."""

from __future__ import annotations

import pytest

from ember.model import Labels
from ember.promql.testscript.classify import nhcb_series, selects_any

HIST = Labels.from_strings("__name__", "req_hist", "job", "api")


@pytest.mark.parametrize(
    ("expr", "selects"),
    [
        ("req_hist", True),
        ('rate(req_hist{job="api"}[5m])', True),
        ('req_hist{job="other"}', False),
        ('{job="api"}', True),
        ('{__name__=~"req.*"}', True),
        ('{__name__=~"req"}', False),  # anchored, as Prometheus matches
        ("sum(other) + 1", False),
        ("req_hist[5m] anchored", True),  # not parseable here: falls back to the metric names
        ("other[5m] anchored", False),
    ],
)
def test_selects_any(expr: str, selects: bool) -> None:
    assert selects_any(expr, [HIST]) is selects


def test_no_histograms_means_nothing_selected() -> None:
    assert not selects_any("anything", [])


def test_nhcb_series_drops_le_and_suffix() -> None:
    bucket = Labels.from_strings("__name__", "lat_bucket", "le", "0.5", "job", "a")
    assert nhcb_series(bucket) == Labels.from_strings("__name__", "lat", "job", "a")
    assert nhcb_series(Labels.from_strings("__name__", "lat_sum")) == Labels.from_strings("__name__", "lat")
    assert nhcb_series(Labels.from_strings("__name__", "latency")) is None
