"""Turning head pieces (chunks, frames, unaligned samples) into one sorted columnar series set."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ember.model.labels import Labels
from ember.model.samples import Float64Array, Int64Array
from ember.storage.series_set import SeriesSet
from ember.tsdb.column_group import ColumnGroup


def flatten_groups(groups: Sequence[ColumnGroup]) -> tuple[Int64Array, Int64Array, Float64Array]:
    """Column-major flattening: each column's samples stay contiguous and in time order."""
    if not groups:
        return np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0, np.float64)
    refs = np.concatenate([np.repeat(g.refs, len(g.timestamps)) for g in groups])
    timestamps = np.concatenate([np.tile(g.timestamps, len(g.refs)) for g in groups])
    values = np.concatenate([g.values.T.ravel() for g in groups])
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
    by_labels = sorted(range(len(refs)), key=lambda i: labels[i].flat)
    rank_of_position = np.empty(len(refs), dtype=np.int64)
    rank_of_position[np.asarray(by_labels, dtype=np.int64)] = np.arange(len(refs), dtype=np.int64)
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
    counts = np.bincount(ranks, minlength=len(refs))
    present = counts > 0
    offsets = np.zeros(int(present.sum()) + 1, dtype=np.int64)
    np.cumsum(counts[present], out=offsets[1:])
    ordered_labels = [labels[i] for i in by_labels]
    kept_labels = [lb for lb, p in zip(ordered_labels, present.tolist(), strict=True) if p]
    return SeriesSet(kept_labels, offsets, timestamps, values)
