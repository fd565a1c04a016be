"""The PromQL engine: parses a query, evaluates it for all steps at once, and enforces limits."""

from __future__ import annotations

import threading

import numpy as np
import promql_parser

from ember.errors import BadDataError, ExecutionError, QueryParseError
from ember.model.labels import EMPTY_LABELS
from ember.promql.context import Annotations, EvalContext, QueryLimits
from ember.promql.evaluator import evaluate
from ember.promql.label_order import label_order
from ember.promql.parsing import parse_query
from ember.promql.result import QueryResult
from ember.promql.values import (
    InstantVector,
    RangeVector,
    ScalarValue,
    StringValue,
    Value,
    merge_rows_by_labels,
    without_metric_identity,
)
from ember.storage.interface import Queryable
from ember.storage.series_set import SeriesSet


class Engine:
    """Evaluates PromQL against any `Queryable` (Prometheus 3 semantics, delayed name removal)."""

    def __init__(
        self,
        *,
        lookback_delta_ms: int = 300_000,
        timeout_s: float = 120.0,
        max_samples: int = 50_000_000,
        default_subquery_step_ms: int = 60_000,
        enable_experimental_functions: bool = True,
    ) -> None:
        if lookback_delta_ms <= 0 or default_subquery_step_ms <= 0 or max_samples <= 0:
            raise BadDataError("lookback delta, subquery step and max samples must be positive")
        self.lookback_delta_ms = lookback_delta_ms
        self.timeout_s = timeout_s
        self.max_samples = max_samples
        self.default_subquery_step_ms = default_subquery_step_ms
        self.enable_experimental_functions = enable_experimental_functions

    def instant_query(
        self, queryable: Queryable, expr: str, time_ms: int, *, cancel: threading.Event | None = None
    ) -> QueryResult:
        """Evaluates `expr` at one time; a range-vector expression returns its raw samples (matrix).

        Setting `cancel` from another thread stops the query at the next node with `QueryCanceledError`.
        """
        return self._run(queryable, expr, int(time_ms), int(time_ms), 1, instant=True, cancel=cancel)

    def range_query(
        self, queryable: Queryable, expr: str, start_ms: int, end_ms: int, step_ms: int, *,
        cancel: threading.Event | None = None,
    ) -> QueryResult:
        """Evaluates `expr` at `start, start+step, ... <= end`; the result is a matrix."""
        if step_ms <= 0:
            raise BadDataError("zero or negative query resolution step widths are not accepted. "
                               "Try a positive integer")
        if end_ms < start_ms:
            raise BadDataError("end timestamp must not be before start time")
        return self._run(queryable, expr, int(start_ms), int(end_ms), int(step_ms), instant=False,
                         cancel=cancel)

    def _run(
        self, queryable: Queryable, expr: str, start: int, end: int, step: int, *, instant: bool,
        cancel: threading.Event | None,
    ) -> QueryResult:
        node = parse_query(expr)
        range_typed = promql_parser.MatrixSelector | promql_parser.SubqueryExpr
        if not instant and isinstance(_unwrap(node), range_typed):
            raise BadDataError(
                'invalid expression type "range vector" for range query, must be Scalar or instant Vector'
            )
        limits = QueryLimits(self.timeout_s, self.max_samples, cancel=cancel)
        steps = (end - start) // step + 1
        limits.check_cells(steps, "query preparation")
        ctx = EvalContext(
            querier=queryable.querier(),
            times=start + np.arange(steps, dtype=np.int64) * step,
            query_start_ms=start,
            query_end_ms=end,
            lookback_ms=self.lookback_delta_ms,
            default_subquery_step_ms=self.default_subquery_step_ms,
            limits=limits,
            annotations=Annotations(),
            step_ms=step,
            text=expr,
            query_step_ms=0 if instant else step,
            experimental=self.enable_experimental_functions,
        )
        try:
            value = evaluate(node, ctx)
            result = _instant_result(value, start) if instant else _range_result(value, ctx)
        except MemoryError as exc:
            raise ExecutionError("query processing ran out of memory") from exc
        finally:
            ctx.querier.close()
        # A fan-out querier reports remote-read failures as warnings, as Prometheus does.
        result.warnings = ctx.annotations.warnings + list(getattr(ctx.querier, "warnings", []))
        result.infos = ctx.annotations.infos
        return result


def _unwrap(node: object) -> object:
    while isinstance(node, promql_parser.ParenExpr):
        node = node.expr
    return node


def _final_vector(vector: InstantVector) -> InstantVector:
    """Applies delayed `__name__` removal and fails on label sets that now collide at one time."""
    return merge_rows_by_labels(vector, vector.effective_labels()).nonempty()


def _instant_result(value: Value, time_ms: int) -> QueryResult:
    if isinstance(value, ScalarValue):
        return QueryResult("scalar", scalar=float(value.values[0]), time_ms=time_ms)
    if isinstance(value, StringValue):
        return QueryResult("string", string=value.value, time_ms=time_ms)
    if isinstance(value, RangeVector):
        return QueryResult("matrix", series=_window_samples(value), time_ms=time_ms)
    vector = _final_vector(value)
    rows = np.flatnonzero(vector.present[:, 0])
    offsets = np.arange(len(rows) + 1, dtype=np.int64)
    series = SeriesSet(
        [vector.labels[int(r)] for r in rows], offsets, np.full(len(rows), time_ms, dtype=np.int64),
        np.ascontiguousarray(vector.values[rows, 0]),
    )
    return QueryResult("vector", series=series, time_ms=time_ms)


def _window_samples(value: RangeVector) -> SeriesSet:
    """The raw samples of each series inside the window of the single evaluation time."""
    t = int(value.eval_times[0])
    lengths = np.diff(value.offsets)
    series_id = np.repeat(np.arange(len(value), dtype=np.int64), lengths)
    keep = (value.timestamps > t - value.range_ms) & (value.timestamps <= t)
    counts = np.bincount(series_id[keep], minlength=len(value)).astype(np.int64)
    rows = np.flatnonzero(counts)
    keep &= np.isin(series_id, rows)
    offsets = np.zeros(len(rows) + 1, dtype=np.int64)
    np.cumsum(counts[rows], out=offsets[1:])
    labels = [
        without_metric_identity(value.labels[int(r)]) if value.drop_name[r] else value.labels[int(r)]
        for r in rows
    ]
    return SeriesSet(labels, offsets, value.timestamps[keep], value.values[keep])


def _range_result(value: Value, ctx: EvalContext) -> QueryResult:
    if isinstance(value, ScalarValue):
        value = InstantVector([EMPTY_LABELS], value.values.reshape(1, -1), np.ones((1, ctx.num_steps), bool))
    if not isinstance(value, InstantVector):
        raise BadDataError("invalid expression type for range query, must be Scalar or instant Vector")
    vector = _final_vector(value)
    vector = vector.take(label_order(vector.labels))
    counts = vector.present.sum(axis=1).astype(np.int64)
    offsets = np.zeros(len(vector) + 1, dtype=np.int64)
    np.cumsum(counts, out=offsets[1:])
    timestamps = np.broadcast_to(ctx.times, vector.present.shape)[vector.present]
    series = SeriesSet(vector.labels, offsets, np.ascontiguousarray(timestamps),
                       np.ascontiguousarray(vector.values[vector.present]))
    return QueryResult("matrix", series=series)


__all__ = ["Engine", "QueryParseError", "QueryResult"]
