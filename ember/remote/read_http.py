"""The synchronous httpx client of a remote-read endpoint, configured from its HTTP client section.

Remote read runs inside PromQL's worker threads, so it uses `httpx.Client`; the settings mirror those
of every client (`ember.config.http_credentials`): basic auth, authorization, TLS, proxy.
"""

from __future__ import annotations

from collections.abc import Mapping

import httpx

from ember.config.http_client import HTTPClientConfig
from ember.config.http_credentials import auth_headers, tls_verify


def build_sync_client(
    config: HTTPClientConfig, *, timeout_s: float, headers: Mapping[str, str] | None = None
) -> httpx.Client:
    """An `httpx.Client` with the section's auth, TLS and proxy, `timeout_s` per request and the
    configured extra `headers` (Prometheus's `headers` of a remote_read section)."""
    all_headers, basic = auth_headers(config)
    all_headers.update(headers or {})
    return httpx.Client(
        headers=all_headers,
        auth=httpx.BasicAuth(*basic) if basic else None,
        verify=tls_verify(config),
        follow_redirects=config.follow_redirects,
        proxy=config.proxy_url or None,
        trust_env=config.proxy_from_environment,
        timeout=timeout_s,
    )
