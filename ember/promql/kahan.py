"""Compensated summation as Prometheus does it (`kahansum.Inc`, Neumaier's variant), for kernels."""

from __future__ import annotations

import math

import numba


@numba.njit(cache=True, nogil=True, error_model="numpy")
def kahan_inc(inc: float, total: float, comp: float) -> tuple[float, float]:
    """Adds `inc` to `total`, carrying the rounding error in `comp`; an infinite total resets it."""
    t = total + inc
    if math.isinf(t):
        comp = 0.0
    elif abs(total) >= abs(inc):
        comp += (total - t) + inc
    else:
        comp += (inc - t) + total
    return t, comp
