"""The HTTP client settings shared by scrape configs, HTTP SD, Alertmanagers and remote read/write.

Prometheus inlines these fields (`basic_auth`, `authorization`, `tls_config`, `proxy_url`, ...) into each
section; `read_http_client` reads them from a section and applies Prometheus's checks and its conversion
of the legacy `bearer_token` / `bearer_token_file` into `authorization`. Secrets are left out of `repr`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlsplit

from ember.config.yaml_nodes import ConfigNode

TLS_VERSIONS = ("TLS10", "TLS11", "TLS12", "TLS13")


@dataclass(frozen=True)
class BasicAuth:
    username: str = ""
    username_file: str = ""
    password: str = field(default="", repr=False)
    password_file: str = ""


@dataclass(frozen=True)
class Authorization:
    type: str = "Bearer"
    credentials: str = field(default="", repr=False)
    credentials_file: str = ""


@dataclass(frozen=True)
class TLSConfig:
    ca: str = ""
    cert: str = ""
    key: str = field(default="", repr=False)
    ca_file: str = ""
    cert_file: str = ""
    key_file: str = ""
    server_name: str = ""
    insecure_skip_verify: bool = False
    min_version: str = ""
    max_version: str = ""


@dataclass(frozen=True)
class HTTPClientConfig:
    basic_auth: BasicAuth | None = None
    authorization: Authorization | None = None
    tls_config: TLSConfig = TLSConfig()
    proxy_url: str = ""
    no_proxy: str = ""
    proxy_from_environment: bool = False
    follow_redirects: bool = True
    enable_http2: bool = True


DEFAULT_HTTP_CLIENT = HTTPClientConfig()
_UNSUPPORTED = ("oauth2", "http_headers", "proxy_connect_header")
HTTP_CLIENT_KEYS = frozenset(
    (
        "basic_auth",
        "authorization",
        "bearer_token",
        "bearer_token_file",
        "tls_config",
        "proxy_url",
        "no_proxy",
        "proxy_from_environment",
        "follow_redirects",
        "enable_http2",
        *_UNSUPPORTED,
    )
)
"""The YAML keys Prometheus inlines from its `HTTPClientConfig` into other sections."""


def read_http_client(node: ConfigNode, defaults: HTTPClientConfig = DEFAULT_HTTP_CLIENT) -> HTTPClientConfig:
    """Reads the inlined HTTP client fields of `node` (Prometheus's `HTTPClientConfig` and `Validate`)."""
    node.refuse(*_UNSUPPORTED)
    basic_auth = _read_basic_auth(node)
    authorization = _read_authorization(node)
    bearer_token = node.string("bearer_token")
    bearer_token_file = node.path("bearer_token_file")
    if bearer_token and bearer_token_file:
        raise node.error("at most one of bearer_token & bearer_token_file must be configured")
    if basic_auth is not None and (bearer_token or bearer_token_file):
        raise node.error(
            "at most one of basic_auth, oauth2, bearer_token & bearer_token_file must be configured"
        )
    if authorization is not None:
        if bearer_token or bearer_token_file:
            raise node.error("authorization is not compatible with bearer_token & bearer_token_file")
        if basic_auth is not None:
            raise node.error("at most one of basic_auth, oauth2 & authorization must be configured")
    elif bearer_token or bearer_token_file:
        authorization = Authorization("Bearer", bearer_token, bearer_token_file)
    proxy_url = node.string("proxy_url")
    no_proxy = node.string("no_proxy")
    from_environment = node.boolean("proxy_from_environment", False)
    _check_proxy(node, proxy_url, no_proxy, from_environment)
    return HTTPClientConfig(
        basic_auth=basic_auth,
        authorization=authorization,
        tls_config=read_tls_config(node.section("tls_config", "tls_config")),
        proxy_url=proxy_url,
        no_proxy=no_proxy,
        proxy_from_environment=from_environment,
        follow_redirects=node.boolean("follow_redirects", defaults.follow_redirects),
        enable_http2=node.boolean("enable_http2", defaults.enable_http2),
    )


def _read_basic_auth(parent: ConfigNode) -> BasicAuth | None:
    node = parent.section("basic_auth", "basic_auth")
    if node is None:
        return None
    node.refuse("username_ref", "password_ref")
    auth = BasicAuth(
        node.string("username"),
        node.path("username_file"),
        node.string("password"),
        node.path("password_file"),
    )
    node.finish()
    if auth.username and auth.username_file:
        raise node.error(
            "at most one of basic_auth username, username_file & username_ref must be configured"
        )
    if auth.password and auth.password_file:
        raise node.error(
            "at most one of basic_auth password, password_file & password_ref must be configured"
        )
    return auth


def _read_authorization(parent: ConfigNode) -> Authorization | None:
    node = parent.section("authorization", "authorization")
    if node is None:
        return None
    node.refuse("credentials_ref")
    kind = node.string("type").strip() or "Bearer"
    auth = Authorization(kind, node.string("credentials"), node.path("credentials_file"))
    node.finish()
    if auth.credentials and auth.credentials_file:
        raise node.error("at most one of authorization credentials & credentials_file must be configured")
    if kind.lower() == "basic":
        raise node.error('authorization type cannot be set to "basic", use "basic_auth" instead')
    return auth


def read_tls_config(node: ConfigNode | None) -> TLSConfig:
    """Reads a `tls_config` section (Prometheus's `TLSConfig.Validate` checks included)."""
    if node is None:
        return TLSConfig()
    node.refuse("ca_ref", "cert_ref", "key_ref")
    tls = TLSConfig(
        ca=node.string("ca"),
        cert=node.string("cert"),
        key=node.string("key"),
        ca_file=node.path("ca_file"),
        cert_file=node.path("cert_file"),
        key_file=node.path("key_file"),
        server_name=node.string("server_name"),
        insecure_skip_verify=node.boolean("insecure_skip_verify", False),
        min_version=_tls_version(node, "min_version"),
        max_version=_tls_version(node, "max_version"),
    )
    node.finish()
    if tls.ca and tls.ca_file:
        raise node.error("at most one of ca, ca_file & ca_ref must be configured")
    if tls.cert and tls.cert_file:
        raise node.error("at most one of cert, cert_file & cert_ref must be configured")
    if tls.key and tls.key_file:
        raise node.error("at most one of key and key_file must be configured")
    has_cert, has_key = bool(tls.cert or tls.cert_file), bool(tls.key or tls.key_file)
    if has_cert and not has_key:
        raise node.error(
            "exactly one of key or key_file must be configured when a client certificate is configured"
        )
    if has_key and not has_cert:
        raise node.error(
            "exactly one of cert or cert_file must be configured when a client key is configured"
        )
    if tls.min_version and tls.max_version and tls.max_version < tls.min_version:
        raise node.error(
            "tls_config.max_version must be greater than or equal to tls_config.min_version "
            "if both are specified"
        )
    return tls


def _tls_version(node: ConfigNode, key: str) -> str:
    version = node.string(key)
    if version and version not in TLS_VERSIONS:
        raise node.field_error(key, f"unknown TLS version: {version}")
    return version


def _check_proxy(node: ConfigNode, proxy_url: str, no_proxy: str, from_environment: bool) -> None:
    if proxy_url:
        parse_url(node, "proxy_url", proxy_url)
    if from_environment and proxy_url:
        raise node.error("if proxy_from_environment is configured, proxy_url must not be configured")
    if from_environment and no_proxy:
        raise node.error("if proxy_from_environment is configured, no_proxy must not be configured")
    if no_proxy and not proxy_url:
        raise node.error("if no_proxy is configured, proxy_url must also be configured")


def parse_url(node: ConfigNode, key: str, text: str) -> str:
    """Checks that `text` parses as a URL (Go's `url.Parse` is lenient too); returns it unchanged."""
    try:
        urlsplit(text)
    except ValueError as exc:
        raise node.field_error(key, f'parse "{text}": {exc}') from exc
    return text
