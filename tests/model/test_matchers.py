from __future__ import annotations

import pytest

from ember.model.labels import Labels
from ember.model.matchers import Matcher, matches_all


@pytest.mark.parametrize(
    ("matcher", "value", "expected"),
    [
        (Matcher.equal("a", "x"), "x", True),
        (Matcher.equal("a", "x"), "xy", False),
        (Matcher.not_equal("a", "x"), "", True),
        (Matcher.regex("a", "x|y"), "y", True),
        (Matcher.regex("a", "x"), "xx", False),  # fully anchored
        (Matcher.regex("a", "x"), "ax", False),
        (Matcher.regex("a", ".*"), "", True),
        (Matcher.regex("a", "a.b"), "a\nb", True),  # . matches newline, as RE2's (?s)
        (Matcher.not_regex("a", "5.."), "500", False),
        (Matcher.not_regex("a", "5.."), "404", True),
    ],
)
def test_match_semantics(matcher: Matcher, value: str, expected: bool) -> None:
    assert matcher.matches(value) is expected


def test_empty_equal_selects_series_without_the_label() -> None:
    without = Labels.from_strings("__name__", "up")
    with_a = Labels.from_strings("__name__", "up", "a", "1")
    matcher = Matcher.equal("a", "")
    assert matcher.matches_labels(without)
    assert not matcher.matches_labels(with_a)
    assert matcher.matches_empty


def test_invalid_regex_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="invalid regular expression"):
        Matcher.regex("a", "(")


def test_literal_alternatives() -> None:
    assert Matcher.regex("a", "x|yy|z").literal_alternatives() == ["x", "yy", "z"]
    assert Matcher.regex("a", "x.|y").literal_alternatives() is None
    assert Matcher.equal("a", "x").literal_alternatives() is None


def test_matches_all_and_text() -> None:
    labels = Labels.from_strings("__name__", "up", "job", "api")
    assert matches_all([Matcher.equal("__name__", "up"), Matcher.regex("job", "a.*")], labels)
    assert not matches_all([Matcher.equal("__name__", "up"), Matcher.regex("job", "b.*")], labels)
    assert str(Matcher.not_regex("job", 'a"b')) == 'job!~"a\\"b"'
