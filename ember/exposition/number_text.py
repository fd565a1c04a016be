"""Convert the value and timestamp columns of a body from text to numpy arrays, all at once.

The parsers collect the value (and timestamp) spellings of every sample into lists; these functions
validate a whole column with one pass over the joined text and convert it in C. On failure they raise
`ColumnError` with the index of the first bad entry, which the parser maps back to a line number.
"""

from __future__ import annotations

import math
import re

import numpy as np
import numpy.typing as npt

INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1

# Python's float() also takes "_" between digits, surrounding blanks and non-ASCII digits; Go's
# ParseFloat (Prometheus) does not, so those are excluded before converting.
_NOT_A_NUMBER_CHAR = re.compile(r"[\s_]")
# Go's ParseFloat takes hexadecimal floats with a binary exponent; the text format inherits that.
# (Digit runs are split one way only: an ambiguous split would backtrack quadratically on long tokens.)
_GO_HEX_FLOAT = re.compile(r"[+-]?0[xX](?:[0-9a-fA-F]+(?:\.[0-9a-fA-F]*)?|\.[0-9a-fA-F]+)[pP][+-]?\d+")
_DECIMAL_INT = re.compile(r"[+-]?\d+", re.ASCII)
# OpenMetrics timestamps: a plain decimal number of seconds, no NaN, Inf or hex.
_OPENMETRICS_TIMESTAMP = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?", re.ASCII)


class ColumnError(ValueError):
    """Entry `index` of a column is not a valid number."""

    def __init__(self, index: int, reason: str) -> None:
        super().__init__(reason)
        self.index = index
        self.reason = reason


def parse_float(text: str, *, openmetrics: bool) -> float:
    """One value as Prometheus reads it (Go ParseFloat; OpenMetrics without hex floats)."""
    if text and text.isascii() and not _NOT_A_NUMBER_CHAR.search(text):
        try:
            return float(text)
        except ValueError:
            if not openmetrics and _GO_HEX_FLOAT.fullmatch(text):
                return float.fromhex(text)
    raise ValueError(f"invalid value {text!r}")


def parse_values(texts: list[str], *, openmetrics: bool) -> npt.NDArray[np.float64]:
    """The float64 column of `texts`; raises `ColumnError` at the first invalid one."""
    joined = ",".join(texts)
    if joined.isascii() and not _has_non_number_char(joined) and not _has_empty_entry(joined):
        try:
            return np.array(texts, dtype=np.float64)
        except ValueError:
            pass
    values = np.empty(len(texts), dtype=np.float64)
    for index, text in enumerate(texts):  # error path, or hex floats in the text format
        try:
            values[index] = parse_float(text, openmetrics=openmetrics)
        except ValueError:
            raise ColumnError(index, f"invalid value {text!r}") from None
    return values


# ASCII characters float() would skip or accept that Go's ParseFloat does not (no regex: `in` is ~30x
# faster on a whole column).
_NON_NUMBER_ASCII = ("_", " ", "\t", "\n", "\r", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x1f")


def _has_non_number_char(joined: str) -> bool:
    return any(char in joined for char in _NON_NUMBER_ASCII)


def _has_empty_entry(joined: str) -> bool:
    return not joined or ",," in joined or joined[0] == "," or joined[-1] == ","


def parse_millis(texts: list[str]) -> npt.NDArray[np.int64]:
    """Text-format timestamps: decimal integers of milliseconds that fit in int64."""
    # 20 characters hold any int64; longer tokens are refused before int() (which caps digits).
    if all_match(_DECIMAL_INT, texts) and max(map(len, texts), default=0) <= 20:
        numbers = list(map(int, texts))
        if not numbers or (min(numbers) >= INT64_MIN and max(numbers) <= INT64_MAX):
            return np.array(numbers, dtype=np.int64)
    for index, text in enumerate(texts):
        valid = len(text) <= 20 and _DECIMAL_INT.fullmatch(text) is not None
        if not valid or not INT64_MIN <= int(text) <= INT64_MAX:
            raise ColumnError(index, f"invalid timestamp {text!r}")
    raise AssertionError("unreachable: a column failed as a whole but no entry did")


def parse_seconds_as_millis(texts: list[str]) -> npt.NDArray[np.int64]:
    """OpenMetrics timestamps (seconds, decimals allowed) as int64 milliseconds, truncated toward zero
    like Prometheus's `int64(ts * 1000)`; values beyond int64 are clamped (Go leaves them undefined)."""
    if not all_match(_OPENMETRICS_TIMESTAMP, texts):
        for index, text in enumerate(texts):
            if not _OPENMETRICS_TIMESTAMP.fullmatch(text):
                raise ColumnError(index, f"invalid timestamp {text!r}")
    seconds = np.array(texts, dtype=np.float64)
    millis = np.trunc(seconds * 1000.0)
    return np.clip(millis, float(INT64_MIN), float(2**63 - 1024)).astype(np.int64)


def seconds_to_millis(text: str) -> int:
    """One OpenMetrics timestamp (an exemplar's) as int64 milliseconds."""
    if not _OPENMETRICS_TIMESTAMP.fullmatch(text):
        raise ValueError(f"invalid timestamp {text!r}")
    millis = math.trunc(float(text) * 1000.0) if math.isfinite(float(text) * 1000.0) else INT64_MAX
    return max(INT64_MIN, min(INT64_MAX, millis))


def all_match(pattern: re.Pattern[str], texts: list[str]) -> bool:
    """Whether every entry fully matches `pattern`, checked in one regex pass over the joined column."""
    if not texts:
        return True
    # Lines never hold "\n", so it separates entries unambiguously; `re` caches the compiled pattern.
    column = rf"(?:(?:{pattern.pattern})\n)*(?:{pattern.pattern})"
    return re.fullmatch(column, "\n".join(texts), re.ASCII) is not None
