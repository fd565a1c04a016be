from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ember.errors import CorruptionError, StorageError
from ember.model.labels import Labels
from ember.model.matchers import Matcher
from ember.model.samples import STALE_NAN
from ember.tsdb.block_meta import CHUNKS_FILE
from ember.tsdb.block_reader import Block
from ember.tsdb.block_writer import write_block
from ember.tsdb.column_group import ColumnGroup
from tests.tsdb.block_reference import (
    assert_same_series_sets,
    make_groups,
    make_series,
    reference_samples,
    reference_select,
)

ALL = [Matcher.regex("__name__", ".+")]
START = 1_700_000_000_000
END = START + 7_200_000


@pytest.fixture
def written(tmp_path: Path) -> Iterator[tuple[Block, dict[Labels, dict[int, float]]]]:
    rng = np.random.default_rng(7)
    series = make_series(12)
    refs = sorted(series)
    groups = make_groups(rng, refs[:6], START, 40, 3) + make_groups(rng, refs[6:10], START + 5_000, 50, 2)
    lone = ColumnGroup(
        np.array([refs[11]]), np.array([START + 1, START + 7_199_999]), np.array([[1.5], [STALE_NAN]])
    )
    groups.append(lone)
    path = write_block(tmp_path, series=series, groups=groups, mint=START, maxt=END)
    block = Block.open(path)
    yield block, reference_samples(series, groups)
    block.close()


MATCHER_CASES = [
    ALL,
    [Matcher.equal("__name__", "metric_1")],
    [Matcher.regex("job", "job[02]"), Matcher.not_equal("__name__", "metric_0")],
    [Matcher.equal("le", "")],  # empty-matching: series without `le`
    [Matcher.regex("le", "|1|3")],  # matches the empty value and some values
    [Matcher.not_regex("instance", "host-1.*")],
    [Matcher.regex("__name__", ".+"), Matcher.equal("job", "nope")],
    [Matcher.equal("missing", "")],
]


@pytest.mark.parametrize("matchers", MATCHER_CASES, ids=str)
def test_select_equals_reference(
    written: tuple[Block, dict[Labels, dict[int, float]]], matchers: list[Matcher]
) -> None:
    block, samples = written
    assert_same_series_sets(
        block.select(matchers, START, END), reference_select(samples, matchers, START, END)
    )


@pytest.mark.parametrize(
    ("mint", "maxt"),
    [
        (START, START),
        (START + 1, START + 1),
        (START + 15_000, START + 30_002),
        (END - 1, END + 10**9),
        (START - 10, START - 1),
        (END, END + 100),
        (START + 600_000, START + 599_999),
        (-(2**63), 2**63 - 1),
    ],
)
def test_time_range_boundaries(
    written: tuple[Block, dict[Labels, dict[int, float]]], mint: int, maxt: int
) -> None:
    block, samples = written
    assert_same_series_sets(block.select(ALL, mint, maxt), reference_select(samples, ALL, mint, maxt))


def test_staleness_marker_is_bit_exact(written: tuple[Block, dict[Labels, dict[int, float]]]) -> None:
    block, _ = written
    result = block.select([Matcher.equal("instance", "host-11")], START, END)
    assert result.values.view(np.uint64)[-1] == 0x7FF0000000000002


def test_meta_and_size(written: tuple[Block, dict[Labels, dict[int, float]]]) -> None:
    block, samples = written
    assert block.meta.stats.num_series == len(samples)
    assert block.meta.stats.num_samples == sum(len(s) for s in samples.values())
    assert block.meta.min_time == START and block.meta.max_time == END
    assert block.size_bytes == sum(p.stat().st_size for p in block.path.iterdir())
    # Consecutive frames of one series set are stored as one group.
    assert block.meta.stats.num_groups == 3


def test_label_names_and_values(written: tuple[Block, dict[Labels, dict[int, float]]]) -> None:
    block, samples = written
    assert block.label_names() == sorted({n for lb in samples for n in lb.names()})
    assert block.label_values("job") == ["job0", "job1", "job2"]
    only_le = [Matcher.equal("le", "1")]
    expected = sorted({lb.get("__name__") for lb in samples if lb.get("le") == "1"})
    assert block.label_values("__name__", only_le) == expected
    # Late in the block only host-11's lone sample and the second scrape set remain.
    late = START + 7_000_000
    in_range = {lb for lb, s in samples.items() if any(late <= t <= END for t in s)}
    assert block.label_values("instance", [], late, END) == sorted(lb.get("instance") for lb in in_range)
    assert block.label_names([Matcher.equal("job", "zzz")]) == []
    assert block.label_values("nope") == []


