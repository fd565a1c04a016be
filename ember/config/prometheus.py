"""`prometheus.yml` as frozen dataclasses, with Prometheus's field names and defaults (`config/config.go`).

Values are validated once, when the file is read (`ember.config.loader`); code that receives a `Config`
trusts it. Durations are `Duration`s (milliseconds), byte sizes plain ints, label sets `Labels`. Field
names are the YAML keys, except where Python needs Go's name instead (`global` -> `global_config`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from ember.config.durations import Duration
from ember.config.http_client import DEFAULT_HTTP_CLIENT, HTTPClientConfig
from ember.config.service_discovery import FileSDConfig, HTTPSDConfig, TargetGroup
from ember.model.labels import Labels
from ember.relabel import NameValidation, RelabelConfig

SCRAPE_PROTOCOLS = {
    "PrometheusProto": (
        "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited"
    ),
    "PrometheusText0.0.4": "text/plain;version=0.0.4",
    "PrometheusText1.0.0": "text/plain;version=1.0.0",
    "OpenMetricsText0.0.1": "application/openmetrics-text;version=0.0.1",
    "OpenMetricsText1.0.0": "application/openmetrics-text;version=1.0.0",
}
"""Each scrape protocol's media type, for the `Accept` header."""

DEFAULT_SCRAPE_PROTOCOLS = (
    "OpenMetricsText1.0.0",
    "OpenMetricsText0.0.1",
    "PrometheusText1.0.0",
    "PrometheusText0.0.4",
)
ESCAPING_SCHEMES = ("allow-utf-8", "underscores", "dots", "values")
_ONE_MINUTE = Duration(60_000)
_TEN_SECONDS = Duration(10_000)
_ZERO = Duration(0)
_FIVE_SECONDS = Duration(5_000)
_THIRTY_MS = Duration(30)
_THIRTY_SECONDS = Duration(30_000)


def _empty_mapping() -> Mapping[str, str]:
    return MappingProxyType({})


@dataclass(frozen=True)
class GlobalConfig:
    scrape_interval: Duration = _ONE_MINUTE
    scrape_timeout: Duration = _TEN_SECONDS
    scrape_protocols: tuple[str, ...] = ()
    """Empty when not set: each scrape config then uses `DEFAULT_SCRAPE_PROTOCOLS`."""
    evaluation_interval: Duration = _ONE_MINUTE
    rule_query_offset: Duration = _ZERO
    query_log_file: str = ""
    scrape_failure_log_file: str = ""
    external_labels: Labels = field(default_factory=Labels)
    body_size_limit: int = 0
    sample_limit: int = 0
    target_limit: int = 0
    label_limit: int = 0
    label_name_length_limit: int = 0
    label_value_length_limit: int = 0
    keep_dropped_targets: int = 0
    metric_name_validation_scheme: NameValidation = NameValidation.UTF8
    metric_name_escaping_scheme: str = ""


@dataclass(frozen=True)
class ScrapeConfig:
    """One `scrape_configs` entry after Prometheus's `Validate`: unset values filled from `global`."""

    job_name: str
    scrape_interval: Duration
    scrape_timeout: Duration
    honor_labels: bool = False
    honor_timestamps: bool = True
    track_timestamps_staleness: bool = False
    params: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: MappingProxyType({}))
    scrape_protocols: tuple[str, ...] = DEFAULT_SCRAPE_PROTOCOLS
    fallback_scrape_protocol: str = ""
    scrape_failure_log_file: str = ""
    metrics_path: str = "/metrics"
    scheme: str = "http"
    enable_compression: bool = True
    body_size_limit: int = 0
    sample_limit: int = 0
    target_limit: int = 0
    label_limit: int = 0
    label_name_length_limit: int = 0
    label_value_length_limit: int = 0
    keep_dropped_targets: int = 0
    metric_name_validation_scheme: NameValidation = NameValidation.UTF8
    metric_name_escaping_scheme: str = "allow-utf-8"
    static_configs: tuple[TargetGroup, ...] = ()
    file_sd_configs: tuple[FileSDConfig, ...] = ()
    http_sd_configs: tuple[HTTPSDConfig, ...] = ()
    http_client_config: HTTPClientConfig = DEFAULT_HTTP_CLIENT
    relabel_configs: tuple[RelabelConfig, ...] = ()
    metric_relabel_configs: tuple[RelabelConfig, ...] = ()


