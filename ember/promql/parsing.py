"""Parsing PromQL with the `promql-parser` package, mapping its failures to `QueryParseError`."""

from __future__ import annotations

import re

import promql_parser

from ember.errors import QueryParseError
from ember.promql.parse_errors import locate

_UNSUPPORTED_WORDS = re.compile(r"\b(anchored|smoothed|fill|fill_left|fill_right)\b")


def parse_query(text: str) -> object:
    """The parsed expression tree of `text`; raises `QueryParseError` (bad_data) when it does not parse.

    Constructs the package does not know (duration arithmetic, `anchored`/`smoothed`, `fill()`) are
    reported as unsupported rather than as plain syntax errors.
    """
    if not text.strip():
        raise QueryParseError("no expression found in input", 0)
    try:
        node = promql_parser.parse(text)
    except (ValueError, TypeError, OverflowError) as exc:
        column, message = locate(text, str(exc))
        if _UNSUPPORTED_WORDS.search(text) or re.search(r"\[[^\]]*[-+*/%()]", text):
            message = (
                f"unsupported PromQL construct (duration arithmetic, anchored/smoothed, fill): {message}"
            )
        raise QueryParseError(f"1:{column}: parse error: {message}", column - 1) from exc
    return node
