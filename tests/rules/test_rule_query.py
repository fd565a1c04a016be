"""The engine-backed query function of rules (ember/rules/rule_query.py)."""

from __future__ import annotations

import pytest

from ember.errors import ExecutionError
from ember.model import Labels
from ember.promql.engine import Engine
from ember.rules.rule_query import engine_query
from tests.rules.rule_fixtures import storage_with


def test_vector_scalar_and_other_results() -> None:
    storage = storage_with({'x{a="1"}': [(0, 1.5)], 'x{a="2"}': [(0, 2.5)]})
    query = engine_query(Engine(), storage)
    labels, values = query("x", 0)
    assert labels == [Labels.from_strings("__name__", "x", "a", "1"), Labels.from_strings("__name__", "x", "a", "2")]
    assert values.tolist() == [1.5, 2.5]
    labels, values = query("scalar(sum(x))", 0)
    assert (labels, values.tolist()) == ([Labels()], [4.0])
    assert query("x{a='none'}", 0)[0] == []
    with pytest.raises(ExecutionError, match="rule result is not a vector or scalar"):
        query('"text"', 0)
