"""Go values in templates (ember/rules/templates/values.py): float printing, durations, times,
truthiness and type names."""

from __future__ import annotations

import datetime
import math
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ember.rules.templates.values import (
    GoDuration,
    GoTime,
    QueryResult,
    SafeHTML,
    civil_time,
    format_float_shortest,
    format_for_output,
    format_value,
    go_duration_string,
    go_type_name,
    is_true,
    make_sample,
    string_map,
)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0.0, "0"),
        (-0.0, "-0"),
        (1.0, "1"),
        (0.1, "0.1"),
        (100000.0, "100000"),
        (1e6, "1e+06"),
        (1234567.0, "1.234567e+06"),
        (0.0001, "0.0001"),
        (0.00001, "1e-05"),
        (1.5e300, "1.5e+300"),
        (-2.5e-7, "-2.5e-07"),
        (1353755652.0, "1.353755652e+09"),
        (math.inf, "+Inf"),
        (-math.inf, "-Inf"),
        (math.nan, "NaN"),
        (5e-324, "5e-324"),
    ],
)
def test_float_prints_as_go_percent_v(value: float, expected: str) -> None:
    assert format_float_shortest(value) == expected


@pytest.mark.parametrize(
    ("nanos", "expected"),
    [
        (0, "0s"),
        (1, "1ns"),
        (1500, "1.5µs"),
        (2_000_000, "2ms"),
        (1_500_000_000, "1.5s"),
        (1800 * 10**9, "30m0s"),
        (3723 * 10**9 + 500_000_000, "1h2m3.5s"),
        (-90 * 10**9, "-1m30s"),
    ],
)
def test_duration_string(nanos: int, expected: str) -> None:
    assert go_duration_string(nanos) == expected
    assert str(GoDuration(nanos)) == expected


@pytest.mark.parametrize(
    ("nanos", "expected"),
    [
        (0, "1970-01-01 00:00:00 +0000 UTC"),
        (-(10**9), "1969-12-31 23:59:59 +0000 UTC"),
        (1_435_065_584_128_000_000, "2015-06-23 13:19:44.128 +0000 UTC"),
        (1_500_000, "1970-01-01 00:00:00.0015 +0000 UTC"),
    ],
)
def test_time_string(nanos: int, expected: str) -> None:
    assert str(GoTime(nanos)) == expected


@pytest.mark.parametrize(
    ("value", "truth"),
    [
        (None, False), (False, False), (True, True), (0, False), (3, True), (0.0, False), (math.nan, True),
        ("", False), ("x", True), (string_map({}), False), (string_map({"a": "b"}), True),
        (QueryResult(), False), (QueryResult([make_sample({}, 0.0)]), True), (make_sample({}, 0.0), True),
        (GoTime(0), True),
    ],
)  # fmt: skip
def test_truthiness_as_go_templates(value: Any, truth: bool) -> None:
    assert is_true(value) is truth


@pytest.mark.parametrize(
    ("value", "name"),
    [
        (SafeHTML("x"), "template.HTML"),
        (QueryResult(), "template.queryResult"),
        (make_sample({}, 1.0), "*template.sample"),
        (string_map({}), "map[string]string"),
        (GoTime(0), "*time.Time"),
        (GoDuration(0), "*time.Duration"),
    ],
)
def test_go_type_names(value: Any, name: str) -> None:
    assert go_type_name(value) == name


def test_sample_pointer_prints_dereferenced_at_top_level_and_with_ampersand_in_print() -> None:
    sample = make_sample({"job": "a"}, 2.0)
    assert format_for_output(sample) == "{map[job:a] 2}"
    assert format_value(sample) == "&{map[job:a] 2}"
    assert format_value(QueryResult([sample])).startswith("[0xc")
    assert format_for_output(None) == "<no value>"


@settings(max_examples=300)
@given(st.integers(min_value=-62_135_596_800, max_value=253_402_300_799), st.integers(0, 999_999_999))
def test_civil_time_agrees_with_datetime(seconds: int, nanos: int) -> None:
    moment = datetime.datetime(1970, 1, 1) + datetime.timedelta(seconds=seconds)
    civil = civil_time(seconds * 1_000_000_000 + nanos)
    assert (civil.year, civil.month, civil.day) == (moment.year, moment.month, moment.day)
    assert (civil.hour, civil.minute, civil.second, civil.nanosecond) == (
        moment.hour,
        moment.minute,
        moment.second,
        nanos,
    )
    assert civil.weekday == (moment.isoweekday() % 7)
    assert civil.year_day == moment.timetuple().tm_yday


def test_times_beyond_datetime_range_still_print() -> None:
    assert str(GoTime(400_000_000_000 * 1_000_000_000)).startswith("14645-")
