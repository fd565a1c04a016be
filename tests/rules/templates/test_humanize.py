"""Prometheus's number formatting functions (ember/rules/templates/humanize.py), against the
outputs Prometheus documents and tests for the same inputs."""

from __future__ import annotations

import math
from typing import Any

import pytest

from ember.rules.templates.calls import FunctionError
from ember.rules.templates.humanize import (
    convert_to_float,
    go_parse_float,
    humanize,
    humanize1024,
    humanize_duration,
    humanize_percentage,
    humanize_timestamp,
    to_duration,
    to_time,
)
from ember.rules.templates.values import GoDuration
from tests.rules.templates.rendering import render

_INT64_MAX = 2**63 - 1
_UINT64_MAX = 2**64 - 1
_OVERFLOW = " cannot be represented as a nanoseconds timestamp since it overflows int64"


def _each(function: Any, values: list[Any]) -> str:
    return "".join(f"{function(value)}:" for value in values)


def test_humanize() -> None:
    assert humanize(1234567.0) == "1.235M"
    assert _each(humanize, [0.0, 1.0, 1234567.0, 0.12]) == "0:1:1.235M:120m:"
    assert _each(humanize, ["0.0", "1.0", "1234567.0", ".12"]) == "0:1:1.235M:120m:"
    assert _each(humanize, [0, -1, 1, 1234567, _INT64_MAX]) == "0:-1:1:1.235M:9.223E:"
    assert _each(humanize, [0, 1, 1234567, _UINT64_MAX]) == "0:1:1.235M:18.45E:"
    assert _each(humanize, [1e-9, 2.5e-5, 1e27, -1500.0]) == "1n:25u:1000Y:-1.5k:"


def test_humanize1024() -> None:
    assert humanize1024(1048576) == "1Mi"
    assert _each(humanize1024, [0.0, 1.0, 1048576.0, 0.12]) == "0:1:1Mi:0.12:"
    assert _each(humanize1024, ["0.0", "1.0", "1048576.0", ".12"]) == "0:1:1Mi:0.12:"
    assert _each(humanize1024, [0, -1, 1, 1234567, _INT64_MAX]) == "0:-1:1:1.177Mi:8Ei:"
    assert _each(humanize1024, [0, 1, 1234567, _UINT64_MAX]) == "0:1:1.177Mi:16Ei:"
    assert humanize1024(2048) == "2ki"


def test_humanize_duration() -> None:
    assert humanize_duration(3600 * 24 + 3661) == "1d 1h 1m 1s"
    values = [0, 1, 60, 3600, 86400, 86400 + 3600, -(86400 * 2 + 3600 * 3 + 60 * 4 + 5), 899.99]
    assert _each(humanize_duration, [float(v) for v in values]) == (
        "0s:1s:1m 0s:1h 0m 0s:1d 0h 0m 0s:1d 1h 0m 0s:-2d 3h 4m 5s:14m 59s:"
    )
    assert _each(humanize_duration, ["0", "1", "60", "3600", "86400"]) == "0s:1s:1m 0s:1h 0m 0s:1d 0h 0m 0s:"
    small = [0.1, 0.0001, 0.12345, 60.1, 60.5, 1.2345, 12.345]
    assert _each(humanize_duration, small) == "100ms:100us:123.5ms:1m 0s:1m 0s:1.234s:12.35s:"
    assert _each(humanize_duration, [str(v) for v in small]) == "100ms:100us:123.5ms:1m 0s:1m 0s:1.234s:12.35s:"
    assert _each(humanize_duration, [0, -1, 1, 1234567]) == "0s:-1s:1s:14d 6h 56m 7s:"


def test_non_finite_values_print_with_4g() -> None:
    functions = [humanize, humanize1024, humanize_duration, humanize_timestamp]
    for value in (math.inf, "+Inf"):
        assert [f(value) for f in functions] == ["+Inf"] * 4
    for value in (-math.inf, "-Inf"):
        assert [f(value) for f in functions] == ["-Inf"] * 4
    for value in (math.nan, "NaN"):
        assert [f(value) for f in functions] == ["NaN"] * 4


def test_humanize_percentage() -> None:
    assert humanize_percentage(0.1234) == "12.34%"
    assert _each(humanize_percentage, [-0.22222, 0.0, 0.1234567, 1.23456]) == "-22.22%:0%:12.35%:123.5%:"
    assert _each(humanize_percentage, ["-0.22222", "0.0", "0.1234567", "1.23456"]) == "-22.22%:0%:12.35%:123.5%:"
    assert _each(humanize_percentage, [0, -1, 1, 1234567, _INT64_MAX]) == "0%:-100%:100%:1.235e+08%:9.223e+20%:"


def test_humanize_timestamp() -> None:
    assert humanize_timestamp(1435065584.128) == "2015-06-23 13:19:44.128 +0000 UTC"
    assert humanize_timestamp("1435065584.128") == "2015-06-23 13:19:44.128 +0000 UTC"
    assert _each(humanize_timestamp, [0, -1, 1, 1234567, 9223372036]) == (
        "1970-01-01 00:00:00 +0000 UTC:1969-12-31 23:59:59 +0000 UTC:1970-01-01 00:00:01 +0000 UTC:"
        "1970-01-15 06:56:07 +0000 UTC:2262-04-11 23:47:16 +0000 UTC:"
    )


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (-(2**63), "-9.223372036854776e+18" + _OVERFLOW),
        (_UINT64_MAX, "1.8446744073709552e+19" + _OVERFLOW),
    ],
)
def test_humanize_timestamp_overflow(value: int, message: str) -> None:
    with pytest.raises(FunctionError) as caught:
        humanize_timestamp(value)
    assert str(caught.value) == message


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("one", 'strconv.ParseFloat: parsing "one": invalid syntax'),
        ("1_000", 'strconv.ParseFloat: parsing "1_000": invalid syntax'),
        ("", 'strconv.ParseFloat: parsing "": invalid syntax'),
        ("1e999", 'strconv.ParseFloat: parsing "1e999": value out of range'),
        (True, "can't convert bool to float"),
        ([1], "can't convert []interface {} to float"),
    ],
)
def test_conversion_errors(value: Any, message: str) -> None:
    with pytest.raises(FunctionError) as caught:
        convert_to_float(value)
    assert str(caught.value) == message


@pytest.mark.parametrize(
    ("text", "expected"),
    [("1.5", 1.5), ("-2e3", -2000.0), (".5", 0.5), ("5.", 5.0), ("Inf", math.inf), ("-infinity", -math.inf),
     ("0x1p4", 16.0), ("+3", 3.0)],
)  # fmt: skip
def test_go_parse_float(text: str, expected: float) -> None:
    assert go_parse_float(text) == expected


def test_to_time_and_to_duration() -> None:
    assert str(to_time(1435065584.128)) == "2015-06-23 13:19:44.128 +0000 UTC"
    assert str(to_duration(1800)) == "30m0s"
    assert str(to_duration("1.5")) == "1.5s"
    assert convert_to_float(GoDuration(2_500_000_000)) == 2.5
    with pytest.raises(FunctionError, match="value is NaN or Inf"):
        to_time(math.nan)


def test_functions_through_templates() -> None:
    assert render("{{ 1048576 | humanize1024 }} {{ humanize 0.000123 }} {{ $value | humanizePercentage }}",
                  value=0.5) == "1Mi 123u 50%"  # fmt: skip
    assert render("{{ humanizeDuration $value }}", value=90061.0) == "1d 1h 1m 1s"
    assert render("{{ humanizeTimestamp $value }}", value=0.0) == "1970-01-01 00:00:00 +0000 UTC"
