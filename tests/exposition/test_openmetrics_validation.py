"""Tests for ember/exposition/openmetrics_validation.py (the conformance suite covers each rule too)."""

from __future__ import annotations

import pytest

from ember.exposition.openmetrics_parser import parse_openmetrics
from ember.exposition.openmetrics_validation import SampleRuleError, validate_samples


def _validate(body: str) -> None:
    validate_samples(parse_openmetrics(body + "# EOF\n"))


def test_a_valid_histogram_with_repeated_series_passes() -> None:
    _validate(
        "# TYPE h histogram\n"
        'h_bucket{le="1"} 1 5\nh_bucket{le="+Inf"} 2 5\nh_bucket{le="+Inf"} 2 5\nh_count 2 5\nh_sum 3 5\n'
        'h_bucket{le="1"} 2 6\nh_bucket{le="+Inf"} 3 6\n'
    )


@pytest.mark.parametrize(
    ("body", "index", "reason"),
    [
        ('# TYPE h histogram\nh_bucket{le="2"} 1\nh_bucket{le="1"} 1\n', 1, "out of le order"),
        ('# TYPE h histogram\nh_bucket{le="1"} 1\n', 0, "no +Inf bucket"),
        ('# TYPE h histogram\nh_bucket{le="+Inf"} 1\nh_count 2\nh_sum 1\n', 2, "does not match"),
        ('# TYPE s summary\ns{quantile="2"} 1\n', 0, "invalid quantile"),
        ('# TYPE c counter\nc_total{a="1"} 1\nc_total{a="2"} 1\nc_created{a="1"} 1\n', 2, "not together"),
        ("# TYPE g gauge\ng 1 5\ng 1 4\n", 1, "backwards"),
        ('# TYPE i info\ni_info{a="1"} 2\n', 0, "value one"),
    ],
)
def test_rules_point_at_the_offending_sample(body: str, index: int, reason: str) -> None:
    with pytest.raises(SampleRuleError) as caught:
        _validate(body)
    assert caught.value.index == index
    assert reason in caught.value.reason
