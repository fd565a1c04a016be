"""Tests for ember/promql/testscript/histogram_notation.py."""

from __future__ import annotations

import math

import pytest

from ember.promql.testscript.histogram_notation import (
    HistogramNotationError,
    NativeHistogram,
    parse_histogram,
)


def test_all_fields() -> None:
    h = parse_histogram(
        "schema:1 sum:-0.3 count:3.1 z_bucket:7.1 z_bucket_w:0.05 buckets:[5.1 10 7] offset:-3 "
        "n_buckets:[4.1 5] n_offset:-5 counter_reset_hint:gauge"
    )
    assert (h.schema, h.sum, h.count, h.z_bucket, h.z_bucket_w) == (1, -0.3, 3.1, 7.1, 0.05)
    assert h.buckets == (5.1, 10.0, 7.0) and h.offset == -3
    assert h.n_buckets == (4.1, 5.0) and h.n_offset == -5
    assert h.counter_reset_hint == "gauge" and h.counter_reset_hint_set


def test_defaults_and_custom_buckets() -> None:
    assert parse_histogram("") == NativeHistogram()
    h = parse_histogram("schema:-53 sum:1 count:1 custom_values:[0.1 +Inf] buckets:[1]")
    assert h.uses_custom_buckets and h.custom_values == (0.1, math.inf)
    assert not h.counter_reset_hint_set


@pytest.mark.parametrize(
    "body",
    ["schema:1.5", "sum:abc", "buckets:1", "counter_reset_hint:maybe", "colour:red", "sum:1 sum:2",
     "sum:1 junk"],
)
def test_invalid_histograms(body: str) -> None:
    with pytest.raises(HistogramNotationError):
        parse_histogram(body)
