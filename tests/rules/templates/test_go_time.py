"""Methods on Go times and durations in templates (ember/rules/templates/go_time.py), including
`Format` with Go's reference layouts."""

from __future__ import annotations

import pytest

from ember.rules.templates.go_time import go_time_format, methods_of
from ember.rules.templates.values import GoDuration, GoTime
from tests.rules.templates.rendering import render, render_error

# 2015-06-23 13:19:44.128 UTC, a Tuesday, day 174 of the year.
_MOMENT = GoTime(1_435_065_584_128_000_000)


@pytest.mark.parametrize(
    ("layout", "expected"),
    [
        ("2006-01-02 15:04:05", "2015-06-23 13:19:44"),
        ("2006-01-02T15:04:05Z07:00", "2015-06-23T13:19:44Z"),
        ("2006-01-02T15:04:05.000-0700", "2015-06-23T13:19:44.128+0000"),
        ("Mon Jan _2 15:04:05 MST 2006", "Tue Jun 23 13:19:44 UTC 2015"),
        ("Monday, 02-January-06 3:04PM", "Tuesday, 23-June-15 1:19PM"),
        ("03:04:05 pm", "01:19:44 pm"),
        ("1/2 4:5", "6/23 19:44"),
        ("05.999999", "44.128"),
        ("05.000000", "44.128000"),
        ("05,000", "44,128"),
        ("002 __2", "174 174"),
        ("-07:00 -07 Z0700", "+00:00 +00 Z"),
        ("literal text", "literal text"),
    ],
)
def test_format_layouts(layout: str, expected: str) -> None:
    assert go_time_format(_MOMENT, layout) == expected


def test_fraction_of_nines_is_dropped_when_zero() -> None:
    assert go_time_format(GoTime(44 * 10**9), "05.999") == "44"


def test_time_methods() -> None:
    methods = methods_of(_MOMENT)
    assert methods["Unix"].body() == 1435065584
    assert methods["UnixMilli"].body() == 1435065584128
    assert methods["Year"].body() == 2015
    assert methods["Weekday"].body() == "Tuesday"
    assert methods["Add"].body(GoDuration(-128_000_000)) == GoTime(1_435_065_584_000_000_000)
    assert methods["Sub"].body(GoTime(0)) == GoDuration(1_435_065_584_128_000_000)
    assert methods_of("not a time") == {}


def test_duration_methods() -> None:
    methods = methods_of(GoDuration(-5_400_500_000_000))
    assert methods["Hours"].body() == -1.5001388888888888
    assert methods["Milliseconds"].body() == -5_400_500
    assert methods["String"].body() == "-1h30m0.5s"
    assert methods["Abs"].body() == GoDuration(5_400_500_000_000)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{{ (toTime 1435065584.128).Format "2006-01-02" }}', "2015-06-23"),
        ("{{ (toTime 1435065584.128).Unix }}", "1435065584"),
        ("{{ (toDuration 5400).Minutes }}", "90"),
        ("{{ ((toTime 60).Sub (toTime 0)).String }}", "1m0s"),
        ("{{ (toTime 0).Before (toTime 1) }}", "true"),
        ("{{ ((toTime 0).Add 5).UnixNano }}", "5"),
        ('{{ toTime 0 | printf "%T" }}', "*time.Time"),
    ],
)
def test_methods_in_templates(text: str, expected: str) -> None:
    assert render(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{{ (toTime 0).Format 1 }}", "expected string; found 1"),
        ("{{ (toTime 0).Add 1.5 }}", "expected integer; found 1.5"),
        ('{{ (toTime 0).Add "x" }}', 'expected integer; found "x"'),
        ("{{ (toTime 0).Format }}", "wrong number of args for Format: want 1 got 0"),
        ("{{ (toTime 0).Nope }}", "can't evaluate field Nope in type *time.Time"),
    ],
)
def test_method_errors(text: str, message: str) -> None:
    assert render_error(text).endswith(message)
