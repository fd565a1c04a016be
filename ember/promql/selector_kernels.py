"""Compiled kernels for vector selectors: the latest sample within the lookback window per step."""

from __future__ import annotations

import numba
import numpy as np
import numpy.typing as npt

from ember.model.samples import STALE_NAN_BITS

_STALE_BITS = np.uint64(STALE_NAN_BITS)


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _lookback_kernel(
    timestamps: npt.NDArray[np.int64],
    values: npt.NDArray[np.float64],
    bits: npt.NDArray[np.uint64],
    offsets: npt.NDArray[np.int64],
    eval_times: npt.NDArray[np.int64],
    lookback_ms: int,
    stale_bits: np.uint64,
    out: npt.NDArray[np.float64],
    present: npt.NDArray[np.bool_],
    sample_times: npt.NDArray[np.int64],
) -> None:
    keep_times = sample_times.shape[0] > 0
    num_series = len(offsets) - 1
    num_steps = len(eval_times)
    for s in range(num_series):
        lo = offsets[s]
        hi = offsets[s + 1]
        i = lo
        for j in range(num_steps):
            t = eval_times[j]
            if j > 0 and t < eval_times[j - 1]:
                i = lo
            while i < hi and timestamps[i] <= t:
                i += 1
            if i > lo:
                k = i - 1
                if timestamps[k] > t - lookback_ms and bits[k] != stale_bits:
                    out[s, j] = values[k]
                    present[s, j] = True
                    if keep_times:
                        sample_times[s, j] = timestamps[k]


def lookback_select(
    timestamps: npt.NDArray[np.int64],
    values: npt.NDArray[np.float64],
    offsets: npt.NDArray[np.int64],
    eval_times: npt.NDArray[np.int64],
    lookback_ms: int,
    with_sample_times: bool = False,
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.bool_], npt.NDArray[np.int64]]:
    """For each series and step, the latest sample in `(t - lookback, t]` unless it is a stale marker.

    Prometheus 3: the lookback window is left-open and a staleness marker ends the series. With
    `with_sample_times`, also the timestamp of each chosen sample (for `timestamp()`).
    """
    num_series = len(offsets) - 1
    out = np.zeros((num_series, len(eval_times)), dtype=np.float64)
    present = np.zeros((num_series, len(eval_times)), dtype=np.bool_)
    values = np.ascontiguousarray(values, dtype=np.float64)
    shape = (num_series, len(eval_times)) if with_sample_times else (0, 0)
    sample_times = np.zeros(shape, dtype=np.int64)
    _lookback_kernel(
        np.ascontiguousarray(timestamps, dtype=np.int64),
        values,
        values.view(np.uint64),
        np.ascontiguousarray(offsets, dtype=np.int64),
        np.ascontiguousarray(eval_times, dtype=np.int64),
        int(lookback_ms),
        _STALE_BITS,
        out,
        present,
        sample_times,
    )
    return out, present, sample_times
