"""All `remote_write` queues of a server (Prometheus's `WriteStorage`): built from the configuration,
kept across reloads when their configuration did not change, and stopped with a flush deadline."""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import logging
from collections.abc import Mapping, Sequence
from typing import Any

from prometheus_client import CollectorRegistry

from ember.config.prometheus import RemoteWriteConfig
from ember.errors import ConfigError
from ember.model.labels import Labels
from ember.remote.sender.client import HttpxPoster
from ember.remote.sender.metrics import SenderMetrics
from ember.remote.sender.queue_manager import (
    FLUSH_DEADLINE_S,
    SHARD_UPDATE_INTERVAL_S,
    ClientFactory,
    QueueManager,
)
from ember.remote.sender.wal_source import FollowerFactory
from ember.remote.sender.write_request_kernels import warm_up

log = logging.getLogger("ember.remote.sender")


def config_hash(config: RemoteWriteConfig) -> str:
    """A digest of every field, secrets included (they are left out of `repr`, not of this)."""
    return hashlib.sha256(_canonical(config).encode()).hexdigest()


def _canonical(value: Any) -> str:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = (f"{f.name}={_canonical(getattr(value, f.name))}" for f in dataclasses.fields(value))
        return f"{type(value).__name__}({','.join(fields)})"
    if isinstance(value, Mapping):
        return "{" + ",".join(f"{k!r}:{_canonical(v)}" for k, v in sorted(value.items())) + "}"
    if isinstance(value, (tuple, list)):
        return "[" + ",".join(_canonical(v) for v in value) + "]"
    return repr(value)


def _default_client_factory(config: RemoteWriteConfig) -> HttpxPoster:
    return HttpxPoster.from_config(config.http_client_config)


class RemoteWriteStorage:
    """The queues of `remote_write`. `follower_factory` builds the WAL follower of each queue (the
    server passes one made from `ember.tsdb.wal_watcher.WalWatcher`); `registry` receives the
    `prometheus_remote_storage_*` metrics."""

    def __init__(self, follower_factory: FollowerFactory, *, registry: CollectorRegistry | None = None,
                 client_factory: ClientFactory | None = None,
                 shard_update_interval_s: float = SHARD_UPDATE_INTERVAL_S) -> None:
        self._follower_factory = follower_factory
        self._client_factory = client_factory or _default_client_factory
        self._update_interval = shard_update_interval_s
        self.metrics = SenderMetrics(registry)
        self._queues: dict[str, QueueManager] = {}
        self._external_labels = Labels()
        self._lock = asyncio.Lock()

    @property
    def queues(self) -> list[QueueManager]:
        return list(self._queues.values())

    async def apply_config(self, configs: Sequence[RemoteWriteConfig], external_labels: Labels) -> None:
        """Starts, keeps or stops queues so they match `configs`. A queue whose configuration (and the
        external labels) did not change keeps running untouched, as in Prometheus."""
        wanted = _by_hash(configs)
        async with self._lock:
            labels_changed = external_labels != self._external_labels
            keep = {h: q for h, q in self._queues.items() if h in wanted and not labels_changed}
            for digest, queue in self._queues.items():
                if digest not in keep:
                    await queue.stop()
            if len(keep) < len(wanted):
                await asyncio.to_thread(warm_up)
            started: dict[str, QueueManager] = {}
            for digest, config in wanted.items():
                if digest in keep:
                    started[digest] = keep[digest]
                    continue
                name = config.name or digest[:6]
                queue = QueueManager(name, config, external_labels, self.metrics.queue(name, config.url),
                                     self._follower_factory, self._client_factory,
                                     shard_update_interval_s=self._update_interval)
                await queue.start()
                started[digest] = queue
                log.info("remote write queue %s started for %s", name, config.url)
            self._queues = started
            self._external_labels = external_labels

    def lowest_segment_in_use(self) -> int | None:
        """The oldest WAL segment any queue still has to read; the TSDB must keep it and all later
        segments (None: no queue holds the WAL back)."""
        segments = [s for q in self._queues.values() if (s := q.lowest_segment_in_use()) is not None]
        return min(segments) if segments else None

    async def stop(self, flush_deadline_s: float = FLUSH_DEADLINE_S) -> None:
        """Stops every queue, each sending what it holds for at most `flush_deadline_s`."""
        async with self._lock:
            await asyncio.gather(*(q.stop(flush_deadline_s) for q in self._queues.values()))
            self._queues = {}


def _by_hash(configs: Sequence[RemoteWriteConfig]) -> dict[str, RemoteWriteConfig]:
    found: dict[str, RemoteWriteConfig] = {}
    names: set[str] = set()
    for config in configs:
        digest = config_hash(config)
        if digest in found:
            raise ConfigError(f"duplicate remote write configs are not allowed, found duplicate for URL: "
                              f"{config.url}")
        if config.name:
            if config.name in names:
                raise ConfigError(f"found multiple remote write configs with job name {config.name!r}")
            names.add(config.name)
        found[digest] = config
    return found
