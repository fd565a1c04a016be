"""Functions of range vectors (`rate`, `*_over_time`, ...): the bridge to the compiled range kernels."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import numpy.typing as npt
import promql_parser

from ember.errors import QueryParseError
from ember.model.labels import METRIC_NAME, Labels
from ember.model.matchers import MatchType
from ember.promql.annotation_positions import at_argument
from ember.promql.context import EvalContext, warn_quantile_range
from ember.promql.selector import matchers_of
from ember.promql.values import BoolMatrix, FloatMatrix, InstantVector, RangeVector, ScalarValue, Value

Evaluate = Callable[[object, EvalContext], Value]

RANGE_FUNCTIONS = frozenset({
    "rate", "irate", "increase", "delta", "idelta", "deriv", "predict_linear", "resets", "changes",
    "avg_over_time", "min_over_time", "max_over_time", "sum_over_time", "count_over_time",
    "stddev_over_time", "stdvar_over_time", "last_over_time", "first_over_time", "quantile_over_time",
    "mad_over_time", "present_over_time", "absent_over_time", "double_exponential_smoothing",
    "ts_of_max_over_time", "ts_of_min_over_time", "ts_of_last_over_time", "ts_of_first_over_time",
})
# Prometheus 3 keeps the metric name only for the functions that return an input sample unchanged.
_KEEPS_NAME = frozenset({"last_over_time", "first_over_time"})


def eval_range_call(node: promql_parser.Call, ctx: EvalContext, evaluate: Evaluate) -> InstantVector:
    """Evaluates `name(range_vector, params...)` for all steps with one kernel call."""
    name = node.func.name
    matrix_index = next(
        (i for i, t in enumerate(node.func.arg_types) if str(t).endswith("Matrix")), 0
    )
    matrix = evaluate(node.args[matrix_index], ctx)
    if not isinstance(matrix, RangeVector):
        raise QueryParseError(f"expected type range vector in call to function {name!r}")
    params = []
    for i, arg in enumerate(node.args):
        if i == matrix_index:
            continue
        value = evaluate(arg, ctx)
        if not isinstance(value, ScalarValue):
            raise QueryParseError(f"expected a scalar argument in call to function {name!r}")
        params.append(value.values)
    if name == "absent_over_time":
        return _absent_over_time(node.args[matrix_index], matrix, ctx)
    if name == "quantile_over_time":
        warn_quantile_range(params[0], ctx, at_argument(ctx.text, name, 0))
    if name == "predict_linear":
        values, present = _predict_linear(matrix, params[0], ctx)
    else:
        values, present = run_kernel(name, matrix, params)
    drop = matrix.drop_name | (name not in _KEEPS_NAME)
    return InstantVector(matrix.labels, values, present, drop).nonempty()


def run_kernel(name: str, matrix: RangeVector, params: list[np.ndarray]) -> tuple[FloatMatrix, BoolMatrix]:
    """Calls the range kernel once per distinct parameter tuple (parameters are nearly always constant)."""
    from ember.promql.range_kernels import eval_range_function

    steps = len(matrix.eval_times)
    if not params or all((p == p[0]).all() or np.isnan(p).all() for p in params):
        fixed = tuple(float(p[0]) for p in params) if steps else ()
        return eval_range_function(name, matrix.timestamps, matrix.values, matrix.offsets,
                                   matrix.eval_times, matrix.range_ms, fixed)
    values = np.zeros((len(matrix), steps))
    present = np.zeros((len(matrix), steps), dtype=np.bool_)
    for j in range(steps):  # only for parameters that change from step to step
        out, found = eval_range_function(
            name, matrix.timestamps, matrix.values, matrix.offsets, matrix.eval_times[j:j + 1],
            matrix.range_ms, tuple(float(p[j]) for p in params),
        )
        values[:, j] = out[:, 0]
        present[:, j] = found[:, 0]
    return values, present


def _predict_linear(
    matrix: RangeVector, seconds: np.ndarray, ctx: EvalContext
) -> tuple[FloatMatrix, BoolMatrix]:
    """Prometheus predicts from the step time even when `@`/`offset` moved the window, so the
    prediction horizon grows by (step time - window end); the result is linear in the horizon."""
    shift = (ctx.times - matrix.eval_times) / 1000.0
    values, present = run_kernel("predict_linear", matrix, [seconds])
    if not shift.any():
        return values, present
    ahead, _ = run_kernel("predict_linear", matrix, [seconds + 1.0])
    return values + (ahead - values) * shift.reshape(1, -1), present


def _absent_over_time(arg: object, matrix: RangeVector, ctx: EvalContext) -> InstantVector:
    steps = len(matrix.eval_times)
    if len(matrix):
        _, present = run_kernel("count_over_time", matrix, [])
        any_present = np.asarray(present.any(axis=0), dtype=np.bool_)
    else:
        any_present = np.zeros(steps, dtype=np.bool_)
    selector = arg.vector_selector if isinstance(arg, promql_parser.MatrixSelector) else None
    return absent_vector(selector, ~any_present)


def absent_vector(
    selector: promql_parser.VectorSelector | None, absent: npt.NDArray[np.bool_]
) -> InstantVector:
    """Value 1 where nothing was present, labelled from the selector's equality matchers."""
    labels = absent_labels(selector)
    return InstantVector(
        [labels], np.ones((1, len(absent))), absent.reshape(1, -1).copy()
    ).nonempty()


def absent_labels(selector: promql_parser.VectorSelector | None) -> Labels:
    """Labels of `absent()`: each `name="value"` matcher whose name is matched only once."""
    if selector is None:
        return Labels()
    built: dict[str, str] = {}
    seen: set[str] = set()
    for matcher in matchers_of(selector):
        if matcher.name == METRIC_NAME:
            continue
        if matcher.type is MatchType.EQUAL and matcher.name not in seen:
            built[matcher.name] = matcher.value
        else:
            built.pop(matcher.name, None)
        seen.add(matcher.name)
    return Labels(built.items())
