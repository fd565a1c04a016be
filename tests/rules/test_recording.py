"""Recording rules (ember/rules/recording.py)."""

from __future__ import annotations

import numpy as np
import pytest

from ember.errors import ExecutionError
from ember.model import Labels
from ember.rules.recording import RecordingRule
from ember.rules.rule_file import RuleSpec
from ember.rules.rule_status import QueryVector


def _query_returning(series: list[Labels]) -> tuple[list[int], object]:
    calls: list[int] = []

    def query(expr: str, time_ms: int) -> QueryVector:
        calls.append(time_ms)
        return series, np.arange(len(series), dtype=np.float64)

    return calls, query


def test_renames_and_applies_group_then_rule_labels() -> None:
    rule = RecordingRule(RuleSpec("record", "new:name", "x", labels=(("env", "prod"), ("gone", ""))),
                         (("env", "dev"), ("team", "a")))
    series = [Labels.from_strings("__name__", "x", "gone", "y", "i", str(i)) for i in range(3)]
    calls, query = _query_returning(series)
    for time_ms in (0, 15_000):  # the second evaluation is served from the relabelling cache
        labels, values = rule.evaluate(query, time_ms, 0)  # type: ignore[arg-type]
        assert labels == [Labels.from_strings("__name__", "new:name", "env", "prod", "i", str(i), "team", "a")
                          for i in range(3)]
        assert values.tolist() == [0.0, 1.0, 2.0]
    assert calls == [0, 15_000]
    assert rule.identity() == 'new:name{env="prod", team="a"}'


def test_limit_and_duplicates() -> None:
    rule = RecordingRule(RuleSpec("record", "y", "x"))
    _, query = _query_returning([Labels.from_strings("a", "1"), Labels.from_strings("a", "2")])
    with pytest.raises(ExecutionError, match="exceeded limit of 1 with 2 series"):
        rule.evaluate(query, 0, 1)  # type: ignore[arg-type]
    assert len(rule.evaluate(query, 0, 2)[0]) == 2  # type: ignore[arg-type]
    collapsing = RecordingRule(RuleSpec("record", "y", "x", labels=(("a", "same"),)))
    with pytest.raises(ExecutionError, match="same labelset after applying rule labels"):
        collapsing.evaluate(query, 0, 0)  # type: ignore[arg-type]
