"""The WAL writer: segments, group commit, reopening, failure handling and durability under SIGKILL."""

from __future__ import annotations

import math
import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from ember.errors import BadDataError, StorageError
from ember.tsdb.wal import WAL, list_segments
from ember.tsdb.wal_reader import read_records
from ember.tsdb.wal_records import GroupSamplesRecord, SamplesRecord, encode_record


def sample_record(i: int, size: int = 1) -> bytes:
    return encode_record(SamplesRecord(np.full(size, i, np.int64), np.full(size, i, np.int64), np.ones(size)))


def replayed_ids(directory: Path) -> list[int]:
    ids = []
    for record in read_records(directory):
        assert isinstance(record, SamplesRecord)
        ids.append(int(record.refs[0]))
    return ids


def test_log_returns_increasing_positions_and_replays_in_order(tmp_path: Path) -> None:
    wal = WAL(tmp_path, sync_interval=math.inf)
    positions = [wal.log([sample_record(i)]) for i in range(10)]
    wal.close()
    assert positions == sorted(set(positions))
    assert wal.records_total == 10 and wal.bytes_written_total == positions[-1]
    assert replayed_ids(tmp_path) == list(range(10))


def test_records_never_span_segments(tmp_path: Path) -> None:
    one = len(sample_record(0))
    wal = WAL(tmp_path, segment_size=one * 3 + 1, sync_interval=math.inf)
    wal.log([sample_record(i) for i in range(7)])
    big = sample_record(7, size=100)
    wal.log([big])
    wal.log([sample_record(8)])
    wal.close()
    sizes = [p.stat().st_size for _, p in list_segments(tmp_path)]
    assert sizes == [one * 3, one * 3, one, len(big), one]
    assert replayed_ids(tmp_path) == list(range(9))


def test_sync_interval_zero_syncs_every_log(tmp_path: Path) -> None:
    wal = WAL(tmp_path, sync_interval=0)
    for i in range(5):
        wal.log([sample_record(i)])
    assert wal.syncs_total == 5 and wal.sync_seconds_total >= 0
    wal.close()


