"""Go's printing of values (ember/rules/go_format.py)."""

from __future__ import annotations

import math
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ember.model import Labels
from ember.rules.go_format import go_duration, go_float_e, go_labels, go_quote, go_time


@pytest.mark.parametrize(
    ("value", "text"),
    [(1.0, "1e+00"), (0.5, "5e-01"), (123.456, "1.23456e+02"), (-2.5, "-2.5e+00"), (1e21, "1e+21"),
     (0.1 + 0.2, "3.0000000000000004e-01"), (math.nan, "NaN"), (math.inf, "+Inf"), (-math.inf, "-Inf")],
)
def test_float_e(value: float, text: str) -> None:
    assert go_float_e(value) == text
    assert go_float_e(value, upper=True) == text.upper().replace("NAN", "NaN").replace("INF", "Inf")


@pytest.mark.parametrize(
    ("ms", "text"),
    [(0, "0s"), (500, "500ms"), (1000, "1s"), (1500, "1.5s"), (60_000, "1m0s"), (90_000, "1m30s"),
     (3_600_000, "1h0m0s"), (3_723_000, "1h2m3s"), (-60_000, "-1m0s")],
)
def test_duration_like_go(ms: int, text: str) -> None:
    assert go_duration(ms) == text


def test_time_rfc3339_with_trimmed_nanoseconds() -> None:
    assert go_time(None) == "0001-01-01T00:00:00Z"
    assert go_time(1_700_000_000.0) == "2023-11-14T22:13:20Z"
    assert go_time(1_700_000_000.25) == "2023-11-14T22:13:20.25Z"
    assert go_time(1_795_601_579.961) == "2026-11-25T10:12:59.961Z"  # no float noise in the fraction


def test_quote_and_labels() -> None:
    assert go_quote('a"b\\c\nd\x01') == '"a\\"b\\\\c\\nd\\x01"'
    labels = Labels.from_strings("__name__", "up", "job", 'a"b')
    assert go_labels(labels) == '{__name__="up", job="a\\"b"}'


@settings(max_examples=200)
@given(st.floats(allow_nan=False, allow_infinity=False))
def test_float_e_round_trips_with_the_shortest_digits(value: float) -> None:
    text = go_float_e(value)
    assert re.fullmatch(r"-?\d(\.\d*[1-9])?e[+-]\d{2,3}", text), text
    assert float(text) == value
    digits = text.split("e")[0].lstrip("-").replace(".", "")
    assert len(digits) <= 17
    if len(digits) > 1:  # shortest: one digit fewer no longer round-trips
        assert float(f"{value:.{len(digits) - 2}e}") != value
