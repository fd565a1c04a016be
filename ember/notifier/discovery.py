"""Finding Alertmanagers: each `alerting.alertmanagers` entry is one set, fed by static, file and HTTP
discovery, whose targets go through the entry's `relabel_configs` on `__address__`, `__scheme__` and
`__alerts_path__` (Prometheus's `AlertmanagerFromGroup` and `alertmanagerSet.sync`)."""

from __future__ import annotations

import asyncio
import logging
import os
import posixpath
import ssl

import httpx

from ember.config.prometheus import AlertmanagerConfig
from ember.discovery.providers import FileProvider, HTTPProvider
from ember.discovery.target_groups import DiscoveredGroup, static_groups
from ember.errors import ConfigError
from ember.model.labels import Labels
from ember.relabel import relabel
from ember.scrape.http_client import build_client

ADDRESS_LABEL = "__address__"
SCHEME_LABEL = "__scheme__"
PATH_LABEL = "__alerts_path__"


def alerts_path(path_prefix: str) -> str:
    """`<path_prefix>/api/v2/alerts`, cleaned as Go's `path.Join("/", prefix, ...)` cleans it."""
    joined = "/" + "/".join(part for part in (path_prefix.strip("/"), "api/v2/alerts") if part)
    return posixpath.normpath(joined)


def alertmanager_url(labels: Labels) -> str:
    """The push URL of a discovered Alertmanager, from its (relabelled) labels."""
    return f"{labels.get(SCHEME_LABEL)}://{labels.get(ADDRESS_LABEL)}{labels.get(PATH_LABEL)}"


def alertmanagers_from_group(
    group: DiscoveredGroup, config: AlertmanagerConfig
) -> tuple[list[Labels], list[Labels]]:
    """The kept (relabelled) and dropped (as discovered) label sets of a group's targets.

    Raises ConfigError when a kept address is not a host[:port], which rejects the whole group as
    Prometheus does."""
    kept: list[Labels] = []
    dropped: list[Labels] = []
    for target in group.targets:
        merged = dict(target)
        # The configured scheme and path come after the target's labels so relabelling can override them.
        merged[SCHEME_LABEL] = config.scheme
        merged[PATH_LABEL] = alerts_path(config.path_prefix)
        merged.update((name, value) for name, value in group.labels if name not in target)
        discovered = Labels(merged.items())
        relabelled = relabel(discovered, config.relabel_configs)
        if relabelled is None:
            dropped.append(discovered)
            continue
        address = relabelled.get(ADDRESS_LABEL)
        if "/" in address:
            raise ConfigError(f'"{address}" is not a valid hostname')
        kept.append(relabelled)
    return kept, dropped


def _client_files(config: AlertmanagerConfig) -> dict[str, str]:
    client = config.http_client_config
    tls, basic, authorization = client.tls_config, client.basic_auth, client.authorization
    files = {"tls_config.ca_file": tls.ca_file, "tls_config.cert_file": tls.cert_file,
             "tls_config.key_file": tls.key_file}
    if basic is not None:
        files |= {"basic_auth.username_file": basic.username_file, "basic_auth.password_file": basic.password_file}
    if authorization is not None:
        files["authorization.credentials_file"] = authorization.credentials_file
    return {field: path for field, path in files.items() if path}


def build_alertmanager_client(config: AlertmanagerConfig, name: str) -> httpx.AsyncClient:
    """The HTTP client of one Alertmanager set (the scrape client builder: auth, TLS, proxy); a file it
    cannot read or a bad certificate is a ConfigError naming the set and the field."""
    for field, path in _client_files(config).items():
        if not os.access(path, os.R_OK):
            raise ConfigError(f"alertmanager set {name}: {field}: cannot read {path}")
    try:
        return build_client(config.http_client_config)
    except (OSError, ssl.SSLError, ValueError) as exc:
        raise ConfigError(f"alertmanager set {name}: cannot build its HTTP client: {exc}") from exc


class AlertmanagerSet:
    """The Alertmanagers of one `alertmanagers` entry, kept current by its discovery providers."""

    def __init__(self, name: str, config: AlertmanagerConfig, logger: logging.Logger) -> None:
        self.name = name
        self.config = config
        self.client = build_alertmanager_client(config, name)
        self.active: tuple[str, ...] = ()
        self.dropped: tuple[str, ...] = ()
        self._log = logger
        self._groups: dict[str, list[DiscoveredGroup]] = {}
        self._tasks: list[asyncio.Task[None]] = []
        self._sd_clients: list[httpx.AsyncClient] = []

    async def start(self) -> None:
        """Publishes the static groups and starts the file and HTTP discovery providers."""
        await self.publish("static", static_groups(self.name, self.config.static_configs))
        for i, file_sd in enumerate(self.config.file_sd_configs):
            provider = FileProvider(f"file/{i}", file_sd.files, int(file_sd.refresh_interval) / 1000)
            self._tasks.append(asyncio.ensure_future(provider.run(self.publish)))
        for i, http_sd in enumerate(self.config.http_sd_configs):
            client = build_client(http_sd.http_client_config)
            self._sd_clients.append(client)
            http_provider = HTTPProvider(f"http/{i}", http_sd.url, int(http_sd.refresh_interval) / 1000, client)
            self._tasks.append(asyncio.ensure_future(http_provider.run(self.publish)))

    async def publish(self, provider: str, groups: list[DiscoveredGroup]) -> None:
        """Replaces one provider's groups and recomputes the active and dropped Alertmanagers."""
        self._groups[provider] = groups
        active: dict[str, None] = {}  # ordered and deduplicated by URL, as Prometheus's sync
        dropped: list[str] = []
        for provider_groups in self._groups.values():
            for group in provider_groups:
                try:
                    kept, dropped_labels = alertmanagers_from_group(group, self.config)
                except ConfigError as exc:
                    self._log.error("Creating discovered Alertmanagers failed: %s", exc)
                    continue
                active.update(dict.fromkeys(alertmanager_url(labels) for labels in kept))
                dropped.extend(alertmanager_url(labels) for labels in dropped_labels)
        self.active, self.dropped = tuple(active), tuple(dropped)

    async def stop(self) -> None:
        """Stops discovery and closes the HTTP clients."""
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()
        for client in [*self._sd_clients, self.client]:
            await client.aclose()
        self._sd_clients.clear()
