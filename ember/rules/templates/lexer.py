"""Tokens of Go's text/template language: text between actions, and the words inside `{{ ... }}`.

Follows Go's `text/template/parse` lexer: trim markers `{{- ` / ` -}}` need a space next to the dash,
comments `{{/* */}}` must touch the delimiters, and newlines are allowed inside actions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum, auto

from ember.rules.templates.gofmt import go_quote

LEFT_DELIM = "{{"
RIGHT_DELIM = "}}"
_SPACE = " \t\r\n"
_DIGITS = "0123456789"
_KEYWORDS = {"block", "break", "continue", "define", "else", "end", "if", "range", "nil", "template", "with"}
_DECIMAL_DIGITS = "0123456789_"
_HEX_DIGITS = "0123456789abcdefABCDEF_"
_BASE_DIGITS = {"x": _HEX_DIGITS, "X": _HEX_DIGITS, "o": "01234567_", "O": "01234567_", "b": "01_", "B": "01_"}
# Go's isAlphaNumeric: '_', Unicode letters and digits.
_IDENT = re.compile(r"[^\W\d]\w*")
_WORD_CHAR = re.compile(r"\w")
_WORD_RUN = re.compile(r"\w*")


class Kind(Enum):
    TEXT = auto()
    LEFT = auto()
    RIGHT = auto()
    SPACE = auto()
    IDENTIFIER = auto()
    KEYWORD = auto()
    BOOL = auto()
    FIELD = auto()
    VARIABLE = auto()
    DOT = auto()
    NUMBER = auto()
    CHAR = auto()
    STRING = auto()
    RAW_STRING = auto()
    DECLARE = auto()
    ASSIGN = auto()
    PIPE = auto()
    LEFT_PAREN = auto()
    RIGHT_PAREN = auto()
    COMMA = auto()
    PUNCTUATION = auto()
    ERROR = auto()
    EOF = auto()


@dataclass(frozen=True, slots=True)
class Token:
    kind: Kind
    value: str
    pos: int
    line: int

    def describe(self) -> str:
        """How Go's parser names a token in "unexpected ..." messages."""
        if self.kind is Kind.EOF:
            return "EOF"
        if self.kind in (Kind.KEYWORD, Kind.DOT):  # Go lists "." among its keyword items
            return f"<{self.value}>"
        if len(self.value.encode()) > 10:  # Go compares bytes, then truncates to 10 runes
            return go_quote(self.value[:10]) + "..."
        return go_quote(self.value)


class LexError(Exception):
    """A lexing failure, delivered to the parser as an ERROR token where it happened."""

    def __init__(self, message: str, line: int) -> None:
        super().__init__(message)
        self.line = line


def tokenize(text: str) -> list[Token]:
    """All tokens of `text`, ending with EOF. Bad syntax ends the list with an ERROR token (then EOF):
    Go's lexer runs lazily, so the parser reports an earlier parse error before a later lexing error."""
    return _Lexer(text).run()


