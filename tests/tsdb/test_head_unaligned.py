"""The unaligned buffer: compressing its older samples changes nothing a reader or a head cut sees."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from ember.model.labels import Labels
from ember.model.matchers import Matcher
from ember.model.samples import STALE_NAN
from ember.storage.interface import MAX_TIME, MIN_TIME
from ember.tsdb.head import Head, HeadOptions
from ember.tsdb.head_unaligned import UnalignedBuffer, one_column_groups, sort_samples

values = st.sampled_from([0.0, -0.0, 1.5, float("inf"), STALE_NAN, 3e300, float("nan")])
batches = st.lists(st.lists(st.tuples(st.integers(0, 4), st.integers(0, 40), values), min_size=1, max_size=12),
                   min_size=1, max_size=8)


def _columns(batch: list[tuple[int, int, float]]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:  # type: ignore[type-arg]
    return (np.array([r for r, _, _ in batch], np.int64), np.array([t for _, t, _ in batch], np.int64),
            np.array([v for _, _, v in batch], np.float64))


def _bits(columns: tuple[np.ndarray, ...]) -> list[tuple[int, int, int]]:  # type: ignore[type-arg]
    refs, ts, vals = sort_samples(*columns)
    return list(zip(refs.tolist(), ts.tolist(), vals.view(np.uint64).tolist(), strict=True))


@given(batches, st.integers(1, 9), st.integers(0, 45))
@settings(max_examples=120, deadline=None)
def test_compressed_parts_read_and_cut_like_flat_columns(
    appended: list[list[tuple[int, int, float]]], freeze: int, cut: int
) -> None:
    flat, compressed = UnalignedBuffer(freeze_samples=10**9), UnalignedBuffer(freeze_samples=freeze)
    for batch in appended:
        flat.append(*_columns(batch))
        compressed.append(*_columns(batch))
    assert len(compressed) == len(flat)
    assert compressed.mint == flat.mint
    assert _bits(compressed.snapshot()) == _bits(flat.snapshot())
    assert compressed.refs().tolist() == np.unique(flat.snapshot()[0]).tolist()
    cut_flat, cut_compressed = flat.take_before(cut), compressed.take_before(cut)
    as_bits = [[(g.refs.tolist(), g.timestamps.tolist(), g.values.view(np.uint64).tolist()) for g in groups]
               for groups in (cut_flat, cut_compressed)]
    assert as_bits[0] == as_bits[1]
    assert _bits(compressed.snapshot()) == _bits(flat.snapshot())


def test_a_head_reads_compressed_unaligned_samples_with_the_flat_ones() -> None:
    head = Head(HeadOptions(unaligned_freeze_samples=16))
    series = [Labels.from_strings("__name__", "m", "i", str(i)) for i in range(3)]
    refs = head.series.refs_for(series)
    early = head.series.refs_for([Labels.from_strings("__name__", "early")])
    with head.lock:  # a series whose only sample ends up compressed
        head.append_unaligned(early, np.zeros(1, np.int64), np.ones(1))
    for t in range(0, 100, 10):  # 30 samples: one compressed part of 16-plus, the rest flat
        with head.lock:
            head.append_unaligned(refs, np.full(3, t, np.int64), refs.astype(np.float64) + t)
    assert len(head._unaligned._frozen) > 0 and len(head._unaligned) == 31
    found = head.select([Matcher.equal("__name__", "m")], 15, MAX_TIME)
    for labels, ts, vals in found:
        assert ts.tolist() == list(range(20, 100, 10))
        assert vals.tolist() == [t + float(labels.get("i")) for t in range(20, 100, 10)]
    only_one = head.select([Matcher.equal("i", "1")], MIN_TIME, MAX_TIME)
    assert len(only_one) == 1 and only_one.series(0)[0].tolist() == list(range(0, 100, 10))
    assert len(head.garbage_collect()) == 0  # every series still has samples in the buffer


@given(st.lists(st.tuples(st.integers(0, 4), st.integers(0, 6), values), max_size=30), st.booleans())
@settings(max_examples=150, deadline=None)
def test_sorting_and_grouping_equal_the_plain_rules(samples: list[tuple[int, int, float]], in_order: bool) -> None:
    if in_order:  # each series in time order, the remote-write shape that takes the fast path
        samples = sorted(samples, key=lambda s: s[1])
    columns = _columns(samples) if samples else (np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0))
    latest: dict[tuple[int, int], int] = {}
    for r, t, v in samples:
        latest[(r, t)] = int(np.float64(v).view(np.uint64))
    expected = [(r, t, b) for (r, t), b in sorted(latest.items())]
    assert _bits(columns) == expected
    grouped = [(r, t, int(np.float64(g.values[i, k]).view(np.uint64)))
               for g in one_column_groups(*columns) for k, r in enumerate(g.refs.tolist())
               for i, t in enumerate(g.timestamps.tolist())]
    assert sorted(grouped) == expected
