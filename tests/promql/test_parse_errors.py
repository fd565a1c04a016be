from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ember.promql.parse_errors import locate


@pytest.mark.parametrize(("text", "message", "expected"), [
    ("up +", "invalid promql query", (5, "unexpected end of input")),
    ("sum by (job) (up) and", "invalid promql query", (22, "unexpected end of input")),
    ("up down", "invalid promql query", (4, 'unexpected identifier "down"')),
    ("up 1", "invalid promql query", (4, 'unexpected number "1"')),
    ("sum(up", "unclosed left parenthesis", (7, "unclosed left parenthesis")),
    ("up)", "unexpected right parenthesis ')'", (4, "unexpected right parenthesis ')'")),
    ('up{a="b"', "unexpected end of input inside braces", (9, "unexpected end of input inside braces")),
    ("foo(bar)", "unknown function with name 'foo'", (1, "unknown function with name 'foo'")),
])
def test_positions_and_messages(text: str, message: str, expected: tuple[int, str]) -> None:
    assert locate(text, message) == expected


@given(st.text(max_size=40))
def test_any_text_gets_a_column_inside_or_just_after_it(text: str) -> None:
    column, message = locate(text, "invalid promql query")
    assert 1 <= column <= len(text) + 1 and message
