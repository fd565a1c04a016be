from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from ember.tsdb.block_select import DecodedColumns, to_series_csr
from ember.tsdb.tombstones import Tombstones


def _reference(
    columns: list[tuple[int, list[int]]], mint: int, maxt: int, tomb: Tombstones
) -> dict[int, list[tuple[int, float]]]:
    """Plain dicts: later columns win on equal timestamps; samples in range and not deleted."""
    by_series: dict[int, dict[int, float]] = {}
    for k, (series, times) in enumerate(columns):
        for i, t in enumerate(times):
            by_series.setdefault(series, {})[t] = float(100 * k + i)
    out = {}
    for series, samples in sorted(by_series.items()):
        lo, hi = tomb.intervals_of(series)
        kept = sorted(
            (t, v)
            for t, v in samples.items()
            if mint <= t <= maxt
            and not any(a <= t <= b for a, b in zip(lo.tolist(), hi.tolist(), strict=True))
        )
        if kept:
            out[series] = kept
    return out


column_specs = st.lists(
    st.tuples(st.integers(0, 3), st.sets(st.integers(0, 30), min_size=1, max_size=6)), min_size=1, max_size=6
)


@settings(max_examples=100, deadline=None)
@given(
    column_specs,
    st.integers(-2, 32),
    st.integers(-2, 32),
    st.lists(st.tuples(st.integers(0, 3), st.integers(0, 30)), max_size=3),
)
def test_to_series_csr_matches_reference(
    spec: list[tuple[int, set[int]]], mint: int, maxt: int, deletes: list[tuple[int, int]]
) -> None:
    columns = sorted(((s, sorted(t)) for s, t in spec), key=lambda c: c[0])  # by series, as the reader orders
    tomb = Tombstones.empty()
    for series, at in deletes:
        tomb = tomb.with_deleted(np.array([series], dtype=np.int64), at, at + 3)
    lengths = [len(t) for _, t in columns]
    decoded = DecodedColumns(
        series=np.array([s for s, _ in columns], dtype=np.int64),
        offsets=np.cumsum([0, *lengths]).astype(np.int64),
        timestamps=np.array([t for _, ts in columns for t in ts], dtype=np.int64),
        values=np.array([100.0 * k + i for k, (_, ts) in enumerate(columns) for i in range(len(ts))]),
    )
    ids, offsets, ts, values = to_series_csr(decoded, mint, maxt, tomb.deleted_mask)
    got = {
        int(s): list(
            zip(
                ts[offsets[i] : offsets[i + 1]].tolist(),
                values[offsets[i] : offsets[i + 1]].tolist(),
                strict=True,
            )
        )
        for i, s in enumerate(ids.tolist())
    }
    assert got == _reference(columns, mint, maxt, tomb)
    assert list(got) == sorted(got)
