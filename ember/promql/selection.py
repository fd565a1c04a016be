"""Evaluation of the nodes that read storage: vector selectors, matrix selectors and subqueries."""

from __future__ import annotations

import datetime
from collections.abc import Callable

import numpy as np
import promql_parser

from ember.errors import QueryParseError
from ember.model.labels import EMPTY_LABELS, METRIC_NAME
from ember.model.matchers import Matcher, MatchType
from ember.model.samples import is_stale
from ember.promql.context import EvalContext, QueryLimits
from ember.promql.selector import matchers_of
from ember.promql.selector_kernels import lookback_select
from ember.promql.values import InstantVector, Int64Array, RangeVector, ScalarValue, Value
from ember.storage.series_set import SeriesSet

_EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)

Evaluate = Callable[[object, EvalContext], Value]


def duration_ms(delta: datetime.timedelta | None) -> int:
    """Milliseconds of a parsed duration (exact integer arithmetic, negative allowed)."""
    if delta is None:
        return 0
    return delta.days * 86_400_000 + delta.seconds * 1000 + delta.microseconds // 1000


def at_ms(at: promql_parser.AtModifier | None, ctx: EvalContext) -> int | None:
    """The `@` time of a node: a timestamp, or the query's `start()` / `end()`."""
    if at is None:
        return None
    kind = str(at.type).rsplit(".", 1)[-1]
    if kind == "Start":
        return ctx.query_start_ms
    if kind == "End":
        return ctx.query_end_ms
    moment = _at_datetime(at)
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.UTC)
    return duration_ms(moment - _EPOCH)


def _at_datetime(at: promql_parser.AtModifier) -> datetime.datetime | None:
    """The parsed `@` time; timestamps the parser cannot convert become a bad-data error."""
    try:
        return at.at  # type: ignore[no-any-return]
    except (KeyboardInterrupt, SystemExit, GeneratorExit):
        raise
    except BaseException as exc:  # pyo3 reports conversion failures as PanicException (a BaseException)
        raise QueryParseError(
            "timestamp out of bounds for @ modifier (the parser package cannot represent @ times "
            "before 1970 or far in the future)"
        ) from exc


def shifted_times(node: object, ctx: EvalContext) -> Int64Array:
    """The times a selector or subquery reads at: `@` replaces the step time, `offset` shifts back."""
    offset = duration_ms(getattr(node, "offset", None))
    fixed = at_ms(getattr(node, "at", None), ctx)
    if fixed is not None:
        return np.full(ctx.num_steps, fixed - offset, dtype=np.int64)
    return ctx.times - offset


def _select(node: promql_parser.VectorSelector, ctx: EvalContext, mint: int, maxt: int) -> SeriesSet:
    if node.matchers.or_matchers:
        raise QueryParseError("unsupported: 'or' inside a vector selector")
    try:
        matchers = matchers_of(node)
    except ValueError:
        matchers = _matchers_in_python_dialect(node)
    ctx.limits.check("query preparation")
    return ctx.querier.select(matchers, mint, maxt)


def _matchers_in_python_dialect(node: promql_parser.VectorSelector) -> list[Matcher]:
    """Matchers whose RE2 regexes needed translating (mid-pattern inline flags)."""
    matchers = []
    for matcher in matchers_of_unchecked(node):
        name, kind, value = matcher
        try:
            matchers.append(Matcher(name, kind, value))
        except ValueError as exc:
            raise QueryParseError(str(exc)) from exc
    return matchers


def matchers_of_unchecked(node: promql_parser.VectorSelector) -> list[tuple[str, MatchType, str]]:
    """(name, type, value) of each matcher, without compiling regexes."""
    kinds = {"Equal": MatchType.EQUAL, "NotEqual": MatchType.NOT_EQUAL, "Re": MatchType.REGEX,
             "NotRe": MatchType.NOT_REGEX}
    found = [(METRIC_NAME, MatchType.EQUAL, node.name)] if node.name else []
    for parsed in node.matchers.matchers:
        found.append((parsed.name, kinds[str(parsed.op).rsplit(".", 1)[-1]], parsed.value))
    return found


def eval_vector_selector(
    node: promql_parser.VectorSelector, ctx: EvalContext, *, sample_times: bool = False
) -> InstantVector:
    """Latest non-stale sample within the lookback window at each step; with `sample_times`, the
    values are the chosen samples' timestamps in seconds (what `timestamp()` reports)."""
    times = shifted_times(node, ctx)
    if len(times) == 0:
        return InstantVector.empty(0)
    series = _select(node, ctx, int(times.min()) - ctx.lookback_ms + 1, int(times.max()))
    ctx.limits.check_cells(len(series) * len(times))
    values, present, chosen = lookback_select(
        series.timestamps, series.values, series.offsets, times, ctx.lookback_ms, sample_times
    )
    if sample_times:
        values = chosen / 1000.0
    ctx.limits.check_samples(int(np.count_nonzero(present)))
    return InstantVector(list(series.labels), values, present).nonempty()


