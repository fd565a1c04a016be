"""Compiled kernel finding every range window: for series s and step j, the flat sample indices
`[lo, hi)` whose timestamps lie in the left-open window `(t_j - range, t_j]` (Prometheus 3)."""

from __future__ import annotations

import numba
import numpy as np
import numpy.typing as npt

Int64Array = npt.NDArray[np.int64]


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _first_after(timestamps: Int64Array, start: int, end: int, bound: int) -> int:
    """Index of the first sample in `[start, end)` with a timestamp above `bound` (binary search)."""
    while start < end:
        middle = (start + end) >> 1
        if timestamps[middle] <= bound:
            start = middle + 1
        else:
            end = middle
    return start


@numba.njit(cache=True, nogil=True, error_model="numpy")
def window_bounds_kernel(
    timestamps: Int64Array, offsets: Int64Array, eval_times: Int64Array, range_ms: int,
    lo: Int64Array, hi: Int64Array,
) -> None:
    """Per series, a forward walk while step times ascend (the range-query case, linear time);
    a binary search from the series start whenever a step time goes back."""
    for s in range(offsets.size - 1):
        first = offsets[s]
        end = offsets[s + 1]
        a = first
        b = first
        for j in range(eval_times.size):
            t = eval_times[j]
            if j > 0 and t < eval_times[j - 1]:
                a = _first_after(timestamps, first, end, t - range_ms)
                b = _first_after(timestamps, first, end, t)
            else:
                while a < end and timestamps[a] <= t - range_ms:
                    a += 1
                while b < end and timestamps[b] <= t:
                    b += 1
            lo[s, j] = a
            hi[s, j] = b
