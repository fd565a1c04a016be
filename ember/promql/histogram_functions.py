"""`histogram_quantile` and `histogram_fraction` over classic histograms (`le` bucket series)."""

from __future__ import annotations

import numpy as np

from ember.model.labels import Labels
from ember.promql.context import EvalContext
from ember.promql.histogram_kernels import bucket_fractions, bucket_quantiles
from ember.promql.values import Float64Array, InstantVector

BUCKET_LABEL = "le"


def _parse_le(text: str) -> float | None:
    """Go's ParseFloat accepts `+Inf`, `Inf`, `1e3`, `0x1p3` ...; None when it is malformed."""
    try:
        return float(text)
    except ValueError:
        try:
            return float.fromhex(text)
        except ValueError:
            return None


def _bucket_groups(
    vector: InstantVector, ctx: EvalContext, position: str
) -> list[tuple[Labels, np.ndarray, Float64Array]]:
    """Groups bucket series by their labels without `le` (the name is dropped later): (labels, rows,
    bounds)."""
    groups: dict[Labels, tuple[Labels, list[int], list[float]]] = {}
    for row, labels in enumerate(vector.labels):
        text = labels.get(BUCKET_LABEL)
        bound = _parse_le(text)
        if bound is None:
            ctx.annotations.warn(
                f'PromQL warning: bucket label "le" is missing or has a malformed value of "{text}" '
                f'for metric name "{labels.metric_name}"{position}'
            )
            continue
        key = labels.without(BUCKET_LABEL)
        entry = groups.setdefault(key, (labels.without(BUCKET_LABEL), [], []))
        entry[1].append(row)
        entry[2].append(bound)
    out = []
    for output_labels, rows, bounds in groups.values():
        order = np.argsort(np.array(bounds), kind="stable")
        out.append((output_labels, np.array(rows, dtype=np.int64)[order], np.array(bounds)[order]))
    return out


def histogram_quantile(
    phis: Float64Array, vector: InstantVector, ctx: EvalContext, position: str = ""
) -> InstantVector:
    """φ-quantile per bucket group and step (Prometheus's classic `bucketQuantile`)."""
    labels: list[Labels] = []
    rows_out: list[Float64Array] = []
    present_out: list[np.ndarray] = []
    for output_labels, rows, bounds in _bucket_groups(vector, ctx, position):
        present = vector.present[rows]
        values, forced, _ = bucket_quantiles(
            np.ascontiguousarray(phis), bounds, np.ascontiguousarray(vector.values[rows]), present
        )
        any_present = present.any(axis=0)
        if (forced & any_present).any():
            ctx.annotations.info(
                "PromQL info: input to histogram_quantile needed to be fixed for monotonicity (see "
                "https://prometheus.io/docs/prometheus/latest/querying/functions/#histogram_quantile) "
                f'for metric name "{output_labels.metric_name}"{position}'
            )
        labels.append(output_labels)
        rows_out.append(values)
        present_out.append(any_present)
    return _vector(labels, rows_out, present_out, vector.num_steps)


def histogram_fraction(
    lowers: Float64Array, uppers: Float64Array, vector: InstantVector, ctx: EvalContext,
    position: str = "",
) -> InstantVector:
    """Fraction of observations between the bounds per bucket group and step."""
    labels: list[Labels] = []
    rows_out: list[Float64Array] = []
    present_out: list[np.ndarray] = []
    for output_labels, rows, bounds in _bucket_groups(vector, ctx, position):
        present = vector.present[rows]
        values = bucket_fractions(
            np.ascontiguousarray(lowers), np.ascontiguousarray(uppers), bounds,
            np.ascontiguousarray(vector.values[rows]), present,
        )
        labels.append(output_labels)
        rows_out.append(values)
        present_out.append(present.any(axis=0))
    return _vector(labels, rows_out, present_out, vector.num_steps)


def _vector(labels: list[Labels], rows: list[Float64Array], present: list[np.ndarray],
            steps: int) -> InstantVector:
    if not labels:
        return InstantVector.empty(steps)
    return InstantVector(
        labels, np.vstack(rows), np.vstack(present), np.ones(len(labels), dtype=np.bool_)
    ).nonempty()
