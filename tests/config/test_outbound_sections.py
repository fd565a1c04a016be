from __future__ import annotations

import pytest

from ember.config.loader import load_config_text
from ember.config.prometheus import MetadataConfig, QueueConfig
from ember.errors import ConfigError
from ember.model.labels import Labels
from ember.relabel import relabel


def test_alerting_section() -> None:
    config = load_config_text(
        "alerting:\n  alert_relabel_configs:\n    - {action: labeldrop, regex: replica}\n"
        "  alertmanagers:\n    - scheme: https\n      api_version: v2\n      basic_auth: {username: u}\n"
        "      static_configs: [{targets: ['am:9093']}]\n"
        "      alert_relabel_configs: [{source_labels: [severity], regex: info, action: drop}]\n"
    ).alerting_config
    assert relabel(Labels([("a", "1"), ("replica", "x")]), config.alert_relabel_configs) == Labels(
        [("a", "1")]
    )
    manager = config.alertmanagers[0]
    assert (manager.scheme, manager.timeout, manager.api_version) == ("https", 10_000, "v2")
    assert manager.http_client_config.basic_auth is not None
    assert relabel(Labels([("severity", "info")]), manager.alert_relabel_configs) is None


def test_remote_write_defaults() -> None:
    write = load_config_text("remote_write:\n  - url: http://w/\n").remote_write_configs[0]
    assert (write.remote_timeout, write.send_exemplars, write.name) == (30_000, False, "")
    assert write.queue_config == QueueConfig()
    assert (write.queue_config.capacity, write.queue_config.max_shards, write.queue_config.min_backoff) == (
        10_000,
        50,
        30,
    )
    assert write.metadata_config == MetadataConfig()
    assert write.metadata_config.send_interval == 60_000
    assert (write.http_client_config.follow_redirects, write.http_client_config.enable_http2) == (True, False)


def test_remote_read_defaults() -> None:
    read = load_config_text("remote_read:\n  - url: http://r/\n").remote_read_configs[0]
    assert (read.remote_timeout, read.read_recent, read.filter_external_labels) == (60_000, False, True)
    assert read.chunked_read_limit == 50_000_000
    assert read.http_client_config.enable_http2


ERRORS = [
    (
        "alerting:\n  alertmanagers:\n    - api_version: v1\n",
        "expected Alertmanager api version to be one of [v2]",
    ),
    (
        "alerting:\n  alertmanagers:\n    - sigv4: {}\n",
        'field "sigv4" in alertmanager config is not supported',
    ),
    ("alerting:\n  alertmanagerz: []\n", 'field "alertmanagerz" not found in alerting config'),
    (
        "alerting:\n  alertmanagers:\n    - static_configs: [{targets: ['http://am/']}]\n",
        "is not a valid hostname",
    ),
    (
        "remote_write:\n  - url: http://w/\n    headers: {Content-Type: x}\n",
        "Content-Type is a reserved header",
    ),
    (
        "remote_write:\n  - url: http://w/\n    headers: {Authorization: x}\n",
        "authorization header must be changed",
    ),
    (
        "remote_write:\n  - url: http://w/\n    queue_config: {min_shards: 5, max_shards: 2}\n",
        "remote write queue min_shards must not be greater than max_shards",
    ),
    ("remote_write:\n  - url: http://w/\n    queue_config: {capacity: 0}\n", "capacity must be positive"),
    (
        "remote_write:\n  - url: http://w/\n    queue_config: {min_backoff: 1s, max_backoff: 1ms}\n",
        "max_backoff must not be less than min_backoff",
    ),
    ("remote_write:\n  - url: http://w/\n    queue_config: {max_shard: 2}\n", 'field "max_shard" not found'),
    ("remote_write:\n  - url: http://w/\n    sigv4: {region: x}\n", "is not supported by Ember yet"),
    (
        "remote_write:\n  - url: http://w/\n    protobuf_message: io.prometheus.write.v2.Request\n",
        "is not supported by Ember yet",
    ),
    (
        "remote_write:\n  - url: http://w/\n"
        "    write_relabel_configs: [{action: hashmod, target_label: x}]\n",
        "requires non-zero modulus",
    ),
    (
        "remote_read:\n  - url: http://r/\n    read_recnt: true\n",
        'field "read_recnt" not found in remote read',
    ),
]


@pytest.mark.parametrize(("text", "message"), ERRORS)
def test_outbound_errors(text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=r"prometheus\.yml:\d+: ") as caught:
        load_config_text(text)
    assert message in str(caught.value)
