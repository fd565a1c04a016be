"""A block's `index` file: symbols, series labels, postings and the group table (docs/storage-format.md).

Series ids are block-local, `0..n-1` in label order, so a sorted postings list is also a label-sorted
series list. `BlockIndex` implements `postings.LabelIndex`, so matcher selection is `select_postings`,
the same code as the head's. Integer sections are stored as int64 columns in the codec's timestamp
encoding (delta bit-packed), decoded together with one compiled call when the block is opened.
"""

from __future__ import annotations

import bisect
import itertools
import struct
import zlib
from collections.abc import Sequence
from dataclasses import dataclass

import crc32c
import numpy as np
import numpy.typing as npt
from pyroaring import BitMap

from ember.errors import CorruptionError
from ember.model.labels import Labels
from ember.model.samples import Int64Array
from ember.tsdb import codec

INDEX_MAGIC = b"EMBIDX01"
CHUNKS_MAGIC = b"EMBCHK01"
GROUP_CRC_BYTES = 4

INT_SECTIONS = (
    "symbol_lengths",
    "series_label_counts",
    "series_name_syms",
    "series_value_syms",
    "label_name_syms",
    "label_value_counts",
    "label_value_syms",
    "postings_lengths",
    "group_rows",
    "group_cols",
    "group_mint",
    "group_maxt",
    "group_ts_length",
    "column_series",
    "column_lengths",
)
SECTIONS = (*INT_SECTIONS, "symbol_blob", "postings")
_TOC_ENTRY = struct.Struct("<QQ")
_FOOTER = struct.Struct("<II")  # section count, crc32c of everything before the crc


@dataclass(frozen=True)
class GroupTable:
    """Where each group's bytes sit in the chunks file and which series its columns hold.

    Per group: rows, columns, first/last timestamp, byte length of its timestamp column. Per column (in
    group order): block-local series id and byte length of its value column. A group's bytes in the
    chunks file are its timestamp column, its value columns, then a crc32c of those bytes.
    """

    rows: Int64Array
    cols: Int64Array
    mint: Int64Array
    maxt: Int64Array
    ts_length: Int64Array
    column_series: Int64Array
    column_lengths: Int64Array

    @property
    def num_groups(self) -> int:
        return len(self.rows)

    def column_starts(self) -> Int64Array:
        """Index of each group's first column in the column arrays (num_groups + 1 entries)."""
        starts = np.zeros(len(self.cols) + 1, dtype=np.int64)
        np.cumsum(self.cols, out=starts[1:])
        return starts

    def layout(self) -> tuple[Int64Array, Int64Array, Int64Array]:
        """Byte positions in the chunks file: group starts, group ends (crc excluded), and each value
        column's start; a group's timestamps are [start, start + ts_length)."""
        col_starts = self.column_starts()
        value_bytes = np.zeros(len(self.rows), dtype=np.int64)
        nonempty = self.cols > 0
        if nonempty.any():
            value_bytes[nonempty] = np.add.reduceat(self.column_lengths, col_starts[:-1][nonempty])
        body = self.ts_length + value_bytes
        group_starts = np.empty(len(self.rows), dtype=np.int64)
        if len(body):
            group_starts[0] = len(CHUNKS_MAGIC)
            np.cumsum(body[:-1] + GROUP_CRC_BYTES, out=group_starts[1:])
            group_starts[1:] += len(CHUNKS_MAGIC)
        group_ends = group_starts + body
        # Each column starts where the previous one of its group ends (the first after the timestamps).
        within = np.cumsum(self.column_lengths) - self.column_lengths
        base = np.repeat(within[col_starts[:-1][nonempty]], self.cols[nonempty]) if len(within) else within
        column_first = np.repeat(group_starts + self.ts_length, self.cols)
        return group_starts, group_ends, column_first + within - base


