"""Tests for ember/promql/annotation_positions.py: `(line:column)` of calls and their arguments."""

from __future__ import annotations

from ember.promql.annotation_positions import at_argument, at_call


def test_argument_positions_match_prometheus_examples() -> None:
    assert at_argument("histogram_quantile(0.8, series)", "histogram_quantile", 1) == " (1:25)"
    assert at_argument('histogram_quantiles(series, "q", 0.1)', "histogram_quantiles", 0) == " (1:21)"
    assert at_argument("count(limit_ratio(1.1, x) and x)", "limit_ratio", 0) == " (1:19)"
    assert at_argument('f(a{b=","}, c)', "f", 1) == " (1:13)"
    assert at_argument("topk by (job) (2, x)", "topk", 1) == " (1:19)"


def test_call_position_and_lines() -> None:
    assert at_call("abs(sort(x))", "sort") == " (1:5)"
    assert at_call("x +\n  sort(y)", "sort") == " (2:3)"
