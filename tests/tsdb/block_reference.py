"""Plain-Python reference for what a block must return, and generators of column groups for block tests.

The reference keeps samples in dicts (labels -> {timestamp: value}), later groups overwriting earlier
ones on equal timestamps, and answers selections by filtering those dicts: obviously correct, slow.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ember.model.labels import Labels
from ember.model.matchers import Matcher, matches_all
from ember.model.samples import STALE_NAN
from ember.storage.series_set import SeriesSet
from ember.tsdb.column_group import ColumnGroup

Interval = tuple[Labels, int, int]


def reference_samples(
    series: dict[int, Labels], groups: Sequence[ColumnGroup]
) -> dict[Labels, dict[int, float]]:
    out: dict[Labels, dict[int, float]] = {}
    for group in groups:
        for j, ref in enumerate(group.refs.tolist()):
            samples = out.setdefault(series[ref], {})
            for i, t in enumerate(group.timestamps.tolist()):
                samples[t] = float(group.values[i, j])
    return out


def reference_select(
    samples: dict[Labels, dict[int, float]],
    matchers: Sequence[Matcher],
    mint: int,
    maxt: int,
    deleted: Sequence[Interval] = (),
) -> SeriesSet:
    found = []
    for labels, by_time in samples.items():
        if not matches_all(list(matchers), labels):
            continue
        kept = {
            t: v
            for t, v in by_time.items()
            if mint <= t <= maxt and not any(lb == labels and lo <= t <= hi for lb, lo, hi in deleted)
        }
        if kept:
            ts = sorted(kept)
            found.append(
                (labels, np.array(ts, dtype=np.int64), np.array([kept[t] for t in ts], dtype=np.float64))
            )
    return SeriesSet.from_series(found) if found else SeriesSet.empty()


def assert_same_series_sets(actual: SeriesSet, expected: SeriesSet) -> None:
    """Same labels, offsets, timestamps and bit-identical values (staleness NaN included)."""
    assert list(actual.labels) == list(expected.labels)
    np.testing.assert_array_equal(actual.offsets, expected.offsets)
    np.testing.assert_array_equal(actual.timestamps, expected.timestamps)
    np.testing.assert_array_equal(
        np.ascontiguousarray(actual.values).view(np.uint64),
        np.ascontiguousarray(expected.values).view(np.uint64),
    )


def make_series(count: int, jobs: int = 3) -> dict[int, Labels]:
    """Refs 100.. (not block ids, on purpose) with a few shared label values."""
    return {
        100 + i: Labels.from_strings(
            "__name__",
            f"metric_{i % 4}",
            "job",
            f"job{i % jobs}",
            "instance",
            f"host-{i}",
            *(("le", str(i % 5)) if i % 2 else ()),
        )
        for i in range(count)
    }


def make_groups(
    rng: np.random.Generator, refs: list[int], start: int, rows: int, frames: int
) -> list[ColumnGroup]:
    """Scrape-like groups: `frames` consecutive frames of `rows` rows, 15 s apart with jitter, counter
    and gauge columns, a few staleness markers."""
    ref_array = np.array(refs, dtype=np.int64)
    groups = []
    t = start
    for _ in range(frames):
        ts = t + 15_000 * np.arange(rows, dtype=np.int64) + rng.integers(0, 3, rows)
        values = np.cumsum(rng.poisson(3.0, (rows, len(refs))), axis=0).astype(np.float64)
        values[:, ::2] = np.round(rng.normal(50, 10, (rows, len(refs[::2]))), 2)
        stale = rng.random((rows, len(refs))) < 0.02
        values[stale] = STALE_NAN
        groups.append(ColumnGroup(ref_array, ts, values))
        t = int(ts[-1]) + 15_000
    return groups
