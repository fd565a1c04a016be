"""The native-histogram notation of test scripts: `{{schema:0 sum:5 count:4 buckets:[1 2 1]}}`.

Fields are optional and may come in any order; missing ones default to 0, empty or `unknown`. Ember has
no native histograms yet, so the runner only uses these to classify evals, but parsing them checks the
notation and keeps the values for when it does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ember.errors import BadDataError

_FIELD = re.compile(r"([a-z_]+):(\[[^\]]*\]|\S+)")
_HINTS = ("unknown", "reset", "not_reset", "gauge")
_INT_FIELDS = ("schema", "offset", "n_offset")
_FLOAT_FIELDS = ("sum", "count", "z_bucket", "z_bucket_w")
_LIST_FIELDS = ("buckets", "n_buckets", "custom_values")


class HistogramNotationError(BadDataError):
    """A `{{...}}` value that does not follow the notation."""


@dataclass(frozen=True)
class NativeHistogram:
    """One histogram as written: positive buckets start at index `offset`, negative at `n_offset`."""

    schema: int = 0
    sum: float = 0.0
    count: float = 0.0
    z_bucket: float = 0.0
    z_bucket_w: float = 0.0
    buckets: tuple[float, ...] = ()
    offset: int = 0
    n_buckets: tuple[float, ...] = ()
    n_offset: int = 0
    custom_values: tuple[float, ...] = ()
    counter_reset_hint: str = "unknown"
    counter_reset_hint_set: bool = False

    @property
    def uses_custom_buckets(self) -> bool:
        return self.schema == -53


def _number(field: str, text: str) -> float:
    try:
        return float(text)
    except ValueError as exc:
        raise HistogramNotationError(f"invalid {field} value {text!r} in native histogram") from exc


def _check_nothing_between(body: str, start: int, end: int) -> None:
    if body[start:end].strip():
        raise HistogramNotationError(f"unexpected text {body[start:end]!r} in {{{{{body}}}}}")


def parse_histogram(body: str) -> NativeHistogram:
    """Parse the text between `{{` and `}}`."""
    values: dict[str, object] = {}
    position = 0
    for found in _FIELD.finditer(body):
        _check_nothing_between(body, position, found.start())
        position = found.end()
        field, text = found.group(1), found.group(2)
        if field in values:
            raise HistogramNotationError(f"field {field} repeated in {{{{{body}}}}}")
        if field in _INT_FIELDS:
            if not re.fullmatch(r"-?\d+", text):
                raise HistogramNotationError(f"{field} must be an integer, got {text!r}")
            values[field] = int(text)
        elif field in _FLOAT_FIELDS:
            values[field] = _number(field, text)
        elif field in _LIST_FIELDS:
            if not (text.startswith("[") and text.endswith("]")):
                raise HistogramNotationError(f"{field} must be a [list], got {text!r}")
            values[field] = tuple(_number(field, item) for item in text[1:-1].split())
        elif field == "counter_reset_hint":
            if text not in _HINTS:
                raise HistogramNotationError(f"invalid counter_reset_hint {text!r}")
            values[field] = text
            values["counter_reset_hint_set"] = True
        else:
            raise HistogramNotationError(f"unknown native histogram field {field!r}")
    _check_nothing_between(body, position, len(body))
    return NativeHistogram(**values)  # type: ignore[arg-type]
