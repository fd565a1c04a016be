"""Checkpoints: checkpoint + truncate must replay to the same live state for the kept series."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ember.errors import CorruptionError
from ember.model.labels import Labels
from ember.tsdb.checkpoint import checkpoint
from ember.tsdb.wal import WAL, checkpoint_name, list_checkpoints
from ember.tsdb.wal_reader import read_records
from ember.tsdb.wal_records import (
    GroupSamplesRecord,
    Record,
    SamplesRecord,
    SeriesRecord,
    SeriesSetRecord,
    TombstonesRecord,
    encode_record,
)


@dataclass
class LiveState:
    """A plain-Python replay target: what the head would rebuild from the records."""

    labels: dict[int, Labels] = field(default_factory=dict)
    sets: dict[int, list[int]] = field(default_factory=dict)
    samples: set[tuple[int, int, int]] = field(default_factory=set)  # (ref, timestamp, value bits)
    tombstones: set[tuple[int, int, int]] = field(default_factory=set)

    def apply(self, record: Record) -> None:
        if isinstance(record, SeriesRecord):
            self.labels.update(zip(record.refs.tolist(), record.labels, strict=True))
        elif isinstance(record, SeriesSetRecord):
            self.sets[record.set_id] = record.refs.tolist()
        elif isinstance(record, GroupSamplesRecord):
            bits = record.values.view(np.uint64).tolist()
            self.samples.update((r, record.timestamp, b) for r, b in zip(self.sets[record.set_id], bits, strict=True))
        elif isinstance(record, SamplesRecord):
            bits = record.values.view(np.uint64).tolist()
            self.samples.update(zip(record.refs.tolist(), record.timestamps.tolist(), bits, strict=True))
        else:
            self.tombstones.update(zip(record.refs.tolist(), record.mint.tolist(), record.maxt.tolist(), strict=True))

    def restricted(self, kept: set[int], mint: int) -> LiveState:
        return LiveState(
            {r: lab for r, lab in self.labels.items() if r in kept},
            {s: refs for s, refs in self.sets.items() if kept & set(refs)},
            {s for s in self.samples if s[0] in kept and s[1] >= mint},
            {t for t in self.tombstones if t[0] in kept},
        )


def replay(directory: Path) -> LiveState:
    state = LiveState()
    for record in read_records(directory):
        state.apply(record)
    return state


def labels_of(ref: int) -> Labels:
    return Labels.from_strings("__name__", "m", "id", str(ref))


@st.composite
def workloads(draw: st.DrawFn) -> list[list[Record]]:
    """Segments of records as a head would log them: series first, sets before their rows."""
    num_series = draw(st.integers(1, 12))
    refs = np.arange(num_series, dtype=np.int64)
    segments: list[list[Record]] = [[SeriesRecord(refs, [labels_of(r) for r in range(num_series)])]]
    for set_id in range(draw(st.integers(1, 5))):
        segment: list[Record] = []
        members = np.array(sorted(draw(st.sets(st.integers(0, num_series - 1), min_size=1))), np.int64)
        segment.append(SeriesSetRecord(set_id, members))
        for t in draw(st.lists(st.integers(0, 100), max_size=4)):
            segment.append(GroupSamplesRecord(set_id, t, np.full(len(members), t * 0.5)))
        n = draw(st.integers(0, 4))
        sample_refs = np.array(draw(st.lists(st.integers(0, num_series - 1), min_size=n, max_size=n)), np.int64)
        times = np.array(draw(st.lists(st.integers(0, 100), min_size=n, max_size=n)), np.int64)
        segment.append(SamplesRecord(sample_refs, times, times.astype(np.float64)))
        if draw(st.booleans()):
            segment.append(TombstonesRecord(sample_refs, times, times + 5))
        segments.append(segment)
    return segments


def write(directory: Path, segments: list[list[Record]]) -> WAL:
    wal = WAL(directory, sync_interval=math.inf)
    for n, segment in enumerate(segments):
        if n:
            wal.cut_segment()
        wal.log([encode_record(r) for r in segment])
    return wal


@settings(max_examples=40, deadline=None)
@given(workloads(), st.sets(st.integers(0, 11)), st.integers(0, 101), st.data())
def test_checkpoint_and_truncate_keep_the_live_state(
    tmp_path_factory: pytest.TempPathFactory,
    segments: list[list[Record]],
    kept: set[int],
    mint: int,
    data: st.DataObject,
) -> None:
    directory = tmp_path_factory.mktemp("wal")
    wal = write(directory, segments)
    wal.sync()
    before = replay(directory)
    live = closed_under_sets(kept, before.sets.values())
    live_refs = np.array(sorted(live), np.int64)

    def keep_series(refs: npt.NDArray[np.int64]) -> npt.NDArray[np.bool_]:
        return np.isin(refs, live_refs)

    # Two rounds, so the second one reads the first checkpoint back.
    first = data.draw(st.integers(0, len(segments) - 1))
    for upto in sorted({first, len(segments) - 1}):
        path = checkpoint(directory, upto, keep_series, mint)
        wal.truncate_before(upto + 1)
        assert path.name == checkpoint_name(upto)
    wal.close()
    assert [i for i, _ in list_checkpoints(directory)] == [len(segments) - 1]
    after = replay(directory)
    assert after == before.restricted(live, mint)


def closed_under_sets(kept: set[int], sets: Iterable[list[int]]) -> set[int]:
    """Like the head's liveness: a series in a generation with a live series is live too."""
    live = set(kept)
    changed = True
    while changed:
        changed = False
        for refs in sets:
            if live & set(refs) and not set(refs) <= live:
                live |= set(refs)
                changed = True
    return live


