"""The JSON body of a query response, written directly as text: a matrix of 10k series x 240 points
would otherwise become millions of small Python lists before `json.dumps` ever sees them."""

from __future__ import annotations

import json
from collections.abc import Iterable

import numpy as np

from ember.model.labels import Labels
from ember.promql.result import QueryResult
from ember.storage.series_set import SeriesSet
from ember.web.responses import format_timestamp, format_value


def _values_text(values: Iterable[float]) -> list[str]:
    """Go's 'f' formatting for many values: Python's repr is the shortest round-trip text too, and only
    the rare exponent, NaN and infinity cases need the general formatter."""
    out = []
    for value in values:
        text = repr(value)
        if text.endswith(".0"):
            text = text[:-2]
        elif "e" in text or "n" in text:  # exponent, nan, inf
            text = format_value(value)
        out.append(text)
    return out


def _timestamps_text(timestamps: np.ndarray) -> list[str]:  # type: ignore[type-arg]
    return [json.dumps(format_timestamp(t)) for t in timestamps.tolist()]


def _metric(labels: Labels) -> str:
    return json.dumps(dict(labels), ensure_ascii=False, separators=(",", ":"))


def _matrix(series: SeriesSet) -> str:
    unique_times, inverse = np.unique(series.timestamps, return_inverse=True)
    time_texts = _timestamps_text(unique_times)
    value_texts = _values_text(series.values.tolist())
    offsets = series.offsets.tolist()
    index = inverse.tolist()
    parts = []
    for i, labels in enumerate(series.labels):
        points = ",".join(f'[{time_texts[index[k]]},"{value_texts[k]}"]' for k in range(offsets[i], offsets[i + 1]))
        parts.append(f'{{"metric":{_metric(labels)},"values":[{points}]}}')
    return '{"resultType":"matrix","result":[' + ",".join(parts) + "]}"


def _vector(series: SeriesSet) -> str:
    first = series.offsets[:-1]
    time_texts = _timestamps_text(series.timestamps[first])
    value_texts = _values_text(series.values[first].tolist())
    parts = [f'{{"metric":{_metric(labels)},"value":[{time_texts[i]},"{value_texts[i]}"]}}'
             for i, labels in enumerate(series.labels)]
    return '{"resultType":"vector","result":[' + ",".join(parts) + "]}"


def data_json(result: QueryResult) -> str:
    """The `data` member of a query response, in Prometheus's shape."""
    kind = result.result_type
    at = json.dumps(format_timestamp(result.time_ms or 0))
    if kind == "scalar":
        return f'{{"resultType":"scalar","result":[{at},"{format_value(float(result.scalar or 0.0))}"]}}'
    if kind == "string":
        return f'{{"resultType":"string","result":[{at},{json.dumps(result.string or "", ensure_ascii=False)}]}}'
    series = result.series if result.series is not None else SeriesSet.empty()
    return _vector(series) if kind == "vector" else _matrix(series)


def query_response_json(result: QueryResult) -> str:
    body = '{"status":"success","data":' + data_json(result)
    if result.warnings:
        body += ',"warnings":' + json.dumps(result.warnings, ensure_ascii=False)
    if result.infos:
        body += ',"infos":' + json.dumps(result.infos, ensure_ascii=False)
    return body + "}"
