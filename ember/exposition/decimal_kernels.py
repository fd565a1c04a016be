"""Compiled, exactly rounded conversion of decimal number tokens (bytes) to float64.

Used by the body template (`template_kernels`) to read a steady target's values without Python. A
conversion either gives the correctly rounded float64 (as Go's `ParseFloat` and Python's `float` do) or
declines, and the caller converts the token with the full parser's own converter (`number_text`):

- Clinger's fast path: a significand below 2**53 times or divided by an exact power of ten within
  10**+-22 is one correctly rounded IEEE operation.
- Eisel and Lemire's algorithm (as in Go's `strconv`): the significand times a 128-bit truncated power
  of ten; when the truncation could change the rounding, or the result is subnormal or out of range, it
  declines instead of guessing.
- The spellings `NaN`, `Inf`, `+Inf`, `-Inf` exactly as clients write them.
"""

from __future__ import annotations

import math

import numba
import numpy as np
import numpy.typing as npt

# 10**0 .. 10**22 are exact in float64 (10**22 = 2**22 * 5**22 and 5**22 < 2**53).
POWERS_OF_TEN = np.array([10.0**k for k in range(23)], dtype=np.float64)
_MAX_EXACT_SIGNIFICAND = 1 << 53
_MAX_SIGNIFICANT_DIGITS = 18  # never overflows int64 while accumulating
_MAX_EXPONENT_DIGITS = 4

MIN_TABLE_EXP10 = -348
MAX_TABLE_EXP10 = 347


def _truncated_powers_of_ten() -> npt.NDArray[np.uint64]:
    """Row k: the high and low 64 bits of 10**(k + MIN_TABLE_EXP10) scaled by a power of two into
    [2**127, 2**128) and rounded down (exact integer arithmetic)."""
    rows = np.zeros((MAX_TABLE_EXP10 - MIN_TABLE_EXP10 + 1, 2), dtype=np.uint64)
    for row, exp10 in enumerate(range(MIN_TABLE_EXP10, MAX_TABLE_EXP10 + 1)):
        if exp10 >= 0:
            power = 10**exp10
            bits = power.bit_length()
            mantissa = power << (128 - bits) if bits <= 128 else power >> (bits - 128)
        else:
            divisor = 10**-exp10
            mantissa = (1 << (127 + divisor.bit_length())) // divisor
        rows[row, 0] = mantissa >> 64
        rows[row, 1] = mantissa & ((1 << 64) - 1)
    return rows


_TABLE = _truncated_powers_of_ten()
_LOW_32 = np.uint64(0xFFFFFFFF)
_32 = np.uint64(32)
_LOW_9_BITS = np.uint64(0x1FF)
_ONE = np.uint64(1)
_ZERO = np.uint64(0)
_TOP_BIT = np.uint64(1 << 63)


@numba.njit(cache=True, nogil=True, inline="always")
def _multiply_64(a: np.uint64, b: np.uint64) -> tuple[np.uint64, np.uint64]:
    """The 128-bit product of two uint64s as (high, low) halves."""
    a_low, a_high = a & _LOW_32, a >> _32
    b_low, b_high = b & _LOW_32, b >> _32
    low_low = a_low * b_low
    low_high = a_low * b_high
    high_low = a_high * b_low
    middle = (low_low >> _32) + (low_high & _LOW_32) + (high_low & _LOW_32)
    low = (middle << _32) | (low_low & _LOW_32)
    high = a_high * b_high + (low_high >> _32) + (high_low >> _32) + (middle >> _32)
    return high, low


@numba.njit(cache=True, nogil=True)
def eisel_lemire(significand: np.uint64, exp10: int, negative: bool) -> tuple[bool, float]:
    """(True, significand * 10**exp10 correctly rounded) or (False, 0.0) when the 128-bit approximation
    cannot decide the rounding, or the result would be zero, subnormal or infinite."""
    if significand == _ZERO or exp10 < MIN_TABLE_EXP10 or exp10 > MAX_TABLE_EXP10:
        return False, 0.0
    shift = 0
    while significand & _TOP_BIT == _ZERO:
        significand <<= _ONE
        shift += 1
    # floor(exp10 * log2(10)) by a fixed-point multiply, plus the 64 bits of the product and the bias.
    exp2 = ((217706 * exp10) >> 16) + 64 + 1023 - shift
    row = exp10 - MIN_TABLE_EXP10
    high, low = _multiply_64(significand, _TABLE[row, 0])
    if high & _LOW_9_BITS == _LOW_9_BITS and low + significand < significand:
        # The bits that decide rounding may be off by the truncated low half of the power: look at it.
        extra_high, extra_low = _multiply_64(significand, _TABLE[row, 1])
        merged_low = low + extra_high
        merged_high = high + _ONE if merged_low < low else high
        if merged_high & _LOW_9_BITS == _LOW_9_BITS and merged_low + _ONE == _ZERO and \
                extra_low + significand < significand:
            return False, 0.0
        high, low = merged_high, merged_low
    top = high >> np.uint64(63)
    mantissa = high >> (top + np.uint64(9))
    exp2 -= 1 - int(top)
    if low == _ZERO and high & _LOW_9_BITS == _ZERO and mantissa & np.uint64(3) == _ONE:
        return False, 0.0  # exactly halfway between two floats as far as 128 bits can tell
    mantissa = (mantissa + (mantissa & _ONE)) >> _ONE
    if mantissa >> np.uint64(53) > _ZERO:
        mantissa >>= _ONE
        exp2 += 1
    if exp2 <= 0 or exp2 >= 0x7FF:
        return False, 0.0
    # A 53-bit integer times a power of two inside the normal range: ldexp is exact.
    value = math.ldexp(float(mantissa), exp2 - 1075)
    return True, -value if negative else value


