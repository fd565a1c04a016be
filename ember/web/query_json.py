"""The JSON body of a query response, written directly as text: a matrix of 10k series x 240 points
would otherwise become millions of small Python lists before `json.dumps` ever sees them.

Points are written in batches of at most `BATCH_POINTS`: each C-level step (`tolist`, `repr` of every
value, `join`) then holds the GIL for a millisecond or two, not for the whole response, so the scrape loop
keeps its turn.
"""

from __future__ import annotations

import bisect
import json

import numpy as np

from ember.model.labels import Labels
from ember.promql.result import QueryResult
from ember.storage.series_set import SeriesSet
from ember.web.responses import format_timestamp, format_value

BATCH_POINTS = 4096
_MARK = "\x01"  # never in a float's repr


def _values_text(values: list[float]) -> list[str]:
    """Go's 'f' formatting for many values: Python's repr is the shortest round-trip text too; only the
    trailing ".0" goes, and the rare exponent, NaN and infinity cases need the general formatter."""
    if not values:
        return []
    text = _MARK.join(map(repr, values)) + _MARK
    text = text.replace(".0" + _MARK, _MARK)
    out = text.split(_MARK)[:-1]
    if "e" in text or "n" in text:  # an exponent, nan or inf somewhere
        out = [format_value(v) if ("e" in t or "n" in t) else t for v, t in zip(values, out, strict=True)]
    return out


def _timestamps_text(timestamps: np.ndarray) -> list[str]:  # type: ignore[type-arg]
    return [json.dumps(format_timestamp(t)) for t in timestamps.tolist()]


def _metric(labels: Labels) -> str:
    return json.dumps(dict(labels), ensure_ascii=False, separators=(",", ":"))


def _point_texts(series: SeriesSet, lo: int, hi: int, time_texts: dict[int, str]) -> list[str]:
    """`[time,"value"]` for the points lo..hi (a slice of one batch); `time_texts` caches the text of each
    timestamp across batches (a range query has one per step)."""
    unique_times, inverse = np.unique(series.timestamps[lo:hi], return_inverse=True)
    texts = [time_texts.get(t) or time_texts.setdefault(t, json.dumps(format_timestamp(t)))
             for t in unique_times.tolist()]
    times = [texts[i] for i in inverse.tolist()]
    return [f'[{t},"{v}"]' for t, v in zip(times, _values_text(series.values[lo:hi].tolist()), strict=True)]


def _matrix(series: SeriesSet) -> list[str]:
    offsets = series.offsets.tolist()
    parts = ['{"resultType":"matrix","result":[']
    time_texts: dict[int, str] = {}
    first = 0
    while first < len(series.labels):
        # The series whose points fit in one batch (at least one series, however long).
        last = max(first + 1, bisect.bisect_right(offsets, offsets[first] + BATCH_POINTS, first) - 1)
        points = _point_texts(series, offsets[first], offsets[last], time_texts)
        for i in range(first, last):
            lo, hi = offsets[i] - offsets[first], offsets[i + 1] - offsets[first]
            comma = "," if i else ""
            parts.append(f'{comma}{{"metric":{_metric(series.labels[i])},"values":[{",".join(points[lo:hi])}]}}')
        first = last
    parts.append("]}")
    return parts


def _vector(series: SeriesSet) -> list[str]:
    first = series.offsets[:-1]
    parts = ['{"resultType":"vector","result":[']
    for start in range(0, len(series.labels), BATCH_POINTS):
        rows = first[start:start + BATCH_POINTS]
        time_texts = _timestamps_text(series.timestamps[rows])
        value_texts = _values_text(series.values[rows].tolist())
        parts.extend(f'{"," if start + i else ""}{{"metric":{_metric(labels)},'
                     f'"value":[{time_texts[i]},"{value_texts[i]}"]}}'
                     for i, labels in enumerate(series.labels[start:start + BATCH_POINTS]))
    parts.append("]}")
    return parts


def _data_parts(result: QueryResult) -> list[str]:
    """The `data` member of a query response, in Prometheus's shape, as pieces to concatenate."""
    kind = result.result_type
    at = json.dumps(format_timestamp(result.time_ms or 0))
    if kind == "scalar":
        return [f'{{"resultType":"scalar","result":[{at},"{format_value(float(result.scalar or 0.0))}"]}}']
    if kind == "string":
        return [f'{{"resultType":"string","result":[{at},{json.dumps(result.string or "", ensure_ascii=False)}]}}']
    series = result.series if result.series is not None else SeriesSet.empty()
    return _vector(series) if kind == "vector" else _matrix(series)


def query_response_body(result: QueryResult) -> bytes:
    """The whole success response, UTF-8 encoded. Pieces are encoded one by one and joined once: a
    single 40 MB string concatenation or `encode` would hold the GIL for tens of milliseconds."""
    pieces = ['{"status":"success","data":', *_data_parts(result)]
    if result.warnings:
        pieces.append(',"warnings":' + json.dumps(result.warnings, ensure_ascii=False))
    if result.infos:
        pieces.append(',"infos":' + json.dumps(result.infos, ensure_ascii=False))
    pieces.append("}")
    return b"".join([piece.encode() for piece in pieces])
