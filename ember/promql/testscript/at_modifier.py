"""Upstream's extra check of instant evals: pin every selector and subquery to the eval time with `@`, then
run the query at other times; a step-invariant query must give the same answer at all of them.

Mirrors `atModifierTestCases` in Prometheus's `promqltest`: selectors inside a subquery are left alone
(the subquery itself gets the `@`), and expressions calling a function whose value depends on the eval
time are skipped. The rewritten expression is printed with the `promql-parser` package; when that text
does not parse back to the same tree, the check is skipped rather than reported as an engine failure.
"""

from __future__ import annotations

import promql_parser

from ember.promql.string_literals import invalid_utf8_strings

# Prometheus's AtModifierUnsafeFunctions plus the query-context functions.
_TIME_DEPENDENT = frozenset(
    {
        "days_in_month",
        "day_of_month",
        "day_of_week",
        "day_of_year",
        "hour",
        "minute",
        "month",
        "year",
        "predict_linear",
        "time",
        "timestamp",
        "start",
        "end",
        "range",
        "step",
    }
)


def _fingerprint(tree: promql_parser.Expr) -> list[tuple[object, ...]]:
    """Node types with their durations, numbers, names, matchers and functions: what a lossy printer
    would change."""
    found: list[tuple[object, ...]] = []

    def pre_visit(node: promql_parser.Expr) -> None:
        details = tuple(getattr(node, name, None) for name in ("range", "step", "offset", "val", "name"))
        matchers: tuple[tuple[str, str, str], ...] = ()
        if isinstance(node, promql_parser.VectorSelector):
            groups = [node.matchers.matchers, *(node.matchers.or_matchers or [])]
            matchers = tuple((m.name, str(m.op), m.value) for group in groups for m in group)
        function = node.func.name if isinstance(node, promql_parser.Call) else None
        found.append((type(node).__name__, *details, matchers, function))

    promql_parser.walk(tree, pre_visit=pre_visit)
    return found


def _prints_faithfully(tree: promql_parser.Expr) -> bool:
    """Whether `promql-parser` prints this tree as text that parses back to the same tree."""
    try:
        return _fingerprint(promql_parser.parse(str(tree))) == _fingerprint(tree)
    except (ValueError, TypeError, OverflowError):
        return False


def _lacks_at(node: promql_parser.Expr) -> bool:
    """A selector, range selector or subquery without its own `@`."""
    if isinstance(node, promql_parser.MatrixSelector):
        return node.vector_selector.at is None
    return isinstance(node, promql_parser.VectorSelector | promql_parser.SubqueryExpr) and node.at is None


def _at_text(time_ms: int) -> str:
    return f" @ {time_ms / 1000:.3f}"


def _pinned_text(expr: str, time_ms: int) -> str | None:
    """`expr` with `@ time` on every top-level selector and subquery, or None when unsafe."""
    try:
        tree = promql_parser.parse(expr)
    except (ValueError, TypeError, OverflowError):
        return None
    if not _prints_faithfully(tree) or invalid_utf8_strings(expr):
        # Printing the tree cannot carry Go byte strings such as "\xff" (see string_literals).
        return None
    depth = 0  # inside a matrix selector or subquery: leave everything below alone
    time_dependent = False

    def pre_visit(node: promql_parser.Expr) -> promql_parser.Expr | None:
        nonlocal depth, time_dependent
        replacement: promql_parser.Expr | None = None
        if depth == 0:
            if isinstance(node, promql_parser.Call) and node.func.name in _TIME_DEPENDENT:
                time_dependent = True
            elif _lacks_at(node):
                replacement = promql_parser.parse(str(node) + _at_text(time_ms))
        if isinstance(node, promql_parser.MatrixSelector | promql_parser.SubqueryExpr):
            depth += 1
        return replacement

    def post_visit(node: promql_parser.Expr) -> None:
        nonlocal depth
        if isinstance(node, promql_parser.MatrixSelector | promql_parser.SubqueryExpr):
            depth -= 1

    try:
        rewritten = promql_parser.transform(tree, pre_visit=pre_visit, post_visit=post_visit)
        text = str(rewritten)
        reparsed = promql_parser.parse(text)
    except (ValueError, TypeError, OverflowError):
        return None
    if time_dependent or depth != 0 or str(reparsed) != text:
        return None
    return text


def at_modifier_variants(expr: str, time_ms: int) -> list[tuple[str, int]]:
    """(expression, eval time) pairs to run besides the eval itself; empty when the check does not apply.

    Times are -10T, 0, T/5, T and 10T (or -1s, 0, 1s when T is 0), as upstream uses.
    """
    text = _pinned_text(expr, time_ms)
    if text is None:
        return []
    times = [-1000, 0, 1000] if time_ms == 0 else [-10 * time_ms, 0, time_ms // 5, time_ms, 10 * time_ms]
    return [(text, t) for t in times]
