"""Write samples in the Prometheus text format 0.0.4 (for `/metrics` and `/federate`).

Numbers are spelled as Go's `strconv.FormatFloat(v, 'g', -1, 64)` spells them (what Prometheus writes):
shortest round-trip digits, exponent form when the decimal exponent is below -4 or at least 6
(`1e+06`, `1.5e-05`), and `+Inf`, `-Inf`, `NaN`. Metric and label names that the classic syntax cannot
hold are written quoted inside the braces (`{"my.metric","la.bel"="x"}`), as Prometheus 3.x does.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from decimal import Decimal

import numpy as np
import numpy.typing as npt

from ember.exposition.scrape_result import MetricFamily
from ember.model.labels import METRIC_NAME, Labels, is_valid_label_name, is_valid_metric_name

TEXT_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
_FAMILY_SUFFIXES = {"histogram": ("_bucket", "_sum", "_count"), "summary": ("_sum", "_count")}


def format_value(value: float) -> str:
    """`value` as Go's `FormatFloat(value, 'g', -1, 64)`, with Prometheus's Inf/NaN spellings."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    if value == 0:
        return "-0" if math.copysign(1.0, value) < 0 else "0"
    sign, digit_tuple, exponent = Decimal(repr(value)).normalize().as_tuple()
    digits = "".join(map(str, digit_tuple))
    point = len(digits) + int(exponent)  # position of the decimal point within `digits`
    prefix = "-" if sign else ""
    exp10 = point - 1
    if exp10 < -4 or exp10 >= 6:
        mantissa = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
        return f"{prefix}{mantissa}e{'-' if exp10 < 0 else '+'}{abs(exp10):02d}"
    if point <= 0:
        return f"{prefix}0.{'0' * -point}{digits}"
    if point >= len(digits):
        return prefix + digits + "0" * (point - len(digits))
    return f"{prefix}{digits[:point]}.{digits[point:]}"


def format_series(labels: Labels) -> str:
    """The series part of a sample line: `name{a="b"}`, quoting names the classic syntax cannot hold."""
    name = labels.metric_name
    parts = [] if not name or is_valid_metric_name(name) else [_quote(name)]
    for label, value in labels:
        if label == METRIC_NAME:
            continue
        shown = label if is_valid_label_name(label) else _quote(label)
        parts.append(f"{shown}={_quote(value)}")
    if not parts:
        return name
    return ("" if not name or not is_valid_metric_name(name) else name) + "{" + ",".join(parts) + "}"


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"') + '"'


def _quote_name_for_comment(name: str) -> str:
    return name if is_valid_metric_name(name) else _quote(name)


def _escape_help(text: str) -> str:
    return text.replace("\\", "\\\\").replace("\n", "\\n")


def write_text(
    series: Sequence[Labels],
    values: npt.ArrayLike,
    timestamps_ms: npt.ArrayLike | None = None,
    *,
    has_timestamp: npt.ArrayLike | None = None,
    families: Mapping[str, MetricFamily] | None = None,
) -> str:
    """A text-format body with one line per sample, in the given order.

    Before the first sample of each family (its metric name, or for histograms and summaries in
    `families` their base name) come `# HELP` (when known) and `# TYPE` (`untyped` when unknown), as
    `/federate` writes them. Callers keep a family's samples together. Timestamps (milliseconds) are
    written where `has_timestamp` is true, or everywhere when `timestamps_ms` is given without a mask.
    """
    vals = np.asarray(values, dtype=np.float64)
    if len(vals) != len(series):
        raise ValueError("series and values must have the same length")
    stamps = None if timestamps_ms is None else np.asarray(timestamps_ms, dtype=np.int64)
    mask = None
    if stamps is not None:
        mask = np.ones(len(vals), dtype=np.bool_) if has_timestamp is None else np.asarray(has_timestamp)
    known = families or {}
    out: list[str] = []
    previous = None
    for index, labels in enumerate(series):
        family = _family_of(labels.metric_name, known)
        if family.name != previous:
            out.extend(_family_header(family))
            previous = family.name
        line = f"{format_series(labels)} {format_value(float(vals[index]))}"
        if stamps is not None and mask is not None and mask[index]:
            line += f" {int(stamps[index])}"
        out.append(line)
    return "\n".join(out) + "\n" if out else ""


def _family_of(metric_name: str, families: Mapping[str, MetricFamily]) -> MetricFamily:
    if metric_name in families:
        return families[metric_name]
    for kind, suffixes in _FAMILY_SUFFIXES.items():
        for suffix in suffixes:
            base = metric_name.removesuffix(suffix)
            if base != metric_name and base in families and families[base].type == kind:
                return families[base]
    return MetricFamily(name=metric_name, type="untyped")


def _family_header(family: MetricFamily) -> list[str]:
    name = _quote_name_for_comment(family.name)
    kind = family.type if family.type in ("counter", "gauge", "histogram", "summary") else "untyped"
    header = [] if family.help is None else [f"# HELP {name} {_escape_help(family.help)}"]
    header.append(f"# TYPE {name} {kind}")
    return header
