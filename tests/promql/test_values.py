"""Tests for ember/promql/values.py: merging rows that end up with the same labels."""

from __future__ import annotations

import numpy as np
import pytest

from ember.errors import ExecutionError
from ember.model import Labels
from ember.promql.values import InstantVector, merge_rows_by_labels, without_metric_identity


def test_non_overlapping_rows_merge() -> None:
    vector = InstantVector(
        [Labels.from_strings("a", "1"), Labels.from_strings("a", "2")],
        np.array([[1.0, 0.0], [0.0, 2.0]]),
        np.array([[True, False], [False, True]]),
    )
    merged = merge_rows_by_labels(vector, [Labels(), Labels()])
    assert len(merged) == 1
    assert merged.values.tolist() == [[1.0, 2.0]] and merged.present.all()


def test_overlapping_rows_fail() -> None:
    vector = InstantVector([Labels(), Labels.from_strings("a", "1")], np.ones((2, 1)), np.ones((2, 1), bool))
    with pytest.raises(ExecutionError, match="same labelset"):
        merge_rows_by_labels(vector, [Labels(), Labels()])


def test_name_drop_takes_type_and_unit_along() -> None:
    labels = Labels.from_strings("__name__", "x", "__type__", "counter", "__unit__", "s", "job", "a")
    assert without_metric_identity(labels) == Labels.from_strings("job", "a")
