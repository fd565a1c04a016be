"""Which blocks retention deletes: by age relative to the newest block, and by total size."""

from __future__ import annotations

from collections.abc import Sequence

from ember.tsdb.block_meta import BlockMeta


def blocks_beyond_retention(
    metas: Sequence[BlockMeta], retention_ms: int, retention_bytes: int, extra_bytes: int = 0
) -> list[str]:
    """ULIDs of the blocks to delete, oldest last; 0 disables a limit.

    As Prometheus (`BeyondTimeRetention`, `BeyondSizeRetention`): blocks are ordered newest first by
    max_time; time retention drops every block from the first one (never the newest) whose max_time is
    at least `retention_ms` behind the newest block's; size retention adds block sizes to `extra_bytes`
    (the WAL and head) and drops the block that crosses `retention_bytes` and every older one.
    """
    ordered = sorted(metas, key=lambda m: m.max_time, reverse=True)
    doomed: dict[str, None] = {}
    if retention_ms > 0 and ordered:
        newest = ordered[0].max_time
        for i, meta in enumerate(ordered):
            if i > 0 and newest - meta.max_time >= retention_ms:
                doomed.update((m.ulid, None) for m in ordered[i:])
                break
    if retention_bytes > 0:
        total = extra_bytes
        for i, meta in enumerate(ordered):
            total += meta.size_bytes
            if total > retention_bytes:
                doomed.update((m.ulid, None) for m in ordered[i:])
                break
    return list(doomed)
