"""Go values as templates see them, and Go's `%v` printing of each.

Python values stand for Go ones: str is `string`, int is `int`, float is `float64`, bool is `bool`,
None is a nil interface. The classes here carry the Go types Prometheus hands to templates
(`map[string]string` label sets, query results, `*time.Time`, ...) so that printing, truthiness,
field access and error messages come out as Go's do.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, NamedTuple

_NS_PER_SECOND = 1_000_000_000


class _Missing:
    """Go's invalid reflect.Value: no value at all, as a nil interface becomes once a pipeline unwraps it."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()


class GoMap:
    """A Go map with string keys; `zero` is what a missing key yields (Go's missingkey=zero)."""

    __slots__ = ("entries", "type_name", "zero")

    def __init__(self, entries: dict[str, Any], type_name: str = "map[string]string", zero: Any = "") -> None:
        self.entries = entries
        self.type_name = type_name
        self.zero = zero

    def __len__(self) -> int:
        return len(self.entries)

    def sorted_items(self) -> Iterator[tuple[str, Any]]:
        """Items in key order, as Go's range over a map and fmt's map printing use."""
        for key in sorted(self.entries):
            yield key, self.entries[key]


def string_map(entries: dict[str, str]) -> GoMap:
    return GoMap(dict(entries), "map[string]string", "")


def any_map(entries: dict[str, Any]) -> GoMap:
    return GoMap(entries, "map[string]interface {}", None)


class Uint8(int):
    """Go's `uint8` (a byte), which `index` yields for strings."""

    __slots__ = ()


class SafeHTML(str):
    """Go's `html/template.HTML`: a string the HTML escaper would leave alone."""

    __slots__ = ()


@dataclass(frozen=True)
class GoStruct:
    """A Go struct: `fields` in declaration order; `pointer` when templates see it through a pointer."""

    type_name: str
    fields: dict[str, Any] = field(hash=False)
    pointer: bool = False


class QueryResult(list[GoStruct]):
    """Prometheus's `queryResult`: a slice of `*sample` with Labels and Value fields."""

    __slots__ = ()


def make_sample(labels: dict[str, str], value: float) -> GoStruct:
    return GoStruct("*template.sample", {"Labels": string_map(labels), "Value": value}, pointer=True)


class CivilTime(NamedTuple):
    """A UTC calendar time; `weekday` is 0 for Sunday as in Go."""

    year: int
    month: int
    day: int
    hour: int
    minute: int
    second: int
    nanosecond: int
    weekday: int
    year_day: int


