"""From a discovered target to a scrape target: Prometheus's `PopulateLabels` (defaults, relabelling,
`instance`, dropping `__meta_*`), and the URL to scrape."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from urllib.parse import urlencode

import xxhash

from ember.config.durations import format_duration_ms
from ember.config.prometheus import ScrapeConfig
from ember.model.labels import Labels
from ember.relabel import relabel


@dataclass(frozen=True)
class Target:
    labels: Labels  # everything after relabelling, internal `__` labels included
    discovered: Labels  # before relabelling, as the targets API shows them

    @property
    def public_labels(self) -> Labels:
        return Labels((n, v) for n, v in self.labels if not n.startswith("__"))

    @cached_property
    def url(self) -> str:
        scheme = self.labels.get("__scheme__") or "http"
        path = self.labels.get("__metrics_path__") or "/metrics"
        params = [(n[len("__param_"):], v) for n, v in self.labels if n.startswith("__param_")]
        query = f"?{urlencode(params)}" if params else ""
        return f"{scheme}://{self.labels.get('__address__')}{path}{query}"

    @cached_property
    def key(self) -> str:
        """Identity across discovery refreshes: the labels that decide what and where to scrape."""
        return "\xff".join(self.labels.flat)

    def offset_ms(self, interval_ms: int) -> int:
        """Where in each interval this target is scraped, spread by a hash as Prometheus does."""
        return xxhash.xxh64_intdigest(self.key.encode("utf-8", "surrogatepass")) % max(interval_ms, 1)


def populate_target(discovered: Labels, config: ScrapeConfig) -> Target | None:
    """The scrape target for one discovered label set, or None when relabelling drops it or it has no
    address."""
    defaults = {
        "job": config.job_name,
        "__scrape_interval__": format_duration_ms(int(config.scrape_interval)),
        "__scrape_timeout__": format_duration_ms(int(config.scrape_timeout)),
        "__metrics_path__": config.metrics_path,
        "__scheme__": config.scheme,
    }
    for name, values in config.params.items():
        if values:
            defaults[f"__param_{name}"] = values[0]
    merged = {**defaults, **discovered.to_dict()}
    before = Labels(merged.items())
    after = relabel(before, config.relabel_configs)
    if after is None or not after.get("__address__"):
        return None
    labels = after.without(*(n for n in after.names() if n.startswith("__meta_")))
    if not labels.get("instance"):
        labels = labels.updated({"instance": labels.get("__address__")})
    return Target(labels, before)
