"""Writing a block: column groups from the head (or a compaction) into `<parent>/<ULID>/`, atomically.

The block is built in `<ULID>.tmp-for-creation` (Prometheus's suffix), every file and the directory are
fsynced, and only then is it renamed into place, so a crash leaves either no block or a whole one.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import crc32c
import numpy as np

from ember.errors import BadDataError
from ember.model.labels import Labels
from ember.tsdb import codec
from ember.tsdb.block_groups import DEFAULT_MAX_ROWS, prepare_groups
from ember.tsdb.block_index import CHUNKS_MAGIC, GroupTable, encode_index
from ember.tsdb.block_meta import (
    CHUNKS_FILE,
    INDEX_FILE,
    TOMBSTONES_FILE,
    BlockMeta,
    BlockStats,
    FileCheck,
    fsync_dir,
    new_ulid,
    write_durably,
    write_meta,
)
from ember.tsdb.column_group import ColumnGroup
from ember.tsdb.tombstones import Tombstones, encode_tombstones

TMP_SUFFIX = ".tmp-for-creation"


def _block_series(
    series: Mapping[int, Labels], groups: list[ColumnGroup]
) -> tuple[list[tuple[str, ...]], dict[int, int]]:
    """Label-sorted distinct label sets of the refs used, and each ref's block-local id."""
    refs = np.unique(np.concatenate([g.refs for g in groups])).tolist() if groups else []
    missing = [r for r in refs if r not in series]
    if missing:
        raise BadDataError(f"column groups use series refs without labels: {missing[:5]}")
    flats = sorted({series[r].flat for r in refs})
    id_of_flat = {flat: i for i, flat in enumerate(flats)}
    return flats, {r: id_of_flat[series[r].flat] for r in refs}


def _encode_chunks(groups: list[ColumnGroup]) -> tuple[list[bytes], GroupTable]:
    """Each group's bytes (timestamps, value columns, crc32c) and the table that locates them."""
    rows = np.array([len(g.timestamps) for g in groups], dtype=np.int64)
    cols = np.array([len(g.refs) for g in groups], dtype=np.int64)
    ts_offsets = np.zeros(len(groups) + 1, dtype=np.int64)
    np.cumsum(rows, out=ts_offsets[1:])
    empty_i, empty_f = np.empty(0, np.int64), np.empty(0, np.float64)
    all_ts = np.concatenate([g.timestamps for g in groups]) if groups else empty_i
    ts_buf, ts_ends = codec.encode_timestamps_many(all_ts, ts_offsets)
    col_offsets = np.zeros(int(cols.sum()) + 1, dtype=np.int64)
    np.cumsum(np.repeat(rows, cols), out=col_offsets[1:])
    # Column-major: column j of a group is values[:, j], so transpose before flattening.
    all_values = np.concatenate([g.values.T.reshape(-1) for g in groups]) if groups else empty_f
    val_buf, val_ends = codec.encode_values_many(all_values, col_offsets)
    ts_bytes, val_bytes = ts_buf.tobytes(), val_buf.tobytes()
    col_starts = np.zeros(len(groups) + 1, dtype=np.int64)
    np.cumsum(cols, out=col_starts[1:])
    payloads = []
    for g in range(len(groups)):
        first, last = val_ends[col_starts[g]], val_ends[col_starts[g + 1]]
        body = ts_bytes[ts_ends[g] : ts_ends[g + 1]] + val_bytes[first:last]
        payloads.append(body + crc32c.crc32c(body).to_bytes(4, "little"))
    table = GroupTable(
        rows=rows,
        cols=cols,
        mint=np.array([g.mint for g in groups], dtype=np.int64),
        maxt=np.array([g.maxt for g in groups], dtype=np.int64),
        ts_length=np.diff(ts_ends),
        column_series=np.concatenate([g.refs for g in groups]) if groups else empty_i,
        column_lengths=np.diff(val_ends),
    )
    return payloads, table


def write_block(
    parent_dir: Path,
    *,
    series: Mapping[int, Labels],
    groups: Iterable[ColumnGroup],
    mint: int,
    maxt: int,
    level: int = 1,
    sources: Sequence[str] = (),
    parents: Sequence[str] = (),
    max_rows: int = DEFAULT_MAX_ROWS,
) -> Path:
    """Writes the samples of `groups` in [mint, maxt) (`maxt` exclusive, as meta.json's) as a new block
    and returns its directory. Samples outside the range are not written."""
    if maxt <= mint:
        raise BadDataError(f"block range [{mint}, {maxt}) is empty")
    given = list(groups)
    for group in given:
        if np.any(np.diff(group.timestamps) <= 0) or len(np.unique(group.refs)) != len(group.refs):
            raise BadDataError("a column group needs strictly ascending timestamps and unique refs")
    sliced = [p for g in given if len((p := g.time_slice(mint, maxt - 1)).timestamps) and len(p.refs)]
    flats, local_of = _block_series(series, sliced)
    prepared = prepare_groups(sliced, local_of, mint, maxt - 1, max_rows)
    payloads, table = _encode_chunks(prepared)
    chunks = CHUNKS_MAGIC + b"".join(payloads)
    index = encode_index(flats, table)
    ulid = new_ulid()
    meta = BlockMeta(
        ulid=ulid,
        min_time=mint,
        max_time=maxt,
        stats=BlockStats(
            num_samples=int((table.rows * table.cols).sum()), num_series=len(flats), num_groups=len(prepared)
        ),
        level=level,
        sources=tuple(sorted(set(sources))) or (ulid,),
        parents=tuple(parents),
        files={
            INDEX_FILE: FileCheck(len(index), crc32c.crc32c(index)),
            CHUNKS_FILE: FileCheck(len(chunks)),
        },
    )
    return _write_atomically(parent_dir, meta, {INDEX_FILE: index, CHUNKS_FILE: chunks})


def _write_atomically(parent_dir: Path, meta: BlockMeta, files: dict[str, bytes]) -> Path:
    final = parent_dir / meta.ulid
    tmp = parent_dir / (meta.ulid + TMP_SUFFIX)
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    try:
        for name, data in files.items():
            write_durably(tmp / name, data)
        write_durably(tmp / TOMBSTONES_FILE, encode_tombstones(Tombstones.empty()))
        write_meta(tmp, meta)
        fsync_dir(tmp)
        os.replace(tmp, final)
        fsync_dir(parent_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return final
