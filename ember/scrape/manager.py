"""The scrape manager: one pool per job, fed by discovery, reconfigured on reload without touching the
pools (and their loops and caches) whose configuration did not change."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

import httpx

from ember.config.prometheus import Config, ScrapeConfig
from ember.discovery.providers import FileProvider, HTTPProvider
from ember.discovery.target_groups import static_groups
from ember.exposition.scrape_result import MetricFamily
from ember.model.labels import Labels
from ember.scrape.http_client import build_client
from ember.scrape.interval_stats import IntervalStats
from ember.scrape.pool import ScrapePool, TargetState
from ember.storage.interface import Appendable

log = logging.getLogger("ember.scrape")


class ScrapeManager:
    def __init__(self, appendable: Appendable, *, logger: logging.Logger | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        self._appendable = appendable
        self._clock = clock
        self._log = logger or log
        self.pools: dict[str, ScrapePool] = {}
        self._discovery: dict[str, list[asyncio.Task[None]]] = {}
        self._sd_clients: dict[str, list[httpx.AsyncClient]] = {}
        self.intervals = IntervalStats()

    async def apply_config(self, config: Config) -> None:
        wanted = {c.job_name: c for c in config.scrape_configs}
        for job in [j for j in self.pools if j not in wanted or wanted[j] != self.pools[j].config]:
            await self._stop_pool(job)
        for job, scrape_config in wanted.items():
            if job not in self.pools:
                await self._start_pool(scrape_config)

    async def _start_pool(self, config: ScrapeConfig) -> None:
        pool = ScrapePool(config, self._appendable, self._clock, self.intervals)
        self.pools[config.job_name] = pool
        await pool.publish("static", static_groups(config.job_name, config.static_configs))
        tasks, clients = [], []
        for i, file_sd in enumerate(config.file_sd_configs):
            provider = FileProvider(f"file/{i}", file_sd.files, int(file_sd.refresh_interval) / 1000)
            tasks.append(asyncio.ensure_future(provider.run(pool.publish)))
        for i, http_sd in enumerate(config.http_sd_configs):
            client = build_client(http_sd.http_client_config)
            clients.append(client)
            provider_http = HTTPProvider(f"http/{i}", http_sd.url, int(http_sd.refresh_interval) / 1000, client)
            tasks.append(asyncio.ensure_future(provider_http.run(pool.publish)))
        self._discovery[config.job_name] = tasks
        self._sd_clients[config.job_name] = clients

    async def _stop_pool(self, job: str) -> None:
        for task in self._discovery.pop(job, []):
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        for client in self._sd_clients.pop(job, []):
            await client.aclose()
        await self.pools.pop(job).stop()

    async def stop(self) -> None:
        for job in list(self.pools):
            await self._stop_pool(job)

    def active_targets(self) -> list[TargetState]:
        return [state for pool in self.pools.values() for state in pool.states()]

    def dropped_targets(self) -> list[tuple[str, Labels]]:
        return [(job, labels) for job, pool in self.pools.items() for labels in pool.dropped]

    def target_metadata(self) -> list[tuple[Labels, list[MetricFamily]]]:
        """Metric metadata per target, for `/api/v1/targets/metadata` and `/api/v1/metadata`."""
        return [entry for pool in self.pools.values() for entry in pool.metadata()]
