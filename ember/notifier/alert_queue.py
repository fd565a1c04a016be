"""The notifier's bounded alert queue: when full, the oldest alerts make room for the newest, and each
dropped alert is counted (Prometheus's notifier `Send`)."""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Sequence

from ember.errors import BadDataError
from ember.rules.alert import Alert


class AlertQueue:
    """A thread-safe FIFO of at most `capacity` alerts; `push` may be called from any thread."""

    def __init__(self, capacity: int) -> None:
        if capacity < 1:
            raise BadDataError(f"alert queue capacity must be at least 1, got {capacity}")
        self.capacity = capacity
        self._items: deque[Alert] = deque(maxlen=capacity)
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._items)

    def push(self, alerts: Sequence[Alert]) -> int:
        """Appends `alerts`; returns how many alerts (oldest first, queued or incoming) were dropped."""
        with self._lock:
            dropped = max(0, len(self._items) + len(alerts) - self.capacity)
            self._items.extend(alerts)  # a bounded deque discards from the left: the oldest
        return dropped

    def next_batch(self, max_size: int) -> list[Alert]:
        """Removes and returns up to `max_size` alerts from the front."""
        with self._lock:
            count = min(max_size, len(self._items))
            return [self._items.popleft() for _ in range(count)]

    def clear(self) -> int:
        """Empties the queue; returns how many alerts it held."""
        with self._lock:
            count = len(self._items)
            self._items.clear()
        return count
