"""Scraping's part of `/metrics`, with Prometheus's names: how late scrapes run and how many targets each
job has."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

from prometheus_client.core import GaugeMetricFamily, Metric, SummaryMetricFamily
from prometheus_client.registry import Collector

if TYPE_CHECKING:
    from ember.scrape.manager import ScrapeManager


class ScrapeCollector(Collector):
    """Reads the scrape manager at collection time; nothing while it has not started."""

    def __init__(self, manager: Callable[[], ScrapeManager | None]) -> None:
        self._manager = manager

    def collect(self) -> Iterator[Metric]:
        manager = self._manager()
        if manager is None:
            return
        intervals = SummaryMetricFamily("prometheus_target_interval_length_seconds",
                                        "Actual intervals between scrapes.", labels=["interval"])
        quantiles = GaugeMetricFamily("prometheus_target_interval_length_seconds",
                                      "Actual intervals between scrapes.", labels=["interval", "quantile"])
        for interval, points, count, total in manager.intervals.summaries():
            intervals.add_metric([interval], count_value=count, sum_value=total)
            for quantile, value in points:
                quantiles.add_metric([interval, f"{quantile:g}"], value)
        # prometheus_client's summary family has no quantiles: they join it as samples of the same name.
        intervals.samples.extend(quantiles.samples)
        yield intervals
        discovered = GaugeMetricFamily("prometheus_sd_discovered_targets", "Current number of discovered targets.",
                                       labels=["config", "name"])
        for job, pool in manager.pools.items():
            discovered.add_metric([job, "scrape"], len(pool.loops) + len(pool.dropped))
        yield discovered
