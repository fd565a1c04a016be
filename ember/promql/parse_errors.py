"""Where a query stops parsing, for error messages shaped as Prometheus's (`1:19: parse error: ...`).

The `promql-parser` package reports some failures only as "invalid promql query", and none with a
position. A light scan of the query's tokens finds the two commonest causes, as Prometheus's parser
words them: input that ends where an operand must follow ("unexpected end of input"), and two operands
with nothing between them ("unexpected identifier "bar""). Unbalanced brackets get the position of the
bracket, or of the end of input.
"""

from __future__ import annotations

import itertools
import json
import re

_TOKEN = re.compile(r"""
    (?P<space>\s+|\#[^\n]*)
  | (?P<string>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`)
  | (?P<number>0[xX][0-9a-fA-F]+|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?(?:[smhdwy]|ms)?(?:\d+(?:ms|[smhdwy]))*
               |[iI][nN][fF]\b|[nN][aA][nN]\b)
  | (?P<identifier>[a-zA-Z_:][a-zA-Z0-9_:.]*)
  | (?P<operator>==|!=|>=|<=|=~|!~|[-+*/%^<>=])
  | (?P<punct>[(){}\[\],@])
""", re.VERBOSE)

# Words that join or modify operands rather than being operands themselves.
_KEYWORDS = frozenset({"and", "or", "unless", "atan2", "by", "without", "on", "ignoring", "group_left",
                       "group_right", "offset", "bool"})
_OPENERS = {"(": ")", "{": "}", "[": "]"}


def _tokens(text: str) -> list[tuple[str, str, int]]:
    """(kind, text, 0-based offset) of each token; stops quietly at anything it cannot read."""
    found, position = [], 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None:
            break
        kind = match.lastgroup or ""
        if kind != "space":
            value = match.group()
            if kind == "identifier" and value.lower() in _KEYWORDS:
                kind = "keyword"
            found.append((kind, value, position))
        position = match.end()
    return found


def _unbalanced(tokens: list[tuple[str, str, int]], end: int) -> tuple[int, str] | None:
    stack: list[tuple[str, int]] = []
    for _, value, offset in tokens:
        if value in _OPENERS:
            stack.append((value, offset))
        elif value in (")", "}", "]"):
            if not stack or _OPENERS[stack[-1][0]] != value:
                name = {")": "right parenthesis", "}": "right brace", "]": "right bracket"}[value]
                # Prometheus's lexer reports this after consuming the bracket.
                return offset + 1, f"unexpected {name} '{value}'"
            stack.pop()
    if stack and stack[-1][0] == "(":
        return end, "unclosed left parenthesis"
    return None


def _ends_an_operand(kind: str, value: str) -> bool:
    return kind in ("identifier", "number", "string") or value in (")", "}", "]")


def _starts_an_operand(kind: str) -> bool:
    return kind in ("identifier", "number", "string")


def locate(text: str, message: str) -> tuple[int, str]:
    """(1-based column, message) for a failure the package reported as `message`."""
    end = len(text)
    tokens = _tokens(text)
    unbalanced = _unbalanced(tokens, end)
    if unbalanced is not None and ("parenthesis" in message or "invalid promql query" in message):
        return unbalanced[0] + 1, unbalanced[1]
    if "end of input" in message:
        return end + 1, message
    if message != "invalid promql query":
        return 1, message
    if tokens and (tokens[-1][0] in ("operator", "keyword") or tokens[-1][1] in ("(", ",", "@")):
        return end + 1, "unexpected end of input"
    for previous, current in itertools.pairwise(tokens):
        if _ends_an_operand(previous[0], previous[1]) and _starts_an_operand(current[0]):
            # Prometheus describes the token with its type and Go's %q of its text.
            return current[2] + 1, f"unexpected {current[0]} {json.dumps(current[1])}"
    return 1, message
