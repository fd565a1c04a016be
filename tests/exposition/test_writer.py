"""Tests for ember/exposition/writer.py, round-tripped through the text parser."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ember.exposition.scrape_result import MetricFamily
from ember.exposition.text_parser import parse_text
from ember.exposition.writer import format_value, write_text
from ember.model.labels import Labels
from tests.exposition.exposition_strategies import label_sets, sample_values, utf8_names


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (1.0, "1"), (0.5, "0.5"), (1e6, "1e+06"), (123456.0, "123456"), (1234567.0, "1.234567e+06"),
        (2.4576e7, "2.4576e+07"), (1e-5, "1e-05"), (0.0001, "0.0001"), (-3.25, "-3.25"), (0.0, "0"),
        (-0.0, "-0"), (math.inf, "+Inf"), (-math.inf, "-Inf"), (math.nan, "NaN"), (1e300, "1e+300"),
        (12345678.9, "1.23456789e+07"), (5e-324, "5e-324"),
    ],
)
def test_values_are_spelled_like_go(value: float, text: str) -> None:
    assert format_value(value) == text


def test_type_and_help_lines_per_family() -> None:
    series = [
        Labels.from_strings("__name__", "h_bucket", "le", "+Inf"),
        Labels.from_strings("__name__", "h_count"),
        Labels.from_strings("__name__", "up", "job", "a"),
    ]
    body = write_text(series, [2, 2, 1], families={"h": MetricFamily("h", "histogram", "Line\\ two\n")})
    assert body == (
        "# HELP h Line\\\\ two\\n\n# TYPE h histogram\n"
        'h_bucket{le="+Inf"} 2\nh_count 2\n'
        "# TYPE up untyped\n"
        'up{job="a"} 1\n'
    )
    assert parse_text(body).families[0].help == "Line\\ two\n"


def test_lengths_must_agree() -> None:
    with pytest.raises(ValueError, match="same length"):
        write_text([Labels.from_strings("__name__", "a")], [1.0, 2.0])


@st.composite
def samples(draw: st.DrawFn) -> tuple[list[Labels], list[float], list[int], list[bool]]:
    series = draw(st.lists(label_sets(names=utf8_names), max_size=8, unique=True))
    values = [draw(sample_values) for _ in series]
    stamps = [draw(st.integers(-(2**63), 2**63 - 1)) for _ in series]
    mask = [draw(st.booleans()) for _ in series]
    return series, values, stamps, mask


@settings(max_examples=150, deadline=None)
@given(samples())
def test_round_trip_through_the_parser(data: tuple[list[Labels], list[float], list[int], list[bool]]) -> None:
    series, values, stamps, mask = data
    scrape = parse_text(write_text(series, values, stamps, has_timestamp=mask))
    assert list(scrape.labels) == series
    np.testing.assert_array_equal(scrape.values, np.array(values, dtype=np.float64))
    assert scrape.has_timestamp.tolist() == mask
    written = [s for s, m in zip(stamps, mask, strict=True) if m]
    assert scrape.timestamps_ms[scrape.has_timestamp].tolist() == written
