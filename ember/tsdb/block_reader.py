"""An opened block: its meta, its label index, its chunks (read through mmap) and its tombstones."""

from __future__ import annotations

import contextlib
import dataclasses
import mmap
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path

import crc32c
import numpy as np
import numpy.typing as npt

from ember.errors import CorruptionError, StorageError
from ember.model.labels import Labels
from ember.model.matchers import Matcher
from ember.model.samples import Int64Array
from ember.storage.interface import MAX_TIME, MIN_TIME
from ember.storage.series_set import SeriesSet
from ember.tsdb.block_index import CHUNKS_MAGIC, BlockIndex
from ember.tsdb.block_meta import CHUNKS_FILE, INDEX_FILE, BlockMeta, read_meta
from ember.tsdb.block_select import ChunkLayout, decode_columns, to_series_csr, verify_groups
from ember.tsdb.column_group import ColumnGroup
from ember.tsdb.postings import LabelIndex, select_postings, to_array
from ember.tsdb.tombstones import Tombstones, read_tombstones, write_tombstones


def _map_file(path: Path, expected_size: int) -> tuple[mmap.mmap, npt.NDArray[np.uint8]]:
    try:
        with open(path, "rb") as f:
            size = f.seek(0, 2)
            if size != expected_size:
                raise CorruptionError(f"file is {size} bytes, meta.json says {expected_size}", str(path))
            mapped = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
    except OSError as exc:
        raise CorruptionError(f"cannot open: {exc}", str(path)) from exc
    return mapped, np.frombuffer(mapped, dtype=np.uint8)


def _directory_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.iterdir() if p.is_file())


