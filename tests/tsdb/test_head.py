from __future__ import annotations

import numpy as np
import pytest

from ember.errors import UnknownSeriesRefError
from ember.model.labels import Labels
from ember.model.matchers import Matcher
from ember.storage.interface import MAX_TIME, MIN_TIME
from ember.tsdb import append_kernels as kernels
from ember.tsdb.head import Head, HeadOptions
from ember.tsdb.wal_records import GroupSamplesRecord, SeriesRecord, SeriesSetRecord

ALL = [Matcher.regex("__name__", ".+")]


def _series(n: int, name: str = "m") -> list[Labels]:
    return [Labels.from_strings("__name__", name, "i", str(i)) for i in range(n)]


def _row(head: Head, group: str, refs: np.ndarray, t: int, values: np.ndarray) -> list[object]:
    with head.lock:
        status = head.classify(refs, np.full(len(refs), t, np.int64), values, commit=True).status
        assert np.all(status == kernels.ACCEPT)
        order = np.argsort(refs)
        return [*head.new_series_records(refs), *head.append_row(group, refs[order], t, values[order])]


def test_rows_freeze_into_compressed_chunks_and_read_back() -> None:
    head = Head(HeadOptions(frame_rows=8))
    refs = head.series.refs_for(_series(5))
    for step in range(30):
        _row(head, "g", refs, step * 15_000, np.arange(5, dtype=np.float64) * step)
    generation = next(iter(head._generations.values()))
    assert len(generation.chunks) == 3 and generation.frame_len == 6
    found = head.select(ALL, MIN_TIME, MAX_TIME)
    for labels, ts, vals in found:
        i = int(labels.get("i"))
        assert ts.tolist() == [s * 15_000 for s in range(30)]
        assert vals.tolist() == [float(i * s) for s in range(30)]


def test_frames_never_straddle_a_block_boundary() -> None:
    head = Head(HeadOptions(frame_rows=1000, block_range_ms=60_000))
    refs = head.series.refs_for(_series(2))
    for step in range(10):
        _row(head, "g", refs, step * 20_000, np.ones(2))
    generation = next(iter(head._generations.values()))
    spans = [(c.mint // 60_000, c.maxt // 60_000) for c in generation.chunks]
    assert all(lo == hi for lo, hi in spans)
    series, groups = head.cut_before(120_000)
    assert {int(t) for g in groups for t in g.timestamps} == {0, 20_000, 40_000, 60_000, 80_000, 100_000}
    assert set(series) == set(refs.tolist())
    assert head.select(ALL, MIN_TIME, MAX_TIME).series(0)[0].tolist() == [s * 20_000 for s in range(10)]
    head.release_cut()  # the block is written: the cut samples leave the head
    remaining = head.select(ALL, MIN_TIME, MAX_TIME)
    assert remaining.series(0)[0].tolist() == [120_000, 140_000, 160_000, 180_000]


def test_series_churn_starts_a_new_generation_with_its_own_set_record() -> None:
    head = Head()
    refs = head.series.refs_for(_series(3))
    first = _row(head, "g", refs, 1000, np.ones(3))
    same = _row(head, "g", refs, 2000, np.ones(3))
    fewer = _row(head, "g", refs[:2], 3000, np.ones(2))
    assert [type(r) for r in first] == [SeriesRecord, SeriesSetRecord, GroupSamplesRecord]
    assert [type(r) for r in same] == [GroupSamplesRecord]
    assert [type(r) for r in fewer] == [SeriesSetRecord, GroupSamplesRecord]
    found = head.select([Matcher.equal("i", "2")], MIN_TIME, MAX_TIME)
    assert found.series(0)[0].tolist() == [1000, 2000]


def test_classification_follows_prometheus_rules() -> None:
    head = Head(HeadOptions(out_of_order_window_ms=0))
    refs = head.series.refs_for(_series(1))
    values = np.array([1.0, 2.0, 2.0, 3.0, 5.0])
    ts = np.array([1000, 2000, 2000, 2000, 1500])
    with head.lock:
        status = head.classify(np.repeat(refs, 5), ts, values, commit=True).status
    assert status.tolist() == [kernels.ACCEPT, kernels.ACCEPT, kernels.NOOP_DUPLICATE, kernels.DUPLICATE,
                               kernels.OUT_OF_ORDER]
    head.min_valid_t = 10_000
    with head.lock:
        status = head.classify(refs, np.array([5000]), np.array([1.0]), commit=False).status
    assert status.tolist() == [kernels.OUT_OF_BOUNDS]


def test_unknown_refs_are_refused() -> None:
    head = Head()
    head.series.refs_for(_series(2))
    with pytest.raises(UnknownSeriesRefError):
        head.series.check_refs(np.array([0, 7]))


def test_garbage_collection_forgets_cut_series_but_not_current_ones() -> None:
    head = Head(HeadOptions(block_range_ms=60_000))
    gone, stays = _series(1, "gone"), _series(1, "stays")
    gone_ref = head.series.refs_for(gone)
    stays_ref = head.series.refs_for(stays)
    _row(head, "a", gone_ref, 1000, np.ones(1))
    _row(head, "b", stays_ref, 1000, np.ones(1))
    _row(head, "a2", stays_ref, 70_000, np.ones(1))
    del head._current["a"]
    head.cut_before(60_000)
    dead = head.garbage_collect()
    assert list(dead) == gone_ref.tolist()
    assert head.series.ref_of(gone[0]) is None
    assert head.series.ref_of(stays[0]) == int(stays_ref[0])
