"""What the HTTP API reads from: the storage, the engine settings, the runtime and build facts."""

from __future__ import annotations

import asyncio
import platform
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from ember.promql.engine import Engine
from ember.storage.interface import Queryable
from ember.timeutil import now_ms

VERSION = "0.1.0"


@dataclass
class WebContext:
    """Everything the handlers need; the server builds one and hands it to `create_app`."""

    storage: Queryable
    engine: Engine
    config_text: str = ""
    flags: dict[str, str] = field(default_factory=dict)
    enable_admin_api: bool = False
    enable_lifecycle: bool = False
    max_concurrent_queries: int = 20
    storage_retention: str = "15d"
    start_time: float = field(default_factory=time.time)
    ready: Callable[[], bool] = lambda: True
    reload: Callable[[], Awaitable[None]] | None = None
    shutdown: Callable[[], None] | None = None
    external_labels: dict[str, str] = field(default_factory=dict)
    tsdb_stats: Callable[[], dict[str, Any]] | None = None
    walreplay: Callable[[], dict[str, int]] | None = None  # WAL segments replay spans and is reading
    admin: Any = None  # the database, for the admin endpoints
    clock: Callable[[], int] = now_ms
    scrape: Any = None  # the scrape manager: active_targets(), dropped_targets()
    notifier: Any = None  # the Alertmanager notifier: alertmanagers()
    rules: Any = None  # the rule manager: groups(), alerts()
    _query_slots: asyncio.Semaphore | None = None

    @property
    def query_slots(self) -> asyncio.Semaphore:
        if self._query_slots is None:
            self._query_slots = asyncio.Semaphore(self.max_concurrent_queries)
        return self._query_slots


def build_info() -> dict[str, str]:
    return {
        "version": VERSION,
        "revision": "",
        "branch": "",
        "buildUser": "",
        "buildDate": "",
        "goVersion": f"python{platform.python_version()}",
    }
