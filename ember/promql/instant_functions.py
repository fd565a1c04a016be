"""Element-wise functions of instant vectors: math, clamping, rounding and calendar functions."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ember.promql.values import FloatMatrix

FloatFunction = Callable[[FloatMatrix], FloatMatrix]


def _round_half_up(values: FloatMatrix) -> FloatMatrix:
    # Prometheus rounds ties up (math.Floor(v + 0.5)), unlike numpy's half-to-even.
    return np.floor(values + 0.5)


def _sgn(values: FloatMatrix) -> FloatMatrix:
    return np.sign(values)


MATH_FUNCTIONS: dict[str, FloatFunction] = {
    "abs": np.abs,
    "ceil": np.ceil,
    "floor": np.floor,
    "exp": np.exp,
    "sqrt": np.sqrt,
    "ln": np.log,
    "log2": np.log2,
    "log10": np.log10,
    "sgn": _sgn,
    "sin": np.sin,
    "cos": np.cos,
    "tan": np.tan,
    "asin": np.arcsin,
    "acos": np.arccos,
    "atan": np.arctan,
    "sinh": np.sinh,
    "cosh": np.cosh,
    "tanh": np.tanh,
    "asinh": np.arcsinh,
    "acosh": np.arccosh,
    "atanh": np.arctanh,
    "deg": np.degrees,
    "rad": np.radians,
}


def apply_math(name: str, values: FloatMatrix) -> FloatMatrix:
    with np.errstate(all="ignore"):
        return MATH_FUNCTIONS[name](values)


def round_to(values: FloatMatrix, to_nearest: FloatMatrix) -> FloatMatrix:
    """`round(v, to_nearest)`: Prometheus computes floor(v / to_nearest + 0.5) * to_nearest."""
    with np.errstate(all="ignore"):
        inverse = 1.0 / to_nearest
        return _round_half_up(values * inverse) / inverse


def clamp(values: FloatMatrix, low: FloatMatrix, high: FloatMatrix) -> FloatMatrix:
    """max(min(v, high), low) with Go's NaN propagation (NaN bounds give NaN)."""
    with np.errstate(all="ignore"):
        return np.maximum(np.minimum(values, high), low)


CALENDAR_FUNCTIONS = frozenset(
    {"day_of_month", "day_of_week", "day_of_year", "days_in_month", "hour", "minute", "month", "year"}
)


def calendar(name: str, seconds: FloatMatrix) -> FloatMatrix:
    """Calendar fields (UTC) of Unix times in seconds; NaN and infinities give NaN."""
    finite = np.isfinite(seconds)
    whole = np.where(finite, np.floor(np.where(finite, seconds, 0.0)), 0.0).astype(np.int64)
    moments = whole.astype("datetime64[s]")
    days = moments.astype("datetime64[D]")
    months = moments.astype("datetime64[M]")
    years = moments.astype("datetime64[Y]")
    if name == "year":
        out = years.astype(np.int64) + 1970
    elif name == "month":
        out = months.astype(np.int64) % 12 + 1
    elif name == "day_of_month":
        out = (days - months.astype("datetime64[D]")).astype(np.int64) + 1
    elif name == "day_of_week":
        out = (days.astype(np.int64) + 4) % 7
    elif name == "day_of_year":
        out = (days - years.astype("datetime64[D]")).astype(np.int64) + 1
    elif name == "days_in_month":
        out = ((months + 1).astype("datetime64[D]") - months.astype("datetime64[D]")).astype(np.int64)
    elif name == "hour":
        out = np.mod(whole, 86_400) // 3600
    else:
        out = np.mod(whole, 3600) // 60
    return np.where(finite, out.astype(np.float64), np.nan)
