from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ember.model.go_regex import GoRegexError, compile_go_regex, expand_template

# (Go pattern, text, whether Go's anchored match succeeds)
MATCH_CASES = [
    ("foo", "foo", True),
    ("foo", "xfoo", False),
    ("f.o", "f\no", True),  # Prometheus wraps with (?s:...)
    ("(?-s)f.o", "f\no", False),
    ("(?i)foo", "FoO", True),
    ("a(?i)b|c", "C", True),  # inline flags last to the end of the group, across |
    ("a(?i)b|c", "AB", False),
    ("x(?i:y)z", "xYz", True),
    ("x(?i:y)z", "xYZ", False),
    ("\\d+", "123", True),
    ("\\d+", "\u0661\u0662", False),  # RE2's \d is ASCII-only
    ("\\w+", "é", False),
    ("\\s", "\u00a0", False),
    ("[\\d]", "7", True),
    ("\\D", "x", True),
    ("\\x41\\x{42}", "AB", True),
    ("\\101", "A", True),  # octal
    ("\\0", "\x00", True),
    ("a{,3}", "a{,3}", True),  # not a repeat in Go
    ("a{2,3}", "aaa", True),
    ("a{2}", "aaa", False),
    ("{", "{", True),
    ("[[:alpha:]]+", "abC", True),
    ("[[:digit:]x]+", "1x2", True),
    ("\\Qa.b*\\E", "a.b*", True),
    ("\\Qa.b\\E", "axb", False),
    ("a$", "a", True),
    ("a$\n", "a\n", False),  # Go's $ is the end of text only
    ("(?m)a$\nb", "a\nb", True),
    ("^a", "a", True),
    ("\\bfoo\\b", "foo", True),
    ("\\Afoo\\z", "foo", True),
    ("[a&&b]+", "a&b", True),  # no set operations in RE2
    ("[[a]+", "[a", True),
    ("(?P<n>a)(?<m>b)", "ab", True),
    ("a*?b", "aab", True),
    ("", "", True),
    ("", "x", False),
]


@pytest.mark.parametrize(("pattern", "text", "expected"), MATCH_CASES)
def test_go_semantics(pattern: str, text: str, expected: bool) -> None:
    assert (compile_go_regex(pattern).fullmatch(text) is not None) is expected


ERROR_CASES = [
    ("(a)\\1", "invalid escape sequence: `\\1`"),
    ("(?=a)", "invalid or unsupported Perl syntax: `(?=`"),
    ("(?<!a)b", "invalid or unsupported Perl syntax"),
    ("(?>a)", "invalid or unsupported Perl syntax"),
    ("(?#c)", "invalid or unsupported Perl syntax"),
    ("(?x)a", "invalid or unsupported Perl syntax"),
    ("a**", "invalid nested repetition operator"),
    ("a++", "invalid nested repetition operator"),
    ("a{1001}", "invalid repeat count"),
    ("a{3,2}", "invalid repeat count"),
    ("*a", "missing argument to repetition operator"),
    ("(a", "missing closing )"),
    ("a)", "unexpected )"),
    ("[a", "missing closing ]"),
    ("\\", "trailing backslash"),
    ("\\8", "invalid escape sequence"),
    ("\\e", "invalid escape sequence"),
    ("\\x{110000}", "invalid escape sequence"),
    ("(?P<a>x)(?P<a>y)", "duplicate capture group name"),
    ("(?P<a-b>x)", "invalid named capture"),
    ("\\pL", "not supported by Ember yet"),
    ("(?U)a+", "not supported by Ember yet"),
    ("[[:^alpha:]]", "not supported by Ember yet"),
]


@pytest.mark.parametrize(("pattern", "message"), ERROR_CASES)
def test_rejected_like_go(pattern: str, message: str) -> None:
    with pytest.raises(GoRegexError, match=re.escape(message)):
        compile_go_regex(pattern)


def expand(pattern: str, text: str, template: str) -> str:
    regex = compile_go_regex(pattern)
    match = regex.fullmatch(text)
    assert match is not None
    return regex.expand(template, match)


EXPAND_CASES = [
    ("(a)(b)", "ab", "$2$1", "ba"),
    ("(a)(b)", "ab", "${2}x", "bx"),
    ("(a)(b)", "ab", "$2x", ""),  # the group named "2x"
    ("(a)", "a", "$$1", "$1"),
    ("(a)", "a", "${1", "${1"),
    ("(a)", "a", "$-", "$-"),
    ("(a)", "a", "end$", "end$"),
    ("(a)", "a", "$9", ""),
    ("(a)", "a", "$0", "a"),
    ("(a)", "a", "$01", ""),  # leading zeros make it a name
    ("(?P<01>a)", "a", "$01", "a"),
    ("(?P<host>h)(?P<port>1)", "h1", "${port}:$host", "1:h"),
    ("(?P<1x>a)", "a", "$1x", "a"),  # a name Python could not use itself
    ("(a)?b", "b", "[$1]", "[]"),
    ("(é)", "é", "$1é", ""),  # a name is letters and digits, Unicode included
]


@pytest.mark.parametrize(("pattern", "text", "template", "expected"), EXPAND_CASES)
def test_expand_like_go(pattern: str, text: str, template: str, expected: str) -> None:
    assert expand(pattern, text, template) == expected


def test_template_without_dollar_is_returned_unchanged() -> None:
    match = re.fullmatch("(a)", "a")
    assert match is not None
    assert expand_template("plain", match, ["", ""]) == "plain"


# Patterns built from constructs whose meaning is the same in Go and Python: the translation must not
# change what they match.
ATOMS = ["a", "b", ".", "[ab]", "[^a]", "(a|b)", "(?:ab)", "x"]
OPERATORS = ["", "*", "+", "?", "{1,2}", "*?"]
patterns = st.lists(
    st.tuples(st.sampled_from(ATOMS), st.sampled_from(OPERATORS)), min_size=1, max_size=4
).map(lambda parts: "".join(atom + op for atom, op in parts))


@settings(max_examples=200, deadline=None)
@given(patterns, st.text(alphabet="abx\n", max_size=6))
def test_shared_syntax_matches_python(pattern: str, text: str) -> None:
    expected = re.fullmatch(pattern, text, re.DOTALL) is not None
    assert (compile_go_regex(pattern).fullmatch(text) is not None) is expected
