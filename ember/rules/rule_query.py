"""How rules read: an instant query through the PromQL engine, reduced to label sets and values."""

from __future__ import annotations

import numpy as np

from ember.errors import ExecutionError
from ember.model.labels import EMPTY_LABELS
from ember.promql.engine import Engine
from ember.rules.rule_status import QueryVector, RuleQuery, empty_vector
from ember.storage.interface import Queryable


def engine_query(engine: Engine, queryable: Queryable) -> RuleQuery:
    """Prometheus's `EngineQueryFunc`: a vector as is, a scalar as one sample without labels, anything
    else an error."""

    def query(expr: str, time_ms: int) -> QueryVector:
        result = engine.instant_query(queryable, expr, time_ms)
        if result.result_type == "vector":
            if result.series is None or not len(result.series):
                return empty_vector()
            series = result.series
            return list(series.labels), series.values[series.offsets[:-1]]
        if result.result_type == "scalar":
            scalar = np.nan if result.scalar is None else result.scalar
            return [EMPTY_LABELS], np.array([scalar], dtype=np.float64)
        raise ExecutionError("rule result is not a vector or scalar")

    return query
