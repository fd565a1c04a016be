"""The compiled appendability check against a plain-Python statement of Prometheus's rules."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ember.tsdb import append_kernels as kernels

MIN_VALID_T = 10


def reference_classify(
    refs: list[int], stamps: list[int], bits: list[int], max_t: dict[int, int], last: dict[int, int], ooo_min_t: int
) -> list[int]:
    """Per sample, in arrival order: out of bounds, newer (accept), same time (no-op or duplicate),
    older inside the out-of-order window (accept), older (out of order)."""
    status = []
    for ref, t, b in zip(refs, stamps, bits, strict=True):
        if t < MIN_VALID_T and t < ooo_min_t:
            status.append(kernels.OUT_OF_BOUNDS)
        elif t > max_t[ref]:
            status.append(kernels.ACCEPT)
            max_t[ref], last[ref] = t, b
        elif t == max_t[ref]:
            status.append(kernels.NOOP_DUPLICATE if b == last[ref] else kernels.DUPLICATE)
        elif t >= ooo_min_t:
            status.append(kernels.ACCEPT_OUT_OF_ORDER)
        else:
            status.append(kernels.OUT_OF_ORDER)
    return status


@given(
    st.lists(st.tuples(st.integers(0, 5), st.integers(0, 30), st.integers(0, 2)), max_size=40),
    st.lists(st.integers(-1, 25), min_size=8, max_size=8),
    st.sampled_from([2**63 - 1, 15, 0]),
    st.booleans(),
)
@settings(max_examples=200, deadline=None)
def test_classify_samples_equals_the_reference(
    samples: list[tuple[int, int, int]], start_max_t: list[int], ooo_min_t: int, commit: bool
) -> None:
    refs = [2 * r + 1 for r, _, _ in samples]  # sparse refs into a larger table, as in the head
    stamps = [t for _, t, _ in samples]
    bits = [b for _, _, b in samples]
    table_max_t = np.full(16, -1, np.int64)
    table_max_t[1::2] = start_max_t[:8]
    table_bits = np.zeros(16, np.uint64)
    unique, slots = np.unique(np.array(refs, np.int64), return_inverse=True)
    status = np.empty(len(refs), np.int8)
    before = table_max_t.copy()
    counts = kernels.classify_samples(unique, slots.astype(np.int64), np.array(stamps, np.int64),
                                      np.array(bits, np.uint64), table_max_t, table_bits, MIN_VALID_T, ooo_min_t,
                                      commit, status)
    max_t = {r: int(before[r]) for r in range(16)}
    expected = reference_classify(refs, stamps, bits, max_t, {r: 0 for r in range(16)}, ooo_min_t)
    assert status.tolist() == expected
    assert counts.tolist() == np.bincount(np.array(expected, np.int64), minlength=8).tolist()
    if commit:
        assert table_max_t.tolist() == [max_t[r] for r in range(16)]
    else:
        assert table_max_t.tolist() == before.tolist()


@pytest.mark.parametrize(("refs", "expected"), [
    ([], True), ([7], True), ([1, 2, 9], True), ([1, 1, 2], False), ([3, 2, 4], False), ([1, 2, 2], False),
])
def test_strictly_increasing_is_sorted_with_no_repeat(refs: list[int], expected: bool) -> None:
    assert kernels.strictly_increasing(np.array(refs, dtype=np.int64)) is expected


@pytest.mark.parametrize(("left", "right", "expected"), [
    ([], [], True), ([1, 2], [1, 2], True), ([1, 2], [1, 3], False), ([1, 2], [1, 2, 3], False), ([5], [], False),
])
def test_same_refs_is_array_equal(left: list[int], right: list[int], expected: bool) -> None:
    a, b = np.array(left, dtype=np.int64), np.array(right, dtype=np.int64)
    assert kernels.same_refs(a, b) is expected
    assert expected == np.array_equal(a, b)


@given(
    st.permutations(list(range(6))),
    st.lists(st.integers(-1, 12), min_size=16, max_size=16),
    st.integers(0, 14),
    st.integers(0, 6),
)
@settings(max_examples=200, deadline=None)
def test_write_row_writes_a_row_of_only_newer_samples_in_ref_order_or_nothing(
    arrival: list[int], start_max_t: list[int], timestamp: int, split: int
) -> None:
    refs = np.array([1, 3, 4, 8, 11, 15], np.int64)  # sorted, sparse in the table, as a generation's
    row_refs = refs[arrival]  # the caller's order
    values = np.arange(6, dtype=np.float64) * 1.5 + 0.25
    order = np.argsort(row_refs, kind="stable")
    table_max_t = np.array(start_max_t, np.int64)
    table_bits = np.zeros(16, np.uint64)
    before_max_t, before_bits = table_max_t.copy(), table_bits.copy()
    out, copy = np.full(6, -7.0), np.full(6, -7.0)
    written = kernels.write_row(refs, order, values[:split], values[split:], timestamp, table_max_t, table_bits,
                                MIN_VALID_T, out, copy)
    # The rule: every sample must be ACCEPT for validate_samples (newer than its series, not out of bounds).
    status = reference_classify(row_refs.tolist(), [timestamp] * 6, [0] * 6,
                                {r: int(before_max_t[r]) for r in range(16)}, {r: 0 for r in range(16)}, 2**63 - 1)
    assert written is all(s == kernels.ACCEPT for s in status)
    if written:
        assert out.tolist() == [float(values[arrival.index(k)]) for k in range(6)]  # refs[k] is at arrival.index(k)
        assert copy.tolist() == out.tolist()
        assert table_max_t[refs].tolist() == [timestamp] * 6
        assert table_bits[refs].tolist() == out.view(np.uint64).tolist()
        untouched = np.setdiff1d(np.arange(16), refs)
        assert table_max_t[untouched].tolist() == before_max_t[untouched].tolist()
    else:
        assert out.tolist() == [-7.0] * 6 and copy.tolist() == [-7.0] * 6
        assert table_max_t.tolist() == before_max_t.tolist() and table_bits.tolist() == before_bits.tolist()


def test_write_row_without_an_order_keeps_the_row_order() -> None:
    refs = np.array([2, 5], np.int64)
    out, copy = np.empty(2), np.empty(2)
    max_t = np.zeros(8, np.int64)
    assert kernels.write_row(refs, np.empty(0, np.int64), np.array([1.0]), np.array([2.0]), 5, max_t,
                             np.zeros(8, np.uint64), 0, out, copy)
    assert out.tolist() == [1.0, 2.0] == copy.tolist() and max_t.tolist() == [0, 0, 5, 0, 0, 5, 0, 0]
