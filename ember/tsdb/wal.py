"""The write-ahead log: numbered segment files and a writer with group commit (DESIGN §3 rule 4).

`<data>/wal/00000000`, `00000001`, ... hold framed records (see `wal_records`); checkpoints live in
`<data>/wal/checkpoint.NNNNNNNN/` in the same format. Appends are one `write()` each; a background
thread fdatasyncs on a timer so that many appends share one fdatasync, and `wait_synced` lets a caller
that must acknowledge durability (remote write, `commit(sync=True)`) wait for the one covering it.
A waiter does not wait for the timer: it wakes the sync thread at once, and every waiter that arrives
while an fdatasync runs shares the next one (group commit), so a remote-write request waits for about
one fdatasync, not half a timer period.
"""

from __future__ import annotations

import logging
import math
import os
import re
import threading
import time
from collections.abc import Sequence
from pathlib import Path

from ember.errors import BadDataError, StorageError
from ember.tsdb.wal_records import valid_prefix

DEFAULT_SEGMENT_SIZE = 128 * 1024 * 1024
CHECKPOINT_PREFIX = "checkpoint."
_SEGMENT_NAME = re.compile(r"\d{8}")
_CHECKPOINT_NAME = re.compile(r"checkpoint\.(\d{8})")

_log = logging.getLogger("ember.tsdb.wal")


def segment_name(index: int) -> str:
    return f"{index:08d}"


def list_segments(directory: Path) -> list[tuple[int, Path]]:
    """The segment files of `directory` as (index, path), by index."""
    if not directory.is_dir():
        return []
    found = [(int(p.name), p) for p in directory.iterdir() if _SEGMENT_NAME.fullmatch(p.name) and p.is_file()]
    return sorted(found)


def list_checkpoints(wal_dir: Path) -> list[tuple[int, Path]]:
    """The complete checkpoint directories of `wal_dir` as (index, path), by index."""
    if not wal_dir.is_dir():
        return []
    found = []
    for path in wal_dir.iterdir():
        match = _CHECKPOINT_NAME.fullmatch(path.name)
        if match and path.is_dir():
            found.append((int(match.group(1)), path))
    return sorted(found)


def checkpoint_name(index: int) -> str:
    return f"{CHECKPOINT_PREFIX}{index:08d}"