def civil_time(unix_nanos: int) -> CivilTime:
    """The proleptic Gregorian UTC time of a Unix timestamp, for any year (datetime stops at 9999)."""
    seconds, nanos = divmod(unix_nanos, _NS_PER_SECOND)
    days, rest = divmod(seconds, 86_400)
    # Howard Hinnant's civil_from_days.
    shifted = days + 719_468
    era = shifted // 146_097
    day_of_era = shifted - era * 146_097
    year_of_era = (day_of_era - day_of_era // 1460 + day_of_era // 36_524 - day_of_era // 146_096) // 365
    day_of_year = day_of_era - (365 * year_of_era + year_of_era // 4 - year_of_era // 100)
    month_index = (5 * day_of_year + 2) // 153
    day = day_of_year - (153 * month_index + 2) // 5 + 1
    month = month_index + 3 if month_index < 10 else month_index - 9
    year = year_of_era + era * 400 + (month <= 2)
    leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
    year_day = _DAYS_BEFORE_MONTH[month - 1] + day + (leap and month > 2)
    return CivilTime(year, month, day, rest // 3600, rest // 60 % 60, rest % 60, nanos, (days + 4) % 7, year_day)


_DAYS_BEFORE_MONTH = (0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334)


@dataclass(frozen=True)
class GoTime:
    """A `*time.Time` in UTC with nanosecond precision, printed as Go's `Time.String()`."""

    unix_nanos: int

    def __str__(self) -> str:
        c = civil_time(self.unix_nanos)
        fraction = f".{c.nanosecond:09d}".rstrip("0") if c.nanosecond else ""
        return f"{c.year:04d}-{c.month:02d}-{c.day:02d} {c.hour:02d}:{c.minute:02d}:{c.second:02d}{fraction} +0000 UTC"


@dataclass(frozen=True)
class GoDuration:
    """A `*time.Duration` in nanoseconds, printed as Go's `Duration.String()` ("1h2m3.5s")."""

    nanos: int

    def __str__(self) -> str:
        return go_duration_string(self.nanos)


def go_duration_string(nanos: int) -> str:
    """Go's `time.Duration.String()`."""
    if nanos == 0:
        return "0s"
    sign = "-" if nanos < 0 else ""
    magnitude = abs(nanos)
    if magnitude < _NS_PER_SECOND:
        for unit, size in (("ns", 1), ("µs", 1_000), ("ms", 1_000_000)):
            if magnitude < size * 1000:
                return sign + _fraction(magnitude, size) + unit
    hours, rest = divmod(magnitude, 3600 * _NS_PER_SECOND)
    minutes, rest = divmod(rest, 60 * _NS_PER_SECOND)
    text = _fraction(rest, _NS_PER_SECOND) + "s"
    if hours or minutes:
        text = f"{minutes}m" + text
    if hours:
        text = f"{hours}h" + text
    return sign + text


def _fraction(value: int, unit: int) -> str:
    whole, rest = divmod(value, unit)
    if not rest:
        return str(whole)
    digits = len(str(unit)) - 1
    return f"{whole}." + f"{rest:0{digits}d}".rstrip("0")


def go_type_name(value: Any) -> str:
    """Go's `%T` of the value a Python object stands for."""
    if value is None:
        return "<nil>"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, Uint8):
        return "uint8"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float64"
    if isinstance(value, SafeHTML):
        return "template.HTML"
    if isinstance(value, str):
        return "string"
    if isinstance(value, GoMap):
        return value.type_name
    if isinstance(value, GoStruct):
        return value.type_name
    if isinstance(value, QueryResult):
        return "template.queryResult"
    if isinstance(value, GoTime):
        return "*time.Time"
    if isinstance(value, GoDuration):
        return "*time.Duration"
    if isinstance(value, list):
        return "[]interface {}"
    return type(value).__name__


def is_true(value: Any) -> bool:
    """Go template truthiness: false, 0, nil and empty strings, maps and slices are false."""
    if value is None or value is MISSING:
        return False
    if isinstance(value, (bool, int, float)):
        return bool(value)
    if isinstance(value, (str, list, GoMap)):
        return len(value) > 0
    return True


def format_float_shortest(value: float) -> str:
    """Go's `%v` of a float64: strconv's shortest 'g' form with exponent from 1e+06 up or below 1e-04."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    if value == 0:
        return "-0" if math.copysign(1.0, value) < 0 else "0"
    sign, digit_tuple, exponent = Decimal(repr(value)).as_tuple()
    assert isinstance(exponent, int)
    digits = "".join(map(str, digit_tuple)).rstrip("0") or "0"
    point = len(digit_tuple) + exponent
    prefix = "-" if sign else ""
    if not -4 <= point - 1 < 6:
        mantissa = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
        return f"{prefix}{mantissa}e{point - 1:+03d}"
    if point <= 0:
        return f"{prefix}0.{'0' * -point}{digits}"
    if point >= len(digits):
        return prefix + digits + "0" * (point - len(digits))
    return f"{prefix}{digits[:point]}.{digits[point:]}"


def format_value(value: Any, depth: int = 0) -> str:
    """Go's `fmt.Sprint` of one value (`%v`); `depth` > 0 inside maps, slices and structs."""
    if value is None:
        return "<nil>"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return format_float_shortest(value)
    if isinstance(value, (int, str)):
        return str(value)
    if isinstance(value, GoMap):
        inner = " ".join(f"{key}:{format_value(item, depth + 1)}" for key, item in value.sorted_items())
        return f"map[{inner}]"
    if isinstance(value, GoStruct):
        if value.pointer and depth > 0:
            return f"0xc{id(value) & 0xFFFFFFFFF:09x}"
        inner = " ".join(format_value(item, depth + 1) for item in value.fields.values())
        return ("&" if value.pointer else "") + "{" + inner + "}"
    if isinstance(value, list):
        return "[" + " ".join(format_value(item, depth + 1) for item in value) + "]"
    return str(value)


def format_for_output(value: Any) -> str:
    """How an action prints its pipeline's value: pointers are dereferenced and nil is "<no value>"."""
    if value is None or value is MISSING:
        return "<no value>"
    if isinstance(value, GoStruct) and value.pointer:
        return format_value(GoStruct(value.type_name, value.fields), 0)
    return format_value(value)