def test_delete_hides_samples_and_persists(written: tuple[Block, dict[Labels, dict[int, float]]]) -> None:
    block, samples = written
    matchers = [Matcher.equal("job", "job1")]
    lo, hi = START + 100_000, START + 400_000
    block.delete(matchers, lo, hi)
    deleted = [(lb, lo, hi) for lb in samples if lb.get("job") == "job1"]
    expected = reference_select(samples, ALL, START, END, deleted)
    assert_same_series_sets(block.select(ALL, START, END), expected)
    assert block.has_tombstones and block.meta.stats.num_tombstones > 0
    reopened = Block.open(block.path)
    assert_same_series_sets(reopened.select(ALL, START, END), expected)
    reopened.close()


def test_delete_whole_series_removes_it(written: tuple[Block, dict[Labels, dict[int, float]]]) -> None:
    block, samples = written
    block.delete([Matcher.equal("instance", "host-3")], -(2**63), 2**63 - 1)
    result = block.select(ALL, START, END)
    assert Labels.from_strings(
        "__name__", "metric_3", "job", "job0", "instance", "host-3", "le", "3"
    ) not in list(result.labels)
    assert len(result) == len(samples) - 1


def test_column_groups_round_trip(written: tuple[Block, dict[Labels, dict[int, float]]]) -> None:
    block, samples = written
    seen: dict[Labels, dict[int, float]] = {}
    for labels_of, group in block.column_groups():
        assert np.all(np.diff(group.timestamps) > 0)
        for j, ref in enumerate(group.refs.tolist()):
            seen.setdefault(labels_of[ref], {}).update(
                zip(group.timestamps.tolist(), group.values[:, j].tolist(), strict=True)
            )
    assert {lb: sorted(s) for lb, s in seen.items()} == {lb: sorted(s) for lb, s in samples.items()}


def test_flipped_byte_in_chunk_raises_corruption(tmp_path: Path) -> None:
    series = make_series(4)
    groups = make_groups(np.random.default_rng(1), sorted(series), START, 30, 1)
    path = write_block(tmp_path, series=series, groups=groups, mint=START, maxt=END)
    chunks = path / CHUNKS_FILE
    data = bytearray(chunks.read_bytes())
    data[len(data) // 2] ^= 0x40
    chunks.write_bytes(bytes(data))
    block = Block.open(path)  # sizes still match: the damage shows when the group is read
    with pytest.raises(CorruptionError, match=rf"block {block.meta.ulid}: group 0: checksum mismatch"):
        block.select(ALL, START, END)
    with pytest.raises(CorruptionError):
        list(block.column_groups())
    block.close()


def test_closed_block_refuses_reads(tmp_path: Path) -> None:
    series = make_series(2)
    groups = make_groups(np.random.default_rng(2), sorted(series), START, 5, 1)
    block = Block.open(write_block(tmp_path, series=series, groups=groups, mint=START, maxt=END))
    block.verify()
    block.close()
    with pytest.raises(StorageError, match="closed"):
        block.select(ALL, START, END)
    with pytest.raises(StorageError, match="closed"):
        list(block.column_groups())


def test_empty_block(tmp_path: Path) -> None:
    block = Block.open(write_block(tmp_path, series={}, groups=[], mint=0, maxt=10))
    assert len(block.select(ALL, 0, 10)) == 0
    assert block.label_names() == [] and block.meta.stats.num_series == 0
    block.close()


@st.composite
def small_blocks(draw: st.DrawFn) -> tuple[dict[int, Labels], list[ColumnGroup]]:
    n_series = draw(st.integers(1, 6))
    series = {
        r: Labels.from_strings("__name__", f"m{r % 2}", "k", draw(st.sampled_from("abc")) + str(r))
        for r in range(n_series)
    }
    groups = []
    for _ in range(draw(st.integers(0, 4))):
        refs = draw(st.lists(st.sampled_from(sorted(series)), min_size=1, max_size=n_series, unique=True))
        times = sorted(draw(st.sets(st.integers(0, 60), min_size=1, max_size=12)))
        values = draw(
            st.lists(
                st.sampled_from([0.0, -0.0, 1.5, float("inf"), STALE_NAN, 1e300, 7.0]),
                min_size=len(times) * len(refs),
                max_size=len(times) * len(refs),
            )
        )
        groups.append(
            ColumnGroup(
                np.array(refs, dtype=np.int64),
                np.array(times, dtype=np.int64),
                np.array(values, dtype=np.float64).reshape(len(times), len(refs)),
            )
        )
    return series, groups


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(block=small_blocks(), window=st.tuples(st.integers(-5, 65), st.integers(-5, 65)))
def test_round_trip_property(
    tmp_path: Path, block: tuple[dict[int, Labels], list[ColumnGroup]], window: tuple[int, int]
) -> None:
    series, groups = block
    path = write_block(tmp_path, series=series, groups=groups, mint=0, maxt=61, max_rows=5)
    opened = Block.open(path)
    try:
        samples = reference_samples(series, groups)
        assert_same_series_sets(opened.select(ALL, 0, 60), reference_select(samples, ALL, 0, 60))
        mint, maxt = window
        assert_same_series_sets(opened.select(ALL, mint, maxt), reference_select(samples, ALL, mint, maxt))
    finally:
        opened.close()