class Block:
    """A persisted, immutable block (apart from its tombstones). Thread-safe for reads."""

    def __init__(self, path: Path, meta: BlockMeta) -> None:
        self.path = path
        self.meta = meta
        self._lock = threading.Lock()
        self._maps: list[mmap.mmap] = []
        self._where = f"block {meta.ulid}"
        self._tombstones = Tombstones.empty()
        self._labels: dict[int, Labels] = {}
        self._chunks: npt.NDArray[np.uint8] = np.empty(0, dtype=np.uint8)

    @classmethod
    def open(cls, path: Path | str) -> Block:
        """Opens and checks a block directory; raises CorruptionError when anything does not add up."""
        directory = Path(path)
        meta = read_meta(directory)
        block = cls(directory, meta)
        try:
            block._load()
        except BaseException:
            block.close()
            raise
        return block

    def _load(self) -> None:
        files = self.meta.files
        if INDEX_FILE not in files or CHUNKS_FILE not in files:
            raise CorruptionError("meta.json does not list the index and chunks files", str(self.path))
        index_map, index_buf = _map_file(self.path / INDEX_FILE, files[INDEX_FILE].size)
        self._maps.append(index_map)
        if crc32c.crc32c(index_buf.data) != files[INDEX_FILE].crc32c:
            raise CorruptionError("index checksum does not match meta.json", str(self.path / INDEX_FILE))
        self._index = BlockIndex(index_buf, str(self.path / INDEX_FILE))
        chunks_map, self._chunks = _map_file(self.path / CHUNKS_FILE, files[CHUNKS_FILE].size)
        self._maps.append(chunks_map)
        if self._chunks[: len(CHUNKS_MAGIC)].tobytes() != CHUNKS_MAGIC:
            raise CorruptionError("not an Ember chunks file (bad magic)", str(self.path / CHUNKS_FILE))
        self._layout = ChunkLayout.build(
            self._index.groups, self._index.num_series, len(self._chunks), str(self.path / CHUNKS_FILE)
        )
        self._set_tombstones(read_tombstones(self.path))

    def _set_tombstones(self, tombstones: Tombstones) -> None:
        self._tombstones = tombstones
        stats = dataclasses.replace(self.meta.stats, num_tombstones=len(tombstones))
        self.meta = dataclasses.replace(self.meta, stats=stats, size_bytes=_directory_size(self.path))

    @property
    def index(self) -> LabelIndex:
        return self._index

    @property
    def size_bytes(self) -> int:
        return self.meta.size_bytes

    @property
    def has_tombstones(self) -> bool:
        return len(self._tombstones) > 0

    @property
    def tombstones(self) -> Tombstones:
        return self._tombstones

    def _check_open(self) -> None:
        if not self._maps:
            raise StorageError(f"{self._where} is closed")

    def _overlaps(self, mint: int, maxt: int) -> bool:
        self._check_open()
        return mint <= maxt and mint < self.meta.max_time and maxt >= self.meta.min_time

    def _labels_of(self, ids: Int64Array) -> list[Labels]:
        missing = [i for i in ids.tolist() if i not in self._labels]
        if missing:
            found = self._index.series_labels(np.array(missing, dtype=np.int64))
            self._labels.update(zip(missing, found, strict=True))
        return [self._labels[i] for i in ids.tolist()]

    # -------------------------------------------------------------------- reads
    def select(self, matchers: Sequence[Matcher], mint: int, maxt: int) -> SeriesSet:
        """Series matching all matchers with samples in [mint, maxt] (both inclusive), label-sorted,
        with tombstoned samples hidden."""
        if not self._overlaps(mint, maxt):
            return SeriesSet.empty()
        ids = to_array(select_postings(self._index, matchers))
        cols = self._layout.columns_of(ids, mint, maxt) if len(ids) else ids
        if not len(cols):
            return SeriesSet.empty()
        decoded = decode_columns(self._chunks, self._layout, cols, self._where)
        series, offsets, ts, values = to_series_csr(decoded, mint, maxt, self._tombstones.deleted_mask)
        return SeriesSet(self._labels_of(series), offsets, ts, values)

    def _series_in_range(self, matchers: Sequence[Matcher], mint: int, maxt: int) -> Int64Array | None:
        """Ids of matching series with a sample in [mint, maxt]; None means every series."""
        whole = mint <= self.meta.min_time and maxt >= self.meta.max_time - 1
        ids = to_array(select_postings(self._index, matchers)) if matchers else None
        if whole:
            return ids
        groups = self._layout.groups_with_samples_in(self._chunks, mint, maxt)
        in_range = np.unique(self._layout.table.column_series[np.isin(self._layout.column_group, groups)])
        return in_range if ids is None else np.intersect1d(ids, in_range)

    def label_names(
        self, matchers: Sequence[Matcher] = (), mint: int = MIN_TIME, maxt: int = MAX_TIME
    ) -> list[str]:
        if not self._overlaps(mint, maxt):
            return []
        ids = self._series_in_range(matchers, mint, maxt)
        if ids is None:
            return self._index.label_names()
        names, _ = self._index.label_pairs(ids)
        return self._index.symbols_of(np.unique(names))

    def label_values(
        self, name: str, matchers: Sequence[Matcher] = (), mint: int = MIN_TIME, maxt: int = MAX_TIME
    ) -> list[str]:
        if not self._overlaps(mint, maxt):
            return []
        ids = self._series_in_range(matchers, mint, maxt)
        if ids is None:
            return list(self._index.label_values(name))
        names, values = self._index.label_pairs(ids)
        wanted = self._index.symbol_id(name)
        return [] if wanted is None else self._index.symbols_of(np.unique(values[names == wanted]))

    def column_groups(
        self, *, apply_tombstones: bool = True
    ) -> Iterator[tuple[dict[int, Labels], ColumnGroup]]:
        """Every group with block-local ids as refs and their labels, in time order (for compaction).
        With tombstones applied, deleted samples are gone: affected columns come as one-column groups."""
        self._check_open()
        table, layout = self._layout.table, self._layout
        starts = table.column_starts()
        for g in range(table.num_groups):
            cols = np.arange(starts[g], starts[g + 1], dtype=np.int64)
            decoded = decode_columns(self._chunks, layout, cols, self._where)
            rows = int(table.rows[g])
            ts = decoded.timestamps[:rows]
            group = ColumnGroup(decoded.series, ts, decoded.values.reshape(len(cols), rows).T)
            for part in self._without_deleted(group) if apply_tombstones else [group]:
                yield dict(zip(part.refs.tolist(), self._labels_of(part.refs), strict=True)), part

    def _without_deleted(self, group: ColumnGroup) -> list[ColumnGroup]:
        tomb = self._tombstones
        hit = np.isin(group.refs, tomb.series)
        if not hit.any():
            return [group]
        out = [ColumnGroup(group.refs[~hit], group.timestamps, group.values[:, ~hit])] if (~hit).any() else []
        for j in np.flatnonzero(hit).tolist():
            lo, hi = tomb.intervals_of(int(group.refs[j]))
            ts = group.timestamps
            gone = ((ts[:, None] >= lo[None, :]) & (ts[:, None] <= hi[None, :])).any(axis=1)
            if not gone.all():
                out.append(ColumnGroup(group.refs[j : j + 1], ts[~gone], group.values[~gone, j : j + 1]))
        return out

    def verify(self) -> None:
        """Checks every group's checksum (a full scan; opening checks only sizes and the index)."""
        self._check_open()
        verify_groups(self._chunks, self._layout, np.arange(self._layout.table.num_groups), self._where)

    # ------------------------------------------------------------------- writes
    def delete(self, matchers: Sequence[Matcher], mint: int, maxt: int) -> None:
        """Tombstones the samples of matching series in [mint, maxt]; the file is replaced atomically."""
        if not self._overlaps(mint, maxt):
            return
        ids = to_array(select_postings(self._index, matchers))
        cols = self._layout.columns_of(ids, mint, maxt) if len(ids) else ids
        targets = np.unique(self._layout.table.column_series[cols])
        if not len(targets):
            return
        lo, hi = max(mint, self.meta.min_time), min(maxt, self.meta.max_time - 1)
        with self._lock:
            updated = self._tombstones.with_deleted(targets, lo, hi)
            write_tombstones(self.path, updated)
            self._set_tombstones(updated)

    def close(self) -> None:
        """Releases the mmaps (arrays still viewing them keep them alive until collected)."""
        maps, self._maps = self._maps, []
        if hasattr(self, "_index"):
            self._index.release()
        self._chunks = np.empty(0, dtype=np.uint8)
        for mapped in maps:
            # A live numpy view may still export the buffer; the mapping then goes with the last view.
            with contextlib.suppress(BufferError):
                mapped.close()

    def __repr__(self) -> str:
        return f"Block({self.meta.ulid}, [{self.meta.min_time}, {self.meta.max_time}))"