def test_checkpoint_then_later_segments_replay_in_order(tmp_path: Path) -> None:
    segments: list[list[Record]] = [
        [SeriesRecord(np.array([0, 1]), [labels_of(0), labels_of(1)]), SeriesSetRecord(0, np.array([0, 1]))],
        [GroupSamplesRecord(0, 10, np.array([1.0, 2.0]))],
        [GroupSamplesRecord(0, 20, np.array([3.0, 4.0]))],
    ]
    wal = write(tmp_path, segments)
    checkpoint(tmp_path, 1, lambda refs: np.ones(len(refs), np.bool_), 0)
    wal.truncate_before(2)
    wal.log([encode_record(SamplesRecord(np.array([1]), np.array([30]), np.array([5.0])))])
    wal.close()
    kinds = [type(r).__name__ for r in read_records(tmp_path)]
    assert kinds == [
        "SeriesRecord",
        "SeriesSetRecord",
        "GroupSamplesRecord",
        "GroupSamplesRecord",
        "SamplesRecord",
    ]


def test_interrupted_checkpoint_leaves_the_previous_state(tmp_path: Path) -> None:
    series = SeriesRecord(np.array([0]), [labels_of(0)])
    wal = write(tmp_path, [[series], [SamplesRecord(np.array([0]), np.array([1]), np.array([1.0]))]])
    wal.close()
    before = replay(tmp_path)

    def exploding(refs: npt.NDArray[np.int64]) -> npt.NDArray[np.bool_]:
        raise RuntimeError("head gone")

    with pytest.raises(RuntimeError):
        checkpoint(tmp_path, 1, exploding, 0)
    assert list_checkpoints(tmp_path) == []
    assert not any(p.name.endswith(".tmp") for p in tmp_path.iterdir())
    assert replay(tmp_path) == before


def test_damaged_input_raises_and_writes_no_checkpoint(tmp_path: Path) -> None:
    wal = write(tmp_path, [[SeriesRecord(np.array([0]), [labels_of(0)])], []])
    wal.close()
    segment = tmp_path / "00000000"
    segment.write_bytes(segment.read_bytes()[:-2])
    with pytest.raises(CorruptionError):
        checkpoint(tmp_path, 0, lambda refs: np.ones(len(refs), np.bool_), 0)
    assert list_checkpoints(tmp_path) == []
