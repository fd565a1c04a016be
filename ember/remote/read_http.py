"""The synchronous httpx client of a remote-read endpoint, configured from its HTTP client section.

Remote read runs inside PromQL's worker threads, so it uses `httpx.Client`; the settings mirror those
of the scrape client (`ember.scrape.http_client.build_client`): basic auth, authorization, TLS, proxy.
"""

from __future__ import annotations

import ssl
from collections.abc import Mapping
from pathlib import Path

import httpx

from ember.config.http_client import HTTPClientConfig
from ember.errors import ConfigError

USER_AGENT = "Ember/0.1.0"


def _secret(value: str, path: str) -> str:
    if not path:
        return value
    try:
        return Path(path).read_text().strip()
    except OSError as error:
        raise ConfigError(f"cannot read {path}: {error}") from error


def _verify(config: HTTPClientConfig) -> ssl.SSLContext | bool:
    tls = config.tls_config
    if tls.insecure_skip_verify:
        return False
    if not (tls.ca_file or tls.cert_file):
        return True
    try:
        context = ssl.create_default_context(cafile=tls.ca_file or None)
        if tls.cert_file:
            context.load_cert_chain(tls.cert_file, tls.key_file or None)
    except (OSError, ssl.SSLError) as error:
        raise ConfigError(f"cannot load TLS files for remote read: {error}") from error
    return context


def build_sync_client(
    config: HTTPClientConfig, *, timeout_s: float, headers: Mapping[str, str] | None = None
) -> httpx.Client:
    """An `httpx.Client` with the section's auth, TLS and proxy, `timeout_s` per request and the
    configured extra `headers` (Prometheus's `headers` of a remote_read section)."""
    all_headers = {"User-Agent": USER_AGENT, **(headers or {})}
    auth: httpx.Auth | None = None
    if config.basic_auth is not None:
        basic = config.basic_auth
        auth = httpx.BasicAuth(
            _secret(basic.username, basic.username_file), _secret(basic.password, basic.password_file)
        )
    if config.authorization is not None:
        token = _secret(config.authorization.credentials, config.authorization.credentials_file)
        all_headers["Authorization"] = f"{config.authorization.type} {token}"
    return httpx.Client(
        headers=all_headers,
        auth=auth,
        verify=_verify(config),
        follow_redirects=config.follow_redirects,
        proxy=config.proxy_url or None,
        trust_env=config.proxy_from_environment,
        timeout=timeout_s,
    )
