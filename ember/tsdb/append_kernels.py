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


def warm_up() -> None:
    one = np.zeros(1, dtype=np.int64)
    validate_samples(
        one, one, np.zeros(1, np.uint64), np.zeros(1, np.int64), np.zeros(1, np.uint64), 0, 1,
        np.zeros(1, np.int8),
    )
