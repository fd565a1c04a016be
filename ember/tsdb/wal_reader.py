"""WAL replay with repair: the latest checkpoint's records, then those of the later segments.

Replay never crashes on damage. Like Prometheus's WAL repair, it stops at the last intact record,
truncates the damaged segment there and deletes the segments after it, logging one WARNING line; the
strict mode (for `ember tsdb` tools) changes nothing on disk and raises `CorruptionError` instead.
"""

from __future__ import annotations

import logging
import shutil
from collections.abc import Callable, Collection, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from ember.errors import CorruptionError
from ember.tsdb.wal import (
    CHECKPOINT_PREFIX,
    fsync_directory,
    list_checkpoints,
    list_segments,
    truncate_file,
)
from ember.tsdb.wal_records import FrameError, Record, decode_record, parse_frame

_log = logging.getLogger("ember.tsdb.wal")


@dataclass
class ReplayProgress:
    """Which WAL segments replay spans and which it is reading (`/api/v1/status/walreplay`)."""

    min: int = 0
    max: int = 0
    current: int = 0

    def as_dict(self) -> dict[str, int]:
        return {"min": self.min, "max": self.max, "current": self.current}


def read_records(
    wal_dir: str | Path, *, strict: bool = False, logger: logging.Logger | None = None,
    progress: ReplayProgress | None = None,
) -> Iterator[Record]:
    """Yields every record needed to rebuild the head, oldest first, repairing damage on the way."""
    directory = Path(wal_dir)
    log = logger or _log
    if not directory.is_dir():
        return
    if not strict:
        remove_interrupted_checkpoints(directory, log)
    first_segment = 0
    checkpoints = list_checkpoints(directory)
    if checkpoints:
        index, path = checkpoints[-1]
        yield from read_segments(list_segments(path), strict=strict, logger=log)
        first_segment = index + 1
    segments = [(i, p) for i, p in list_segments(directory) if i >= first_segment]
    on_segment = None
    if progress is not None and segments:
        progress.min, progress.max, progress.current = segments[0][0], segments[-1][0], segments[0][0]
        on_segment = lambda index: setattr(progress, "current", index)  # noqa: E731
    yield from read_segments(segments, strict=strict, logger=log, on_segment=on_segment)


def remove_interrupted_checkpoints(wal_dir: Path, logger: logging.Logger) -> None:
    """Deletes `checkpoint.NNNNNNNN.tmp` directories left by a checkpoint that did not finish."""
    for path in wal_dir.iterdir():
        if path.name.startswith(CHECKPOINT_PREFIX) and path.name.endswith(".tmp") and path.is_dir():
            logger.info("removing interrupted WAL checkpoint %s", path)
            shutil.rmtree(path, ignore_errors=True)


def read_segments(
    segments: Sequence[tuple[int, Path]],
    *,
    strict: bool = False,
    logger: logging.Logger | None = None,
    types: Collection[int] | None = None,
    on_segment: Callable[[int], None] | None = None,
) -> Iterator[Record]:
    """Yields the records of consecutive segments; `types` limits decoding to those record types
    (the others are still crc-checked). On damage: repair (or raise, when `strict`) and stop."""
    log = logger or _log
    for position, (index, path) in enumerate(segments):
        if position and index != segments[position - 1][0] + 1:
            # A gap means the segments after it cannot be trusted to follow on: end replay at the gap.
            previous = segments[position - 1][1]
            reason = f"segment {segments[position - 1][0] + 1:08d} is missing"
            _damaged(segments, position - 1, previous.stat().st_size, reason, strict, log)
            return
        if on_segment is not None:
            on_segment(index)
        data = memoryview(path.read_bytes())
        offset = 0
        while offset < len(data):
            try:
                record_type, payload, end = parse_frame(data, offset)
                wanted = types is None or record_type in types
                record = decode_record(record_type, payload) if wanted else None
            except (FrameError, CorruptionError) as error:
                reason = error.reason if isinstance(error, FrameError) else str(error)
                _damaged(segments, position, offset, reason, strict, log)
                return
            if record is not None:
                yield record
            offset = end


def _damaged(
    segments: Sequence[tuple[int, Path]],
    position: int,
    offset: int,
    reason: str,
    strict: bool,
    log: logging.Logger,
) -> None:
    """Truncates segment `position` at `offset` and deletes the segments after it."""
    path = segments[position][1]
    if strict:
        raise CorruptionError(reason, str(path), offset)
    dropped_bytes = path.stat().st_size - offset
    truncate_file(path, offset)
    later = segments[position + 1 :]
    for _, later_path in later:
        dropped_bytes += later_path.stat().st_size
        later_path.unlink()
    if later:
        fsync_directory(path.parent)
    log.warning(
        "WAL segment %s: %s at offset %d; truncated there, dropped %d bytes and %d later segments",
        path,
        reason,
        offset,
        dropped_bytes,
        len(later),
    )
