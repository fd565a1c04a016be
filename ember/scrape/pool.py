"""A scrape pool: the loops of one job, reconciled with discovery results without restarting the loops
of targets that did not change."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from ember.config.prometheus import ScrapeConfig
from ember.discovery.target_groups import DiscoveredGroup
from ember.exposition.scrape_result import MetricFamily
from ember.model.labels import Labels
from ember.scrape.http_client import ScrapeClient
from ember.scrape.interval_stats import IntervalStats
from ember.scrape.loop import ScrapeLoop
from ember.scrape.target import Target, populate_target
from ember.storage.interface import Appendable

log = logging.getLogger("ember.scrape")


@dataclass(frozen=True)
class TargetState:
    """A target as `/api/v1/targets` shows it."""

    scrape_pool: str
    scrape_url: str
    global_url: str
    discovered_labels: Labels
    labels: Labels
    health: str
    last_error: str
    last_scrape: float | None
    last_scrape_duration: float
    scrape_interval_ms: int
    scrape_timeout_ms: int


class ScrapePool:
    def __init__(self, config: ScrapeConfig, appendable: Appendable, clock: Callable[[], float] = time.time,
                 intervals: IntervalStats | None = None) -> None:
        self.config = config
        self._intervals = intervals
        self._appendable = appendable
        self._clock = clock
        self._client = ScrapeClient(config.http_client_config)
        self.loops: dict[str, ScrapeLoop] = {}
        self.dropped: list[Labels] = []
        self._groups: dict[str, list[DiscoveredGroup]] = {}

    async def publish(self, provider: str, groups: list[DiscoveredGroup]) -> None:
        self._groups[provider] = groups
        await self.sync()

    async def sync(self) -> None:
        wanted: dict[str, Target] = {}
        dropped: list[Labels] = []
        for groups in self._groups.values():
            for group in groups:
                for address_labels in group.targets:
                    discovered = group.labels.updated(address_labels.to_dict())
                    target = populate_target(discovered, self.config)
                    if target is None:
                        dropped.append(discovered)
                    else:
                        wanted.setdefault(target.key, target)
        if self.config.target_limit and len(wanted) > self.config.target_limit:
            log.error("job %s: target_limit %d exceeded by %d targets; scraping none",
                      self.config.job_name, self.config.target_limit, len(wanted))
            wanted = {}
        self.dropped = dropped
        for key in [k for k in self.loops if k not in wanted]:
            await self.loops.pop(key).stop()
        for key, target in wanted.items():
            if key not in self.loops:
                loop = ScrapeLoop(target, self.config, self._appendable, self._client, self._clock, self._intervals)
                self.loops[key] = loop
                loop.start()

    async def stop(self) -> None:
        for loop in self.loops.values():
            await loop.stop()
        self.loops = {}
        await self._client.close()

    def states(self) -> list[TargetState]:
        return [
            TargetState(
                scrape_pool=self.config.job_name,
                scrape_url=loop.target.url,
                global_url=loop.target.url,
                discovered_labels=loop.target.discovered,
                labels=loop.target.public_labels,
                health=loop.health,
                last_error=loop.last_error,
                last_scrape=loop.last_scrape,
                last_scrape_duration=loop.last_duration,
                scrape_interval_ms=int(self.config.scrape_interval),
                scrape_timeout_ms=int(self.config.scrape_timeout),
            )
            for loop in self.loops.values()
        ]

    def metadata(self) -> list[tuple[Labels, list[MetricFamily]]]:
        """Each target's labels with the metric families its last good scrape declared."""
        return [(loop.target.public_labels, loop.metadata) for loop in self.loops.values()]
