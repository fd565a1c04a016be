"""Function calls: dispatches each PromQL function to the module that implements it."""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cmp_to_key

import numpy as np
import promql_parser

from ember.errors import QueryParseError
from ember.model.labels import METRIC_NAME, Labels
from ember.promql.annotation_positions import at_argument, at_call
from ember.promql.context import EvalContext, warn_quantile_range
from ember.promql.histogram_functions import histogram_fraction, histogram_quantile
from ember.promql.info_function import eval_info
from ember.promql.instant_functions import (
    CALENDAR_FUNCTIONS,
    MATH_FUNCTIONS,
    apply_math,
    calendar,
    clamp,
    round_to,
)
from ember.promql.label_functions import joined_labels, replaced_labels
from ember.promql.range_functions import RANGE_FUNCTIONS, absent_vector, eval_range_call
from ember.promql.selection import eval_vector_selector
from ember.promql.values import (
    InstantVector,
    ScalarValue,
    StringValue,
    Value,
    merge_rows_by_labels,
)

Evaluate = Callable[[object, EvalContext], Value]

# Native histograms are not stored yet: over float samples these functions return nothing, exactly
# as Prometheus ignores float samples in them.
_NATIVE_HISTOGRAM_ONLY = frozenset({
    "histogram_count", "histogram_sum", "histogram_avg", "histogram_stddev", "histogram_stdvar",
})
_UNSUPPORTED = frozenset({"start_timestamp"})


def eval_call(node: promql_parser.Call, ctx: EvalContext, evaluate: Evaluate) -> Value:
    """Evaluates one function call for all steps."""
    name = node.func.name
    if node.func.experimental and not ctx.experimental:
        raise QueryParseError(f'function "{name}" is not enabled')
    if name in _UNSUPPORTED:
        raise QueryParseError(f"unsupported function {name}()")
    if name in RANGE_FUNCTIONS:
        return eval_range_call(node, ctx, evaluate)
    if name == "info":
        return eval_info(node, ctx, evaluate)
    if name == "timestamp":
        return _timestamp(node, ctx, evaluate)
    args = [evaluate(arg, ctx) for arg in node.args]
    if name in _NATIVE_HISTOGRAM_ONLY:
        return InstantVector.empty(ctx.num_steps)
    if name == "absent":
        return _absent(node, args, ctx)
    simple = _SIMPLE.get(name)
    if simple is not None:
        return simple(args, ctx)
    if name in CALENDAR_FUNCTIONS:
        return _calendar(name, args, ctx)
    if name in ("sort", "sort_desc", "sort_by_label", "sort_by_label_desc"):
        return _sort(name, args, ctx)
    raise QueryParseError(f"unknown function {name}()")


def _vector_arg(value: Value) -> InstantVector:
    if not isinstance(value, InstantVector):
        raise QueryParseError("expected an instant vector argument")
    return value


def _scalar_arg(value: Value) -> np.ndarray:
    if not isinstance(value, ScalarValue):
        raise QueryParseError("expected a scalar argument")
    return value.values


def _string_arg(value: Value) -> str:
    if not isinstance(value, StringValue):
        raise QueryParseError("expected a string argument")
    return value.value


def _with_values(
    vector: InstantVector, values: np.ndarray, present: np.ndarray | None = None
) -> InstantVector:
    """Same series with new values; the name is dropped (delayed) as for every computing function."""
    return InstantVector(
        vector.labels, values, vector.present if present is None else present,
        np.ones(len(vector), dtype=np.bool_),
    ).nonempty()


def _math(name: str) -> Callable[[list[Value], EvalContext], Value]:
    def run(args: list[Value], ctx: EvalContext) -> Value:
        vector = _vector_arg(args[0])
        return _with_values(vector, apply_math(name, vector.values))

    return run


def _clamp(args: list[Value], ctx: EvalContext) -> Value:
    vector = _vector_arg(args[0])
    low, high = _scalar_arg(args[1]), _scalar_arg(args[2])
    valid = ~(low > high)  # Prometheus returns an empty vector for min > max
    return _with_values(vector, clamp(vector.values, low, high), vector.present & valid)


def _clamp_min(args: list[Value], ctx: EvalContext) -> Value:
    vector = _vector_arg(args[0])
    return _with_values(vector, clamp(vector.values, _scalar_arg(args[1]), np.full(ctx.num_steps, np.inf)))


def _clamp_max(args: list[Value], ctx: EvalContext) -> Value:
    vector = _vector_arg(args[0])
    return _with_values(vector, clamp(vector.values, np.full(ctx.num_steps, -np.inf), _scalar_arg(args[1])))


