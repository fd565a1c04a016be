"""Replay: order across checkpoint and segments, and repair of every kind of damage."""

from __future__ import annotations

import logging
import math
import random
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ember.errors import CorruptionError
from ember.tsdb.wal import WAL, checkpoint_name, list_segments
from ember.tsdb.wal_reader import ReplayProgress, read_records
from ember.tsdb.wal_records import SamplesRecord, encode_record


def record(i: int) -> bytes:
    return encode_record(SamplesRecord(np.array([i, i]), np.array([i, i + 1]), np.array([0.5, float(i)])))


def ids(directory: Path, *, strict: bool = False) -> list[int]:
    found = []
    for rec in read_records(directory, strict=strict):
        assert isinstance(rec, SamplesRecord)
        assert rec.timestamps.tolist() == [rec.refs[0], rec.refs[0] + 1] and rec.values[1] == rec.refs[0]
        found.append(int(rec.refs[0]))
    return found


def write_segments(directory: Path, per_segment: list[list[int]]) -> None:
    wal = WAL(directory, sync_interval=math.inf)
    for n, segment in enumerate(per_segment):
        if n:
            wal.cut_segment()
        wal.log([record(i) for i in segment])
    wal.close()


def warnings_of(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]


def test_missing_directory_yields_nothing(tmp_path: Path) -> None:
    assert ids(tmp_path / "absent") == []


def test_torn_tail_at_every_byte_of_the_last_record(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    good = b"".join(record(i) for i in range(3))
    last = record(3)
    for cut in range(len(last)):
        directory = tmp_path / str(cut)
        directory.mkdir()
        segment = directory / "00000000"
        segment.write_bytes(good + last[:cut])
        caplog.clear()
        assert ids(directory) == [0, 1, 2]
        assert segment.stat().st_size == len(good)
        assert len(warnings_of(caplog)) == (1 if cut else 0)
        caplog.clear()
        assert ids(directory) == [0, 1, 2]
        assert not warnings_of(caplog)


def test_crc_flip_in_the_middle_truncates_and_drops_later_segments(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    write_segments(tmp_path, [[0, 1, 2], [3, 4, 5], [6, 7]])
    middle = tmp_path / "00000001"
    data = bytearray(middle.read_bytes())
    offset = len(record(3))
    data[offset + len(record(4)) // 2] ^= 0x40
    middle.write_bytes(bytes(data))
    dropped = len(data) - offset + (tmp_path / "00000002").stat().st_size
    assert ids(tmp_path) == [0, 1, 2, 3]
    assert [i for i, _ in list_segments(tmp_path)] == [0, 1]
    assert middle.stat().st_size == offset
    (line,) = warnings_of(caplog)
    assert str(middle) in line and f"offset {offset}" in line
    assert f"dropped {dropped} bytes and 1 later segments" in line


def test_garbage_segment(tmp_path: Path) -> None:
    write_segments(tmp_path, [[0, 1], [2]])
    garbage = tmp_path / "00000001"
    garbage.write_bytes(random.Random(3).randbytes(5000))
    assert ids(tmp_path) == [0, 1]
    assert garbage.stat().st_size == 0


def test_zero_filled_tail(tmp_path: Path) -> None:
    write_segments(tmp_path, [[0, 1]])
    segment = tmp_path / "00000000"
    size = segment.stat().st_size
    with segment.open("ab") as f:
        f.write(b"\x00" * 4096)
    assert ids(tmp_path) == [0, 1]
    assert segment.stat().st_size == size


def test_missing_segment_ends_replay_at_the_gap(tmp_path: Path) -> None:
    write_segments(tmp_path, [[0], [1], [2], [3]])
    (tmp_path / "00000002").unlink()
    assert ids(tmp_path) == [0, 1]
    assert [i for i, _ in list_segments(tmp_path)] == [0, 1]


def test_strict_mode_raises_and_changes_nothing(tmp_path: Path) -> None:
    write_segments(tmp_path, [[0, 1], [2]])
    segment = tmp_path / "00000000"
    data = segment.read_bytes()
    segment.write_bytes(data[:-1])
    with pytest.raises(CorruptionError) as caught:
        ids(tmp_path, strict=True)
    assert caught.value.path == str(segment) and caught.value.offset == len(record(0))
    assert segment.stat().st_size == len(data) - 1
    assert [i for i, _ in list_segments(tmp_path)] == [0, 1]


def test_checkpoint_first_then_later_segments(tmp_path: Path) -> None:
    write_segments(tmp_path, [[10], [11], [12], [13]])
    write_segments(tmp_path / checkpoint_name(0), [[1, 2]])
    write_segments(tmp_path / checkpoint_name(1), [[5, 6], [7]])
    interrupted = tmp_path / (checkpoint_name(2) + ".tmp")
    write_segments(interrupted, [[99]])
    assert ids(tmp_path) == [5, 6, 7, 12, 13]
    assert not interrupted.exists()


def test_repaired_wal_reopens_and_appends(tmp_path: Path) -> None:
    write_segments(tmp_path, [[0, 1], [2]])
    segment = tmp_path / "00000000"
    segment.write_bytes(segment.read_bytes()[:-5])
    assert ids(tmp_path) == [0]
    wal = WAL(tmp_path)
    wal.log([record(8)])
    wal.close()
    assert ids(tmp_path) == [0, 8]


@settings(max_examples=50, deadline=None)
@given(st.lists(st.integers(0, 30), min_size=1, max_size=12), st.integers(60, 400), st.data())
def test_any_damaged_byte_replays_exactly_the_records_before_it(
    tmp_path_factory: pytest.TempPathFactory, sizes: list[int], segment_size: int, data: st.DataObject
) -> None:
    directory = tmp_path_factory.mktemp("wal")
    frames = [encode_record(SamplesRecord(np.full(n, i), np.full(n, i), np.ones(n))) for i, n in enumerate(sizes)]
    wal = WAL(directory, segment_size=segment_size, sync_interval=math.inf)
    for encoded in frames:
        wal.log([encoded])
    wal.close()
    # Where each record landed: (segment path, offset in it).
    placed: list[tuple[Path, int]] = []
    for _, path in list_segments(directory):
        offset = 0
        body = path.read_bytes()
        while offset < len(body):
            placed.append((path, offset))
            offset += len(frames[len(placed) - 1])
    damaged = data.draw(st.integers(0, len(frames) - 1))
    path, start = placed[damaged]
    damaged_body = bytearray(path.read_bytes())
    damaged_body[start + data.draw(st.integers(0, len(frames[damaged]) - 1))] ^= data.draw(st.integers(1, 255))
    path.write_bytes(bytes(damaged_body))
    replayed = []
    for rec in read_records(directory):
        assert isinstance(rec, SamplesRecord)
        replayed.append((len(rec.refs), set(rec.refs.tolist())))
    assert replayed == [(n, {i} if n else set()) for i, n in enumerate(sizes[:damaged])]
    assert path.stat().st_size == start
    assert list_segments(directory)[-1][1] == path


def test_replay_progress_follows_the_segments(tmp_path: Path) -> None:
    write_segments(tmp_path, [[1], [2, 3], [4]])
    progress = ReplayProgress()
    seen = []
    for rec in read_records(tmp_path, progress=progress):
        assert isinstance(rec, SamplesRecord)
        seen.append((int(rec.refs[0]), progress.current))
    first = list_segments(tmp_path)[0][0]
    assert (progress.min, progress.max) == (first, first + 2)
    assert seen == [(1, first), (2, first + 1), (3, first + 1), (4, first + 2)]
    assert progress.as_dict() == {"min": first, "max": first + 2, "current": first + 2}
