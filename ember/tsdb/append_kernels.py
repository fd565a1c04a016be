"""Compiled checks of incoming samples against per-series state (Prometheus's appendability rules)."""

from __future__ import annotations

import numba
import numpy as np
import numpy.typing as npt

ACCEPT = 0
NOOP_DUPLICATE = 1
DUPLICATE = 2
OUT_OF_ORDER = 3
OUT_OF_BOUNDS = 4
ACCEPT_OUT_OF_ORDER = 5


@numba.njit(cache=True, nogil=True)
def validate_samples(
    slots: npt.NDArray[np.int64],
    timestamps: npt.NDArray[np.int64],
    bits: npt.NDArray[np.uint64],
    max_t: npt.NDArray[np.int64],
    last_bits: npt.NDArray[np.uint64],
    min_valid_t: int,
    ooo_min_t: int,
    status: npt.NDArray[np.int8],
) -> None:
    """Classifies each sample in arrival order and advances `max_t`/`last_bits` (indexed by slot).

    As Prometheus's head appender: a sample older than the head's lower bound is out of bounds; one older
    than its series' newest is out of order; one at the newest timestamp is a no-op when its value bits
    are identical and a duplicate otherwise. Inside the out-of-order window (`t >= ooo_min_t`) old
    samples are accepted without moving the series' newest timestamp.
    """
    for i in range(len(slots)):
        s = slots[i]
        t = timestamps[i]
        in_ooo_window = t >= ooo_min_t
        if t < min_valid_t and not in_ooo_window:
            status[i] = OUT_OF_BOUNDS
        elif t > max_t[s]:
            status[i] = ACCEPT
            max_t[s] = t
            last_bits[s] = bits[i]
        elif t == max_t[s]:
            status[i] = NOOP_DUPLICATE if bits[i] == last_bits[s] else DUPLICATE
        elif in_ooo_window:
            status[i] = ACCEPT_OUT_OF_ORDER
        else:
            status[i] = OUT_OF_ORDER


@numba.njit(cache=True, nogil=True)
def classify_samples(
    unique: npt.NDArray[np.int64],
    slots: npt.NDArray[np.int64],
    timestamps: npt.NDArray[np.int64],
    bits: npt.NDArray[np.uint64],
    series_max_t: npt.NDArray[np.int64],
    series_last_bits: npt.NDArray[np.uint64],
    min_valid_t: int,
    ooo_min_t: int,
    commit: bool,
    status: npt.NDArray[np.int8],
) -> npt.NDArray[np.int64]:
    """`validate_samples` on the series table's own columns in one call: gathers the state of the
    `unique` refs, classifies sample i (of series `unique[slots[i]]`), and with `commit` stores the
    advanced state back. Returns the count of each status code: per-append fixed costs (a dozen numpy
    calls) were most of the cost of a scrape's 5-series report append."""
    max_t = np.empty(len(unique), dtype=np.int64)
    last_bits = np.empty(len(unique), dtype=np.uint64)
    for k in range(len(unique)):
        max_t[k] = series_max_t[unique[k]]
        last_bits[k] = series_last_bits[unique[k]]
    validate_samples(slots, timestamps, bits, max_t, last_bits, min_valid_t, ooo_min_t, status)
    if commit:
        for k in range(len(unique)):
            series_max_t[unique[k]] = max_t[k]
            series_last_bits[unique[k]] = last_bits[k]
    counts = np.zeros(8, dtype=np.int64)
    for i in range(len(status)):
        counts[status[i]] += 1
    return counts


REFS_OK = 0
REFS_UNKNOWN = 1
REFS_GONE = 2


@numba.njit(cache=True, nogil=True)
def check_refs(refs: npt.NDArray[np.int64], live: npt.NDArray[np.bool_], num_refs: int) -> int:
    """REFS_OK when every ref is a live series, REFS_UNKNOWN when one was never assigned, else REFS_GONE:
    one pass instead of min, max and a gathered all() on every scrape's append by refs."""
    gone = False
    for ref in refs:
        if ref < 0 or ref >= num_refs:
            return REFS_UNKNOWN
        if not live[ref]:
            gone = True
    return REFS_GONE if gone else REFS_OK


@numba.njit(cache=True, nogil=True)
def strictly_increasing(refs: npt.NDArray[np.int64]) -> bool:
    """True when every ref is greater than the one before (sorted, none repeated): one pass with no
    temporary arrays, where `np.all(refs[1:] > refs[:-1])` makes three."""
    for i in range(1, len(refs)):  # noqa: SIM110 - numba does not compile all() of a generator
        if refs[i] <= refs[i - 1]:
            return False
    return True


@numba.njit(cache=True, nogil=True)
def same_refs(left: npt.NDArray[np.int64], right: npt.NDArray[np.int64]) -> bool:
    """`np.array_equal` of two 1-d ref arrays without its temporary boolean array."""
    if len(left) != len(right):
        return False
    for i in range(len(left)):  # noqa: SIM110 - numba does not compile all() of a generator
        if left[i] != right[i]:
            return False
    return True


@numba.njit(cache=True, nogil=True)
def write_row(
    refs: npt.NDArray[np.int64],
    order: npt.NDArray[np.int64],
    first: npt.NDArray[np.float64],
    second: npt.NDArray[np.float64],
    timestamp: int,
    series_max_t: npt.NDArray[np.int64],
    series_last_bits: npt.NDArray[np.uint64],
    min_valid_t: int,
    out: npt.NDArray[np.float64],
    copy: npt.NDArray[np.float64],
) -> bool:
    """A whole steady row in one pass: the row is `first` then `second`, its sample i belongs to
    `refs[j]` where `order[j] == i` (`order` empty: row order is `refs`' order, which is sorted).
    When every sample is newer than its series' newest and not below `min_valid_t` (each would be
    ACCEPT in `validate_samples`), writes the row in `refs`' order to `out` and to `copy` (the WAL
    record's values), advances the series' state and returns True; otherwise changes nothing and
    returns False (the caller then takes the general path, which classifies each sample)."""
    if timestamp < min_valid_t:
        return False
    for ref in refs:
        if timestamp <= series_max_t[ref]:
            return False
    split = len(first)
    permuted = len(order) > 0
    for j in range(len(refs)):
        i = order[j] if permuted else j
        value = first[i] if i < split else second[i - split]
        out[j] = value
        copy[j] = value
    bits = out.view(np.uint64)
    for j in range(len(refs)):
        ref = refs[j]
        series_max_t[ref] = timestamp
        series_last_bits[ref] = bits[j]
    return True


def warm_up() -> None:
    one = np.zeros(1, dtype=np.int64)
    validate_samples(
        one, one, np.zeros(1, np.uint64), np.zeros(1, np.int64), np.zeros(1, np.uint64), 0, 1,
        np.zeros(1, np.int8),
    )
    classify_samples(
        one, one, one, np.zeros(1, np.uint64), np.zeros(1, np.int64), np.zeros(1, np.uint64), 0, 1, False,
        np.zeros(1, np.int8),
    )
    check_refs(one, np.ones(1, bool), 1)
    strictly_increasing(one)
    same_refs(one, one)
    row = np.zeros(1, np.float64)
    write_row(one, one[:0], row, row[:0], 1, np.zeros(1, np.int64), np.zeros(1, np.uint64), 0, np.zeros(1), np.zeros(1))
