"""Where in the query text an annotation points, as Prometheus prints it: `(line:column)`, 1-based.

The parser package does not report node positions, so the position of a call and of its arguments
is found in the query text by scanning brackets and quotes from the call's name (first occurrence).
"""

from __future__ import annotations

import re

_BRACKETS = {"(": ")", "[": "]", "{": "}"}


def line_column(text: str, offset: int) -> str:
    """`line:column` of a character offset."""
    line = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return f"{line}:{column}"


def call_offset(text: str, name: str) -> int:
    """Offset of the first call of `name` (a function or aggregation), or 0 when not found."""
    found = re.search(rf"(?<![\w:]){re.escape(name)}\s*(?:\(|\b(?:by|without)\b)", text, re.IGNORECASE)
    return found.start() if found else 0


def argument_offset(text: str, name: str, index: int) -> int:
    """Offset of argument `index` of the first call of `name` (the call's offset when not found)."""
    start = call_offset(text, name)
    i = start + len(name)
    i = _skip_grouping(text, i)
    if i >= len(text) or text[i] != "(":
        return start
    i += 1
    current = 0
    while i < len(text):
        while i < len(text) and text[i].isspace():
            i += 1
        if current == index:
            return i
        i = _skip_argument(text, i)
        if i >= len(text) or text[i] != ",":
            return start
        current += 1
        i += 1
    return start


def _skip_grouping(text: str, i: int) -> int:
    """Skips whitespace and an aggregation's `by (...)`/`without (...)` before its parentheses."""
    while i < len(text) and text[i].isspace():
        i += 1
    found = re.match(r"(by|without)\s*\(", text[i:], re.IGNORECASE)
    if found:
        i = _skip_bracket(text, i + found.end() - 1)
        while i < len(text) and text[i].isspace():
            i += 1
    return i


def _skip_argument(text: str, i: int) -> int:
    """Moves past one argument: to the next top-level comma or the closing parenthesis."""
    while i < len(text) and text[i] not in ",)":
        if text[i] in _BRACKETS:
            i = _skip_bracket(text, i)
        elif text[i] in "\"'`":
            i = _skip_quoted(text, i)
        else:
            i += 1
    return i


def _skip_bracket(text: str, i: int) -> int:
    closer = _BRACKETS[text[i]]
    i += 1
    while i < len(text) and text[i] != closer:
        if text[i] in _BRACKETS:
            i = _skip_bracket(text, i)
        elif text[i] in "\"'`":
            i = _skip_quoted(text, i)
        else:
            i += 1
    return i + 1


def _skip_quoted(text: str, i: int) -> int:
    quote = text[i]
    i += 1
    while i < len(text) and text[i] != quote:
        i += 2 if text[i] == "\\" and quote != "`" else 1
    return i + 1


def at_argument(text: str, name: str, index: int) -> str:
    """` (line:column)` suffix for an annotation about argument `index` of call `name`."""
    return f" ({line_column(text, argument_offset(text, name, index))})"


def at_call(text: str, name: str) -> str:
    """` (line:column)` suffix for an annotation about the call `name` itself."""
    return f" ({line_column(text, call_offset(text, name))})"
