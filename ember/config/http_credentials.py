"""What an HTTP client section resolves to at client-build time: the credentials (read from their files
where given) and the TLS trust. Every client Ember builds (scrape, discovery, Alertmanager, remote read and
write) takes them from here, so they all read secrets and certificates the same way."""

from __future__ import annotations

import ssl
from pathlib import Path

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


def auth_headers(config: HTTPClientConfig) -> tuple[dict[str, str], tuple[str, str] | None]:
    """The User-Agent and `authorization` headers, and the basic-auth (user, password) if configured."""
    headers = {"User-Agent": USER_AGENT}
    basic: tuple[str, str] | None = None
    if config.basic_auth is not None:
        auth = config.basic_auth
        basic = (_secret(auth.username, auth.username_file), _secret(auth.password, auth.password_file))
    if config.authorization is not None:
        token = _secret(config.authorization.credentials, config.authorization.credentials_file)
        headers["Authorization"] = f"{config.authorization.type} {token}"
    return headers, basic


def tls_verify(config: HTTPClientConfig) -> ssl.SSLContext | bool:
    """False with `insecure_skip_verify`, a context for a CA or client certificate, else True (system CAs)."""
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
        raise ConfigError(f"cannot load TLS files: {error}") from error
    return context