def without_stale(series: SeriesSet) -> SeriesSet:
    """The same series with staleness markers removed (range functions never see them)."""
    stale = is_stale(series.values)
    if not stale.any():
        return series
    series_id = np.repeat(np.arange(len(series), dtype=np.int64), series.lengths())
    keep = ~stale
    counts = np.bincount(series_id[keep], minlength=len(series)).astype(np.int64)
    offsets = np.zeros(len(series) + 1, dtype=np.int64)
    np.cumsum(counts, out=offsets[1:])
    return SeriesSet(series.labels, offsets, series.timestamps[keep], series.values[keep])


def eval_matrix_selector(node: promql_parser.MatrixSelector, ctx: EvalContext) -> RangeVector:
    """Raw samples for the windows `(t - range, t]` of every step."""
    selector = node.vector_selector
    range_ms = duration_ms(node.range)
    times = shifted_times(selector, ctx)
    if len(times) == 0:
        return RangeVector([], np.zeros(1, np.int64), np.empty(0, np.int64), np.empty(0), times, range_ms)
    series = without_stale(_select(selector, ctx, int(times.min()) - range_ms + 1, int(times.max())))
    ctx.limits.check_samples(series.num_samples)
    keep = series.lengths() > 0
    labels = list(series.labels)
    if not keep.all():
        series = _take_series(series, np.flatnonzero(keep))
        labels = list(series.labels)
    return RangeVector(labels, series.offsets, series.timestamps, series.values, times, range_ms)


def _take_series(series: SeriesSet, rows: Int64Array) -> SeriesSet:
    lengths = series.lengths()[rows]
    offsets = np.zeros(len(rows) + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    index = np.concatenate(
        [np.arange(series.offsets[r], series.offsets[r + 1]) for r in rows.tolist()]
    ) if len(rows) else np.empty(0, np.int64)
    return SeriesSet([series.labels[r] for r in rows.tolist()], offsets,
                     series.timestamps[index], series.values[index])


def subquery_times(outer: Int64Array, range_ms: int, step_ms: int, limits: QueryLimits | None = None
                   ) -> Int64Array:
    """Inner evaluation times: multiples of the step in `[min(outer) - range, max(outer)]`.

    Prometheus aligns subquery steps to absolute multiples of the step (ceiling of the range start).
    The count is checked against the limits before anything is allocated.
    """
    low = int(outer.min()) - range_ms
    first = -((-low) // step_ms) * step_ms
    last = int(outer.max())
    if limits is not None:
        limits.check_cells(max(0, (last - first) // step_ms + 1), "subquery evaluation")
    return np.arange(first, last + 1, step_ms, dtype=np.int64)


def eval_subquery(node: promql_parser.SubqueryExpr, ctx: EvalContext, evaluate: Evaluate) -> RangeVector:
    """Evaluates the inner expression at its own steps and exposes the points as a range vector."""
    range_ms = duration_ms(node.range)
    step_ms = duration_ms(node.step) or ctx.default_subquery_step_ms
    if step_ms <= 0:
        raise QueryParseError("subquery step must be positive")
    outer = shifted_times(node, ctx)
    if len(outer) == 0:
        return RangeVector([], np.zeros(1, np.int64), np.empty(0, np.int64), np.empty(0), outer, range_ms)
    inner_times = subquery_times(outer, range_ms, step_ms, ctx.limits)
    inner = evaluate(node.expr, ctx.with_times(inner_times, step_ms))
    vector = as_instant_vector(inner, len(inner_times))
    return points_as_range(vector, inner_times, outer, range_ms)


def as_instant_vector(value: Value, steps: int) -> InstantVector:
    """A scalar becomes one series without labels (a subquery over a scalar expression)."""
    if isinstance(value, InstantVector):
        return value
    if isinstance(value, ScalarValue):
        return InstantVector(
            [EMPTY_LABELS], value.values.reshape(1, -1).copy(), np.ones((1, steps), dtype=np.bool_)
        )
    raise QueryParseError("subquery is only allowed on instant vector or scalar expressions")


def points_as_range(
    vector: InstantVector, inner_times: Int64Array, outer: Int64Array, range_ms: int
) -> RangeVector:
    """CSR of the present points of a `[series, steps]` vector, as a range vector over `outer` times."""
    vector = vector.nonempty()
    present = vector.present
    counts = present.sum(axis=1).astype(np.int64)
    offsets = np.zeros(len(vector) + 1, dtype=np.int64)
    np.cumsum(counts, out=offsets[1:])
    timestamps = np.broadcast_to(inner_times, present.shape)[present]
    values = vector.values[present]
    return RangeVector(
        vector.labels, offsets, np.ascontiguousarray(timestamps), np.ascontiguousarray(values),
        outer, range_ms, vector.drop_name,
    )
