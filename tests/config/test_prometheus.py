from __future__ import annotations

from ember.config.loader import load_config_text
from ember.config.prometheus import (
    DEFAULT_SCRAPE_PROTOCOLS,
    SCRAPE_PROTOCOLS,
    Config,
    GlobalConfig,
    MetadataConfig,
    QueueConfig,
)


def test_defaults_are_prometheus_defaults() -> None:
    # Values from Prometheus's config/config.go and its configuration documentation.
    global_config = GlobalConfig()
    assert (
        global_config.scrape_interval,
        global_config.scrape_timeout,
        global_config.evaluation_interval,
    ) == (
        60_000,
        10_000,
        60_000,
    )
    assert str(global_config.scrape_interval) == "1m"
    queue = QueueConfig()
    assert (queue.capacity, queue.max_shards, queue.min_shards, queue.max_samples_per_send) == (
        10_000,
        50,
        1,
        2000,
    )
    assert (str(queue.batch_send_deadline), str(queue.min_backoff), str(queue.max_backoff)) == (
        "5s",
        "30ms",
        "5s",
    )
    metadata = MetadataConfig()
    assert (metadata.send, str(metadata.send_interval), metadata.max_samples_per_send) == (True, "1m", 2000)


def test_default_protocols_are_known_and_ordered_by_preference() -> None:
    assert set(DEFAULT_SCRAPE_PROTOCOLS) <= set(SCRAPE_PROTOCOLS)
    assert DEFAULT_SCRAPE_PROTOCOLS[0].startswith("OpenMetrics")
    assert "PrometheusProto" not in DEFAULT_SCRAPE_PROTOCOLS


def test_scrape_config_lookup() -> None:
    config = load_config_text("scrape_configs:\n  - job_name: a\n  - job_name: b\n")
    found = config.scrape_config("b")
    assert found is not None and found.job_name == "b"
    assert config.scrape_config("c") is None
    assert Config().scrape_config("a") is None