def fsync_directory(directory: Path) -> None:
    """Makes file creations, renames and deletions in `directory` durable."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def truncate_file(path: Path, length: int) -> None:
    """Cuts `path` to `length` bytes, durably."""
    fd = os.open(path, os.O_WRONLY)
    try:
        os.ftruncate(fd, length)
        os.fsync(fd)
    finally:
        os.close(fd)


class WAL:
    """Appends framed records to segment files; thread-safe.

    `sync_interval` seconds between background fdatasyncs; 0 syncs inside every `log()`; `math.inf`
    syncs only on `sync()`, `wait_synced()` and `close()` (bulk writers such as checkpoints). A waiter
    wakes the background thread, which waits `group_commit_delay` seconds for more before syncing.
    """

    def __init__(
        self,
        directory: str | Path,
        *,
        segment_size: int = DEFAULT_SEGMENT_SIZE,
        sync_interval: float = 0.1,
        group_commit_delay: float = 0.002,
        logger: logging.Logger | None = None,
    ) -> None:
        if segment_size <= 0:
            raise BadDataError(f"WAL segment size must be positive, got {segment_size}")
        if not sync_interval >= 0:
            raise BadDataError(f"WAL sync interval must be >= 0, got {sync_interval}")
        self.directory = Path(directory)
        self.segment_size = segment_size
        self.sync_interval = sync_interval
        self.group_commit_delay = group_commit_delay
        self._log = logger or _log
        self.syncs_total = 0
        self.sync_seconds_total = 0.0
        self.bytes_written_total = 0
        self.records_total = 0
        self.corruptions_repaired_total = 0
        self._write_lock = threading.Lock()
        self._sync_lock = threading.Lock()
        self._synced_changed = threading.Condition(threading.Lock())
        self._position = 0
        self._synced = 0
        self._retiring: list[int] = []
        self._directory_dirty = False
        self._failure: StorageError | None = None
        self._closed = False
        self._fd_open = False
        self._stop = threading.Event()
        self._sync_wanted = threading.Event()
        self._written = threading.Event()  # set by every write: the idle sync thread waits for it
        try:
            if not self.directory.is_dir():
                self.directory.mkdir(parents=True)
                fsync_directory(self.directory.parent)
            self._open_last_segment()
        except OSError as error:
            raise StorageError(f"cannot open WAL in {self.directory}: {error}") from error
        self._thread: threading.Thread | None = None
        if 0 < sync_interval < math.inf:
            self._thread = threading.Thread(target=self._sync_loop, name="ember-wal-sync", daemon=True)
            self._thread.start()

    # -------------------------------------------------------------------- opening
    def _open_last_segment(self) -> None:
        """Continues in a fresh segment after the existing ones (reusing an empty last one), first
        cutting a torn tail off the last segment so that nothing is ever appended after garbage."""
        segments = list_segments(self.directory)
        if not segments:
            self._open_segment(0)
            return
        index, path = segments[-1]
        self._repair_tail(path)
        if path.stat().st_size == 0:
            self._open_segment(index)
        else:
            self._open_segment(index + 1)

    def _repair_tail(self, path: Path) -> None:
        data = path.read_bytes()
        end, reason = valid_prefix(memoryview(data))
        if reason is None:
            return
        truncate_file(path, end)
        self.corruptions_repaired_total += 1
        self._log.warning(
            "WAL segment %s: %s at offset %d; truncated there, dropped %d bytes and 0 segments",
            path,
            reason,
            end,
            len(data) - end,
        )

    def _open_segment(self, index: int) -> None:
        path = self.directory / segment_name(index)
        self._fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        self._fd_open = True
        self._index = index
        self._segment_bytes = os.fstat(self._fd).st_size
        self._directory_dirty = True

    # -------------------------------------------------------------------- writing
    def log(self, records: Sequence[bytes | bytearray]) -> int:
        """Appends framed records (from `encode_record`) and returns the position just after them, for
        `wait_synced`. One write() per call unless the records must be split across segments."""
        with self._write_lock:
            self._check_writable()
            chunk: list[bytes | bytearray] = []
            chunk_bytes = 0
            for record in records:
                if self._segment_bytes + chunk_bytes + len(record) > self.segment_size and (
                    self._segment_bytes or chunk_bytes
                ):
                    self._write(chunk, chunk_bytes)
                    self._cut_locked()
                    chunk, chunk_bytes = [], 0
                chunk.append(record)
                chunk_bytes += len(record)
            self._write(chunk, chunk_bytes)
            self.records_total += len(records)
            position = self._position
        if self.sync_interval == 0:
            self._sync_through(position)
        return position

    def _write(self, chunk: list[bytes | bytearray], size: int) -> None:
        if not size:
            return
        data = memoryview(chunk[0] if len(chunk) == 1 else b"".join(chunk))  # one record: no copy
        written = 0
        try:
            while written < size:
                written += os.write(self._fd, data[written:])
        except OSError as error:
            # Cut the partial write off again, so later records never follow a torn one.
            try:
                os.ftruncate(self._fd, self._segment_bytes)
            except OSError:
                self._failure = StorageError(f"WAL write failed and could not be undone: {error}")
            path = self.directory / segment_name(self._index)
            raise StorageError(f"WAL write to {path} failed: {error}") from error
        self._segment_bytes += size
        self._position += size
        self.bytes_written_total += size
        if not self._written.is_set():
            self._written.set()

    def cut_segment(self) -> int:
        """Starts a new segment and returns its index; the older ones are then complete."""
        with self._write_lock:
            self._check_writable()
            self._cut_locked()
            return self._index

    def _cut_locked(self) -> None:
        # The old descriptor is synced and closed by the next sync, so a cut never waits for the disk.
        self._retiring.append(self._fd)
        self._fd_open = False
        try:
            self._open_segment(self._index + 1)
        except OSError as error:
            self._failure = StorageError(f"cannot create WAL segment {self._index + 1}: {error}")
            raise self._failure from error

    def _check_writable(self) -> None:
        if self._closed:
            raise StorageError("WAL is closed")
        if self._failure is not None:
            raise self._failure

    # -------------------------------------------------------------------- syncing
    def sync(self) -> None:
        """fdatasyncs everything logged so far, now."""
        self._sync_through(self._position)

    def wait_synced(self, position: int) -> None:
        """Returns once an fdatasync covering `position` (from `log`) has completed."""
        if position > self._position:
            raise BadDataError(f"WAL position {position} was never logged (latest is {self._position})")
        thread = self._thread
        if thread is None or not thread.is_alive():
            self._sync_through(position)
            return
        with self._synced_changed:
            while self._synced < position and self._failure is None and thread.is_alive():
                self._sync_wanted.set()
                self._synced_changed.wait(self.sync_interval)
        if self._synced < position:
            self._sync_through(position)

    def _sync_through(self, target: int) -> None:
        """One fdatasync covering at least `target`; callers arriving while one runs share the next."""
        with self._sync_lock:
            if self._synced >= target:
                return
            if self._failure is not None:
                raise self._failure
            with self._write_lock:
                position, fd, retiring = self._position, self._fd, self._retiring
                self._retiring = []
                directory_dirty, self._directory_dirty = self._directory_dirty, False
            started = time.perf_counter()
            try:
                for old in retiring:
                    os.fdatasync(old)
                    os.close(old)
                if directory_dirty:
                    fsync_directory(self.directory)
                os.fdatasync(fd)
            except OSError as error:
                # After a failed fsync the page cache state is unknown (Linux drops the dirty pages):
                # refuse further writes rather than acknowledge data that may be lost.
                self._failure = StorageError(f"WAL fdatasync in {self.directory} failed: {error}")
                with self._synced_changed:
                    self._synced_changed.notify_all()
                raise self._failure from error
            self.syncs_total += 1
            self.sync_seconds_total += time.perf_counter() - started
            with self._synced_changed:
                self._synced = position
                self._synced_changed.notify_all()

    def _sync_loop(self) -> None:
        while True:
            # Every write sets `_written` when it finds it clear. After an interval without writes the
            # thread sleeps until the next one instead of waking every interval: an idle server then has
            # no wake-ups to pay for. While writes keep coming it wakes on its timer alone, never from a
            # write: a writer's wake-up lands while that writer holds the GIL, and the two threads then
            # trade it back and forth at every write. A write is synced within `sync_interval` either way.
            if not self._written.is_set() and not self._stop.is_set():
                self._written.wait()
            self._written.clear()  # what is written from here on is covered by this pass or the next
            if self._sync_wanted.wait(self.sync_interval) and self.group_commit_delay > 0:
                # Let the other committers in flight (remote-write requests) join this fdatasync: each
                # costs ~0.1 ms of CPU, and without the wait most requests paid for one of their own.
                self._stop.wait(self.group_commit_delay)
            self._sync_wanted.clear()
            if self._stop.is_set():
                return
            if self._synced < self._position:
                try:
                    self._sync_through(self._position)
                except StorageError:
                    self._log.exception("WAL background sync failed")
                    return

    # ------------------------------------------------------------------ segments
    def segments(self) -> list[tuple[int, Path]]:
        """The segment files as (index, path), oldest first."""
        return list_segments(self.directory)

    @property
    def current_segment(self) -> int:
        return self._index

    def truncate_before(self, index: int) -> None:
        """Deletes the segments older than `index` (never the one being written)."""
        limit = min(index, self._index)
        removed = False
        for seg_index, path in self.segments():
            if seg_index < limit:
                path.unlink(missing_ok=True)
                removed = True
        if removed:
            fsync_directory(self.directory)

    def close(self) -> None:
        """Syncs everything and stops the sync thread; later calls do nothing."""
        with self._write_lock:
            if self._closed:
                return
            self._closed = True
        self._stop.set()
        self._sync_wanted.set()
        self._written.set()
        if self._thread is not None:
            self._thread.join()
        try:
            if self._failure is None:
                self.sync()
        finally:
            with self._sync_lock, self._write_lock:
                for fd in [*self._retiring, self._fd] if self._fd_open else self._retiring:
                    os.close(fd)
                self._retiring = []
                self._fd_open = False
