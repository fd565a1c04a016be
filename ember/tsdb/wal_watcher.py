"""Tails the WAL for remote write, as Prometheus's WAL watcher does (`tsdb/wlog/watcher.go`).

On start it reads the latest checkpoint and the existing segments for series definitions only, and from
the segment that was last at start on it also passes on samples newer than the start time; then it
follows new segments as the WAL writes and cuts them. Records are turned into model-level data (label
sets by series ref, sample columns) and handed to a sink (`ember.remote.sender.SampleSink`), whose
`append_samples` blocks while its queue is full: the watcher then simply stops reading, and
`lowest_segment_in_use` tells WAL truncation which segments it must keep, so an outage of the receiver
shorter than the WAL's life loses nothing. The watcher only reads: it never repairs or deletes files.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

import numpy as np
import numpy.typing as npt

from ember.errors import CorruptionError
from ember.tsdb.wal import list_checkpoints, list_segments, segment_name
from ember.tsdb.wal_records import (
    SERIES,
    SERIES_SET,
    FrameError,
    GroupSamplesRecord,
    SamplesRecord,
    SeriesRecord,
    SeriesSetRecord,
    decode_record,
    parse_frame,
)

if TYPE_CHECKING:
    from ember.remote.sender.wal_source import SampleSink

log = logging.getLogger("ember.tsdb.wal_watcher")

READ_CHUNK_BYTES = 4 * 1024 * 1024
BATCH_SAMPLES = 50_000
_TORN = frozenset({"torn record header", "torn record"})
_SERIES_TYPES = frozenset({SERIES, SERIES_SET})
_LISTING_INTERVAL_S = 1.0
_RESTART_DELAY_S = 5.0


class WalWatcher:
    """Follows `<data>/wal` into `sink` on a thread of its own. `start_timestamp_ms` (default: now)
    is the time before which samples are not sent, matching Prometheus, which starts at the end of the
    WAL rather than resuming from a saved position."""

    def __init__(self, wal_dir: str | Path, sink: SampleSink, name: str = "", *,
                 start_timestamp_ms: int | None = None, poll_interval_s: float = 0.1,
                 checkpoint_check_s: float = 5.0, restart_delay_s: float = _RESTART_DELAY_S) -> None:
        self.directory = Path(wal_dir)
        self._sink = sink
        self._name = name
        self._start_ms = int(time.time() * 1000) if start_timestamp_ms is None else start_timestamp_ms
        self._poll = poll_interval_s
        self._checkpoint_check_s = checkpoint_check_s
        self._restart_delay_s = restart_delay_s
        self._stop = threading.Event()
        self._draining = threading.Event()  # stop once the end of the WAL is reached
        self._wake = threading.Event()  # ends the wait for new records early (stop or drain)
        self._thread: threading.Thread | None = None
        self._current: int | None = None
        self._tail_from = 0
        self._sets: dict[int, npt.NDArray[np.int64]] = {}
        self._batch: list[tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.float64]]] = []
        self._batch_size = 0
        self._last_checkpoint = -1
        self._next_checkpoint_check = 0.0
        self._next_listing = 0.0
        self.records_read = 0

    # ------------------------------------------------------------------ control
    def start(self) -> None:
        segments = list_segments(self.directory)
        checkpoints = list_checkpoints(self.directory)
        first = checkpoints[-1][0] + 1 if checkpoints else 0
        later = [i for i, _ in segments if i >= first]
        # Held from now on, before the thread reads anything, so truncation cannot race the start.
        self._current = later[0] if later else first
        self._tail_from = segments[-1][0] if segments else 0
        self._thread = threading.Thread(target=self._run, name=f"ember-wal-watcher-{self._name}", daemon=True)
        self._thread.start()

    def drain(self, timeout_s: float) -> None:
        """Lets the thread read on to the current end of the WAL and end there (at most `timeout_s`)."""
        self._draining.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout_s)

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join()

    def lowest_segment_in_use(self) -> int | None:
        return self._current

    # ------------------------------------------------------------------ reading
    def _run(self) -> None:
        first = True
        while not self._stop.is_set():
            try:
                if first:
                    self._read_checkpoint()
                    first = False
                self._follow_from(self._current if self._current is not None else 0)
                return
            except Exception:  # as Prometheus's watcher: log, wait, and resume at the segment it was in
                log.exception("WAL watcher %s failed; resuming in %.0fs", self._name, self._restart_delay_s)
                self._batch, self._batch_size = [], 0
                self._stop.wait(self._restart_delay_s)

    def _follow_from(self, segment: int) -> None:
        while not self._stop.is_set():
            self._current = segment
            if not self._follow(segment):
                return
            segment = self._next_segment(segment)

    def _read_checkpoint(self) -> None:
        checkpoints = list_checkpoints(self.directory)
        if not checkpoints:
            return
        index, path = checkpoints[-1]
        self._read_checkpoint_series(index, path)

    def _read_checkpoint_series(self, index: int, path: Path) -> bool:
        try:
            for segment_path in [p for _, p in list_segments(path)]:
                for record in _records(segment_path.read_bytes(), _SERIES_TYPES):
                    self._handle(record, index, samples=False)
        except FileNotFoundError:  # replaced by a newer checkpoint while we read it
            return False
        except (CorruptionError, FrameError) as error:
            log.warning("WAL watcher %s: damaged checkpoint %s: %s", self._name, path, error)
            return False
        self._last_checkpoint = index
        return True

    def _follow(self, index: int) -> bool:
        """Reads segment `index` to its end, waiting at the end while it is the newest one. True once a
        later segment exists and this one is done; False when stopped or the sink closed."""
        path = self.directory / segment_name(index)
        samples = index >= self._tail_from
        while True:
            try:
                handle = path.open("rb")
                break
            except FileNotFoundError:
                # Deleted behind us (a later one exists), or not written yet: wait for it.
                if any(i > index for i, _ in list_segments(self.directory)):
                    return True
                if self._stop.wait(self._poll):
                    return False
        with handle:
            return self._follow_open(handle, index, samples)

    def _follow_open(self, handle: BinaryIO, index: int, samples: bool) -> bool:
        pending = b""
        damaged = False
        while not self._stop.is_set():
            # Seen before the read: a read begun after drain() was called finds all written before it.
            draining = self._draining.is_set()
            data = handle.read(READ_CHUNK_BYTES)
            if data:
                if damaged:
                    continue
                pending += data
                used, damaged = self._consume(pending, index, samples)
                pending = pending[used:]
                if self._batch_size >= BATCH_SAMPLES and not self._flush():
                    return False
                continue
            if not self._flush():
                return False
            if self._has_later_segment(index):
                rest = handle.read()
                if rest:  # written just before the cut
                    handle.seek(-len(rest), 1)
                    continue
                if pending and not damaged:
                    log.warning("WAL watcher %s: segment %s ends in a torn record", self._name, index)
                return True
            if draining:  # everything written before the drain has been handed over
                return False
            self._check_checkpoint(index)
            self._wake.wait(self._poll)
        return False

    def _consume(self, buf: bytes, index: int, samples: bool) -> tuple[int, bool]:
        """Handles the complete frames of `buf`; (bytes used, whether damage was found)."""
        view = memoryview(buf)
        offset = 0
        wanted = None if samples else _SERIES_TYPES
        while offset < len(view):
            try:
                record_type, payload, end = parse_frame(view, offset)
            except FrameError as error:
                if error.reason in _TORN:
                    return offset, False
                log.warning("WAL watcher %s: segment %s: %s at offset %d; skipping the rest of it",
                            self._name, index, error.reason, offset)
                return offset, True
            offset = end
            if wanted is not None and record_type not in wanted:
                continue
            try:
                record = decode_record(record_type, payload)
            except CorruptionError as error:
                log.warning("WAL watcher %s: segment %s: %s", self._name, index, error)
                continue
            self._handle(record, index, samples=samples)
        return offset, False

    def _handle(self, record: object, index: int, *, samples: bool) -> None:
        self.records_read += 1
        if isinstance(record, SeriesRecord):
            self._sink.store_series(record.refs, record.labels, index)
        elif isinstance(record, SeriesSetRecord):
            self._sets[record.set_id] = record.refs
        elif not samples:
            return
        elif isinstance(record, GroupSamplesRecord):
            refs = self._sets.get(record.set_id)
            if refs is None or len(refs) != len(record.values) or record.timestamp <= self._start_ms:
                return
            self._add(refs, np.full(len(refs), record.timestamp, dtype=np.int64), record.values)
        elif isinstance(record, SamplesRecord):
            newer = record.timestamps > self._start_ms
            if newer.all():
                self._add(record.refs, record.timestamps, record.values)
            elif newer.any():
                self._add(record.refs[newer], record.timestamps[newer], record.values[newer])

    def _add(self, refs: npt.NDArray[np.int64], timestamps: npt.NDArray[np.int64],
             values: npt.NDArray[np.float64]) -> None:
        self._batch.append((refs, timestamps, values))
        self._batch_size += len(refs)

    def _flush(self) -> bool:
        """Hands the collected samples to the sink (blocking while it is full); False if it closed."""
        if not self._batch:
            return True
        batch, self._batch, self._batch_size = self._batch, [], 0
        if len(batch) == 1:
            refs, timestamps, values = batch[0]
        else:
            refs = np.concatenate([b[0] for b in batch])
            timestamps = np.concatenate([b[1] for b in batch])
            values = np.concatenate([b[2] for b in batch])
        return self._sink.append_samples(refs, timestamps, values)

    # ------------------------------------------------------------------ segments and checkpoints
    def _has_later_segment(self, index: int) -> bool:
        # The next segment's file is the common case; listing the directory (to notice a gap) is
        # rarer, since this runs at every poll.
        if (self.directory / segment_name(index + 1)).exists():
            return True
        now = time.monotonic()
        if now < self._next_listing:
            return False
        self._next_listing = now + _LISTING_INTERVAL_S
        return any(i > index for i, _ in list_segments(self.directory))

    def _next_segment(self, index: int) -> int:
        later = [i for i, _ in list_segments(self.directory) if i > index]
        if later and later[0] != index + 1:
            log.warning("WAL watcher %s: segments %d to %d were deleted before they were read; samples in "
                        "them are lost", self._name, index + 1, later[0] - 1)
        return later[0] if later else index + 1

    def _check_checkpoint(self, current: int) -> None:
        """A new checkpoint below the segment being read: re-announce its series, then let the sink
        forget the series that were not in it (Prometheus's `garbageCollectSeries`)."""
        now = time.monotonic()
        if now < self._next_checkpoint_check:
            return
        self._next_checkpoint_check = now + self._checkpoint_check_s
        checkpoints = list_checkpoints(self.directory)
        if not checkpoints:
            return
        index, path = checkpoints[-1]
        if index <= self._last_checkpoint or index >= current:
            return
        if self._read_checkpoint_series(index, path):
            self._sink.series_reset(index)


def _records(data: bytes, types: frozenset[int]) -> Iterator[object]:
    view = memoryview(data)
    offset = 0
    while offset < len(view):
        record_type, payload, offset = parse_frame(view, offset)
        if record_type in types:
            yield decode_record(record_type, payload)
