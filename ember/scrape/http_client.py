"""The httpx client of a scrape pool, configured from the scrape config's HTTP client section."""

from __future__ import annotations

import ssl
from pathlib import Path

import httpx

from ember.config.http_client import HTTPClientConfig


def _read(value: str, path: str) -> str:
    return Path(path).read_text().strip() if path else value


def build_client(config: HTTPClientConfig) -> httpx.AsyncClient:
    headers = {"User-Agent": "Ember/0.1.0"}
    auth: httpx.Auth | None = None
    if config.basic_auth is not None:
        basic = config.basic_auth
        auth = httpx.BasicAuth(_read(basic.username, basic.username_file), _read(basic.password, basic.password_file))
    if config.authorization is not None:
        token = _read(config.authorization.credentials, config.authorization.credentials_file)
        headers["Authorization"] = f"{config.authorization.type} {token}"
    tls = config.tls_config
    verify: ssl.SSLContext | bool = True
    if tls.insecure_skip_verify:
        verify = False
    elif tls.ca_file or tls.cert_file:
        context = ssl.create_default_context(cafile=tls.ca_file or None)
        if tls.cert_file:
            context.load_cert_chain(tls.cert_file, tls.key_file or None)
        verify = context
    return httpx.AsyncClient(
        headers=headers, auth=auth, verify=verify, follow_redirects=config.follow_redirects,
        proxy=config.proxy_url or None, trust_env=config.proxy_from_environment,
    )