def test_concurrent_waiters_share_fdatasyncs(tmp_path: Path) -> None:
    wal = WAL(tmp_path, sync_interval=0.02)
    failures: list[str] = []

    def writer(thread_id: int) -> None:
        for i in range(5):
            position = wal.log([sample_record(thread_id * 100 + i)])
            wal.wait_synced(position)
            if wal._synced < position:
                failures.append(f"{thread_id}/{i} returned before its sync")

    threads = [threading.Thread(target=writer, args=(t,)) for t in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wal.close()
    assert not failures
    assert 1 <= wal.syncs_total < 16 * 5 // 2
    assert sorted(replayed_ids(tmp_path)) == sorted(t * 100 + i for t in range(16) for i in range(5))


def test_a_waiter_wakes_the_sync_thread_instead_of_waiting_for_the_timer(tmp_path: Path) -> None:
    wal = WAL(tmp_path, sync_interval=3600)  # the timer alone would never sync within the test
    position = wal.log([sample_record(1)])
    waiter = threading.Thread(target=wal.wait_synced, args=(position,))
    waiter.start()
    waiter.join(timeout=30)
    assert not waiter.is_alive()
    assert wal.syncs_total == 1 and wal._synced >= position
    wal.close()


def test_the_sync_thread_sleeps_while_idle_and_syncs_the_next_write_on_its_timer(tmp_path: Path) -> None:
    wal = WAL(tmp_path, sync_interval=0.01)
    timer_waits: list[float | None] = []
    real_wait = wal._sync_wanted.wait

    def counting_wait(timeout: float | None = None) -> bool:
        timer_waits.append(timeout)
        return real_wait(timeout)

    wal._sync_wanted.wait = counting_wait  # type: ignore[method-assign]
    time.sleep(0.3)  # 30 intervals with nothing written
    assert len(timer_waits) <= 1
    position = wal.log([sample_record(1)])
    deadline = time.monotonic() + 10
    while wal._synced < position and time.monotonic() < deadline:
        time.sleep(0.005)
    assert wal._synced >= position and wal.syncs_total == 1  # synced by the timer: nobody waited for it
    wal.close()
    assert replayed_ids(tmp_path) == [1]


def test_steady_writes_never_wake_the_sync_thread_which_runs_on_its_timer(tmp_path: Path) -> None:
    wal = WAL(tmp_path, sync_interval=0.03)
    write_waits = 0
    real_wait = wal._written.wait

    def counting_wait(timeout: float | None = None) -> bool:
        nonlocal write_waits
        write_waits += 1
        return real_wait(timeout)

    wal._written.wait = counting_wait  # type: ignore[method-assign]
    time.sleep(0.05)  # idle at first: the thread waits for the first write
    position = 0
    for k in range(60):  # a write every 5 ms, several per sync interval
        position = wal.log([sample_record(k)])
        time.sleep(0.005)
    deadline = time.monotonic() + 10
    while wal._synced < position and time.monotonic() < deadline:
        time.sleep(0.005)
    assert wal._synced >= position and wal.syncs_total >= 3
    # The first write ends the idle wait; later writes find the thread asleep on its timer, not on them.
    assert write_waits <= 2
    wal.close()
    assert replayed_ids(tmp_path) == list(range(60))


def test_wait_synced_blocks_until_the_fdatasync_completes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    gate = threading.Event()
    real_fdatasync = os.fdatasync

    def slow_fdatasync(fd: int) -> None:
        gate.wait()
        real_fdatasync(fd)

    wal = WAL(tmp_path, sync_interval=0.01)
    monkeypatch.setattr(os, "fdatasync", slow_fdatasync)
    position = wal.log([sample_record(1)])
    waiter = threading.Thread(target=wal.wait_synced, args=(position,))
    waiter.start()
    waiter.join(timeout=0.2)
    assert waiter.is_alive()
    gate.set()
    waiter.join(timeout=10)
    assert not waiter.is_alive()
    wal.close()


def test_failed_fdatasync_is_reported_and_refuses_later_writes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def failing_fdatasync(fd: int) -> None:
        raise OSError(5, "Input/output error")

    wal = WAL(tmp_path, sync_interval=math.inf)
    monkeypatch.setattr(os, "fdatasync", failing_fdatasync)
    position = wal.log([sample_record(1)])
    with pytest.raises(StorageError, match="fdatasync"):
        wal.wait_synced(position)
    with pytest.raises(StorageError):
        wal.log([sample_record(2)])
    monkeypatch.undo()
    wal.close()


def test_close_is_idempotent_and_refuses_later_logs(tmp_path: Path) -> None:
    wal = WAL(tmp_path)
    position = wal.log([sample_record(1)])
    wal.close()
    wal.close()
    wal.wait_synced(position)
    with pytest.raises(StorageError, match="closed"):
        wal.log([sample_record(2)])


def test_bad_arguments_are_bad_data_errors(tmp_path: Path) -> None:
    with pytest.raises(BadDataError):
        WAL(tmp_path, segment_size=0)
    with pytest.raises(BadDataError):
        WAL(tmp_path, sync_interval=-1)
    wal = WAL(tmp_path, sync_interval=math.inf)
    with pytest.raises(BadDataError):
        wal.wait_synced(10**9)
    wal.close()


def test_reopen_continues_in_a_new_segment_and_reuses_an_empty_one(tmp_path: Path) -> None:
    wal = WAL(tmp_path)
    wal.log([sample_record(0)])
    wal.close()
    wal = WAL(tmp_path)
    assert wal.current_segment == 1
    wal.close()
    wal = WAL(tmp_path)
    assert wal.current_segment == 1
    wal.log([sample_record(1)])
    wal.close()
    assert replayed_ids(tmp_path) == [0, 1]


def test_reopen_cuts_a_torn_tail_before_appending(tmp_path: Path) -> None:
    wal = WAL(tmp_path)
    wal.log([sample_record(0), sample_record(1)])
    wal.close()
    segment = tmp_path / "00000000"
    whole = segment.stat().st_size
    with segment.open("ab") as f:
        f.write(sample_record(2)[:-3])
    wal = WAL(tmp_path)
    assert wal.corruptions_repaired_total == 1
    assert segment.stat().st_size == whole
    wal.log([sample_record(3)])
    wal.close()
    assert replayed_ids(tmp_path) == [0, 1, 3]


def test_cut_and_truncate_before_keep_the_current_segment(tmp_path: Path) -> None:
    wal = WAL(tmp_path)
    for i in range(4):
        wal.log([sample_record(i)])
        assert wal.cut_segment() == i + 1
    wal.truncate_before(2)
    assert [i for i, _ in wal.segments()] == [2, 3, 4]
    wal.truncate_before(100)
    assert [i for i, _ in wal.segments()] == [4]
    wal.log([sample_record(9)])
    wal.close()
    assert replayed_ids(tmp_path) == [9]


def test_group_rows_log_as_one_write(tmp_path: Path) -> None:
    wal = WAL(tmp_path, sync_interval=0)
    values = np.random.default_rng(1).random(10_000)
    wal.log([encode_record(GroupSamplesRecord(3, 1_000, values))])
    wal.close()
    (record,) = list(read_records(tmp_path))
    assert isinstance(record, GroupSamplesRecord)
    assert record.values.tobytes() == values.tobytes()


CHILD = """
import sys
import numpy as np
from ember.tsdb.wal import WAL
from ember.tsdb.wal_records import SamplesRecord, encode_record

wal = WAL(sys.argv[1], segment_size=4096, sync_interval=0.002)
i = int(sys.argv[2])
while True:
    size = 1 + i % 50
    record = SamplesRecord(np.full(size, i), np.full(size, i), np.ones(size))
    position = wal.log([encode_record(record)])
    wal.wait_synced(position)
    print(i, flush=True)
    i += 1
"""


def test_sigkill_never_loses_acknowledged_records(tmp_path: Path) -> None:
    rng = random.Random(7)
    wal_dir = tmp_path / "wal"
    next_id = 1
    acknowledged: set[int] = set()
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    for _ in range(20):
        child = subprocess.Popen(
            [sys.executable, "-c", CHILD, str(wal_dir), str(next_id)],
            stdout=subprocess.PIPE,
            text=True,
            env=env,
        )
        assert child.stdout is not None
        deadline = rng.randint(0, 40)
        for _, line in zip(range(deadline), child.stdout, strict=False):
            acknowledged.add(int(line))
        os.kill(child.pid, signal.SIGKILL)
        acknowledged.update(int(line) for line in child.stdout.read().splitlines() if line.strip())
        child.wait()
        replayed = replayed_ids(wal_dir)
        assert acknowledged <= set(replayed)
        assert replayed == sorted(set(replayed))
        next_id = max([*replayed, *acknowledged, next_id]) + 1
    wal = WAL(wal_dir)
    wal.wait_synced(wal.log([sample_record(10**6, size=1)]))
    wal.close()
    assert replayed_ids(wal_dir)[-1] == 10**6
