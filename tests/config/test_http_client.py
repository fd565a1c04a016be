from __future__ import annotations

import pytest

from ember.config.http_client import HTTPClientConfig
from ember.config.loader import load_config_text
from ember.errors import ConfigError


def client(text: str) -> HTTPClientConfig:
    config = load_config_text(f"scrape_configs:\n  - job_name: j\n{text}")
    return config.scrape_configs[0].http_client_config


def test_bearer_token_becomes_authorization() -> None:
    auth = client("    bearer_token: abc\n").authorization
    assert auth is not None and (auth.type, auth.credentials) == ("Bearer", "abc")


def test_authorization_type_defaults_to_bearer() -> None:
    auth = client("    authorization:\n      credentials_file: /t\n").authorization
    assert auth is not None and (auth.type, auth.credentials_file) == ("Bearer", "/t")
    custom = client("    authorization:\n      type: Token\n      credentials: x\n").authorization
    assert custom is not None and custom.type == "Token"


def test_tls_and_proxy_fields() -> None:
    config = client(
        "    tls_config:\n      cert_file: /c\n      key_file: /k\n      server_name: s\n"
        "      max_version: TLS13\n    proxy_url: http://proxy:3128\n    follow_redirects: false\n"
        "    enable_http2: false\n"
    )
    assert (config.tls_config.cert_file, config.tls_config.key_file, config.tls_config.server_name) == (
        "/c",
        "/k",
        "s",
    )
    assert config.tls_config.max_version == "TLS13"
    assert (config.proxy_url, config.follow_redirects, config.enable_http2) == (
        "http://proxy:3128",
        False,
        False,
    )


ERRORS = [
    ("    bearer_token: a\n    bearer_token_file: b\n", "at most one of bearer_token & bearer_token_file"),
    (
        "    basic_auth: {username: u}\n    bearer_token: a\n",
        "at most one of basic_auth, oauth2, bearer_token",
    ),
    (
        "    authorization: {credentials: a}\n    bearer_token: a\n",
        "authorization is not compatible with bearer_token",
    ),
    (
        "    authorization: {credentials: a}\n    basic_auth: {username: u}\n",
        "at most one of basic_auth, oauth2 & auth",
    ),
    ("    authorization: {type: Basic}\n", 'authorization type cannot be set to "basic"'),
    (
        "    authorization: {credentials: a, credentials_file: b}\n",
        "at most one of authorization credentials",
    ),
    ("    basic_auth: {password: a, password_file: b}\n", "at most one of basic_auth password"),
    ("    basic_auth: {username: a, username_file: b}\n", "at most one of basic_auth username"),
    ("    basic_auth: {user: a}\n", 'field "user" not found in basic_auth'),
    ("    tls_config: {cert_file: a}\n", "exactly one of key or key_file must be configured"),
    ("    tls_config: {key_file: a}\n", "exactly one of cert or cert_file must be configured"),
    ("    tls_config: {ca: a, ca_file: b}\n", "at most one of ca, ca_file & ca_ref"),
    ("    tls_config: {min_version: TLS14}\n", "unknown TLS version: TLS14"),
    (
        "    tls_config: {min_version: TLS13, max_version: TLS12}\n",
        "max_version must be greater than or equal",
    ),
    ("    tls_config: {insecure: true}\n", 'field "insecure" not found in tls_config'),
    ("    oauth2: {client_id: a}\n", 'field "oauth2" in scrape config is not supported by Ember yet'),
    ("    no_proxy: localhost\n", "if no_proxy is configured, proxy_url must also be configured"),
    ("    proxy_from_environment: true\n    proxy_url: http://p\n", "proxy_url must not be configured"),
]


@pytest.mark.parametrize(("text", "message"), ERRORS)
def test_http_client_errors(text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=r"prometheus\.yml:\d+: ") as caught:
        client(text)
    assert message in str(caught.value)
