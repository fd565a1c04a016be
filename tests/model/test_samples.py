from __future__ import annotations

import math

import numpy as np
import pytest

from ember.model.labels import Labels
from ember.model.samples import STALE_NAN, STALE_NAN_BITS, SampleBatch, is_stale, is_stale_value


def test_stale_nan_has_prometheus_bit_pattern() -> None:
    assert np.array([STALE_NAN]).view(np.uint64)[0] == 0x7FF0000000000002 == STALE_NAN_BITS
    assert math.isnan(STALE_NAN)
    assert is_stale_value(STALE_NAN)
    assert not is_stale_value(float("nan"))


def test_is_stale_compares_bits_not_nan_ness() -> None:
    values = np.array([STALE_NAN, np.nan, 1.0, -np.inf])
    assert is_stale(values).tolist() == [True, False, False, False]


def test_aligned_batch_shape() -> None:
    series = [Labels.from_strings("a", "1"), Labels.from_strings("a", "2")]
    batch = SampleBatch.aligned(5000, [1.5, 2.5], series=series)
    assert batch.aligned_timestamp == 5000
    assert batch.timestamps.tolist() == [5000, 5000]
    assert batch.series_index.tolist() == [0, 1]
    assert batch.num_series == 2


def test_batches_need_series_or_refs_and_equal_lengths() -> None:
    with pytest.raises(ValueError, match="labels or series refs"):
        SampleBatch(np.zeros(1, np.int64), np.zeros(1), np.zeros(1, np.int32))
    with pytest.raises(ValueError, match="same length"):
        SampleBatch.of_series(Labels.from_strings("a", "1"), [1, 2], [1.0])
