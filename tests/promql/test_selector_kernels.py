"""Tests for ember/promql/selector_kernels.py against a plain-Python lookback selection."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from ember.model import STALE_NAN, is_stale_value
from ember.promql.selector_kernels import lookback_select


def reference_select(samples: list[list[tuple[int, float]]], times: list[int], lookback: int
                     ) -> tuple[list[list[float | None]], list[list[int | None]]]:
    values: list[list[float | None]] = []
    stamps: list[list[int | None]] = []
    for series in samples:
        row_v: list[float | None] = []
        row_t: list[int | None] = []
        for t in times:
            before = [(ts, v) for ts, v in series if ts <= t]
            if before and before[-1][0] > t - lookback and not is_stale_value(before[-1][1]):
                row_v.append(before[-1][1])
                row_t.append(before[-1][0])
            else:
                row_v.append(None)
                row_t.append(None)
        values.append(row_v)
        stamps.append(row_t)
    return values, stamps


@st.composite
def csr_series(draw: st.DrawFn) -> list[list[tuple[int, float]]]:
    out = []
    for _ in range(draw(st.integers(0, 4))):
        stamps = sorted(set(draw(st.lists(st.integers(-50, 200), max_size=12))))
        values = [draw(st.sampled_from([1.0, 2.5, -3.0, float("nan"), STALE_NAN])) for _ in stamps]
        out.append(list(zip(stamps, values, strict=True)))
    return out


@settings(max_examples=80, deadline=None)
@given(csr_series(), st.lists(st.integers(-60, 260), min_size=1, max_size=8), st.integers(1, 100),
       st.booleans())
def test_lookback_select_matches_reference(samples: list[list[tuple[int, float]]], times: list[int],
                                           lookback: int, constant: bool) -> None:
    eval_times = [times[0]] * len(times) if constant else sorted(times)
    lengths = [len(s) for s in samples]
    offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    ts = np.array([t for s in samples for t, _ in s], dtype=np.int64)
    vals = np.array([v for s in samples for _, v in s], dtype=np.float64)
    out, present, chosen = lookback_select(ts, vals, offsets, np.array(eval_times), lookback, True)
    want_values, want_times = reference_select(samples, eval_times, lookback)
    for s, row in enumerate(want_values):
        for j, want in enumerate(row):
            assert present[s, j] == (want is not None)
            if want is not None:
                assert out[s, j] == want or (np.isnan(out[s, j]) and np.isnan(want))
                assert chosen[s, j] == want_times[s][j]
