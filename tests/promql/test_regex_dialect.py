"""Tests for ember/promql/regex_dialect.py: RE2 inline flags translated for Python's `re`."""

from __future__ import annotations

import re

import pytest

from ember.promql.regex_dialect import scoped_inline_flags


@pytest.mark.parametrize(
    ("regex", "text", "matches"),
    [
        ("((?i)PRO).*", "production", True),
        (".*((?i)DUC).*", "production", True),
        ("a(?i)b", "aB", True),
        ("a(?i)b", "AB", False),
        ("a(?i)b|c", "C", True),
        ("(?i)abc", "ABC", True),
        ("[(?i)]x", "(x", True),
    ],
)
def test_translated_regex_matches_as_re2_would(regex: str, text: str, matches: bool) -> None:
    compiled = re.compile(scoped_inline_flags(regex), re.DOTALL)
    assert (compiled.fullmatch(text) is not None) == matches
