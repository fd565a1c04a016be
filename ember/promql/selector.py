"""Series selectors (`up{job="api"}`), parsed with `promql-parser` into Ember matchers."""

from __future__ import annotations

import promql_parser

from ember.errors import BadDataError
from ember.model.labels import METRIC_NAME
from ember.model.matchers import Matcher, MatchType

_MATCH_TYPES = {
    "Equal": MatchType.EQUAL,
    "NotEqual": MatchType.NOT_EQUAL,
    "Re": MatchType.REGEX,
    "NotRe": MatchType.NOT_REGEX,
}


def matchers_of(selector: promql_parser.VectorSelector) -> list[Matcher]:
    """The matchers of a parsed vector selector, the metric name included as `__name__="..."`."""
    matchers = []
    if selector.name:
        matchers.append(Matcher(METRIC_NAME, MatchType.EQUAL, selector.name))
    for parsed in selector.matchers.matchers:
        op = str(parsed.op).rsplit(".", 1)[-1]
        matchers.append(Matcher(parsed.name, _MATCH_TYPES[op], parsed.value))
    return matchers


def parse_selector(text: str) -> list[Matcher]:
    """Parses `up{job="api"}` or `{__name__=~"x.*"}` into matchers; raises `BadDataError`."""
    try:
        expr = promql_parser.parse(text)
    except (ValueError, TypeError) as exc:
        raise BadDataError(f"invalid series selector {text!r}: {exc}") from exc
    if not isinstance(expr, promql_parser.VectorSelector):
        raise BadDataError(f"{text!r} is not a series selector")
    if expr.matchers.or_matchers:
        raise BadDataError(f"{text!r}: 'or' inside a selector is not supported")
    matchers = matchers_of(expr)
    if all(m.matches_empty for m in matchers):
        raise BadDataError("vector selector must contain at least one non-empty matcher")
    return matchers
