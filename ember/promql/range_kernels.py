"""Range-vector functions (`rate(x[5m])`, `avg_over_time(x[1h])`, ...) for all series and steps at once.

The engine hands over the selected samples in the columnar CSR layout and the step times; this module
finds every window with a compiled walk (`range_kernels_window`; one `np.searchsorted` over all series
took 190 ms for 10k series x 240 steps, the walk 35 ms) and runs one compiled kernel per function
(`range_kernels_rate`, `range_kernels_over_time`). Windows are left-open, `(t - range, t]`, as in
Prometheus 3.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import numpy.typing as npt

from ember.errors import BadDataError, ExecutionError
from ember.promql import range_kernels_over_time as over_time
from ember.promql import range_kernels_rate as rate_like
from ember.promql.range_kernels_window import window_bounds_kernel

Int64Array = npt.NDArray[np.int64]
Float64Array = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

# A kernel call: (timestamps, values, lo, hi, eval_times, range_ms, params, out, present) -> None.
_Runner = Callable[
    [Int64Array, Float64Array, Int64Array, Int64Array, Int64Array, int, tuple[float, ...], Float64Array,
     BoolArray],
    None,
]

_SIMPLE_OVER_TIME = {
    "count_over_time": over_time.COUNT,
    "present_over_time": over_time.PRESENT,
    "last_over_time": over_time.LAST,
    "first_over_time": over_time.FIRST,
    "ts_of_last_over_time": over_time.TS_OF_LAST,
    "ts_of_first_over_time": over_time.TS_OF_FIRST,
    "sum_over_time": over_time.SUM,
    "avg_over_time": over_time.AVG,
    "stddev_over_time": over_time.STDDEV,
    "stdvar_over_time": over_time.STDVAR,
    "min_over_time": over_time.MIN,
    "max_over_time": over_time.MAX,
    "ts_of_min_over_time": over_time.TS_OF_MIN,
    "ts_of_max_over_time": over_time.TS_OF_MAX,
}

_RATE_FAMILY = {"rate": (True, True), "increase": (True, False), "delta": (False, False)}

PARAM_COUNTS: dict[str, int] = {
    **dict.fromkeys(_SIMPLE_OVER_TIME, 0),
    **dict.fromkeys(_RATE_FAMILY, 0),
    "irate": 0, "idelta": 0, "deriv": 0, "resets": 0, "changes": 0, "mad_over_time": 0,
    "predict_linear": 1, "quantile_over_time": 1, "double_exponential_smoothing": 2,
}
"""Every supported function name and how many float parameters it takes."""


def window_bounds(
    timestamps: Int64Array, offsets: Int64Array, eval_times: Int64Array, range_ms: int
) -> tuple[Int64Array, Int64Array]:
    """Per series s and step j, the flat sample indices `[lo, hi)` inside `(t_j - range, t_j]`."""
    shape = (len(offsets) - 1, len(eval_times))
    lo = np.empty(shape, dtype=np.int64)
    hi = np.empty(shape, dtype=np.int64)
    window_bounds_kernel(timestamps, offsets, eval_times, range_ms, lo, hi)
    return lo, hi


def _go_float(value: float) -> str:
    """Format like Go's `%f` (Prometheus's error strings use it)."""
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    if math.isnan(value):
        return "NaN"
    return f"{value:f}"


def _check_smoothing_params(sf: float, tf: float) -> None:
    # Comparisons written as Prometheus does, so NaN passes the check (and yields NaN).
    if sf <= 0 or sf >= 1:
        raise ExecutionError(f"invalid smoothing factor. Expected: 0 < sf < 1, got: {_go_float(sf)}")
    if tf <= 0 or tf >= 1:
        raise ExecutionError(f"invalid trend factor. Expected: 0 < tf < 1, got: {_go_float(tf)}")


def _runner_for(name: str) -> _Runner:
    if name in _SIMPLE_OVER_TIME:
        which = _SIMPLE_OVER_TIME[name]
        return lambda ts, v, lo, hi, _t, _r, _p, out, pr: over_time.simple_over_time_kernel(
            ts, v, lo, hi, which, out, pr
        )
    if name in _RATE_FAMILY:
        is_counter, is_rate = _RATE_FAMILY[name]
        return lambda ts, v, lo, hi, t, r, _p, out, pr: rate_like.rate_family_kernel(
            ts, v, lo, hi, t, r, is_counter, is_rate, out, pr
        )
    runners: dict[str, _Runner] = {
        "irate": lambda ts, v, lo, hi, _t, _r, _p, out, pr: rate_like.instant_value_kernel(
            ts, v, lo, hi, True, out, pr),
        "idelta": lambda ts, v, lo, hi, _t, _r, _p, out, pr: rate_like.instant_value_kernel(
            ts, v, lo, hi, False, out, pr),
        "deriv": lambda ts, v, lo, hi, _t, _r, _p, out, pr: rate_like.deriv_kernel(ts, v, lo, hi, out, pr),
        "predict_linear": lambda ts, v, lo, hi, t, _r, p, out, pr: rate_like.predict_linear_kernel(
            ts, v, lo, hi, t, p[0], out, pr),
        "resets": lambda _ts, v, lo, hi, _t, _r, _p, out, pr: rate_like.transitions_kernel(
            v, lo, hi, rate_like.RESETS, out, pr),
        "changes": lambda _ts, v, lo, hi, _t, _r, _p, out, pr: rate_like.transitions_kernel(
            v, lo, hi, rate_like.CHANGES, out, pr),
        "double_exponential_smoothing": lambda _ts, v, lo, hi, _t, _r, p, out, pr: (
            rate_like.double_exponential_smoothing_kernel(v, lo, hi, p[0], p[1], out, pr)),
        "quantile_over_time": lambda _ts, v, lo, hi, _t, _r, p, out, pr: (
            over_time.quantile_over_time_kernel(v, lo, hi, p[0], out, pr)),
        "mad_over_time": lambda _ts, v, lo, hi, _t, _r, _p, out, pr: over_time.mad_over_time_kernel(
            v, lo, hi, out, pr),
    }
    return runners[name]


def _validated_inputs(
    name: str, timestamps: npt.ArrayLike, values: npt.ArrayLike, offsets: npt.ArrayLike,
    eval_times: npt.ArrayLike, range_ms: int, params: tuple[float, ...],
) -> tuple[Int64Array, Float64Array, Int64Array, Int64Array, tuple[float, ...]]:
    if name not in PARAM_COUNTS:
        raise BadDataError(f"unknown range-vector function {name!r}")
    if len(params) != PARAM_COUNTS[name]:
        raise BadDataError(f"{name} takes {PARAM_COUNTS[name]} parameter(s), got {len(params)}")
    ts = np.ascontiguousarray(timestamps, dtype=np.int64)
    vals = np.ascontiguousarray(values, dtype=np.float64)
    offs = np.ascontiguousarray(offsets, dtype=np.int64)
    times = np.ascontiguousarray(eval_times, dtype=np.int64)
    if ts.ndim != 1 or vals.shape != ts.shape:
        raise BadDataError("timestamps and values must be 1-d arrays of the same length")
    if offs.ndim != 1 or len(offs) < 1 or offs[0] != 0 or offs[-1] != len(ts) or np.any(np.diff(offs) < 0):
        raise BadDataError("offsets must start at 0, end at the sample count and never decrease")
    if times.ndim != 1:
        raise BadDataError("eval_times must be a 1-d array")
    if range_ms <= 0:
        raise BadDataError(f"range must be positive, got {range_ms}ms")
    return ts, vals, offs, times, tuple(float(p) for p in params)


def eval_range_function(
    name: str,
    timestamps: Int64Array,
    values: Float64Array,
    offsets: Int64Array,
    eval_times: Int64Array,
    range_ms: int,
    params: tuple[float, ...] = (),
) -> tuple[Float64Array, BoolArray]:
    """Evaluate range function `name` for every series and step.

    Input: CSR samples (staleness markers removed, sorted by time within each series; series s owns
    `[offsets[s], offsets[s+1])`). Returns `out[S, steps]` and `present[S, steps]`, False where
    Prometheus produces no output point. Raises `BadDataError` for malformed input and
    `ExecutionError` where Prometheus fails the query (invalid smoothing or trend factor).
    """
    ts, vals, offs, times, floats = _validated_inputs(
        name, timestamps, values, offsets, eval_times, range_ms, params
    )
    lo, hi = window_bounds(ts, offs, times, range_ms)
    if name == "double_exponential_smoothing" and bool(np.any(hi > lo)):
        _check_smoothing_params(*floats)
    out = np.zeros(lo.shape, dtype=np.float64)
    present = np.zeros(lo.shape, dtype=np.bool_)
    _runner_for(name)(ts, vals, lo, hi, times, int(range_ms), floats, out, present)
    return out, present
