"""Benchmark of the WAL: logging scrape-sized rows (GroupSamplesRecords of 10k float64 values).

Three ways: group commit at 100 ms with one writer that does not wait (a scrape loop); group commit
at 100 ms with 32 writer threads that each wait for their fdatasync (remote-write acknowledgements); and
one fdatasync per record (sync_interval=0), to show why Ember never does that; then the replay speed
of the first run's segments. Encoding and decoding are included.
Prometheus's WAL is not run here; DESIGN.md §3 records the spike figures these should match.

Run: .venv/bin/python bench/wal.py [--rows N] [--dir PATH]   (last line: the figures)
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

from ember.tsdb.wal import WAL, list_segments
from ember.tsdb.wal_reader import read_records
from ember.tsdb.wal_records import GroupSamplesRecord, encode_record

ROW_SERIES = 10_000


def rows(count: int) -> list[GroupSamplesRecord]:
    rng = np.random.default_rng(0)
    values = rng.random((8, ROW_SERIES)) * 1000
    return [GroupSamplesRecord(i % 64, 1_700_000_000_000 + i * 15_000, values[i % 8]) for i in range(count)]


def log_rows(directory: Path, records: list[GroupSamplesRecord], sync_interval: float) -> tuple[float, int, int]:
    """(seconds, bytes, fdatasyncs) to encode and log `records`, closing (a final sync) included."""
    wal = WAL(directory, sync_interval=sync_interval)
    started = time.perf_counter()
    for record in records:
        wal.log([encode_record(record)])
    wal.close()
    return time.perf_counter() - started, wal.bytes_written_total, wal.syncs_total


def log_rows_acknowledged(
    directory: Path, records: list[GroupSamplesRecord], threads: int, sync_interval: float
) -> tuple[float, int, int]:
    """Like `log_rows`, but `threads` writers each wait for the fdatasync covering every record."""
    wal = WAL(directory, sync_interval=sync_interval)

    def writer(part: list[GroupSamplesRecord]) -> None:
        for record in part:
            wal.wait_synced(wal.log([encode_record(record)]))

    workers = [threading.Thread(target=writer, args=(records[i::threads],)) for i in range(threads)]
    started = time.perf_counter()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    wal.close()
    return time.perf_counter() - started, wal.bytes_written_total, wal.syncs_total


def replay_rows(directory: Path) -> tuple[float, int, int]:
    """(seconds, bytes, 0) to read and decode every record back (crc checks included)."""
    size = sum(path.stat().st_size for _, path in list_segments(directory))
    started = time.perf_counter()
    count = sum(1 for _ in read_records(directory))
    elapsed = time.perf_counter() - started
    assert count > 0
    return elapsed, size, 0


def figures(name: str, seconds: float, size: int, syncs: int, count: int) -> str:
    mb_s = size / seconds / 1e6
    samples_s = count * ROW_SERIES / seconds / 1e6
    print(
        f"{name:<34} {count:6d} rows {seconds:7.3f}s {mb_s:8.1f} MB/s",
        f"{samples_s:8.1f} M samples/s {syncs:5d} syncs",
    )
    return f"{name.split()[0]}={samples_s:.1f}M samples/s ({mb_s:.0f} MB/s)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=2000, help="rows for the group-commit runs")
    parser.add_argument("--dir", type=Path, default=None, help="where to write (default: a temp dir)")
    args = parser.parse_args()
    base = Path(tempfile.mkdtemp(prefix="ember-bench-wal-", dir=args.dir))
    try:
        many = rows(args.rows)
        few = many[: max(1, args.rows // 8)]
        results = [
            figures("group_commit_100ms (no wait)", *log_rows(base / "a", many, 0.1), len(many)),
            figures("acked_32_threads_100ms", *log_rows_acknowledged(base / "b", few, 32, 0.1), len(few)),
            figures("sync_per_record", *log_rows(base / "c", few, 0.0), len(few)),
            figures("replay", *replay_rows(base / "a"), len(many)),
        ]
    finally:
        shutil.rmtree(base, ignore_errors=True)
    print("wal: " + "  ".join(results))


if __name__ == "__main__":
    main()