def _round(args: list[Value], ctx: EvalContext) -> Value:
    vector = _vector_arg(args[0])
    nearest = _scalar_arg(args[1]) if len(args) > 1 else np.ones(ctx.num_steps)
    return _with_values(vector, round_to(vector.values, nearest))


def _time(args: list[Value], ctx: EvalContext) -> Value:
    return ScalarValue(ctx.times / 1000.0)


def _pi(args: list[Value], ctx: EvalContext) -> Value:
    return ScalarValue(np.full(ctx.num_steps, np.pi))


def _query_step(args: list[Value], ctx: EvalContext) -> Value:
    return ScalarValue(np.full(ctx.num_steps, ctx.query_step_ms / 1000.0))


def _query_range(args: list[Value], ctx: EvalContext) -> Value:
    return ScalarValue(np.full(ctx.num_steps, (ctx.query_end_ms - ctx.query_start_ms) / 1000.0))


def _query_start(args: list[Value], ctx: EvalContext) -> Value:
    return ScalarValue(np.full(ctx.num_steps, ctx.query_start_ms / 1000.0))


def _query_end(args: list[Value], ctx: EvalContext) -> Value:
    return ScalarValue(np.full(ctx.num_steps, ctx.query_end_ms / 1000.0))


def _min_of(args: list[Value], ctx: EvalContext) -> Value:
    return ScalarValue(np.minimum(_scalar_arg(args[0]), _scalar_arg(args[1])))


def _max_of(args: list[Value], ctx: EvalContext) -> Value:
    return ScalarValue(np.maximum(_scalar_arg(args[0]), _scalar_arg(args[1])))


def _vector(args: list[Value], ctx: EvalContext) -> Value:
    values = _scalar_arg(args[0])
    return InstantVector([Labels()], values.reshape(1, -1).copy(), np.ones((1, len(values)), dtype=np.bool_))


def _scalar(args: list[Value], ctx: EvalContext) -> Value:
    """The single sample's value at each step, NaN unless exactly one series is present."""
    vector = _vector_arg(args[0])
    if len(vector) == 0:
        return ScalarValue(np.full(ctx.num_steps, np.nan))
    single = vector.present.sum(axis=0) == 1
    picked = np.where(vector.present, vector.values, 0.0).sum(axis=0)
    return ScalarValue(np.where(single, picked, np.nan))


def _label_replace(args: list[Value], ctx: EvalContext) -> Value:
    vector = _vector_arg(args[0])
    dst, replacement, src, regex = (_string_arg(a) for a in args[1:5])
    labels = replaced_labels(vector.labels, dst, replacement, src, regex, ctx.text)
    return _relabelled(vector, labels, dst)


def _label_join(args: list[Value], ctx: EvalContext) -> Value:
    vector = _vector_arg(args[0])
    dst, separator = _string_arg(args[1]), _string_arg(args[2])
    labels = joined_labels(vector.labels, dst, separator, [_string_arg(a) for a in args[3:]], ctx.text)
    return _relabelled(vector, labels, dst)


def _relabelled(vector: InstantVector, labels: list[Labels], dst: str) -> InstantVector:
    drop = vector.drop_name.copy()
    if dst == METRIC_NAME:
        drop[:] = False  # writing __name__ cancels a pending drop
    relabelled = InstantVector(vector.labels, vector.values, vector.present, drop)
    return merge_rows_by_labels(relabelled, labels)


def _histogram_quantile(args: list[Value], ctx: EvalContext) -> Value:
    name = "histogram_quantile"
    warn_quantile_range(_scalar_arg(args[0]), ctx, at_argument(ctx.text, name, 0))
    return histogram_quantile(_scalar_arg(args[0]), _vector_arg(args[1]), ctx, at_argument(ctx.text, name, 1))


def _histogram_quantiles(args: list[Value], ctx: EvalContext) -> Value:
    """`histogram_quantiles(v, "label", q1, q2, ...)`: one result series per quantile, labelled."""
    vector, label = _vector_arg(args[0]), _string_arg(args[1])
    parts = []
    for index, arg in enumerate(args[2:], start=2):
        phis = _scalar_arg(arg)
        warn_quantile_range(phis, ctx, at_argument(ctx.text, "histogram_quantiles", index))
        part = histogram_quantile(phis, vector, ctx, at_argument(ctx.text, "histogram_quantiles", 0))
        text = _quantile_label(float(phis[0]))
        parts.append(InstantVector([lb.updated({label: text}) for lb in part.labels], part.values,
                                   part.present, part.drop_name))
    if not parts:
        return InstantVector.empty(ctx.num_steps)
    combined = InstantVector(
        [lb for p in parts for lb in p.labels], np.concatenate([p.values for p in parts]),
        np.concatenate([p.present for p in parts]), np.concatenate([p.drop_name for p in parts]),
    )
    return merge_rows_by_labels(combined, combined.labels)


