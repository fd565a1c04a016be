"""The columnar series set every read returns.

Samples of all series sit in two flat arrays; series `i` owns `[offsets[i], offsets[i+1])`. This is the
layout numba kernels consume directly (CSR), and it costs one Python object per series, none per sample.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from ember.model.labels import Labels
from ember.model.samples import Float64Array, Int64Array


@dataclass(frozen=True)
class SeriesSet:
    labels: Sequence[Labels]
    offsets: Int64Array
    timestamps: Int64Array
    values: Float64Array

    def __post_init__(self) -> None:
        if len(self.offsets) != len(self.labels) + 1:
            raise ValueError("offsets must have one entry more than labels")

    @classmethod
    def empty(cls) -> SeriesSet:
        return cls([], np.zeros(1, dtype=np.int64), np.empty(0, np.int64), np.empty(0, np.float64))

    @classmethod
    def from_series(cls, series: Sequence[tuple[Labels, Int64Array, Float64Array]]) -> SeriesSet:
        """Builds from (labels, timestamps, values) triples, sorting by labels."""
        ordered = sorted(series, key=lambda s: s[0])
        lengths = np.array([len(s[1]) for s in ordered], dtype=np.int64)
        offsets = np.zeros(len(ordered) + 1, dtype=np.int64)
        np.cumsum(lengths, out=offsets[1:])
        ts = np.concatenate([s[1] for s in ordered]).astype(np.int64) if ordered else np.empty(0, np.int64)
        vals = (
            np.concatenate([s[2] for s in ordered]).astype(np.float64) if ordered else np.empty(0, np.float64)
        )
        return cls([s[0] for s in ordered], offsets, ts, vals)

    def __len__(self) -> int:
        return len(self.labels)

    @property
    def num_samples(self) -> int:
        return int(self.offsets[-1])

    def series(self, i: int) -> tuple[Int64Array, Float64Array]:
        lo, hi = int(self.offsets[i]), int(self.offsets[i + 1])
        return self.timestamps[lo:hi], self.values[lo:hi]

    def __iter__(self) -> Iterator[tuple[Labels, Int64Array, Float64Array]]:
        for i, labels in enumerate(self.labels):
            ts, vals = self.series(i)
            yield labels, ts, vals

    def lengths(self) -> Int64Array:
        return np.diff(self.offsets)


def merge_series_sets(sets: Sequence[SeriesSet]) -> SeriesSet:
    """Union of series sets: same-labels series merged in time order; on equal timestamps the sample
    of the later set wins (later sets are fresher: blocks, then the head)."""
    sets = [s for s in sets if len(s)]
    if not sets:
        return SeriesSet.empty()
    if len(sets) == 1:
        return sets[0]
    all_labels: dict[Labels, int] = {}
    for s in sets:
        for labels in s.labels:
            all_labels.setdefault(labels, len(all_labels))
    ordered = sorted(all_labels)
    rank = {labels: i for i, labels in enumerate(ordered)}
    series_ids = []
    priorities = []
    for priority, s in enumerate(sets):
        ids = np.array([rank[lb] for lb in s.labels], dtype=np.int64)
        series_ids.append(np.repeat(ids, s.lengths()))
        priorities.append(np.full(s.num_samples, priority, dtype=np.int64))
    sid = np.concatenate(series_ids)
    prio = np.concatenate(priorities)
    ts = np.concatenate([s.timestamps for s in sets])
    vals = np.concatenate([s.values for s in sets])
    if _in_disjoint_time_order(sets):
        # Blocks then the head: each series' pieces are already in time order; a stable sort by series
        # merges the per-set runs without comparing timestamps.
        order = np.argsort(sid, kind="stable")
        sid, ts, vals = sid[order], ts[order], vals[order]
    else:
        order = np.lexsort((-prio, ts, sid))
        sid, ts, vals = sid[order], ts[order], vals[order]
        keep = np.ones(len(ts), dtype=bool)
        keep[1:] = (sid[1:] != sid[:-1]) | (ts[1:] != ts[:-1])
        sid, ts, vals = sid[keep], ts[keep], vals[keep]
    counts = np.bincount(sid, minlength=len(ordered)).astype(np.int64)
    offsets = np.zeros(len(ordered) + 1, dtype=np.int64)
    np.cumsum(counts, out=offsets[1:])
    return SeriesSet(ordered, offsets, ts, vals)


def _in_disjoint_time_order(sets: Sequence[SeriesSet]) -> bool:
    """True when every set's samples are all later than every sample of the sets before it."""
    latest = None
    for s in sets:
        if not s.num_samples:
            continue
        if latest is not None and int(s.timestamps.min()) <= latest:
            return False
        latest = int(s.timestamps.max())
    return True