@numba.njit(cache=True, nogil=True)
def _digit(byte: int) -> int:
    return byte - 48 if 48 <= byte <= 57 else -1


@numba.njit(cache=True, nogil=True)
def _special_value(body: npt.NDArray[np.uint8], start: int, end: int) -> tuple[bool, float]:
    """`NaN`, `Inf`, `+Inf`, `-Inf` exactly as Prometheus's clients write them."""
    length = end - start
    if length == 3 and body[start] == 78 and body[start + 1] == 97 and body[start + 2] == 78:  # NaN
        return True, np.nan
    first = start
    negative = False
    if length == 4 and (body[start] == 43 or body[start] == 45):  # + or -
        negative = body[start] == 45
        first = start + 1
    elif length != 3:
        return False, 0.0
    if body[first] == 73 and body[first + 1] == 110 and body[first + 2] == 102:  # Inf
        return True, -np.inf if negative else np.inf
    return False, 0.0


@numba.njit(cache=True, nogil=True)
def _decimal_prefix(body: npt.NDArray[np.uint8], start: int, end: int) -> tuple[int, bool, float]:
    """Reads `[+-]digits[.digits][(e|E)[+-]digits]` from `start`: (where it stopped, whether the number
    read so far was converted exactly, its value)."""
    i = start
    negative = False
    if i < end and (body[i] == 43 or body[i] == 45):
        negative = body[i] == 45
        i += 1
    significand = 0
    significant = 0
    any_digit = False
    fraction_digits = 0
    in_fraction = False
    while i < end:
        d = _digit(body[i])
        if d < 0:
            if body[i] == 46 and not in_fraction:  # the decimal point
                in_fraction = True
                i += 1
                continue
            break
        any_digit = True
        if significant > 0 or d != 0:
            significant += 1
            if significant > _MAX_SIGNIFICANT_DIGITS:
                return i, False, 0.0
            significand = significand * 10 + d
        if in_fraction:
            fraction_digits += 1
        i += 1
    if not any_digit:
        return i, False, 0.0
    exponent = 0
    if i < end and (body[i] == 101 or body[i] == 69):  # e or E
        i += 1
        exponent_negative = False
        if i < end and (body[i] == 43 or body[i] == 45):
            exponent_negative = body[i] == 45
            i += 1
        exponent_digits = 0
        while i < end and _digit(body[i]) >= 0:
            exponent = exponent * 10 + _digit(body[i])
            exponent_digits += 1
            i += 1
        if exponent_digits == 0 or exponent_digits > _MAX_EXPONENT_DIGITS:
            return i, False, 0.0
        if exponent_negative:
            exponent = -exponent
    if significand == 0:
        return i, True, -0.0 if negative else 0.0
    power = exponent - fraction_digits
    if significand >= _MAX_EXACT_SIGNIFICAND or power < -22 or power > 22:
        exact, value = eisel_lemire(np.uint64(significand), power, negative)
        return i, exact, value
    value = float(significand)
    value = value * POWERS_OF_TEN[power] if power >= 0 else value / POWERS_OF_TEN[-power]
    return i, True, -value if negative else value


@numba.njit(cache=True, nogil=True)
def parse_exact_decimal(body: npt.NDArray[np.uint8], start: int, end: int) -> tuple[bool, float]:
    """(True, value) when `body[start:end]` is a decimal this module converts exactly, or a special
    spelling; (False, 0.0) otherwise."""
    stop, exact, value = _decimal_prefix(body, start, end)
    if stop == end and exact:
        return True, value
    return _special_value(body, start, end)
