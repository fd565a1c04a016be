"""When a scrape loop scrapes, and which timestamp its samples get: Prometheus's ticker and its scrape
timestamp alignment."""

from __future__ import annotations

# Prometheus 2.42's ScrapeTimestampTolerance (--scrape.timestamp-tolerance), applied only to intervals
# longer than 100 times it.
ALIGN_TOLERANCE_MS = 2


class ScrapeSchedule:
    """Ticks every `interval_ms` from the first tick, as Go's ticker does: a loop that falls behind scrapes
    once at once (the one pending tick; the others are dropped) and then resumes on the same grid, so a late
    wake-up never shifts later scrapes. A scrape starting at most 2 ms after its tick is stamped with the
    tick itself, so a steady target's samples are exactly `interval_ms` apart."""

    def __init__(self, first_tick_ms: int, interval_ms: int) -> None:
        self.interval_ms = interval_ms
        self._next_tick_ms = first_tick_ms
        self._aligned_ms = first_tick_ms
        self._align = interval_ms > 100 * ALIGN_TOLERANCE_MS

    def timestamp_ms(self, started_ms: int) -> int:
        """The timestamp of a scrape that started at `started_ms`."""
        if not self._align:
            return started_ms
        behind = started_ms - self._aligned_ms
        if behind >= self.interval_ms:  # ticks were skipped: move to the latest one passed
            self._aligned_ms += behind // self.interval_ms * self.interval_ms
        return self._aligned_ms if started_ms - self._aligned_ms <= ALIGN_TOLERANCE_MS else started_ms

    def delay_s(self, now_ms: int) -> float:
        """Seconds to wait for the next tick, asked once after each scrape (which ended at `now_ms`)."""
        self._next_tick_ms += self.interval_ms
        if now_ms >= self._next_tick_ms:
            self._next_tick_ms += (now_ms - self._next_tick_ms) // self.interval_ms * self.interval_ms
            return 0.0
        return (self._next_tick_ms - now_ms) / 1000
