"""Evaluates a parsed PromQL expression node by node, each node for all steps at once."""

from __future__ import annotations

import numpy as np
import promql_parser

from ember.errors import QueryParseError
from ember.promql.aggregations import eval_aggregation
from ember.promql.binary_ops import eval_binary
from ember.promql.context import EvalContext
from ember.promql.functions import eval_call
from ember.promql.selection import eval_matrix_selector, eval_subquery, eval_vector_selector
from ember.promql.values import InstantVector, ScalarValue, StringValue, Value


def evaluate(node: object, ctx: EvalContext) -> Value:
    """The value of `node` at every time of `ctx.times`."""
    ctx.limits.check()
    if isinstance(node, promql_parser.NumberLiteral):
        return ScalarValue(np.full(ctx.num_steps, float(node.val)))
    if isinstance(node, promql_parser.StringLiteral):
        return StringValue(str(node.val))
    if isinstance(node, promql_parser.ParenExpr):
        return evaluate(node.expr, ctx)
    if isinstance(node, promql_parser.UnaryExpr):
        return _negate(evaluate(node.expr, ctx))
    if isinstance(node, promql_parser.VectorSelector):
        return eval_vector_selector(node, ctx)
    if isinstance(node, promql_parser.MatrixSelector):
        return eval_matrix_selector(node, ctx)
    if isinstance(node, promql_parser.SubqueryExpr):
        return eval_subquery(node, ctx, evaluate)
    if isinstance(node, promql_parser.BinaryExpr):
        return eval_binary(node, evaluate(node.lhs, ctx), evaluate(node.rhs, ctx), ctx)
    if isinstance(node, promql_parser.AggregateExpr):
        return eval_aggregation(node, ctx, evaluate)
    if isinstance(node, promql_parser.Call):
        return eval_call(node, ctx, evaluate)
    raise QueryParseError(f"unsupported expression node {type(node).__name__}")


def _negate(value: Value) -> Value:
    """Unary minus; on vectors it drops the metric name (delayed, as other arithmetic)."""
    if isinstance(value, ScalarValue):
        return ScalarValue(-value.values)
    if isinstance(value, InstantVector):
        return InstantVector(
            value.labels, -value.values, value.present, np.ones(len(value), dtype=np.bool_)
        )
    raise QueryParseError("unary expression only allowed on expressions of type scalar or vector")