def _quantile_label(phi: float) -> str:
    if phi != phi:
        return "NaN"
    if phi in (float("inf"), float("-inf")):
        return "+Inf" if phi > 0 else "-Inf"
    return repr(phi)


def _histogram_fraction(args: list[Value], ctx: EvalContext) -> Value:
    position = at_argument(ctx.text, "histogram_fraction", 2)
    return histogram_fraction(
        _scalar_arg(args[0]), _scalar_arg(args[1]), _vector_arg(args[2]), ctx, position
    )


_SIMPLE: dict[str, Callable[[list[Value], EvalContext], Value]] = {
    **{name: _math(name) for name in MATH_FUNCTIONS},
    "clamp": _clamp,
    "clamp_min": _clamp_min,
    "clamp_max": _clamp_max,
    "round": _round,
    "time": _time,
    "pi": _pi,
    "step": _query_step,
    "range": _query_range,
    "start": _query_start,
    "end": _query_end,
    "min_of": _min_of,
    "max_of": _max_of,
    "histogram_quantiles": _histogram_quantiles,
    "vector": _vector,
    "scalar": _scalar,
    "label_replace": _label_replace,
    "label_join": _label_join,
    "histogram_quantile": _histogram_quantile,
    "histogram_fraction": _histogram_fraction,
}


def _calendar(name: str, args: list[Value], ctx: EvalContext) -> Value:
    if not args:
        seconds = (ctx.times / 1000.0).reshape(1, -1)
        return InstantVector([Labels()], calendar(name, seconds), np.ones(seconds.shape, dtype=np.bool_))
    vector = _vector_arg(args[0])
    return _with_values(vector, calendar(name, vector.values))


def _timestamp(node: promql_parser.Call, ctx: EvalContext, evaluate: Evaluate) -> Value:
    """The sample's own timestamp for a plain selector argument, else the evaluation time."""
    arg = node.args[0]
    while isinstance(arg, promql_parser.ParenExpr):
        arg = arg.expr
    if isinstance(arg, promql_parser.VectorSelector):
        vector = eval_vector_selector(arg, ctx, sample_times=True)
        return _with_values(vector, vector.values)
    vector = _vector_arg(evaluate(arg, ctx))
    times = np.broadcast_to(ctx.times / 1000.0, vector.values.shape).copy()
    return _with_values(vector, times)


def _absent(node: promql_parser.Call, args: list[Value], ctx: EvalContext) -> Value:
    vector = _vector_arg(args[0])
    arg = node.args[0]
    while isinstance(arg, promql_parser.ParenExpr):
        arg = arg.expr
    selector = arg if isinstance(arg, promql_parser.VectorSelector) else None
    return absent_vector(selector, ~np.asarray(vector.present.any(axis=0), dtype=np.bool_))


_CHUNKS = re.compile(r"(\d+)")


def _natural_key(text: str) -> tuple[tuple[int, int | str], ...]:
    return tuple((0, int(p)) if p.isdigit() else (1, p) for p in _CHUNKS.split(text) if p)


def _sort(name: str, args: list[Value], ctx: EvalContext) -> Value:
    """Orders an instant query's result; a range query's result is always ordered by labels."""
    vector = _vector_arg(args[0])
    if ctx.num_steps > 1:
        ctx.annotations.warn(
            "PromQL warning: sort is ineffective for range queries since results are always ordered "
            f"by labels{at_call(ctx.text, name)}"
        )
        return vector
    if name in ("sort", "sort_desc"):
        values = vector.values[:, 0] if vector.num_steps else np.empty(0)
        key = -values if name == "sort_desc" else values
        # NaN sorts last in both directions.
        return vector.take(np.lexsort((key, np.isnan(values))))
    names = [_string_arg(a) for a in args[1:]]
    reverse = name == "sort_by_label_desc"

    def compare(a: int, b: int) -> int:
        for label in names:
            ka, kb = _natural_key(vector.labels[a].get(label)), _natural_key(vector.labels[b].get(label))
            if ka != kb:
                return (-1 if ka < kb else 1) * (-1 if reverse else 1)
        la, lb = vector.labels[a], vector.labels[b]
        if la == lb:
            return 0
        return (-1 if la < lb else 1) * (-1 if reverse else 1)

    order = sorted(range(len(vector)), key=cmp_to_key(compare))
    return vector.take(np.array(order, dtype=np.int64))
