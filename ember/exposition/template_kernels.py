"""Compiled kernels of the body template (`body_template`): find the value tokens of a parsed body, and
match a new body against the old one while reading its values.

A steady target sends the same bytes every scrape except for the sample values. `find_value_spans`
records where each value token of an accepted body lies; `match_values` walks the old and the new body
together, requires every byte outside the value tokens to be identical, and converts each new token.

Tokens are converted by `decimal_kernels` when it can do so exactly (correctly rounded, as Go's and
Python's parsers are); every other token is *flagged* and converted by the Go-compatible column parser
(`number_text`) afterwards, so the semantics stay those of the full parser.
"""

from __future__ import annotations

import functools
import threading

import numba
import numpy as np
import numpy.typing as npt

from ember.exposition.decimal_kernels import POWERS_OF_TEN, parse_exact_decimal

NEWLINE = 10
SPACE = 32
TAB = 9
HASH = 35
CLOSE_BRACE = 125
MISMATCH = -1


@numba.njit(cache=True, nogil=True)
def _is_blank(byte: int) -> bool:
    return byte in (SPACE, TAB)


@numba.njit(cache=True, nogil=True)
def _ends_series(byte: int) -> bool:
    """The byte before a value token: a blank, or the `}` of a label set."""
    return _is_blank(byte) or byte == CLOSE_BRACE


@numba.njit(cache=True, nogil=True)
def find_value_spans(body: npt.NDArray[np.uint8], starts: npt.NDArray[np.int64], ends: npt.NDArray[np.int64]) -> int:
    """The number of sample lines of an accepted body with no timestamps, writing each line's value token
    span (the last run of bytes without a blank or `}`) to `starts`/`ends`; MISMATCH when a sample line
    ends in a blank, is a single token, or there are more sample lines than `starts` holds.

    Sample lines are those the parsers read as samples: not starting with `#` and not blank-only."""
    count = 0
    size = len(body)
    i = 0
    while i < size:
        line_end = i
        while line_end < size and body[line_end] != NEWLINE:
            line_end += 1
        sample = body[i] != HASH and line_end > i
        if sample:
            blank_only = True
            for k in range(i, line_end):
                if not _is_blank(body[k]):
                    blank_only = False
                    break
            sample = not blank_only
        if sample:
            if _ends_series(body[line_end - 1]) or count >= len(starts):
                return MISMATCH
            j = line_end
            while j > i and not _ends_series(body[j - 1]):
                j -= 1
            if j == i:
                return MISMATCH
            starts[count] = j
            ends[count] = line_end
            count += 1
        i = line_end + 1
    return count


@numba.njit(cache=True, nogil=True)
def _same_bytes(old: npt.NDArray[np.uint8], a: int, new: npt.NDArray[np.uint8], b: int, length: int) -> bool:
    # No early exit, and indexes into slices from 0 (no negative-index fix-up): LLVM vectorises this,
    # about 7x faster than a byte-by-byte comparison on a matching body.
    left = old[a : a + length]
    right = new[b : b + length]
    difference = 0
    for k in range(length):
        difference |= left[k] ^ right[k]
    return difference == 0


# Inlined into `match_values`: a call per token costs more than reading a short token.
@numba.njit(cache=True, nogil=True, inline="always")
def _plain_number(new: npt.NDArray[np.uint8], start: int) -> tuple[int, float, bool]:
    """The common token `[-]digits[.digits]` with at most 15 digits, up to the end of its line: (where
    reading stopped, value, True); (where it stopped, 0.0, False) for any other token. Fifteen digits
    stay below 2**53, so one division by an exact power of ten is correctly rounded (Clinger)."""
    size = len(new)
    i = start
    negative = i < size and new[i] == 45  # -
    if negative:
        i += 1
    significand = 0
    digits = 0
    point = -1
    while i < size and new[i] != NEWLINE:
        byte = new[i]
        if 48 <= byte <= 57:
            significand = significand * 10 + (byte - 48)
            digits += 1
        elif byte == 46 and point < 0:  # the decimal point
            point = i
        else:
            return i, 0.0, False
        i += 1
    fraction_digits = i - point - 1 if point >= 0 else 0
    if digits == 0 or digits > 15 or fraction_digits > 22:
        return i, 0.0, False
    value = float(significand) / POWERS_OF_TEN[fraction_digits]
    return i, -value if negative else value, True


@numba.njit(cache=True, nogil=True)
def _line_end(new: npt.NDArray[np.uint8], start: int) -> int:
    """Where the line holding a value token from `start` ends, or MISMATCH when a blank comes first
    (a timestamp or an exemplar follows the value)."""
    i = start
    while i < len(new) and new[i] != NEWLINE:
        if _is_blank(new[i]):
            return MISMATCH
        i += 1
    return i


@numba.njit(cache=True, nogil=True)
def match_values(
    old: npt.NDArray[np.uint8],
    starts: npt.NDArray[np.int64],
    ends: npt.NDArray[np.int64],
    new: npt.NDArray[np.uint8],
    values: npt.NDArray[np.float64],
    flagged: npt.NDArray[np.int64],
    flagged_starts: npt.NDArray[np.int64],
    flagged_ends: npt.NDArray[np.int64],
) -> int:
    """Reads the values of `new` into `values` when it equals `old` outside the value spans; returns
    MISMATCH otherwise (also for a token holding a blank: a timestamp or an exemplar), else the number of
    tokens left for the exact slower parser, whose sample indexes and spans in `new` are written to
    `flagged`, `flagged_starts` and `flagged_ends`."""
    size = len(new)
    position = 0
    previous_end = 0
    count = 0
    for index in range(len(starts)):
        gap = starts[index] - previous_end
        if position + gap > size or not _same_bytes(old, previous_end, new, position, gap):
            return MISMATCH
        position += gap
        token_end, value, exact = _plain_number(new, position)
        if not exact:
            token_end = _line_end(new, token_end)
            if token_end == MISMATCH:
                return MISMATCH
            exact, value = parse_exact_decimal(new, position, token_end)
        if exact:
            values[index] = value
        else:
            flagged[count] = index
            flagged_starts[count] = position
            flagged_ends[count] = token_end
            count += 1
        position = token_end
        previous_end = ends[index]
    tail = len(old) - previous_end
    if size - position != tail or not _same_bytes(old, previous_end, new, position, tail):
        return MISMATCH
    return count


_WARM_UP_LOCK = threading.Lock()


def warm_up() -> None:
    """Loads (or compiles) the kernels once, so the first steady scrape does not pay for it; safe to call
    from many threads at once."""
    with _WARM_UP_LOCK:
        _run_every_kernel()


@functools.cache
def _run_every_kernel() -> None:
    body = np.frombuffer(b"a 1\nb NaN\n", dtype=np.uint8)
    starts = np.zeros(2, dtype=np.int64)
    ends = np.zeros(2, dtype=np.int64)
    find_value_spans(body, starts, ends)
    scratch = np.zeros(2, dtype=np.int64)
    match_values(body, starts, ends, body, np.zeros(2), scratch, scratch.copy(), scratch.copy())
    parse_exact_decimal(body, 2, 3)
