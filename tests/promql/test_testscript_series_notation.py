"""Tests for ember/promql/testscript/series_notation.py: value expansions and label sets."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ember.model import Labels
from ember.promql.testscript.series_notation import (
    HistogramValue,
    NotationError,
    expand_item,
    is_stale_marker,
    parse_labels,
    parse_series_line,
    parse_values,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1+2x3", [1.0, 3.0, 5.0, 7.0]),
        ("1-1x2", [1.0, 0.0, -1.0]),
        ("5x3", [5.0, 5.0, 5.0, 5.0]),
        ("-2+1x2", [-2.0, -1.0, 0.0]),
        ("-1-1x2", [-1.0, -2.0, -3.0]),
        ("0+10x0", [0.0]),
        ("1e3", [1000.0]),
        (".5", [0.5]),
        ("+Inf", [math.inf]),
        ("-Inf", [-math.inf]),
        ("inf", [math.inf]),
        ("_", [None]),
        ("_x3", [None, None, None]),
    ],
)
def test_expand_item(text: str, expected: list[float | None]) -> None:
    assert expand_item(text) == expected


def test_nan_and_stale_are_different_nans() -> None:
    (nan,) = expand_item("NaN")
    (stale,) = expand_item("stale")
    assert isinstance(nan, float) and math.isnan(nan) and not is_stale_marker(nan)
    assert isinstance(stale, float) and math.isnan(stale) and is_stale_marker(stale)


def test_steps_accumulate_like_prometheus() -> None:
    # Each value is the previous plus the step (not start + i * step), so rounding accumulates.
    values = expand_item("0+0.1x3")
    running = 0.0
    for i, value in enumerate(values):
        assert value == running, i
        running += 0.1


@settings(max_examples=50, deadline=None)
@given(start=st.integers(-1000, 1000), step=st.integers(0, 100), times=st.integers(0, 30), up=st.booleans())
def test_sequence_length_and_ends(start: int, step: int, times: int, up: bool) -> None:
    sign = "+" if up else "-"
    values = expand_item(f"{start}{sign}{step}x{times}")
    assert len(values) == times + 1
    assert values[0] == start
    assert values[-1] == start + (step if up else -step) * times


def test_parse_values_mixes_items_and_histograms() -> None:
    values = parse_values("1 _ {{schema:0 sum:5 count:4 buckets:[1 2 1]}} stale {{sum:1}}x2 3")
    assert values[0] == 1.0 and values[1] is None
    histogram = values[2]
    assert isinstance(histogram, HistogramValue)
    assert histogram.histogram.sum == 5.0 and histogram.histogram.buckets == (1.0, 2.0, 1.0)
    assert is_stale_marker(values[3])
    assert all(isinstance(v, HistogramValue) for v in values[4:7])
    assert values[7] == 3.0 and len(values) == 8


def test_histogram_increment_sequence_counts_slots() -> None:
    values = parse_values("{{schema:0 sum:1}}+{{sum:2}}x3 7")
    assert len(values) == 5 and values[-1] == 7.0
    third = values[2]
    assert isinstance(third, HistogramValue) and third.index == 2
    assert third.step is not None and third.step.sum == 2.0


def test_bad_histogram_is_a_notation_error() -> None:
    with pytest.raises(NotationError, match="unknown native histogram field"):
        parse_values("{{schema:0 colour:red}}")


def test_parse_series_line_labels() -> None:
    labels, values = parse_series_line('http_requests{job="api", instance="0"}  0+10x2')
    assert labels == Labels.from_strings("__name__", "http_requests", "job", "api", "instance", "0")
    assert values == [0.0, 10.0, 20.0]


def test_label_values_with_spaces_escapes_and_utf8_names() -> None:
    labels, _ = parse_labels('{"my.metric", a="x y", b="q\\"uote", "c.d"="e\\n"}')
    assert labels.get("__name__") == "my.metric"
    assert labels.get("a") == "x y" and labels.get("b") == 'q"uote' and labels.get("c.d") == "e\n"


def test_empty_label_set() -> None:
    labels, values = parse_series_line("{} 3")
    assert labels == Labels() and values == [3.0]


@pytest.mark.parametrize("bad", ["1+x3", "abc", "1x", "0x1f"])
def test_bad_items_raise_notation_error(bad: str) -> None:
    with pytest.raises(NotationError):
        expand_item(bad)


@pytest.mark.parametrize("bad", ['foo{a="b" 1', "{a=b} 1", '{a="b", a="c"} 1', "7 1"])
def test_bad_series_lines_raise(bad: str) -> None:
    with pytest.raises(NotationError):
        parse_series_line(bad)
