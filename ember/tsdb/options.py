"""Database options, validated once into a frozen dataclass."""

from __future__ import annotations

from dataclasses import dataclass

HOUR_MS = 3_600_000
DAY_MS = 24 * HOUR_MS


@dataclass(frozen=True)
class DBOptions:
    """Defaults follow Prometheus: 2 h blocks, 15 d retention, no out-of-order window."""

    block_range_ms: int = 2 * HOUR_MS
    retention_ms: int = 15 * DAY_MS
    retention_bytes: int = 0
    out_of_order_window_ms: int = 0
    wal_sync_interval_s: float = 0.1
    wal_segment_size: int = 128 * 1024 * 1024
    head_frame_rows: int = 120
    background_maintenance: bool = True
    maintenance_interval_s: float = 60.0

    def __post_init__(self) -> None:
        if self.block_range_ms <= 0:
            raise ValueError("block_range_ms must be positive")
        if self.retention_ms < 0 or self.retention_bytes < 0:
            raise ValueError("retention must not be negative")
        if self.out_of_order_window_ms < 0:
            raise ValueError("out_of_order_window_ms must not be negative")
        if self.head_frame_rows < 1:
            raise ValueError("head_frame_rows must be at least 1")

    @property
    def compaction_ranges(self) -> list[int]:
        """Prometheus's exponential block ranges (x3), capped at 10% of retention and 31 days."""
        limit = 31 * DAY_MS
        if self.retention_ms:
            limit = min(limit, max(self.retention_ms // 10, self.block_range_ms))
        ranges = [self.block_range_ms]
        while ranges[-1] * 3 <= limit:
            ranges.append(ranges[-1] * 3)
        return ranges
