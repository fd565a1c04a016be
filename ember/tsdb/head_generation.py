"""One generation of a scrape group: a fixed, sorted series set written one row per scrape."""

from __future__ import annotations

import numpy as np
from pyroaring import BitMap

from ember.model.samples import Float64Array, Int64Array
from ember.storage.interface import MIN_TIME
from ember.tsdb.column_group import ColumnGroup
from ember.tsdb.head_chunk import FrozenChunk


class Generation:
    """Rows land in an uncompressed frame; a full frame (or one that would cross a block boundary) is
    frozen into a compressed chunk, so chunks never straddle a block and head memory stays small."""

    def __init__(self, set_id: int, refs: Int64Array, frame_rows: int, block_range_ms: int) -> None:
        self.set_id = set_id
        self.refs = refs
        self.bitmap = BitMap(refs.tolist())
        self.frame_rows = frame_rows
        self.block_range_ms = block_range_ms
        self.chunks: list[FrozenChunk] = []
        self.last_timestamp = MIN_TIME  # of the newest row
        self._new_frame()

    def _new_frame(self) -> None:
        self.frame_timestamps: Int64Array = np.empty(self.frame_rows, dtype=np.int64)
        self.frame_values: Float64Array = np.empty((self.frame_rows, len(self.refs)), dtype=np.float64)
        self.frame_len = 0

    def append_row(self, timestamp: int, values: Float64Array) -> None:
        self.next_row(timestamp)[:] = values
        self.commit_row(timestamp)

    def next_row(self, timestamp: int) -> Float64Array:
        """The frame row a row at `timestamp` goes to (freezing the frame first when it is full or the
        row falls in another block window); readers see it once `commit_row` counts it."""
        n = self.frame_len
        if n and (
            n == self.frame_rows
            or timestamp // self.block_range_ms != int(self.frame_timestamps[0]) // self.block_range_ms
        ):
            self.freeze_frame()
            n = 0
        row: Float64Array = self.frame_values[n]
        return row

    def commit_row(self, timestamp: int) -> None:
        """Counts the row `next_row` handed out, at `timestamp`."""
        n = self.frame_len
        self.frame_timestamps[n] = timestamp
        self.frame_len = n + 1
        self.last_timestamp = timestamp

    def freeze_frame(self) -> None:
        if self.frame_len:
            n = self.frame_len
            self.chunks.append(
                FrozenChunk.freeze(ColumnGroup(self.refs, self.frame_timestamps[:n], self.frame_values[:n]))
            )
            self._new_frame()

    def frame_view(self) -> ColumnGroup | None:
        """The uncompressed rows as a read-only view (rows below frame_len never change)."""
        if not self.frame_len:
            return None
        n = self.frame_len
        return ColumnGroup(self.refs, self.frame_timestamps[:n], self.frame_values[:n])

    @property
    def mint(self) -> int | None:
        if self.chunks:
            return self.chunks[0].mint
        return int(self.frame_timestamps[0]) if self.frame_len else None

    @property
    def num_samples(self) -> int:
        return sum(c.num_samples for c in self.chunks) + self.frame_len * len(self.refs)

    @property
    def nbytes(self) -> int:
        return sum(c.nbytes for c in self.chunks) + self.frame_values.nbytes + self.frame_timestamps.nbytes

    def take_chunks_before(self, t: int) -> list[FrozenChunk]:
        """Removes and returns the chunks entirely before `t` (freezing the frame first if it is)."""
        if self.frame_len and int(self.frame_timestamps[self.frame_len - 1]) < t:
            self.freeze_frame()
        taken = [c for c in self.chunks if c.maxt < t]
        self.chunks = [c for c in self.chunks if c.maxt >= t]
        return taken

    def is_empty(self) -> bool:
        return not self.chunks and not self.frame_len
