"""Go's fmt over template values (ember/rules/templates/gofmt.py): verbs, flags, widths and the
in-band error forms, checked against outputs documented for Go's fmt package."""

from __future__ import annotations

import math
from typing import Any

import pytest

from ember.rules.templates.gofmt import go_quote, go_sprint, go_sprintf, go_sprintln
from ember.rules.templates.values import GoDuration, GoTime, SafeHTML, any_map, string_map


@pytest.mark.parametrize(
    ("fmt", "args", "expected"),
    [
        ("%s", ["text"], "text"),
        ("%q", ['a"b\n'], '"a\\"b\\n"'),
        ("%v", [1e6], "1e+06"),
        ("%v", [123456.0], "123456"),
        ("%v", [0.1], "0.1"),
        ("%v", [-0.0], "-0"),
        ("%v %v %v", [math.inf, -math.inf, math.nan], "+Inf -Inf NaN"),
        ("%d", [42], "42"),
        ("%5d|%-5d|%05d", [42, 42, -42], "   42|42   |-0042"),
        ("%+d % d", [5, 5], "+5  5"),
        ("%x %X %o %b", [255, 255, 8, 5], "ff FF 10 101"),
        ("%#x %#o", [255, 8], "0xff 010"),
        ("%.3d", [7], "007"),
        ("%c %U %q", [65, 0x1F600, 97], "A U+1F600 'a'"),
        ("%f", [3.14159], "3.141590"),
        ("%.2f", [3.14159], "3.14"),
        ("%0.2f", [3720.01], "3720.01"),
        ("%8.3f|%-8.3f|%08.3f", [3.14159, 3.14159, -3.14159], "   3.142|3.142   |-003.142"),
        ("%+.1f", [2.0], "+2.0"),
        ("%e %E", [1234.5678, 1234.5678], "1.234568e+03 1.234568E+03"),
        ("%g", [1234.5678], "1234.5678"),
        ("%g", [1e21], "1e+21"),
        ("%.3g", [1234.5678], "1.23e+03"),
        ("%.4g", [0.0001234], "0.0001234"),
        ("%5.1f", [math.inf], " +Inf"),
        ("%05.1f", [math.nan], "  NaN"),
        ("%t %v", [True, False], "true false"),
        ("%x %X", ["hi", "hi"], "6869 6869"),
        ("%.2s|%5s|%-5s|", ["abcdef", "ab", "ab"], "ab|   ab|ab   |"),
        ("%v", [string_map({"b": "2", "a": "1"})], "map[a:1 b:2]"),
        ("%v", [any_map({"x": 1.5, "y": None})], "map[x:1.5 y:<nil>]"),
        ("%s", [SafeHTML("<b>")], "<b>"),
        ("%v", [GoTime(1_435_065_584_128_000_000)], "2015-06-23 13:19:44.128 +0000 UTC"),
        ("%s", [GoDuration(90 * 10**9)], "1m30s"),
        ("%T %T %T %T %T", [1, 1.5, "s", True, None], "int float64 string bool <nil>"),
        ("100%%", [], "100%"),
        ("%*d|%-*d", [4, 7, 3, 7], "   7|7  "),
    ],
)
def test_sprintf(fmt: str, args: list[Any], expected: str) -> None:
    assert go_sprintf(fmt, args) == expected


@pytest.mark.parametrize(
    ("fmt", "args", "expected"),
    [
        ("%d", ["x"], "%!d(string=x)"),
        ("%s", [1.5], "%!s(float64=1.5)"),
        ("%d", [1.5], "%!d(float64=1.5)"),
        ("%t", [1], "%!t(int=1)"),
        ("%d", [None], "%!d(<nil>)"),
        ("%d %d", [1], "1 %!d(MISSING)"),
        ("%d", [1, "x", 2.5], "1%!(EXTRA string=x, float64=2.5)"),
        ("abc%", [], "abc%!(NOVERB)"),
        ("%z", [1], "%!z(int=1)"),
    ],
)
def test_sprintf_error_forms(fmt: str, args: list[Any], expected: str) -> None:
    assert go_sprintf(fmt, args) == expected


def test_sprint_spaces_only_between_non_strings() -> None:
    assert go_sprint([1, 2, "a", 3, "b", "c", 4.5, True]) == "1 2a3bc4.5 true"
    assert go_sprint([None]) == "<nil>"


def test_sprintln_always_spaces_and_ends_with_newline() -> None:
    assert go_sprintln(["a", "b", 1]) == "a b 1\n"


@pytest.mark.parametrize(
    ("text", "expected"),
    [("plain", '"plain"'), ('q"\\', '"q\\"\\\\"'), ("\x00\x7f", '"\\x00\\x7f"'), ("é\u200b", '"é\\u200b"')],
)
def test_go_quote(text: str, expected: str) -> None:
    assert go_quote(text) == expected


def test_quote_to_ascii_with_plus_flag() -> None:
    assert go_sprintf("%+q", ["é"]) == '"\\u00e9"'
    assert go_sprintf("%#q", ["a b"]) == "`a b`"