def encode_index(series: Sequence[tuple[str, ...]], groups: GroupTable) -> bytes:
    """The index bytes for label-sorted series (flat name/value tuples) and their group table."""
    symbols = sorted({s for flat in series for s in flat})
    symbol_id = {s: i for i, s in enumerate(symbols)}
    label_ids = np.fromiter((symbol_id[s] for flat in series for s in flat), dtype=np.int64)
    names, values = label_ids[0::2], label_ids[1::2]
    counts = np.fromiter((len(flat) // 2 for flat in series), dtype=np.int64, count=len(series))
    owner = np.repeat(np.arange(len(series), dtype=np.int64), counts)
    order = np.lexsort((owner, values, names))
    pair_names, pair_values, pair_owner = names[order], values[order], owner[order]
    new_pair = np.ones(len(order), dtype=bool)
    new_pair[1:] = (pair_names[1:] != pair_names[:-1]) | (pair_values[1:] != pair_values[:-1])
    pair_starts = np.flatnonzero(new_pair)
    pair_bounds = np.append(pair_starts, len(order)).tolist()
    bitmaps = [BitMap(pair_owner[a:b].tolist()).serialize() for a, b in itertools.pairwise(pair_bounds)]
    label_names, value_counts = np.unique(pair_names[pair_starts], return_counts=True)
    encoded_symbols = [s.encode() for s in symbols]
    ints: dict[str, npt.ArrayLike] = {
        "symbol_lengths": [len(s) for s in encoded_symbols],
        "series_label_counts": counts,
        "series_name_syms": names,
        "series_value_syms": values,
        "label_name_syms": label_names,
        "label_value_counts": value_counts,
        "label_value_syms": pair_values[pair_starts],
        "postings_lengths": [len(b) for b in bitmaps],
        "group_rows": groups.rows,
        "group_cols": groups.cols,
        "group_mint": groups.mint,
        "group_maxt": groups.maxt,
        "group_ts_length": groups.ts_length,
        "column_series": groups.column_series,
        "column_lengths": groups.column_lengths,
    }
    sections = [codec.encode_timestamps(np.asarray(ints[name], dtype=np.int64)) for name in INT_SECTIONS]
    sections.append(zlib.compress(b"".join(encoded_symbols), 6))
    sections.append(b"".join(bitmaps))
    return _assemble(sections)


def _assemble(sections: list[bytes]) -> bytes:
    parts = [INDEX_MAGIC]
    toc = []
    offset = len(INDEX_MAGIC)
    for data in sections:
        parts.append(data)
        toc.append(_TOC_ENTRY.pack(offset, len(data)))
        offset += len(data)
    body = b"".join(parts + toc) + struct.pack("<I", len(sections))
    return body + struct.pack("<I", crc32c.crc32c(body))


class BlockIndex:
    """The decoded index of one block, read from a buffer (the mmap of the `index` file)."""

    def __init__(self, buf: npt.NDArray[np.uint8], path: str) -> None:
        self._buf = buf
        self._path = path
        spans = _read_toc(buf, path)
        ints = _decode_int_sections(buf, spans, path)
        blob_at, blob_len = spans["symbol_blob"]
        self._symbols = _split_symbols(buf[blob_at : blob_at + blob_len], ints["symbol_lengths"], path)
        self.num_series = len(ints["series_label_counts"])
        self._label_starts = _starts(ints["series_label_counts"])
        self._label_syms = np.empty(2 * len(ints["series_name_syms"]), dtype=np.int64)
        self._label_syms[0::2] = ints["series_name_syms"]
        self._label_syms[1::2] = ints["series_value_syms"]
        self._names = [self._symbol(i) for i in ints["label_name_syms"].tolist()]
        self._value_starts = _starts(ints["label_value_counts"])
        self._value_syms = ints["label_value_syms"]
        self._values: dict[str, list[str]] = {}
        postings_at, postings_len = spans["postings"]
        self._postings_starts = _starts(ints["postings_lengths"]) + postings_at
        if self._postings_starts[-1] != postings_at + postings_len:
            raise CorruptionError("postings lengths do not match the postings section", path)
        self.groups = GroupTable(*(ints[name] for name in INT_SECTIONS[8:]))
        self._check_consistency()

    def _symbol(self, i: int) -> str:
        if not 0 <= i < len(self._symbols):
            raise CorruptionError(f"symbol reference {i} out of range", self._path)
        return self._symbols[i]

    def _check_consistency(self) -> None:
        g = self.groups
        sizes = {len(g.rows), len(g.cols), len(g.mint), len(g.maxt), len(g.ts_length)}
        bad = len(sizes) != 1 or int(g.cols.sum()) != len(g.column_series)
        bad = (
            bad
            or len(g.column_lengths) != len(g.column_series)
            or len(self._names) + 1 != len(self._value_starts)
        )
        if len(g.column_series):
            bad = bad or int(g.column_series.min()) < 0 or int(g.column_series.max()) >= self.num_series
        if len(self._label_syms):
            bad = bad or int(self._label_syms.min()) < 0 or int(self._label_syms.max()) >= len(self._symbols)
        if bad:
            raise CorruptionError("inconsistent index tables", self._path)

    # ------------------------------------------------------------------ LabelIndex
    def label_names(self) -> list[str]:
        return list(self._names)

    def label_values(self, name: str) -> list[str]:
        cached = self._values.get(name)
        if cached is None:
            at = bisect.bisect_left(self._names, name)
            if at == len(self._names) or self._names[at] != name:
                return []
            lo, hi = int(self._value_starts[at]), int(self._value_starts[at + 1])
            cached = self._values[name] = [self._symbol(i) for i in self._value_syms[lo:hi].tolist()]
        return cached

    def postings(self, name: str, value: str) -> BitMap:
        values = self.label_values(name)
        at = bisect.bisect_left(values, value)
        if at == len(values) or values[at] != value:
            return BitMap()
        pair = int(self._value_starts[bisect.bisect_left(self._names, name)]) + at
        lo, hi = int(self._postings_starts[pair]), int(self._postings_starts[pair + 1])
        try:
            return BitMap.deserialize(self._buf[lo:hi].tobytes())
        except (ValueError, OSError) as exc:
            raise CorruptionError(f"bad postings for {name}={value!r}: {exc}", self._path, lo) from exc

    def all_postings(self) -> BitMap:
        return BitMap(range(self.num_series))

    # --------------------------------------------------------------------- series
    def symbol_id(self, text: str) -> int | None:
        at = bisect.bisect_left(self._symbols, text)
        return at if at < len(self._symbols) and self._symbols[at] == text else None

    def symbols_of(self, ids: Int64Array) -> list[str]:
        """The strings of symbol ids (ascending ids give sorted strings)."""
        return [self._symbols[i] for i in ids.tolist()]

    def label_pairs(self, ids: Int64Array) -> tuple[Int64Array, Int64Array]:
        """Name and value symbol ids of every label of the given series, gathered with numpy."""
        first = self._label_starts[ids]
        counts = self._label_starts[ids + 1] - first
        skip = np.repeat(np.cumsum(counts) - counts - first, counts)
        at = 2 * (np.arange(int(counts.sum()), dtype=np.int64) - skip)
        return self._label_syms[at], self._label_syms[at + 1]

    def release(self) -> None:
        """Drops the view of the file buffer so its mmap can be closed; postings are unreadable after."""
        self._buf = np.empty(0, dtype=np.uint8)

    def series_labels(self, ids: Int64Array) -> list[Labels]:
        """Labels of block-local series ids."""
        starts, syms, symbols = self._label_starts, self._label_syms, self._symbols
        out = []
        for i in ids.tolist():
            lo, hi = 2 * int(starts[i]), 2 * int(starts[i + 1])
            out.append(Labels._from_sorted_flat(tuple(symbols[j] for j in syms[lo:hi].tolist())))
        return out


def _starts(counts: Int64Array) -> Int64Array:
    starts = np.zeros(len(counts) + 1, dtype=np.int64)
    np.cumsum(counts, out=starts[1:])
    return starts


def _read_toc(buf: npt.NDArray[np.uint8], path: str) -> dict[str, tuple[int, int]]:
    size = len(buf)
    if size < len(INDEX_MAGIC) + _FOOTER.size or buf[: len(INDEX_MAGIC)].tobytes() != INDEX_MAGIC:
        raise CorruptionError("not an Ember index file (bad magic or too short)", path)
    count, crc = _FOOTER.unpack(buf[size - _FOOTER.size :].tobytes())
    if crc32c.crc32c(buf[: size - 4].data) != crc:
        raise CorruptionError("index checksum mismatch", path)
    if count != len(SECTIONS):
        raise CorruptionError(f"index has {count} sections, expected {len(SECTIONS)}", path)
    toc_at = size - _FOOTER.size - count * _TOC_ENTRY.size
    spans = {}
    for k, name in enumerate(SECTIONS):
        at = toc_at + k * _TOC_ENTRY.size
        offset, length = _TOC_ENTRY.unpack(buf[at : at + _TOC_ENTRY.size].tobytes())
        if offset + length > toc_at:
            raise CorruptionError(f"index section {name} out of bounds", path, offset)
        spans[name] = (offset, length)
    return spans


def _decode_int_sections(
    buf: npt.NDArray[np.uint8], spans: dict[str, tuple[int, int]], path: str
) -> dict[str, Int64Array]:
    starts = np.array([spans[name][0] for name in INT_SECTIONS], dtype=np.int64)
    ends = starts + np.array([spans[name][1] for name in INT_SECTIONS], dtype=np.int64)
    try:
        flat, offsets = codec.decode_timestamps_many(buf, starts, ends)
    except CorruptionError as exc:
        raise CorruptionError(f"bad index section: {exc}", path) from exc
    return {name: flat[offsets[k] : offsets[k + 1]] for k, name in enumerate(INT_SECTIONS)}


def _split_symbols(compressed: npt.NDArray[np.uint8], lengths: Int64Array, path: str) -> list[str]:
    try:
        blob = zlib.decompress(compressed.tobytes())
    except zlib.error as exc:
        raise CorruptionError(f"bad symbol table: {exc}", path) from exc
    bounds = [0, *np.cumsum(lengths).tolist()]
    if bounds[-1] != len(blob) or (len(lengths) and int(lengths.min()) < 0):
        raise CorruptionError("symbol lengths do not match the symbol table", path)
    try:
        return [blob[a:b].decode() for a, b in itertools.pairwise(bounds)]
    except UnicodeDecodeError as exc:
        raise CorruptionError(f"symbol is not UTF-8: {exc}", path) from exc