class _Lexer:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.line = 1
        self.tokens: list[Token] = []
        self.paren_depth = 0

    def emit(self, kind: Kind, start: int, end: int) -> None:
        value = self.text[start:end]
        self.tokens.append(Token(kind, value, start, self.line))
        self.line += value.count("\n")
        self.pos = end

    def fail(self, message: str) -> LexError:
        return LexError(message, self.line)

    def run(self) -> list[Token]:
        try:
            while self.pos < len(self.text):
                self.lex_text()
        except LexError as exc:
            self.tokens.append(Token(Kind.ERROR, str(exc), self.pos, exc.line))
        self.tokens.append(Token(Kind.EOF, "", len(self.text), self.line))
        return self.tokens

    def lex_text(self) -> None:
        start = self.text.find(LEFT_DELIM, self.pos)
        end = len(self.text) if start < 0 else start
        trim = start >= 0 and self._left_trim(start)
        text_end = len(self.text[self.pos : end].rstrip(_SPACE)) + self.pos if trim else end
        if text_end > self.pos:
            self.emit(Kind.TEXT, self.pos, text_end)
        self.line += self.text.count("\n", self.pos, end)
        self.pos = end
        if start >= 0:
            self.lex_left_delim(trim)

    def _left_trim(self, start: int) -> bool:
        after = start + len(LEFT_DELIM)
        return self.text.startswith("-", after) and after + 1 < len(self.text) and self.text[after + 1] in _SPACE

    def _right_trim_at(self, pos: int) -> bool:
        return pos < len(self.text) and self.text[pos] in _SPACE and self.text.startswith("-" + RIGHT_DELIM, pos + 1)

    def lex_left_delim(self, trim: bool) -> None:
        start = self.pos
        after = start + len(LEFT_DELIM) + (2 if trim else 0)
        if self.text.startswith("/*", after):
            self.line += self.text.count("\n", start, after)
            self.pos = after
            self.lex_comment(after)
            return
        self.emit(Kind.LEFT, start, start + len(LEFT_DELIM))
        if trim:
            self.line += self.text.count("\n", self.pos, after)
        self.pos = after
        self.paren_depth = 0
        self.lex_inside_action()

    def lex_comment(self, start: int) -> None:
        close = self.text.find("*/", start + 2)
        if close < 0:
            raise self.fail("unclosed comment")
        pos = close + 2
        trim = self._right_trim_at(pos)
        if trim:
            pos += 2
        if not self.text.startswith(RIGHT_DELIM, pos):
            raise self.fail("comment ends before closing delimiter")
        self.line += self.text.count("\n", self.pos, close)
        self.pos = pos + len(RIGHT_DELIM)
        if trim:
            self._skip_space()

    def _skip_space(self) -> None:
        end = self.pos
        while end < len(self.text) and self.text[end] in _SPACE:
            end += 1
        self.line += self.text.count("\n", self.pos, end)
        self.pos = end

    def lex_right_delim(self, trim: bool) -> None:
        if trim:
            self.line += self.text.count("\n", self.pos, self.pos + 2)  # the marker's space may be a newline
            self.pos += 2
        self.emit(Kind.RIGHT, self.pos, self.pos + len(RIGHT_DELIM))
        if trim:
            self._skip_space()

    def lex_inside_action(self) -> None:
        while True:
            text, pos = self.text, self.pos
            if self._right_trim_at(pos) or text.startswith(RIGHT_DELIM, pos):
                if self.paren_depth:
                    raise self.fail("unclosed left paren")
                self.lex_right_delim(self._right_trim_at(pos))
                return
            if pos >= len(text):
                raise self.fail("unclosed action")
            self.lex_one(text[pos])

    def lex_one(self, char: str) -> None:
        pos = self.pos
        if char in _SPACE:
            end = pos
            while end < len(self.text) and self.text[end] in _SPACE and not self._right_trim_at(end):
                end += 1
            self.emit(Kind.SPACE, pos, max(end, pos + 1))
        elif char == "=":
            self.emit(Kind.ASSIGN, pos, pos + 1)
        elif char == ":":
            if not self.text.startswith(":=", pos):
                raise self.fail("expected :=")
            self.emit(Kind.DECLARE, pos, pos + 2)
        elif char == "|":
            self.emit(Kind.PIPE, pos, pos + 1)
        elif char == '"':
            self.lex_quote(pos)
        elif char == "`":
            close = self.text.find("`", pos + 1)
            if close < 0:
                raise self.fail("unterminated raw quoted string")
            self.emit(Kind.RAW_STRING, pos, close + 1)
        elif char == "'":
            self.lex_char(pos)
        elif char == "$":
            self.lex_variable(pos)
        elif char == "." and pos + 1 < len(self.text) and self.text[pos + 1] not in _DIGITS:
            self.lex_field(pos)
        elif char in "+-." or char in _DIGITS:
            self.lex_number(pos)
        else:
            self.lex_punctuation_or_word(char, pos)

    def lex_punctuation_or_word(self, char: str, pos: int) -> None:
        if char == "(":
            self.paren_depth += 1
            self.emit(Kind.LEFT_PAREN, pos, pos + 1)
        elif char == ")":
            self.emit(Kind.RIGHT_PAREN, pos, pos + 1)
            self.paren_depth -= 1
            if self.paren_depth < 0:
                raise self.fail("unexpected right paren")
        elif char == ",":
            self.emit(Kind.COMMA, pos, pos + 1)
        elif _IDENT.match(char):
            match = _IDENT.match(self.text, pos)
            assert match is not None
            word = match.group()
            self._check_word_end(match.end())
            if word in ("true", "false"):
                kind = Kind.BOOL
            elif word in _KEYWORDS:
                kind = Kind.KEYWORD
            else:
                kind = Kind.IDENTIFIER
            self.emit(kind, pos, match.end())
        elif " " < char < "\x7f":
            # Go passes other printable ASCII to the parser, which reports it as unexpected.
            self.emit(Kind.PUNCTUATION, pos, pos + 1)
        else:
            raise self.fail(f"unrecognized character in action: {_go_rune(char)}")

    def _check_word_end(self, end: int) -> None:
        if end >= len(self.text):
            return
        char = self.text[end]
        if char in _SPACE or char in ".,|:)(" or self.text.startswith(RIGHT_DELIM, end):
            return
        raise self.fail(f"bad character {_go_rune(char)}")

    def lex_variable(self, pos: int) -> None:
        # Go scans any alphanumeric run after '$', so "$1" is a (never declared) variable name.
        match = _WORD_RUN.match(self.text, pos + 1)
        end = match.end() if match else pos + 1
        self._check_word_end(end)
        self.emit(Kind.VARIABLE, pos, end)

    def lex_field(self, pos: int) -> None:
        match = _IDENT.match(self.text, pos + 1)
        if match is None:
            self._check_word_end(pos + 1)
            self.emit(Kind.DOT, pos, pos + 1)
            return
        self._check_word_end(match.end())
        self.emit(Kind.FIELD, pos, match.end())

    def lex_number(self, pos: int) -> None:
        end = self._scan_number(pos)
        if end < len(self.text) and _WORD_CHAR.match(self.text[end]):
            raise self.fail(f"bad number syntax: {go_quote(self.text[pos : end + 1])}")
        if end < len(self.text) and self.text[end] in "+-":
            # Go reads a following signed number as the imaginary part of a complex constant ("1+2i").
            tail = self._scan_number(end)
            if tail < len(self.text) and _WORD_CHAR.match(self.text[tail]):
                tail += 1
            if not self.text[pos:tail].endswith("i") or tail == end:
                raise self.fail(f"bad number syntax: {go_quote(self.text[pos:tail])}")
            end = tail
        self.emit(Kind.NUMBER, pos, end)

    def _scan_number(self, pos: int) -> int:
        """Go's scanNumber: a permissive scan (validity is checked when the parser converts it)."""
        text = self.text

        def accept(pos: int, chars: str) -> int:
            return pos + 1 if pos < len(text) and text[pos] in chars else pos

        def accept_run(pos: int, chars: str) -> int:
            while pos < len(text) and text[pos] in chars:
                pos += 1
            return pos

        pos = accept(pos, "+-")
        digits = _DECIMAL_DIGITS
        if accept(pos, "0") > pos:
            pos += 1
            if pos < len(text) and text[pos] in _BASE_DIGITS:
                digits = _BASE_DIGITS[text[pos]]
                pos += 1
        pos = accept_run(pos, digits)
        if accept(pos, ".") > pos:
            pos = accept_run(pos + 1, digits)
        exponent = "eE" if digits is _DECIMAL_DIGITS else "pP" if digits is _HEX_DIGITS else ""
        if exponent and accept(pos, exponent) > pos:
            pos = accept_run(accept(pos + 1, "+-"), "0123456789_")
        return accept(pos, "i")

    def lex_quote(self, pos: int) -> None:
        end = pos + 1
        while True:
            if end >= len(self.text) or self.text[end] == "\n":
                raise self.fail("unterminated quoted string")
            if self.text[end] == "\\":
                end += 2
                continue
            if self.text[end] == '"':
                break
            end += 1
        self.emit(Kind.STRING, pos, end + 1)

    def lex_char(self, pos: int) -> None:
        end = pos + 1
        while True:
            if end >= len(self.text) or self.text[end] == "\n":
                raise self.fail("unterminated character constant")
            if self.text[end] == "\\":
                end += 2
                continue
            if self.text[end] == "'":
                break
            end += 1
        self.emit(Kind.CHAR, pos, end + 1)


def _go_rune(char: str) -> str:
    """Go's `%#U` rendering of a rune, as in "unrecognized character in action: U+0021 '!'"."""
    code = ord(char)
    return f"U+{code:04X} '{char}'" if char.isprintable() else f"U+{code:04X}"
