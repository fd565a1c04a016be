"""Samples that do not arrive as scrape rows (remote write, backfill, explicit timestamps, out-of-order
samples): kept in arrival order in flat columns, sorted only when read or cut into a block.

With `freeze_samples` set, every that many samples the flat columns are sorted into per-series column
groups and compressed (as the head's frames are): ~0.3-1 byte per sample instead of 24. It is off by
default for now: compressing inside the commit (under the head's lock) cost ~0.1 ms of CPU per 2,000-sample
remote-write request in bench/remote_write.py and stalls other committers; it should move off the lock."""

from __future__ import annotations

import numpy as np

from ember.model.samples import Float64Array, Int64Array
from ember.tsdb.column_group import ColumnGroup
from ember.tsdb.head_chunk import FrozenChunk

FREEZE_SAMPLES = 1 << 18  # the suggested size when compression is on


class UnalignedBuffer:
    def __init__(self, freeze_samples: int = 0) -> None:
        """`freeze_samples`: compress the flat columns each time they hold that many samples (0: never)."""
        self.freeze_samples = freeze_samples or 2**62
        self._reset()

    def _reset(self) -> None:
        self._frozen: list[FrozenChunk] = []  # in arrival order: older parts first
        self._frozen_len = 0
        self._refs: Int64Array = np.empty(1024, dtype=np.int64)
        self._timestamps: Int64Array = np.empty(1024, dtype=np.int64)
        self._values: Float64Array = np.empty(1024, dtype=np.float64)
        self._len = 0

    def __len__(self) -> int:
        return self._frozen_len + self._len

    def append(self, refs: Int64Array, timestamps: Int64Array, values: Float64Array) -> None:
        n, extra = self._len, len(refs)
        if n + extra > len(self._refs):
            capacity = max(n + extra, min(2 * len(self._refs), self.freeze_samples))
            self._refs = _grown(self._refs, capacity, n)
            self._timestamps = _grown(self._timestamps, capacity, n)
            self._values = _grown(self._values, capacity, n)
        self._refs[n : n + extra] = refs
        self._timestamps[n : n + extra] = timestamps
        self._values[n : n + extra] = values
        self._len = n + extra
        if self._len >= self.freeze_samples:
            self._freeze()

    def _freeze(self) -> None:
        """Compresses the flat columns into column groups of series sharing their timestamps."""
        n = self._len
        groups = one_column_groups(self._refs[:n], self._timestamps[:n], self._values[:n])
        # A fresh frozen list, so a reader's earlier `parts()` keeps seeing exactly what it took.
        self._frozen = [*self._frozen, *(FrozenChunk.freeze(g) for g in groups)]
        self._frozen_len += n
        self._len = 0
        # Fresh columns: readers may still hold views of the old ones, which must never change.
        capacity = min(len(self._refs), self.freeze_samples)
        self._refs = np.empty(capacity, dtype=np.int64)
        self._timestamps = np.empty(capacity, dtype=np.int64)
        self._values = np.empty(capacity, dtype=np.float64)

    def parts(self) -> tuple[list[FrozenChunk], tuple[Int64Array, Int64Array, Float64Array]]:
        """The compressed parts (older arrivals) and views of the flat columns (newer); later appends
        change neither. Readers decode the parts outside the head's lock."""
        n = self._len
        return self._frozen, (self._refs[:n], self._timestamps[:n], self._values[:n])

    def snapshot(self) -> tuple[Int64Array, Int64Array, Float64Array]:
        """Every sample as flat columns, in arrival order (compressed parts decoded)."""
        frozen, flat = self.parts()
        if not frozen:
            return flat
        pieces = [_flat_samples(chunk.decode()) for chunk in frozen] + [flat]
        return (np.concatenate([p[0] for p in pieces]), np.concatenate([p[1] for p in pieces]),
                np.concatenate([p[2] for p in pieces]))

    def refs(self) -> Int64Array:
        """The distinct refs holding samples here."""
        frozen, (refs, _, _) = self.parts()
        return np.unique(np.concatenate([refs, *(chunk.refs for chunk in frozen)]))

    @property
    def mint(self) -> int | None:
        times = [chunk.mint for chunk in self._frozen]
        if self._len:
            times.append(int(self._timestamps[: self._len].min()))
        return min(times) if times else None

    @property
    def nbytes(self) -> int:
        return 24 * len(self._refs) + sum(chunk.nbytes for chunk in self._frozen)

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


def _flat_samples(group: ColumnGroup) -> tuple[Int64Array, Int64Array, Float64Array]:
    """A group's samples series by series, each in time order."""
    rows, columns = group.values.shape
    return (np.repeat(group.refs, rows), np.tile(group.timestamps, columns),
            np.ascontiguousarray(group.values.T).ravel())


def _grown(array: np.ndarray, capacity: int, used: int) -> np.ndarray:  # type: ignore[type-arg]
    grown = np.empty(capacity, dtype=array.dtype)
    grown[:used] = array[:used]
    return grown


def sort_samples(
    refs: Int64Array, timestamps: Int64Array, values: Float64Array
) -> tuple[Int64Array, Int64Array, Float64Array]:
    """Sorts by (ref, timestamp); for equal pairs the latest arrival wins."""
    order = np.argsort(refs, kind="stable")
    by_ref, stamps = refs[order], timestamps[order]
    if bool(np.all((by_ref[1:] != by_ref[:-1]) | (stamps[1:] > stamps[:-1]))):
        # Each series arrived in time order (as a remote-write sender sends it): the stable sort by ref
        # is the whole answer, with no equal pairs to resolve.
        return by_ref, stamps, values[order]
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
    if not len(refs):
        return []
    starts = np.flatnonzero(np.r_[True, refs[1:] != refs[:-1]])
    ends = np.r_[starts[1:], len(refs)]
    rows = int(ends[0] - starts[0])
    if len(refs) == rows * len(starts):
        # Every series has as many samples: when they also share the timestamps (series of one target),
        # the samples already are one [series, rows] block, found without a loop over the series.
        stamps = timestamps.reshape(len(starts), rows)
        if bool(np.all(stamps == stamps[0])):
            columns = np.ascontiguousarray(values.reshape(len(starts), rows).T)
            return [ColumnGroup(refs[starts], stamps[0].copy(), columns)]
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
