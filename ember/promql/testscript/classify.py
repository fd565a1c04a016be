"""Which evals need native histograms: those expecting `{{...}}` values, and those whose selectors can
select a series that was loaded with histogram values (or made by `load_with_nhcb`).

Selectors are read with the `promql-parser` package and their matchers tried against the label sets of
the histogram series; an expression that package cannot parse falls back to a metric-name check.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import promql_parser

from ember.model import Labels, Matcher, MatchType, matches_all

METRIC_NAME = "__name__"
_NAME_TOKEN = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
_MATCH_TYPES = {
    "MatchOp.Equal": MatchType.EQUAL,
    "MatchOp.NotEqual": MatchType.NOT_EQUAL,
    "MatchOp.Re": MatchType.REGEX,
    "MatchOp.NotRe": MatchType.NOT_REGEX,
}
_HISTOGRAM_SUFFIXES = ("_bucket", "_count", "_sum")


def nhcb_series(labels: Labels) -> Labels | None:
    """The native-histogram series `load_with_nhcb` makes from a classic-histogram series, if any."""
    name = labels.get(METRIC_NAME) or ""
    if not name.endswith(_HISTOGRAM_SUFFIXES):
        return None
    base = name.rsplit("_", 1)[0]
    return labels.without("le").updated({METRIC_NAME: base})


def _selector_groups(node: promql_parser.VectorSelector) -> list[list[Matcher]]:
    """The matcher groups of a selector (several when it uses `or` inside the braces)."""
    groups = [list(node.matchers.matchers)] if node.matchers.matchers or not node.matchers.or_matchers else []
    groups += [list(group) for group in node.matchers.or_matchers or []]
    converted: list[list[Matcher]] = []
    for group in groups:
        matchers = [Matcher(m.name, _MATCH_TYPES[str(m.op)], m.value) for m in group]
        if node.name:
            matchers.append(Matcher(METRIC_NAME, MatchType.EQUAL, node.name))
        converted.append(matchers)
    return converted


def selects_any(expr: str, series: Iterable[Labels]) -> bool:
    """Whether a selector in `expr` can select one of `series`."""
    candidates = list(series)
    if not candidates:
        return False
    try:
        tree = promql_parser.parse(expr)
    except (ValueError, TypeError, OverflowError):
        names = {labels.get(METRIC_NAME) for labels in candidates}
        return bool(set(_NAME_TOKEN.findall(expr)) & names)
    found = False

    def pre_visit(node: promql_parser.Expr) -> bool:
        nonlocal found
        if isinstance(node, promql_parser.VectorSelector):
            for matchers in _selector_groups(node):
                if any(matches_all(matchers, labels) for labels in candidates):
                    found = True
        return not found

    promql_parser.walk(tree, pre_visit=pre_visit)
    return found
