from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ember.errors import CorruptionError
from ember.model.labels import Labels
from ember.model.matchers import Matcher
from ember.tsdb.block_index import CHUNKS_MAGIC, GROUP_CRC_BYTES, BlockIndex, GroupTable, encode_index
from ember.tsdb.postings import MemPostings, select_postings

NO_GROUPS = GroupTable(*(np.empty(0, dtype=np.int64) for _ in range(7)))


def _index_of(series: list[Labels], groups: GroupTable = NO_GROUPS) -> BlockIndex:
    data = encode_index([lb.flat for lb in series], groups)
    return BlockIndex(np.frombuffer(data, dtype=np.uint8), "test-index")


def _mem_postings(series: list[Labels]) -> MemPostings:
    mem = MemPostings()
    for i, labels in enumerate(series):
        mem.add(i, labels)
    return mem


label_values = st.sampled_from(["a", "b", "ab", "é", "x\n", "0", "zz", "ä\x00"])
label_sets = st.dictionaries(st.sampled_from(["__name__", "job", "le", "a_b", "ü"]), label_values, min_size=1)


@settings(max_examples=60, deadline=None)
@given(st.lists(label_sets, min_size=1, max_size=12, unique_by=lambda d: tuple(sorted(d.items()))))
def test_index_answers_like_mem_postings(dicts: list[dict[str, str]]) -> None:
    series = sorted(Labels.from_dict(d) for d in dicts)
    index, mem = _index_of(series), _mem_postings(series)
    assert index.label_names() == mem.label_names()
    assert index.num_series == len(series)
    for name in mem.label_names():
        assert index.label_values(name) == mem.label_values(name)
        for value in mem.label_values(name):
            assert index.postings(name, value) == mem.postings(name, value)
    assert index.series_labels(np.arange(len(series), dtype=np.int64)) == series
    for matchers in (
        [Matcher.regex("job", "a.*")],
        [Matcher.equal("le", "")],
        [Matcher.not_equal("__name__", "b")],
        [Matcher.regex("ü", "|zz"), Matcher.not_regex("job", "a")],
    ):
        assert select_postings(index, matchers) == select_postings(mem, matchers)


def test_label_pairs_and_symbols() -> None:
    series = [
        Labels.from_strings("__name__", "up", "job", "a"),
        Labels.from_strings("__name__", "x", "le", "1"),
    ]
    index = _index_of(sorted(series))
    names, values = index.label_pairs(np.array([1], dtype=np.int64))
    assert index.symbols_of(names) == ["__name__", "le"] and index.symbols_of(values) == ["x", "1"]
    assert index.symbol_id("job") is not None and index.symbol_id("nope") is None
    assert not index.postings("job", "zzz") and not index.postings("nope", "a")


def test_flipped_byte_is_detected() -> None:
    data = bytearray(encode_index([Labels.from_strings("a", "b").flat], NO_GROUPS))
    for at in (0, len(data) // 2, len(data) - 1):
        damaged = bytearray(data)
        damaged[at] ^= 1
        with pytest.raises(CorruptionError, match="test-index"):
            BlockIndex(np.frombuffer(bytes(damaged), dtype=np.uint8), "test-index")
    with pytest.raises(CorruptionError):
        BlockIndex(np.frombuffer(bytes(data[:10]), dtype=np.uint8), "test-index")


def _layout_reference(table: GroupTable) -> tuple[list[int], list[int], list[int]]:
    starts, ends, columns = [], [], []
    at, col = len(CHUNKS_MAGIC), 0
    for g in range(table.num_groups):
        starts.append(at)
        at += int(table.ts_length[g])
        for _ in range(int(table.cols[g])):
            columns.append(at)
            at += int(table.column_lengths[col])
            col += 1
        ends.append(at)
        at += GROUP_CRC_BYTES
    return starts, ends, columns


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.tuples(st.integers(1, 50), st.lists(st.integers(1, 90), min_size=1, max_size=5)), max_size=6)
)
def test_group_layout_matches_reference(spec: list[tuple[int, list[int]]]) -> None:
    lengths = [n for _, cols in spec for n in cols]
    table = GroupTable(
        rows=np.ones(len(spec), dtype=np.int64),
        cols=np.array([len(c) for _, c in spec], dtype=np.int64),
        mint=np.zeros(len(spec), dtype=np.int64),
        maxt=np.zeros(len(spec), dtype=np.int64),
        ts_length=np.array([t for t, _ in spec], dtype=np.int64),
        column_series=np.zeros(len(lengths), dtype=np.int64),
        column_lengths=np.array(lengths, dtype=np.int64),
    )
    starts, ends, columns = table.layout()
    assert (starts.tolist(), ends.tolist(), columns.tolist()) == _layout_reference(table)
