"""Service-discovery sections of scrape and Alertmanager configs: `static_configs`, `file_sd_configs`,
`http_sd_configs`. Every other `*_sd_configs` kind Prometheus knows is refused by name, never ignored."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from ember.config.durations import Duration
from ember.config.http_client import DEFAULT_HTTP_CLIENT, HTTP_CLIENT_KEYS, HTTPClientConfig, read_http_client
from ember.config.yaml_nodes import ConfigNode, join_dir
from ember.model.labels import Labels
from ember.relabel import NameValidation, go_quote, is_valid_name

SUPPORTED_SD_KEYS = ("static_configs", "file_sd_configs", "http_sd_configs")
_PROMETHEUS_SD_NAMES = [
    "aws",
    "azure",
    "consul",
    "digitalocean",
    "dns",
    "docker",
    "dockerswarm",
    "ec2",
    "ecs",
    "elasticache",
    "eureka",
    "gce",
    "hetzner",
    "ionos",
    "kubernetes",
    "kuma",
    "lightsail",
    "linode",
    "marathon",
    "msk",
    "nerve",
    "nomad",
    "oci",
    "openstack",
    "outscale",
    "ovhcloud",
    "puppetdb",
    "rds",
    "scaleway",
    "serverset",
    "stackit",
    "triton",
    "uyuni",
    "vultr",
]
SD_KEYS = frozenset(SUPPORTED_SD_KEYS) | {f"{name}_sd_configs" for name in _PROMETHEUS_SD_NAMES}
"""Every service-discovery key Prometheus knows; those Ember lacks are refused by name."""
# Prometheus's `patFileSDName`.
_FIVE_MINUTES = Duration(300_000)
_ONE_MINUTE = Duration(60_000)
_FILE_SD_NAME = re.compile(r"[^*]*(\*[^/]*)?\.(json|yml|yaml|JSON|YML|YAML)")


@dataclass(frozen=True)
class TargetGroup:
    """One `static_configs` entry: target addresses sharing a label set."""

    targets: tuple[str, ...] = ()
    labels: Labels = field(default_factory=Labels)


@dataclass(frozen=True)
class FileSDConfig:
    files: tuple[str, ...]
    refresh_interval: Duration = _FIVE_MINUTES


@dataclass(frozen=True)
class HTTPSDConfig:
    url: str
    refresh_interval: Duration = _ONE_MINUTE
    http_client_config: HTTPClientConfig = DEFAULT_HTTP_CLIENT


@dataclass(frozen=True)
class ServiceDiscovery:
    """All discovery sections of one scrape or Alertmanager config."""

    static_configs: tuple[TargetGroup, ...] = ()
    file_sd_configs: tuple[FileSDConfig, ...] = ()
    http_sd_configs: tuple[HTTPSDConfig, ...] = ()


def read_service_discovery(node: ConfigNode, scheme: NameValidation) -> ServiceDiscovery:
    """Reads the discovery sections of `node`; unsupported kinds are errors naming them."""
    for key in node.data:
        if key in SD_KEYS and key not in SUPPORTED_SD_KEYS:
            supported = ", ".join(SUPPORTED_SD_KEYS)
            raise node.error(f"{key} is not supported by Ember yet (supported: {supported})", key)
    return ServiceDiscovery(
        static_configs=tuple(
            _read_target_group(n, scheme)
            for n in node.sections(
                "static_configs", "static_config", "empty or null section in static_configs"
            )
        ),
        file_sd_configs=tuple(_read_file_sd(n) for n in node.sections("file_sd_configs", "file_sd_config")),
        http_sd_configs=tuple(_read_http_sd(n) for n in node.sections("http_sd_configs", "http_sd_config")),
    )


def _read_target_group(node: ConfigNode, scheme: NameValidation) -> TargetGroup:
    targets = node.string_list("targets")
    labels = node.string_map("labels")
    node.finish()
    for name in labels:
        if not is_valid_name(name, scheme):
            raise node.error(f"{go_quote(name)} is not a valid label name", "labels")
    return TargetGroup(targets, Labels(labels.items()))


def _read_file_sd(node: ConfigNode) -> FileSDConfig:
    files = node.string_list("files")
    refresh = node.duration("refresh_interval", 300_000)
    node.finish()
    if not files:
        raise node.error("file service discovery config must contain at least one path name")
    for name in files:
        if _FILE_SD_NAME.fullmatch(name) is None:
            raise node.error(f"path name {go_quote(name)} is not valid for file discovery", "files")
    return FileSDConfig(tuple(join_dir(node.directory, name) for name in files), refresh)


def _read_http_sd(node: ConfigNode) -> HTTPSDConfig:
    node.expect_only(HTTP_CLIENT_KEYS | {"url", "refresh_interval"})
    url = node.string("url")
    refresh = node.duration("refresh_interval", 60_000)
    client = read_http_client(node)
    node.finish()
    if not url:
        raise node.error("URL is missing")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise node.error("URL scheme must be 'http' or 'https'", "url")
    if not parts.netloc:
        raise node.error("host is missing in URL", "url")
    return HTTPSDConfig(url, refresh, client)


def check_static_targets(node: ConfigNode, discovery: ServiceDiscovery) -> None:
    """Without relabelling, a target with a `/` is a URL pasted by mistake (Prometheus's check)."""
    for group in discovery.static_configs:
        for target in group.targets:
            if "/" in target:
                raise node.error(f"{go_quote(target)} is not a valid hostname", "static_configs")
