"""Turning head pieces (chunks, frames, unaligned samples) into one sorted columnar series set."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ember.model.labels import Labels
from ember.model.samples import Float64Array, Int64Array
from ember.promql.label_order import label_order
from ember.storage.series_set import SeriesSet
from ember.tsdb.column_group import ColumnGroup


def flatten_groups(groups: Sequence[ColumnGroup]) -> tuple[Int64Array, Int64Array, Float64Array]:
    """Column-major flattening: each column's samples stay contiguous and in time order.

    Written as broadcast copies into preallocated arrays: numpy releases the GIL for those, where
    `np.repeat` holds it (12 ms for 3M samples, a stall for the scrape loop)."""
    sizes = [len(g.refs) * len(g.timestamps) for g in groups]
    total = sum(sizes)
    refs = np.empty(total, np.int64)
    timestamps = np.empty(total, np.int64)
    values = np.empty(total, np.float64)
    at = 0
    for group, size in zip(groups, sizes, strict=True):
        shape = (len(group.refs), len(group.timestamps))
        refs[at:at + size].reshape(shape)[...] = group.refs[:, None]
        timestamps[at:at + size].reshape(shape)[...] = group.timestamps
        values[at:at + size].reshape(shape)[...] = group.values.T
        at += size
    return refs, timestamps, values


def assemble(
    refs: Int64Array,
    labels: Sequence[Labels],
    sample_refs: Int64Array,
    timestamps: Int64Array,
    values: Float64Array,
) -> SeriesSet:
    """Builds a SeriesSet ordered by labels from samples tagged with series refs.

    `refs` (sorted) and `labels` describe the selected series. Samples are in pieces each sorted by time
    per series; a stable sort by series keeps that order, and only when pieces overlap in time is a full
    (series, time) sort needed. On equal timestamps the later sample in input order wins.
    """
    if len(sample_refs) == 0:
        return SeriesSet.empty()
    by_labels = label_order(labels)
    rank_of_position = np.empty(len(refs), dtype=np.int64)
    rank_of_position[by_labels] = np.arange(len(refs), dtype=np.int64)
    ranks = rank_of_position[np.searchsorted(refs, sample_refs)]
    order = np.argsort(ranks, kind="stable")
    ranks, timestamps, values = ranks[order], timestamps[order], values[order]
    same_series = ranks[1:] == ranks[:-1]
    if np.any(same_series & (timestamps[1:] < timestamps[:-1])):
        arrival = np.arange(len(ranks), dtype=np.int64)
        order = np.lexsort((arrival, timestamps, ranks))
        ranks, timestamps, values = ranks[order], timestamps[order], values[order]
        same_series = ranks[1:] == ranks[:-1]
    duplicate_of_next = np.zeros(len(ranks), dtype=bool)
    duplicate_of_next[:-1] = same_series & (timestamps[1:] == timestamps[:-1])
    if duplicate_of_next.any():
        keep = ~duplicate_of_next
        ranks, timestamps, values = ranks[keep], timestamps[keep], values[keep]
    # `ranks` is sorted here; searchsorted releases the GIL where bincount holds it.
    counts = np.diff(np.searchsorted(ranks, np.arange(len(refs) + 1, dtype=np.int64)))
    present = counts > 0
    offsets = np.zeros(int(present.sum()) + 1, dtype=np.int64)
    np.cumsum(counts[present], out=offsets[1:])
    ordered_labels = [labels[i] for i in by_labels.tolist()]
    kept_labels = [lb for lb, p in zip(ordered_labels, present.tolist(), strict=True) if p]
    return SeriesSet(kept_labels, offsets, timestamps, values)
