"""The template lexer (ember/rules/templates/lexer.py): token kinds, trim markers, comments, errors."""

from __future__ import annotations

import pytest

from ember.rules.templates.lexer import Kind, tokenize


def _kinds(text: str) -> list[tuple[Kind, str]]:
    return [(token.kind, token.value) for token in tokenize(text) if token.kind is not Kind.SPACE]


def test_text_and_action_tokens() -> None:
    assert _kinds('a {{ .Labels.job | printf "%s" $x 1.5 }} b') == [
        (Kind.TEXT, "a "),
        (Kind.LEFT, "{{"),
        (Kind.FIELD, ".Labels"),
        (Kind.FIELD, ".job"),
        (Kind.PIPE, "|"),
        (Kind.IDENTIFIER, "printf"),
        (Kind.STRING, '"%s"'),
        (Kind.VARIABLE, "$x"),
        (Kind.NUMBER, "1.5"),
        (Kind.RIGHT, "}}"),
        (Kind.TEXT, " b"),
        (Kind.EOF, ""),
    ]


def test_keywords_bools_declarations_and_punctuation() -> None:
    kinds = _kinds("{{range $i, $v := .}}{{else}}{{end}}{{ $ = true }}{{ (nil) }}")
    assert (Kind.KEYWORD, "range") in kinds
    assert (Kind.COMMA, ",") in kinds
    assert (Kind.DECLARE, ":=") in kinds
    assert (Kind.ASSIGN, "=") in kinds
    assert (Kind.VARIABLE, "$") in kinds
    assert (Kind.BOOL, "true") in kinds
    assert (Kind.KEYWORD, "nil") in kinds
    assert (Kind.DOT, ".") in kinds
    assert (Kind.LEFT_PAREN, "(") in kinds


def test_trim_markers_remove_surrounding_space() -> None:
    assert _kinds("a \n {{- 1 -}} \n b") == [
        (Kind.TEXT, "a"),
        (Kind.LEFT, "{{"),
        (Kind.NUMBER, "1"),
        (Kind.RIGHT, "}}"),
        (Kind.TEXT, "b"),
        (Kind.EOF, ""),
    ]


def test_dash_without_space_is_a_number_not_a_trim_marker() -> None:
    assert (Kind.NUMBER, "-3") in _kinds("{{-3}}")


def test_comments_produce_no_tokens_and_may_trim() -> None:
    assert _kinds("a {{/* note */}} b") == [(Kind.TEXT, "a "), (Kind.TEXT, " b"), (Kind.EOF, "")]
    assert _kinds("a {{- /* note */ -}} b") == [(Kind.TEXT, "a"), (Kind.TEXT, "b"), (Kind.EOF, "")]


def test_strings_raw_strings_chars_and_numbers() -> None:
    kinds = _kinds('{{ "a\\"b" `raw"` \'x\' 0x1F 1e3 -2 .5 }}')
    assert kinds[1:7] == [
        (Kind.STRING, '"a\\"b"'),
        (Kind.RAW_STRING, '`raw"`'),
        (Kind.CHAR, "'x'"),
        (Kind.NUMBER, "0x1F"),
        (Kind.NUMBER, "1e3"),
        (Kind.NUMBER, "-2"),
    ]
    assert kinds[7] == (Kind.NUMBER, ".5")


def test_lines_are_counted_across_text_and_actions() -> None:
    tokens = tokenize("a\nb\n{{ 1\n }}\n{{ 2 }}")
    numbers = [token for token in tokens if token.kind is Kind.NUMBER]
    assert [token.line for token in numbers] == [3, 5]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{{", "unclosed action"),
        ("{{ 1 ", "unclosed action"),
        ('{{ "abc }}', "unterminated quoted string"),
        ("{{ `abc }}", "unterminated raw quoted string"),
        ("{{ 'a }}", "unterminated character constant"),
        ("{{/* abc }}", "unclosed comment"),
        ("{{/* abc */ x }}", "comment ends before closing delimiter"),
        ("{{\u00a0}}", "unrecognized character in action: U+00A0"),
        ("{{ ( }}", "unclosed left paren"),
        ("{{ ) }}", "unexpected right paren"),
        ("{{ 12ab }}", 'bad number syntax: "12a"'),
        ("{{ -e1x }}", 'bad number syntax: "-e1x"'),
        ("{{ 1+2 }}", 'bad number syntax: "1+2"'),
        ("{{ $x: }}", "expected :="),
        ("{{ abc# }}", "bad character U+0023 '#'"),
        ("{{ $1e3$ }}", "bad character U+0024 '$'"),
    ],
)
def test_lex_errors_end_the_tokens_with_an_error_token(text: str, message: str) -> None:
    tokens = tokenize(text)
    assert [token.kind for token in tokens[-2:]] == [Kind.ERROR, Kind.EOF]
    assert tokens[-2].value == message


def test_tokens_before_a_lex_error_are_kept_for_the_parser() -> None:
    tokens = tokenize("{{ nosuch 12ab }}")
    assert (tokens[2].kind, tokens[2].value) == (Kind.IDENTIFIER, "nosuch")
    assert tokens[-2].kind is Kind.ERROR


def test_printable_ascii_is_passed_on_as_punctuation() -> None:
    assert (Kind.PUNCTUATION, "!") in _kinds("{{ ! }}")
    assert (Kind.PUNCTUATION, "{") in _kinds("{{ { }}")


def test_complex_constants_and_dot_at_end_lex_as_numbers() -> None:
    assert (Kind.NUMBER, "1+2i") in _kinds("{{ 1+2i }}")
    assert tokenize("{{ .")[-3:-1][0].kind is Kind.NUMBER


def test_variables_may_be_any_alphanumeric_run() -> None:
    assert (Kind.VARIABLE, "$1x") in _kinds("{{ $1x }}")


def test_newlines_inside_trim_markers_count_as_lines() -> None:
    right = tokenize("{{ 1\n-}}{{ 2 }}")
    assert [t.line for t in right if t.kind is Kind.NUMBER] == [1, 2]
    left = tokenize("{{-\n/* unclosed")
    assert (left[-2].kind, left[-2].value, left[-2].line) == (Kind.ERROR, "unclosed comment", 2)


def test_long_tokens_are_described_by_their_first_ten_runes() -> None:
    token = tokenize("{{ 日本日本日本日本日本x }}")[2]
    assert token.describe() == '"日本日本日本日本日本"...'
    assert tokenize("{{ abcdefghij }}")[2].describe() == '"abcdefghij"'
