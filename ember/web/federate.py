"""`/federate`: the latest sample of every matching series, in the text format (staleness honoured)."""

from __future__ import annotations

import asyncio

import numpy as np
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from ember.errors import BadDataError, EmberError
from ember.exposition import TEXT_CONTENT_TYPE, write_text
from ember.model.labels import Labels
from ember.model.samples import is_stale
from ember.web.api_query import read_params
from ember.web.context import WebContext
from ember.web.params import matcher_sets


def latest_samples(ctx: WebContext, sets: list, at: int) -> tuple[list[Labels], np.ndarray, np.ndarray]:  # type: ignore[type-arg]
    """Each matching series' newest sample within the lookback window, without stale ones."""
    lookback = ctx.engine.lookback_delta_ms
    querier = ctx.storage.querier()
    try:
        found: dict[Labels, tuple[int, float]] = {}
        for matchers in sets:
            selected = querier.select(matchers, at - lookback + 1, at)
            lengths = selected.lengths()
            last = selected.offsets[1:] - 1
            for i in np.flatnonzero(lengths > 0).tolist():
                found[selected.labels[i]] = (int(selected.timestamps[last[i]]), float(selected.values[last[i]]))
    finally:
        querier.close()
    ordered = sorted(found)
    stamps = np.array([found[lb][0] for lb in ordered], dtype=np.int64)
    values = np.array([found[lb][1] for lb in ordered], dtype=np.float64)
    keep = ~is_stale(values)
    return [lb for lb, k in zip(ordered, keep.tolist(), strict=True) if k], stamps[keep], values[keep]


async def federate(request: Request) -> Response:
    ctx: WebContext = request.app.state.ctx
    try:
        params = await read_params(request)
        sets = matcher_sets(params)
        if not sets:
            raise BadDataError("no match[] parameter provided")
        labels, stamps, values = await asyncio.to_thread(latest_samples, ctx, sets, ctx.clock())
    except EmberError as exc:
        return PlainTextResponse(f"{exc}\n", status_code=400)
    if ctx.external_labels:
        labels = [_with_external(lb, ctx.external_labels) for lb in labels]
    order = sorted(range(len(labels)), key=lambda i: (labels[i].metric_name, labels[i]))
    body = write_text([labels[i] for i in order], values[order], stamps[order])
    return Response(body, media_type=TEXT_CONTENT_TYPE)


def _with_external(labels: Labels, external: dict[str, str]) -> Labels:
    missing = {k: v for k, v in external.items() if not labels.get(k)}
    return labels.updated(missing) if missing else labels
