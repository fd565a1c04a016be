"""Reading samples out of a block's chunks file, vectorised: postings -> columns -> one decode -> CSR.

The selected series' columns are found through the series -> columns table, the groups they live in
are checksummed, all their timestamp columns are decoded with one compiled call and all their value
columns with another, and the samples are laid out by series with numpy (`repeat` + gathers), never a
Python loop over samples.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import crc32c
import numpy as np
import numpy.typing as npt

from ember.errors import CorruptionError
from ember.model.samples import Float64Array, Int64Array
from ember.tsdb import codec
from ember.tsdb.block_index import GROUP_CRC_BYTES, GroupTable


@dataclass(frozen=True)
class ChunkLayout:
    """Byte positions of every group and column in the chunks file, and the series -> columns table."""

    table: GroupTable
    group_start: Int64Array
    group_end: Int64Array
    column_start: Int64Array
    column_group: Int64Array
    series_columns: Int64Array
    """Column indices ordered by (series, group time): a series' samples in time order."""
    series_column_starts: Int64Array
    """Series i owns series_columns[starts[i]:starts[i+1]]."""

    @classmethod
    def build(cls, table: GroupTable, num_series: int, file_size: int, where: str) -> ChunkLayout:
        group_start, group_end, column_start = table.layout()
        expected = int(group_end[-1]) + GROUP_CRC_BYTES if len(group_end) else 8
        if expected != file_size:
            raise CorruptionError(f"chunks file is {file_size} bytes, the index expects {expected}", where)
        column_group = np.repeat(np.arange(table.num_groups, dtype=np.int64), table.cols)
        order = np.lexsort((table.mint[column_group], table.column_series))
        starts = np.searchsorted(table.column_series[order], np.arange(num_series + 1)).astype(np.int64)
        return cls(table, group_start, group_end, column_start, column_group, order, starts)

    def columns_of(self, series_ids: Int64Array, mint: int, maxt: int) -> Int64Array:
        """Columns of these (ascending) series in groups overlapping [mint, maxt], by series then time."""
        first = self.series_column_starts[series_ids]
        counts = self.series_column_starts[series_ids + 1] - first
        total = int(counts.sum())
        skip = np.repeat(np.cumsum(counts) - counts - first, counts)
        cols = self.series_columns[np.arange(total, dtype=np.int64) - skip]
        groups = self.column_group[cols]
        chosen: Int64Array = cols[(self.table.mint[groups] <= maxt) & (self.table.maxt[groups] >= mint)]
        return chosen

    def groups_with_samples_in(self, chunks: npt.NDArray[np.uint8], mint: int, maxt: int) -> Int64Array:
        """Groups having a timestamp in [mint, maxt] (decoding only the partly covered ones)."""
        t = self.table
        overlapping = np.flatnonzero((t.mint <= maxt) & (t.maxt >= mint))
        partial = overlapping[(t.mint[overlapping] < mint) | (t.maxt[overlapping] > maxt)]
        if not len(partial):
            return overlapping
        ts, offsets = codec.decode_timestamps_many(
            chunks, self.group_start[partial], self.group_start[partial] + t.ts_length[partial]
        )
        inside = (ts >= mint) & (ts <= maxt)
        hits = np.add.reduceat(inside.astype(np.int64), offsets[:-1]) if len(ts) else np.zeros(0, np.int64)
        return np.setdiff1d(overlapping, partial[hits == 0]).astype(np.int64)


def verify_groups(chunks: npt.NDArray[np.uint8], layout: ChunkLayout, groups: Int64Array, where: str) -> None:
    """Checks each group's crc32c, so a damaged chunk is reported instead of decoded into garbage."""
    for g in groups.tolist():
        lo, hi = int(layout.group_start[g]), int(layout.group_end[g])
        stored = int.from_bytes(chunks[hi : hi + GROUP_CRC_BYTES].tobytes(), "little")
        if crc32c.crc32c(chunks[lo:hi].data) != stored:
            raise CorruptionError(f"{where}: group {g}: checksum mismatch", where, lo)


@dataclass(frozen=True)
class DecodedColumns:
    """Samples of some columns, column after column: column k holds [offsets[k], offsets[k+1])."""

    series: Int64Array
    offsets: Int64Array
    timestamps: Int64Array
    values: Float64Array


