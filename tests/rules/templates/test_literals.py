"""Go literal syntax (ember/rules/templates/literals.py): string escapes, runes, numbers."""

from __future__ import annotations

import pytest

from ember.rules.templates.literals import parse_char, parse_number, unquote


@pytest.mark.parametrize(
    ("literal", "expected"),
    [
        ('"plain"', "plain"),
        ('"a\\tb\\nc"', "a\tb\nc"),
        ('"\\a\\b\\f\\r\\v\\\\\\""', '\a\b\f\r\v\\"'),
        ('"\\x41\\101\\u00e9\\U0001F600"', "AA\u00e9\U0001f600"),
        ("`raw \\n stays`", "raw \\n stays"),
        ("`cr\r\nremoved`", "cr\nremoved"),
    ],
)
def test_unquote(literal: str, expected: str) -> None:
    assert unquote(literal) == expected


@pytest.mark.parametrize("literal", ['"\\q"', '"\\x4"', '"\\400"', '"\\uD800"', '"a', "'a'", '"\\\'"'])
def test_unquote_rejects_bad_escapes(literal: str) -> None:
    with pytest.raises(ValueError, match="invalid syntax"):
        unquote(literal)


@pytest.mark.parametrize(("literal", "code"), [("'a'", 97), ("'\\n'", 10), ("'\\''", 39), ("'é'", 233)])
def test_parse_char(literal: str, code: int) -> None:
    assert parse_char(literal) == code


@pytest.mark.parametrize(
    ("text", "int_value", "float_value", "is_float"),
    [
        ("42", 42, 42.0, False),
        ("-7", -7, -7.0, False),
        ("0x1F", 31, 31.0, False),
        ("017", 15, 15.0, False),
        ("0o17", 15, 15.0, False),
        ("0b101", 5, 5.0, False),
        ("1_000", 1000, 1000.0, False),
        ("1.5", None, 1.5, True),
        ("1e3", 1000, 1000.0, True),
        ("2.0", 2, 2.0, True),
        (".5", None, 0.5, True),
        ("0x1p-2", None, 0.25, True),
    ],
)
def test_parse_number(text: str, int_value: int | None, float_value: float, is_float: bool) -> None:
    assert parse_number(text) == (int_value, float_value, is_float)


@pytest.mark.parametrize(
    ("text", "message"),
    [("99999999999999999999", "integer overflow"), ("1e400", "illegal number syntax"), ("1i", "complex")],
)
def test_parse_number_errors(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_number(text)
