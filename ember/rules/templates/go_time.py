"""Methods templates may call on Go `time.Time` and `time.Duration` values (from `toTime`,
`toDuration`), including `Format` with Go's reference-time layouts ("2006-01-02 15:04:05").

Times are always UTC here, as Prometheus's `toTime` returns them.
"""

from __future__ import annotations

from typing import Any

from ember.rules.templates.calls import TemplateFunction, function
from ember.rules.templates.values import CivilTime, GoDuration, GoTime, civil_time, go_duration_string

_NS = 1_000_000_000
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December")  # fmt: skip
_WEEKDAYS = ("Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday")
# Layout elements, longest first where one is a prefix of another (Go's nextStdChunk order).
_ELEMENTS = (
    "January", "Jan", "Monday", "Mon", "MST",
    "2006", "002", "01", "02", "03", "04", "05", "06",
    "15", "1", "__2", "_2", "2", "3", "4", "5", "PM", "pm",
    "-07:00:00", "-070000", "-07:00", "-0700", "-07",
    "Z07:00:00", "Z070000", "Z07:00", "Z0700", "Z07",
)  # fmt: skip
_ZONES = {"MST": "UTC", "-07:00:00": "+00:00:00", "-070000": "+000000", "-07:00": "+00:00", "-0700": "+0000"}


def _element_text(element: str, moment: CivilTime) -> str:
    hour12 = moment.hour % 12 or 12
    month, weekday = _MONTHS[moment.month - 1], _WEEKDAYS[moment.weekday]
    table = {
        "January": month,
        "Jan": month[:3],
        "Monday": weekday,
        "Mon": weekday[:3],
        "2006": f"{moment.year:04d}",
        "06": f"{moment.year % 100:02d}",
        "002": f"{moment.year_day:03d}",
        "__2": f"{moment.year_day:>3d}",
        "01": f"{moment.month:02d}",
        "1": str(moment.month),
        "02": f"{moment.day:02d}",
        "_2": f"{moment.day:>2d}",
        "2": str(moment.day),
        "15": f"{moment.hour:02d}",
        "03": f"{hour12:02d}",
        "3": str(hour12),
        "04": f"{moment.minute:02d}",
        "4": str(moment.minute),
        "05": f"{moment.second:02d}",
        "5": str(moment.second),
        "PM": "PM" if moment.hour >= 12 else "AM",
        "pm": "pm" if moment.hour >= 12 else "am",
        "-07": "+00",
    }
    if element in table:
        return table[element]
    if element.startswith("Z"):
        return "Z"
    return _ZONES[element]


def _fraction_at(layout: str, index: int) -> int:
    """Length of a fractional-second element (".000", ",999") starting at `index`, or 0."""
    if layout[index] not in ".," or index + 1 >= len(layout) or layout[index + 1] not in "09":
        return 0
    digit = layout[index + 1]
    end = index + 1
    while end < len(layout) and layout[end] == digit:
        end += 1
    if end < len(layout) and layout[end].isdigit():
        return 0
    return end - index


def go_time_format(value: GoTime, layout: str) -> str:
    """Go's `Time.Format(layout)` for a UTC time."""
    moment = civil_time(value.unix_nanos)
    nanos = moment.nanosecond
    out: list[str] = []
    index = 0
    while index < len(layout):
        fraction = _fraction_at(layout, index)
        if fraction:
            digits = f"{nanos:09d}"[: fraction - 1]
            if layout[index + 1] == "9":
                digits = digits.rstrip("0")
                out.append(layout[index] + digits if digits else "")
            else:
                out.append(layout[index] + digits)
            index += fraction
            continue
        element = next((e for e in _ELEMENTS if layout.startswith(e, index)), None)
        if element is None:
            out.append(layout[index])
            index += 1
            continue
        out.append(_element_text(element, moment))
        index += len(element)
    return "".join(out)


def _time_methods(value: GoTime) -> dict[str, TemplateFunction]:
    moment = civil_time(value.unix_nanos)
    ns = value.unix_nanos
    table = [
        function("Format", ("string",), lambda layout: go_time_format(value, layout)),
        function("String", (), lambda: str(value)),
        function("Unix", (), lambda: ns // _NS),
        function("UnixMilli", (), lambda: ns // 1_000_000),
        function("UnixMicro", (), lambda: ns // 1_000),
        function("UnixNano", (), lambda: ns),
        function("UTC", (), lambda: value),
        function("Add", ("time.Duration",), lambda d: GoTime(ns + d.nanos)),
        function("Sub", ("time.Time",), lambda t: GoDuration(ns - t.unix_nanos)),
        function("Before", ("time.Time",), lambda t: ns < t.unix_nanos),
        function("After", ("time.Time",), lambda t: ns > t.unix_nanos),
        function("Equal", ("time.Time",), lambda t: ns == t.unix_nanos),
        function("Year", (), lambda: moment.year),
        function("Month", (), lambda: _MONTHS[moment.month - 1]),
        function("Day", (), lambda: moment.day),
        function("Hour", (), lambda: moment.hour),
        function("Minute", (), lambda: moment.minute),
        function("Second", (), lambda: moment.second),
        function("Nanosecond", (), lambda: moment.nanosecond),
        function("YearDay", (), lambda: moment.year_day),
        function("Weekday", (), lambda: _WEEKDAYS[moment.weekday]),
    ]
    return {entry.name: entry for entry in table}


def _duration_methods(value: GoDuration) -> dict[str, TemplateFunction]:
    ns = value.nanos
    table = [
        function("String", (), lambda: go_duration_string(ns)),
        function("Seconds", (), lambda: ns / _NS),
        function("Minutes", (), lambda: ns / (60 * _NS)),
        function("Hours", (), lambda: ns / (3600 * _NS)),
        function("Milliseconds", (), lambda: _truncated(ns, 1_000_000)),
        function("Microseconds", (), lambda: _truncated(ns, 1_000)),
        function("Nanoseconds", (), lambda: ns),
        function("Abs", (), lambda: GoDuration(abs(ns))),
    ]
    return {entry.name: entry for entry in table}


def _truncated(value: int, unit: int) -> int:
    """Integer division rounding toward zero, as Go's."""
    return value // unit if value >= 0 else -(-value // unit)


def methods_of(value: Any) -> dict[str, TemplateFunction]:
    """The methods a template can call on `value` (none for most types)."""
    if isinstance(value, GoTime):
        return _time_methods(value)
    if isinstance(value, GoDuration):
        return _duration_methods(value)
    return {}