def decode_columns(
    chunks: npt.NDArray[np.uint8], layout: ChunkLayout, cols: Int64Array, where: str
) -> DecodedColumns:
    """Decodes `cols` (and their groups' timestamps) with one compiled call each, checksums first."""
    groups, group_pos = np.unique(layout.column_group[cols], return_inverse=True)
    verify_groups(chunks, layout, groups, where)
    t = layout.table
    try:
        ts_flat, ts_off = codec.decode_timestamps_many(
            chunks, layout.group_start[groups], layout.group_start[groups] + t.ts_length[groups]
        )
        values, offsets = codec.decode_values_many(
            chunks, layout.column_start[cols], layout.column_start[cols] + t.column_lengths[cols]
        )
    except CorruptionError as exc:
        raise CorruptionError(f"{where}: {exc}", where) from exc
    lengths = np.diff(offsets)
    rows = t.rows[groups]
    if not (np.array_equal(np.diff(ts_off), rows) and np.array_equal(lengths, rows[group_pos])):
        raise CorruptionError(f"{where}: column lengths do not match the group table", where)
    # Sample i of column k sits at ts_flat[ts_off[group of k] + (i - offsets[k])].
    shift = np.repeat(ts_off[:-1][group_pos] - offsets[:-1], lengths)
    ts_index = np.arange(len(values), dtype=np.int64) + shift
    return DecodedColumns(t.column_series[cols], offsets, ts_flat[ts_index], values)


def _series_offsets(column_series: Int64Array, column_counts: Int64Array) -> tuple[Int64Array, Int64Array]:
    """Distinct series of label-sorted columns and CSR offsets from per-column sample counts; series
    with no sample are dropped."""
    if not len(column_series):
        return column_series, np.zeros(1, dtype=np.int64)
    first = np.flatnonzero(np.concatenate(([True], column_series[1:] != column_series[:-1])))
    counts = np.add.reduceat(column_counts, first)
    present = counts > 0
    offsets = np.zeros(int(present.sum()) + 1, dtype=np.int64)
    np.cumsum(counts[present], out=offsets[1:])
    return column_series[first][present], offsets


def _in_time_order(decoded: DecodedColumns) -> bool:
    """Whether each series' columns follow each other in time (checked at column boundaries only:
    within a column timestamps always ascend)."""
    ends = decoded.offsets[1:-1]
    same = decoded.series[1:] == decoded.series[:-1]
    return not np.any(same & (decoded.timestamps[ends - 1] >= decoded.timestamps[ends]))


def to_series_csr(
    decoded: DecodedColumns,
    mint: int,
    maxt: int,
    deleted: Callable[[Int64Array, Int64Array, Int64Array], npt.NDArray[np.bool_]],
) -> tuple[Int64Array, Int64Array, Int64Array, Float64Array]:
    """(series ids, offsets, timestamps, values): samples in [mint, maxt] not deleted, grouped by series
    in time order; series left with no sample are dropped. `deleted(series, offsets, ts)` masks
    tombstoned samples of a CSR layout."""
    ts, values = decoded.timestamps, decoded.values
    if not _in_time_order(decoded):
        sample_series = np.repeat(decoded.series, np.diff(decoded.offsets))
        sample_series, ts, values = _sorted_unique(sample_series, ts, values)
        first = np.flatnonzero(np.concatenate(([True], sample_series[1:] != sample_series[:-1])))
        decoded = DecodedColumns(sample_series[first], np.append(first, len(ts)), ts, values)
    keep = (ts >= mint) & (ts <= maxt)
    column_counts = np.diff(decoded.offsets)
    if not keep.all():
        # Every column holds at least one sample, so the reduceat starts are strictly increasing.
        column_counts = np.add.reduceat(keep.astype(np.int64), decoded.offsets[:-1])
        ts, values = ts[keep], values[keep]
    series, offsets = _series_offsets(decoded.series, column_counts)
    gone = deleted(series, offsets, ts)
    if gone.any():
        ts, values = ts[~gone], values[~gone]
        kept = np.add.reduceat((~gone).astype(np.int64), offsets[:-1])
        series, offsets = _series_offsets(series, kept)
    return series, offsets, ts, values


def _sorted_unique(
    series: Int64Array, ts: Int64Array, values: Float64Array
) -> tuple[Int64Array, Int64Array, Float64Array]:
    """Sorts by (series, time) keeping the last-written sample of equal timestamps; only for blocks not
    written by Ember's writer, which never lets a series' groups overlap."""
    position = np.arange(len(ts), dtype=np.int64)
    order = np.lexsort((-position, ts, series))
    series, ts, values = series[order], ts[order], values[order]
    keep = np.ones(len(ts), dtype=bool)
    keep[1:] = (series[1:] != series[:-1]) | (ts[1:] != ts[:-1])
    return series[keep], ts[keep], values[keep]
