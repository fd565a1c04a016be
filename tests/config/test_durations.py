from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ember.config.durations import Duration, format_duration_ms, parse_duration_ms
from ember.errors import ConfigError

UNIT_MS = {
    "y": 31_536_000_000,
    "w": 604_800_000,
    "d": 86_400_000,
    "h": 3_600_000,
    "m": 60_000,
    "s": 1000,
    "ms": 1,
}


@pytest.mark.parametrize(
    ("text", "parts"),
    [
        ("0", {}),
        ("5m", {"m": 5}),
        ("15s", {"s": 15}),
        ("100ms", {"ms": 100}),
        ("1h30m", {"h": 1, "m": 30}),
        ("1d", {"d": 1}),
        ("2w", {"w": 2}),
        ("1y", {"y": 1}),
        ("1y2w3d4h5m6s7ms", {"y": 1, "w": 2, "d": 3, "h": 4, "m": 5, "s": 6, "ms": 7}),
        ("0s", {}),
        ("90s", {"s": 90}),
    ],
)
def test_parse(text: str, parts: dict[str, int]) -> None:
    assert parse_duration_ms(text) == sum(UNIT_MS[unit] * count for unit, count in parts.items())


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty duration string"),
        ("5", 'not a valid duration string: "5"'),
        ("m", 'not a valid duration string: "m"'),
        ("1m1h", 'not a valid duration string: "1m1h"'),
        ("1s1s", 'not a valid duration string: "1s1s"'),
        ("-5m", 'not a valid duration string: "-5m"'),
        ("1.5h", 'unknown unit "." in duration "1.5h"'),
        ("5x", 'unknown unit "x" in duration "5x"'),
        ("5 m", 'unknown unit " m" in duration "5 m"'),
        ("300y", "duration out of range"),
    ],
)
def test_invalid(text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_duration_ms(text)


@pytest.mark.parametrize(
    ("ms", "text"),
    [
        (0, "0s"),
        (90_000, "1m30s"),
        (5_400_000, "1h30m"),
        (86_400_000 * 14, "2w"),
        (86_400_000 * 15, "15d"),
        (31_536_000_000, "1y"),
        (1500, "1s500ms"),
        (-60_000, "-1m"),
    ],
)
def test_format_like_prometheus(ms: int, text: str) -> None:
    assert format_duration_ms(ms) == text
    assert str(Duration(ms)) == text


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=0, max_value=200 * 31_536_000_000))
def test_format_parses_back(ms: int) -> None:
    assert parse_duration_ms(format_duration_ms(ms)) == ms


def test_duration_is_milliseconds() -> None:
    interval = Duration.parse("1m")
    assert interval == 60_000
    assert interval.seconds == 60.0
    assert repr(interval) == "Duration('1m')"
