"""Statistics of a database: head and blocks, and the head's cardinality (as `/api/v1/status/tsdb`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ember.model.labels import METRIC_NAME
from ember.storage.interface import MAX_TIME

if TYPE_CHECKING:
    from ember.tsdb.db import DB


def head_cardinality(db: DB, limit: int = 10) -> dict[str, list[dict[str, Any]]]:
    """Top entries by series count, shaped like Prometheus's TSDB status page."""
    postings = db.head.series.postings
    with db.head.lock:
        names = postings.label_names()
        by_metric = [(v, len(postings.postings(METRIC_NAME, v))) for v in postings.label_values(METRIC_NAME)]
        value_counts = [(n, len(postings.label_values(n))) for n in names]
        memory = [(n, sum(len(v) for v in postings.label_values(n))) for n in names]
        pairs = [(f"{n}={v}", len(postings.postings(n, v))) for n in names for v in postings.label_values(n)]

    def top(items: list[tuple[str, int]]) -> list[dict[str, Any]]:
        return [{"name": k, "value": c} for k, c in sorted(items, key=lambda kv: (-kv[1], kv[0]))[:limit]]

    return {
        "seriesCountByMetricName": top(by_metric),
        "labelValueCountByLabelName": top(value_counts),
        "memoryInBytesByLabelName": top(memory),
        "seriesCountByLabelValuePair": top(pairs),
    }


def database_stats(db: DB) -> dict[str, Any]:
    head = db.head
    blocks = db.blocks
    head_min = head.min_time
    return {
        "head": {
            "num_series": len(head.series),
            "num_samples": head.num_samples(),
            "bytes": head.nbytes(),
            "min_time": None if head_min == MAX_TIME else head_min,
            "max_time": None if head_min == MAX_TIME else head.max_time,
        },
        "blocks": [
            {
                "ulid": b.meta.ulid,
                "min_time": b.meta.min_time,
                "max_time": b.meta.max_time,
                "num_series": b.meta.stats.num_series,
                "num_samples": b.meta.stats.num_samples,
                "level": b.meta.level,
                "bytes": b.size_bytes,
            }
            for b in blocks
        ],
        "wal_replay_seconds": db.metrics.wal_replay_seconds,
    }
