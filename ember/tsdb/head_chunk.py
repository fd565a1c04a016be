"""Head chunks: rows of one series-set generation, compressed in memory once a frame is full."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from ember.model.samples import Int64Array
from ember.tsdb import codec
from ember.tsdb.column_group import ColumnGroup


@dataclass(frozen=True)
class FrozenChunk:
    """Compressed rows: timestamps encoded once, each value column encoded on its own."""

    refs: Int64Array
    mint: int
    maxt: int
    num_rows: int
    timestamps_encoded: bytes
    columns_buffer: npt.NDArray[np.uint8]
    column_starts: Int64Array
    column_ends: Int64Array

    @classmethod
    def freeze(cls, group: ColumnGroup) -> FrozenChunk:
        rows, columns = group.values.shape
        column_major = np.ascontiguousarray(group.values.T).ravel()
        buffer, bounds = codec.encode_values_many(column_major, np.arange(columns + 1, dtype=np.int64) * rows)
        return cls(
            refs=group.refs,
            mint=group.mint,
            maxt=group.maxt,
            num_rows=rows,
            timestamps_encoded=codec.encode_timestamps(group.timestamps),
            columns_buffer=buffer,
            column_starts=bounds[:-1],
            column_ends=bounds[1:],
        )

    @property
    def num_samples(self) -> int:
        return self.num_rows * len(self.refs)

    @property
    def nbytes(self) -> int:
        return len(self.timestamps_encoded) + self.columns_buffer.nbytes + 16 * len(self.refs)

    def decode(self, columns: Int64Array | None = None) -> ColumnGroup:
        """The chunk's rows, restricted to the given column positions (all when None)."""
        if columns is None:
            columns = np.arange(len(self.refs), dtype=np.int64)
        timestamps = codec.decode_timestamps(self.timestamps_encoded)
        flat, _ = codec.decode_values_many(
            self.columns_buffer, self.column_starts[columns], self.column_ends[columns]
        )
        values = flat.reshape(len(columns), self.num_rows).T
        return ColumnGroup(self.refs[columns], timestamps, values)
