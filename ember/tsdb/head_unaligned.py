"""Samples that do not arrive as scrape rows (remote write, backfill, explicit timestamps, out-of-order
samples): kept in arrival order in flat columns, sorted only when read or cut into a block."""

from __future__ import annotations

import numpy as np

from ember.model.samples import Float64Array, Int64Array
from ember.tsdb.column_group import ColumnGroup


class UnalignedBuffer:
    def __init__(self) -> None:
        self._reset()

    def _reset(self) -> None:
        self._refs: Int64Array = np.empty(1024, dtype=np.int64)
        self._timestamps: Int64Array = np.empty(1024, dtype=np.int64)
        self._values: Float64Array = np.empty(1024, dtype=np.float64)
        self._len = 0

    def __len__(self) -> int:
        return self._len

    def append(self, refs: Int64Array, timestamps: Int64Array, values: Float64Array) -> None:
        n, extra = self._len, len(refs)
        if n + extra > len(self._refs):
            capacity = max(n + extra, 2 * len(self._refs))
            self._refs = _grown(self._refs, capacity, n)
            self._timestamps = _grown(self._timestamps, capacity, n)
            self._values = _grown(self._values, capacity, n)
        self._refs[n : n + extra] = refs
        self._timestamps[n : n + extra] = timestamps
        self._values[n : n + extra] = values
        self._len = n + extra

    def snapshot(self) -> tuple[Int64Array, Int64Array, Float64Array]:
        """Views of the current contents; later appends never change them."""
        n = self._len
        return self._refs[:n], self._timestamps[:n], self._values[:n]

    @property
    def mint(self) -> int | None:
        return int(self._timestamps[: self._len].min()) if self._len else None

    @property
    def nbytes(self) -> int:
        return 24 * len(self._refs)

    def take_before(self, t: int) -> list[ColumnGroup]:
        """Removes the samples older than `t` and returns them as one-column groups, one per series,
        sorted by time with duplicate timestamps resolved to the latest arrival."""
        refs, timestamps, values = self.snapshot()
        old = timestamps < t
        if not old.any():
            return []
        keep = ~old
        kept = (refs[keep].copy(), timestamps[keep].copy(), values[keep].copy())
        groups = one_column_groups(refs[old], timestamps[old], values[old])
        self._reset()
        self.append(*kept)
        return groups


def _grown(array: np.ndarray, capacity: int, used: int) -> np.ndarray:  # type: ignore[type-arg]
    grown = np.empty(capacity, dtype=array.dtype)
    grown[:used] = array[:used]
    return grown


def sort_samples(
    refs: Int64Array, timestamps: Int64Array, values: Float64Array
) -> tuple[Int64Array, Int64Array, Float64Array]:
    """Sorts by (ref, timestamp); for equal pairs the latest arrival wins."""
    arrival = np.arange(len(refs), dtype=np.int64)
    order = np.lexsort((-arrival, timestamps, refs))
    refs, timestamps, values = refs[order], timestamps[order], values[order]
    keep = np.ones(len(refs), dtype=bool)
    keep[1:] = (refs[1:] != refs[:-1]) | (timestamps[1:] != timestamps[:-1])
    return refs[keep], timestamps[keep], values[keep]


def one_column_groups(refs: Int64Array, timestamps: Int64Array, values: Float64Array) -> list[ColumnGroup]:
    """Samples as column groups: series sharing the very same timestamps (a backfilled scrape, a
    remote-written target) share one group, so their timestamps are stored once."""
    refs, timestamps, values = sort_samples(refs, timestamps, values)
    starts = np.flatnonzero(np.r_[True, refs[1:] != refs[:-1]])
    ends = np.r_[starts[1:], len(refs)]
    by_times: dict[bytes, list[int]] = {}
    for k, (s, e) in enumerate(zip(starts.tolist(), ends.tolist(), strict=True)):
        by_times.setdefault(timestamps[s:e].tobytes(), []).append(k)
    groups = []
    for members in by_times.values():
        first = int(starts[members[0]])
        rows = int(ends[members[0]]) - first
        columns = np.stack([values[int(starts[k]) : int(starts[k]) + rows] for k in members], axis=1)
        groups.append(ColumnGroup(refs[starts[members]], timestamps[first : first + rows], columns))
    return groups
