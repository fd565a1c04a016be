"""Deleted time ranges of a block's series (its `tombstones` file), masked on read, removed at compaction.

As in Prometheus, a delete does not rewrite data: it records `[mint, maxt]` intervals (both inclusive)
per block-local series id; reads hide covered samples and compaction drops them for good.
"""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass
from pathlib import Path

import crc32c
import numpy as np
import numpy.typing as npt

from ember.errors import CorruptionError
from ember.model.samples import Int64Array
from ember.tsdb.block_meta import TOMBSTONES_FILE, fsync_dir, write_durably

TOMBSTONES_MAGIC = b"EMBTMB01"
_COUNT = struct.Struct("<Q")


def _merged(series: Int64Array, mint: Int64Array, maxt: Int64Array) -> tuple[Int64Array, ...]:
    """Intervals sorted by (series, mint) with overlapping or touching ones of a series merged."""
    order = np.lexsort((mint, series))
    out: list[list[int]] = []
    for s, lo, hi in zip(series[order].tolist(), mint[order].tolist(), maxt[order].tolist(), strict=True):
        if out and out[-1][0] == s and lo <= out[-1][2] + 1:
            out[-1][2] = max(out[-1][2], hi)
        else:
            out.append([s, lo, hi])
    table = np.array(out, dtype=np.int64).reshape(-1, 3)
    return table[:, 0].copy(), table[:, 1].copy(), table[:, 2].copy()


@dataclass(frozen=True)
class Tombstones:
    """Deleted intervals, sorted by (series, mint), disjoint per series."""

    series: Int64Array
    mint: Int64Array
    maxt: Int64Array

    @classmethod
    def empty(cls) -> Tombstones:
        nothing = np.empty(0, dtype=np.int64)
        return cls(nothing, nothing, nothing)

    def __len__(self) -> int:
        return len(self.series)

    def with_deleted(self, series_ids: Int64Array, mint: int, maxt: int) -> Tombstones:
        """These tombstones plus `[mint, maxt]` for every id in `series_ids`."""
        if mint > maxt or not len(series_ids):
            return self
        added = np.asarray(series_ids, dtype=np.int64)
        return Tombstones(
            *_merged(
                np.concatenate([self.series, added]),
                np.concatenate([self.mint, np.full(len(added), mint, dtype=np.int64)]),
                np.concatenate([self.maxt, np.full(len(added), maxt, dtype=np.int64)]),
            )
        )

    def num_series(self) -> int:
        return len(np.unique(self.series))

    def intervals_of(self, series_id: int) -> tuple[Int64Array, Int64Array]:
        lo = int(np.searchsorted(self.series, series_id, side="left"))
        hi = int(np.searchsorted(self.series, series_id, side="right"))
        return self.mint[lo:hi], self.maxt[lo:hi]

    def deleted_mask(
        self, row_series: Int64Array, offsets: Int64Array, timestamps: Int64Array
    ) -> npt.NDArray[np.bool_]:
        """For a CSR layout (row i is series `row_series[i]`, ascending; its samples are
        `timestamps[offsets[i]:offsets[i+1]]`, ascending), True where a sample lies in a tombstone."""
        mask = np.zeros(len(timestamps), dtype=bool)
        if not len(self) or not len(timestamps):
            return mask
        rows = np.searchsorted(row_series, self.series)
        hit = rows < len(row_series)
        hit[hit] = row_series[rows[hit]] == self.series[hit]
        if not hit.any():
            return mask
        rows = rows[hit]
        # One sorted key per sample, (row, time) packed into an int64: times are rebased to the
        # smallest one, so the packing cannot overflow for any block range below ~290 years / rows.
        base, span = int(timestamps.min()), int(timestamps.max()) - int(timestamps.min()) + 1
        row_of_sample = np.repeat(np.arange(len(row_series), dtype=np.int64), np.diff(offsets))
        keys = row_of_sample * (span + 1) + (timestamps - base)
        # Clip before rebasing: intervals may reach MIN_TIME / MAX_TIME, which must not wrap around.
        lo = rows * (span + 1) + (np.clip(self.mint[hit], base, base + span) - base)
        hi = rows * (span + 1) + (np.clip(self.maxt[hit], base - 1, base + span - 1) - base)
        starts = np.searchsorted(keys, lo, side="left")
        ends = np.searchsorted(keys, hi, side="right")
        real = ends > starts
        edges = np.zeros(len(timestamps) + 1, dtype=np.int64)
        np.add.at(edges, starts[real], 1)
        np.add.at(edges, ends[real], -1)
        return np.cumsum(edges[:-1]) > 0


def encode_tombstones(tombstones: Tombstones) -> bytes:
    body = (
        TOMBSTONES_MAGIC
        + _COUNT.pack(len(tombstones))
        + b"".join(a.astype("<i8").tobytes() for a in (tombstones.series, tombstones.mint, tombstones.maxt))
    )
    return body + struct.pack("<I", crc32c.crc32c(body))


def decode_tombstones(data: bytes, path: str) -> Tombstones:
    head = len(TOMBSTONES_MAGIC) + _COUNT.size
    if len(data) < head + 4 or data[: len(TOMBSTONES_MAGIC)] != TOMBSTONES_MAGIC:
        raise CorruptionError("not a tombstones file (bad magic or too short)", path)
    (count,) = _COUNT.unpack(data[len(TOMBSTONES_MAGIC) : head])
    if len(data) != head + 24 * count + 4:
        raise CorruptionError("tombstones file size does not match its count", path)
    if crc32c.crc32c(data[:-4]) != struct.unpack("<I", data[-4:])[0]:
        raise CorruptionError("tombstones checksum mismatch", path)
    table = np.frombuffer(data, dtype="<i8", count=3 * count, offset=head).astype(np.int64).reshape(3, count)
    return Tombstones(table[0].copy(), table[1].copy(), table[2].copy())


def read_tombstones(block_dir: Path) -> Tombstones:
    """The block's tombstones; a block without the file has none."""
    path = block_dir / TOMBSTONES_FILE
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return Tombstones.empty()
    except OSError as exc:
        raise CorruptionError(f"cannot read tombstones: {exc}", str(path)) from exc
    return decode_tombstones(data, str(path))


def write_tombstones(block_dir: Path, tombstones: Tombstones) -> None:
    """Replaces the tombstones file atomically: write a temporary file, fsync, rename, fsync the dir."""
    tmp = block_dir / (TOMBSTONES_FILE + ".tmp")
    write_durably(tmp, encode_tombstones(tombstones))
    os.replace(tmp, block_dir / TOMBSTONES_FILE)
    fsync_dir(block_dir)
