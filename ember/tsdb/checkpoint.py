"""WAL checkpoints: the live part of old segments, rewritten so the segments can be deleted.

Like Prometheus's checkpoint, it reads the previous checkpoint and the segments up to a given one,
keeps what the head still needs and writes it to `checkpoint.NNNNNNNN` through a `.tmp` directory that
is fsynced and renamed, so a crash leaves either the old or the new checkpoint, never half of one.
"""

from __future__ import annotations

import logging
import math
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import numpy.typing as npt

from ember.errors import BadDataError
from ember.tsdb.wal import (
    DEFAULT_SEGMENT_SIZE,
    WAL,
    checkpoint_name,
    fsync_directory,
    list_checkpoints,
    list_segments,
)
from ember.tsdb.wal_reader import read_segments
from ember.tsdb.wal_records import (
    SERIES_SET,
    GroupSamplesRecord,
    Record,
    SamplesRecord,
    SeriesRecord,
    SeriesSetRecord,
    TombstonesRecord,
    encode_record,
)

KeepSeries = Callable[[npt.NDArray[np.int64]], npt.NDArray[np.bool_]]

_log = logging.getLogger("ember.tsdb.wal")
_BATCH_BYTES = 8 * 1024 * 1024


def checkpoint(
    wal_dir: str | Path,
    upto_segment: int,
    keep_series: KeepSeries,
    mint: int,
    *,
    segment_size: int = DEFAULT_SEGMENT_SIZE,
    logger: logging.Logger | None = None,
) -> Path:
    """Writes `checkpoint.<upto_segment>` from the previous checkpoint and segments up to and including
    `upto_segment`, keeping series for which `keep_series` is true, the series sets that still hold one,
    samples at or after `mint` and their tombstones; then deletes older checkpoints. Raises
    CorruptionError on damaged input (the caller then keeps the segments)."""
    directory = Path(wal_dir)
    log = logger or _log
    sources = _sources(directory, upto_segment)
    kept_sets = _kept_sets(sources, keep_series)
    set_refs = np.unique(np.concatenate([np.empty(0, np.int64), *kept_sets.values()]))

    def keep(refs: npt.NDArray[np.int64]) -> npt.NDArray[np.bool_]:
        # Series of a kept set stay defined even when not live themselves: the set's rows carry them.
        return np.asarray(keep_series(refs), dtype=np.bool_) | np.isin(refs, set_refs)

    final = directory / checkpoint_name(upto_segment)
    tmp = directory / (final.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        _write(tmp, _filtered(sources, keep, set(kept_sets), mint), segment_size, log)
        if final.exists():
            shutil.rmtree(final)
        tmp.rename(final)
        fsync_directory(directory)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    for index, path in list_checkpoints(directory):
        if index < upto_segment:
            shutil.rmtree(path, ignore_errors=True)
    return final


def _sources(directory: Path, upto_segment: int) -> list[list[tuple[int, Path]]]:
    """The segment runs to read: the previous checkpoint's, then the WAL's up to `upto_segment`."""
    if upto_segment < 0:
        raise BadDataError(f"checkpoint segment must be >= 0, got {upto_segment}")
    previous = [(i, p) for i, p in list_checkpoints(directory) if i <= upto_segment]
    runs = []
    first = 0
    if previous:
        index, path = previous[-1]
        runs.append(list_segments(path))
        first = index + 1
    runs.append([(i, p) for i, p in list_segments(directory) if first <= i <= upto_segment])
    return runs


def _read(sources: list[list[tuple[int, Path]]], types: frozenset[int] | None = None) -> Iterator[Record]:
    for run in sources:
        yield from read_segments(run, strict=True, types=types)


def _kept_sets(sources: list[list[tuple[int, Path]]], keep_series: KeepSeries) -> dict[int, npt.NDArray[np.int64]]:
    """First pass, decoding only series-set records: the sets that still hold a kept series."""
    kept = {}
    for record in _read(sources, frozenset({SERIES_SET})):
        assert isinstance(record, SeriesSetRecord)
        if np.any(keep_series(record.refs)):
            kept[record.set_id] = record.refs
    return kept


def _filtered(
    sources: list[list[tuple[int, Path]]], keep: KeepSeries, kept_sets: set[int], mint: int
) -> Iterator[Record]:
    for record in _read(sources):
        if isinstance(record, GroupSamplesRecord):
            if record.set_id in kept_sets and record.timestamp >= mint:
                yield record
        elif isinstance(record, SamplesRecord):
            mask = keep(record.refs) & (record.timestamps >= mint)
            if mask.any():
                yield SamplesRecord(record.refs[mask], record.timestamps[mask], record.values[mask])
        elif isinstance(record, SeriesSetRecord):
            if record.set_id in kept_sets:
                yield record
        elif isinstance(record, SeriesRecord):
            mask = keep(record.refs)
            if mask.any():
                labels = [record.labels[i] for i in np.flatnonzero(mask).tolist()]
                yield SeriesRecord(record.refs[mask], labels)
        else:
            mask = keep(record.refs)
            if mask.any():
                yield TombstonesRecord(record.refs[mask], record.mint[mask], record.maxt[mask])


def _write(tmp: Path, records: Iterator[Record], segment_size: int, log: logging.Logger) -> None:
    """Writes `records` as segments in `tmp`, batching writes; closing the WAL fsyncs files and dir."""
    wal = WAL(tmp, segment_size=segment_size, sync_interval=math.inf, logger=log)
    try:
        batch: list[bytes] = []
        batch_bytes = 0
        for record in records:
            encoded = encode_record(record)
            batch.append(encoded)
            batch_bytes += len(encoded)
            if batch_bytes >= _BATCH_BYTES:
                wal.log(batch)
                batch, batch_bytes = [], 0
        wal.log(batch)
    finally:
        wal.close()
