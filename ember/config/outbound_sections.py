"""Reading the sections about where Ember sends data: `alerting`, `remote_write` and `remote_read`."""

from __future__ import annotations

from dataclasses import fields
from types import MappingProxyType

from ember.config.http_client import HTTP_CLIENT_KEYS, parse_url, read_http_client
from ember.config.prometheus import (
    REMOTE_WRITE_HTTP_CLIENT,
    AlertingConfig,
    AlertmanagerConfig,
    MetadataConfig,
    QueueConfig,
    RemoteReadConfig,
    RemoteWriteConfig,
)
from ember.config.relabel_section import read_relabel_configs
from ember.config.service_discovery import SD_KEYS, check_static_targets, read_service_discovery
from ember.config.yaml_nodes import ConfigNode
from ember.model.labels import Labels
from ember.relabel import NameValidation

# Prometheus's `reservedHeaders`: set by the protocol itself, never by configuration.
_RESERVED_HEADERS = frozenset(
    (
        "host",
        "content-encoding",
        "content-length",
        "content-type",
        "user-agent",
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "www-authenticate",
        "accept-encoding",
        "x-prometheus-remote-write-version",
        "x-prometheus-remote-read-version",
        "x-amz-date",
        "x-amz-security-token",
        "x-amz-content-sha256",
    )
)
_CLOUD_AUTH = ("sigv4", "azuread", "google_iam")
_REMOTE_WRITE_V1 = "prometheus.WriteRequest"


def _keys(cls: type, *extra: str) -> set[str]:
    return {f.name for f in fields(cls)} - {"http_client_config"} | HTTP_CLIENT_KEYS | SD_KEYS | set(extra)


def read_alerting(node: ConfigNode | None, scheme: NameValidation) -> AlertingConfig:
    if node is None:
        return AlertingConfig()
    config = AlertingConfig(
        alert_relabel_configs=read_relabel_configs(
            node, "alert_relabel_configs", scheme, "empty or null alert relabeling rule"
        ),
        alertmanagers=tuple(
            _read_alertmanager(item, scheme) for item in node.sections("alertmanagers", "alertmanager config")
        ),
    )
    node.finish()
    return config


def _read_alertmanager(node: ConfigNode, scheme: NameValidation) -> AlertmanagerConfig:
    node.expect_only(_keys(AlertmanagerConfig, "sigv4"))
    node.refuse("sigv4")
    api_version = node.string("api_version", "v2")
    if api_version != "v2":
        raise node.error(
            f"expected Alertmanager api version to be one of [v2] but got {api_version}", "api_version"
        )
    discovery = read_service_discovery(node, scheme)
    relabel_configs = read_relabel_configs(
        node, "relabel_configs", scheme, "empty or null Alertmanager target relabeling rule"
    )
    if not relabel_configs:
        check_static_targets(node, discovery)
    config = AlertmanagerConfig(
        scheme=node.string("scheme", "http"),
        path_prefix=node.string("path_prefix"),
        timeout=node.duration("timeout", 10_000),
        api_version=api_version,
        static_configs=discovery.static_configs,
        file_sd_configs=discovery.file_sd_configs,
        http_sd_configs=discovery.http_sd_configs,
        http_client_config=read_http_client(node),
        relabel_configs=relabel_configs,
        alert_relabel_configs=read_relabel_configs(
            node, "alert_relabel_configs", scheme, "empty or null Alertmanager alert relabeling rule"
        ),
    )
    node.finish()
    return config


