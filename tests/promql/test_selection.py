"""Tests for ember/promql/selection.py: subquery step alignment, durations, stale-marker removal."""

from __future__ import annotations

import datetime

import numpy as np

from ember.model import STALE_NAN, Labels
from ember.promql.selection import duration_ms, subquery_times, without_stale
from ember.storage import SeriesSet


def test_subquery_times_align_to_absolute_multiples_of_step() -> None:
    times = subquery_times(np.array([125_000]), 60_000, 20_000)
    assert times.tolist() == [80_000, 100_000, 120_000]
    negative = subquery_times(np.array([-5_000]), 20_000, 10_000)
    assert negative.tolist() == [-20_000, -10_000]


def test_duration_ms_handles_negative_and_sub_second() -> None:
    assert duration_ms(datetime.timedelta(minutes=-5)) == -300_000
    assert duration_ms(datetime.timedelta(milliseconds=1500)) == 1500
    assert duration_ms(None) == 0


def test_without_stale_removes_markers_and_fixes_offsets() -> None:
    series = SeriesSet.from_series([
        (Labels.from_strings("a", "1"), np.array([1, 2, 3]), np.array([1.0, STALE_NAN, 3.0])),
        (Labels.from_strings("a", "2"), np.array([1]), np.array([STALE_NAN])),
    ])
    cleaned = without_stale(series)
    assert cleaned.offsets.tolist() == [0, 2, 2]
    assert cleaned.values.tolist() == [1.0, 3.0]