@dataclass(frozen=True)
class AlertmanagerConfig:
    scheme: str = "http"
    path_prefix: str = ""
    timeout: Duration = _TEN_SECONDS
    api_version: str = "v2"
    static_configs: tuple[TargetGroup, ...] = ()
    file_sd_configs: tuple[FileSDConfig, ...] = ()
    http_sd_configs: tuple[HTTPSDConfig, ...] = ()
    http_client_config: HTTPClientConfig = DEFAULT_HTTP_CLIENT
    relabel_configs: tuple[RelabelConfig, ...] = ()
    alert_relabel_configs: tuple[RelabelConfig, ...] = ()


@dataclass(frozen=True)
class AlertingConfig:
    alert_relabel_configs: tuple[RelabelConfig, ...] = ()
    alertmanagers: tuple[AlertmanagerConfig, ...] = ()


@dataclass(frozen=True)
class QueueConfig:
    capacity: int = 10_000
    max_shards: int = 50
    min_shards: int = 1
    max_samples_per_send: int = 2000
    batch_send_deadline: Duration = _FIVE_SECONDS
    min_backoff: Duration = _THIRTY_MS
    max_backoff: Duration = _FIVE_SECONDS
    retry_on_http_429: bool = False
    sample_age_limit: Duration = _ZERO


@dataclass(frozen=True)
class MetadataConfig:
    send: bool = True
    send_interval: Duration = _ONE_MINUTE
    max_samples_per_send: int = 2000


REMOTE_WRITE_HTTP_CLIENT = HTTPClientConfig(follow_redirects=True, enable_http2=False)


@dataclass(frozen=True)
class RemoteWriteConfig:
    url: str
    name: str = ""
    remote_timeout: Duration = _THIRTY_SECONDS
    headers: Mapping[str, str] = field(default_factory=_empty_mapping)
    write_relabel_configs: tuple[RelabelConfig, ...] = ()
    send_exemplars: bool = False
    http_client_config: HTTPClientConfig = REMOTE_WRITE_HTTP_CLIENT
    queue_config: QueueConfig = QueueConfig()
    metadata_config: MetadataConfig = MetadataConfig()


@dataclass(frozen=True)
class RemoteReadConfig:
    url: str
    name: str = ""
    remote_timeout: Duration = _ONE_MINUTE
    chunked_read_limit: int = 50_000_000
    headers: Mapping[str, str] = field(default_factory=_empty_mapping)
    read_recent: bool = False
    required_matchers: Labels = field(default_factory=Labels)
    filter_external_labels: bool = True
    http_client_config: HTTPClientConfig = DEFAULT_HTTP_CLIENT


@dataclass(frozen=True)
class Config:
    """A whole `prometheus.yml`. `scrape_configs` includes those read from `scrape_config_files`."""

    global_config: GlobalConfig = GlobalConfig()
    alerting_config: AlertingConfig = AlertingConfig()
    rule_files: tuple[str, ...] = ()
    scrape_config_files: tuple[str, ...] = ()
    scrape_configs: tuple[ScrapeConfig, ...] = ()
    remote_write_configs: tuple[RemoteWriteConfig, ...] = ()
    remote_read_configs: tuple[RemoteReadConfig, ...] = ()
    source: str = ""
    """The file the configuration was read from ("" for text)."""

    def scrape_config(self, job_name: str) -> ScrapeConfig | None:
        """The scrape config of `job_name`, if any."""
        for scrape in self.scrape_configs:
            if scrape.job_name == job_name:
                return scrape
        return None