def read_remote_write(node: ConfigNode, scheme: NameValidation) -> RemoteWriteConfig:
    """One `remote_write` entry (Prometheus's `RemoteWriteConfig.UnmarshalYAML`)."""
    node.expect_only(
        _keys(
            RemoteWriteConfig,
            *_CLOUD_AUTH,
            "send_native_histograms",
            "round_robin_dns",
            "protobuf_message",
            "failed_request_logging",
        )
    )
    node.refuse(*_CLOUD_AUTH)
    for switch in ("send_native_histograms", "round_robin_dns", "failed_request_logging"):
        if node.boolean(switch, False):
            raise node.error(f'field "{switch}" in {node.what} is not supported by Ember yet', switch)
    message = node.string("protobuf_message", _REMOTE_WRITE_V1)
    if message != _REMOTE_WRITE_V1:
        raise node.error(
            f'protobuf_message "{message}" is not supported by Ember yet '
            f'(only remote write 1.0, "{_REMOTE_WRITE_V1}")',
            "protobuf_message",
        )
    url = node.string("url")
    if not url:
        raise node.error("url for remote_write is empty")
    config = RemoteWriteConfig(
        url=parse_url(node, "url", url),
        name=node.string("name"),
        remote_timeout=node.duration("remote_timeout", 30_000),
        headers=_headers(node),
        write_relabel_configs=read_relabel_configs(
            node, "write_relabel_configs", scheme, "empty or null relabeling rule in remote write config"
        ),
        send_exemplars=node.boolean("send_exemplars", False),
        http_client_config=read_http_client(node, REMOTE_WRITE_HTTP_CLIENT),
        queue_config=_read_queue_config(node.section("queue_config", "queue_config")),
        metadata_config=_read_metadata_config(node.section("metadata_config", "metadata_config")),
    )
    node.finish()
    return config


def _headers(node: ConfigNode) -> MappingProxyType[str, str]:
    headers = node.string_map("headers")
    for header in headers:
        if header.lower() == "authorization":
            raise node.error(
                "authorization header must be changed via the basic_auth, authorization, "
                "oauth2, sigv4, azuread or google_iam parameter",
                "headers",
            )
        if header.lower() in _RESERVED_HEADERS:
            raise node.error(f"{header} is a reserved header. It must not be changed", "headers")
    return MappingProxyType(headers)


def _read_queue_config(node: ConfigNode | None) -> QueueConfig:
    if node is None:
        return QueueConfig()
    default = QueueConfig()
    queue = QueueConfig(
        capacity=node.integer("capacity", default.capacity),
        max_shards=node.integer("max_shards", default.max_shards),
        min_shards=node.integer("min_shards", default.min_shards),
        max_samples_per_send=node.integer("max_samples_per_send", default.max_samples_per_send),
        batch_send_deadline=node.duration("batch_send_deadline", default.batch_send_deadline),
        min_backoff=node.duration("min_backoff", default.min_backoff),
        max_backoff=node.duration("max_backoff", default.max_backoff),
        retry_on_http_429=node.boolean("retry_on_http_429", False),
        sample_age_limit=node.duration("sample_age_limit", 0),
    )
    node.finish()
    checks = (
        (queue.max_shards <= 0, "max_shards must be positive"),
        (queue.min_shards <= 0, "min_shards must be positive"),
        (queue.min_shards > queue.max_shards, "min_shards must not be greater than max_shards"),
        (queue.max_samples_per_send <= 0, "max_samples_per_send must be positive"),
        (queue.capacity <= 0, "capacity must be positive"),
        (queue.max_backoff < queue.min_backoff, "max_backoff must not be less than min_backoff"),
    )
    for failed, message in checks:
        if failed:
            raise node.error(f"remote write queue {message}")
    return queue


def _read_metadata_config(node: ConfigNode | None) -> MetadataConfig:
    if node is None:
        return MetadataConfig()
    default = MetadataConfig()
    metadata = MetadataConfig(
        send=node.boolean("send", default.send),
        send_interval=node.duration("send_interval", default.send_interval),
        max_samples_per_send=node.integer("max_samples_per_send", default.max_samples_per_send),
    )
    node.finish()
    return metadata


def read_remote_read(node: ConfigNode) -> RemoteReadConfig:
    """One `remote_read` entry (Prometheus's `RemoteReadConfig.UnmarshalYAML`)."""
    node.expect_only(_keys(RemoteReadConfig))
    url = node.string("url")
    if not url:
        raise node.error("url for remote_read is empty")
    default = RemoteReadConfig(url)
    config = RemoteReadConfig(
        url=parse_url(node, "url", url),
        name=node.string("name"),
        remote_timeout=node.duration("remote_timeout", default.remote_timeout),
        chunked_read_limit=node.uint("chunked_read_limit", default.chunked_read_limit),
        headers=_headers(node),
        read_recent=node.boolean("read_recent", False),
        required_matchers=Labels(node.string_map("required_matchers").items()),
        filter_external_labels=node.boolean("filter_external_labels", True),
        http_client_config=read_http_client(node),
    )
    node.finish()
    return config
