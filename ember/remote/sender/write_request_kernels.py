"""A compiled writer of remote-write 1.0 `WriteRequest` protobufs from columns.

Each series' `Label` fields are encoded once, when the series is first seen, into one byte blob; a batch
is then samples grouped into runs of one series, and the kernel writes every
`TimeSeries { labels (copied from the blob); samples: 0x12 len 0x09 <double> 0x10 <varint ts> }`
without a Python object per sample. Values are copied bit for bit, so the staleness NaN survives.
"""

from __future__ import annotations

import numba
import numpy as np
import numpy.typing as npt

U8 = npt.NDArray[np.uint8]
I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]


@numba.njit(cache=True, nogil=True)
def _varint_size(value: np.uint64) -> int:
    size = 1
    while value >= np.uint64(0x80):
        value >>= np.uint64(7)
        size += 1
    return size


@numba.njit(cache=True, nogil=True)
def _put_varint(out: U8, pos: int, value: np.uint64) -> int:
    while value >= np.uint64(0x80):
        out[pos] = (value & np.uint64(0x7F)) | np.uint64(0x80)
        value >>= np.uint64(7)
        pos += 1
    out[pos] = value
    return pos + 1


@numba.njit(cache=True, nogil=True)
def encode_write_request(
    label_blob: U8, label_start: I64, label_end: I64, run_series: I64, run_bounds: I64,
    timestamps: I64, values: F64,
) -> U8:
    """The WriteRequest bytes: run r is series `run_series[r]` (whose Label fields are
    `label_blob[label_start[s]:label_end[s]]`) with samples `[run_bounds[r], run_bounds[r+1])`."""
    runs = len(run_series)
    stamps = timestamps.view(np.uint64)
    bits = values.view(np.uint64)
    body_sizes = np.empty(runs, dtype=np.int64)
    total = 0
    for r in range(runs):
        s = run_series[r]
        size = label_end[s] - label_start[s]
        for i in range(run_bounds[r], run_bounds[r + 1]):
            sample = 10 + _varint_size(stamps[i])
            size += 1 + _varint_size(np.uint64(sample)) + sample
        body_sizes[r] = size
        total += 1 + _varint_size(np.uint64(size)) + size
    out = np.empty(total, dtype=np.uint8)
    pos = 0
    for r in range(runs):
        s = run_series[r]
        out[pos] = 0x0A
        pos = _put_varint(out, pos + 1, np.uint64(body_sizes[r]))
        a, b = label_start[s], label_end[s]
        out[pos : pos + (b - a)] = label_blob[a:b]
        pos += b - a
        for i in range(run_bounds[r], run_bounds[r + 1]):
            out[pos] = 0x12
            pos = _put_varint(out, pos + 1, np.uint64(10 + _varint_size(stamps[i])))
            out[pos] = 0x09
            word = bits[i]
            for k in range(8):
                out[pos + 1 + k] = (word >> np.uint64(8 * k)) & np.uint64(0xFF)
            out[pos + 9] = 0x10
            pos = _put_varint(out, pos + 10, stamps[i])
    return out


def warm_up() -> None:
    """Compiles (or loads from the on-disk cache) the kernel before the first send needs it."""
    blob = np.frombuffer(b"\x0a\x00", dtype=np.uint8)
    one = np.zeros(1, dtype=np.int64)
    encode_write_request(blob, one, one + 2, one, np.array([0, 1], dtype=np.int64), one, np.zeros(1))
