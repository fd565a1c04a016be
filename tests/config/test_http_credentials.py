from __future__ import annotations

from pathlib import Path

import pytest

from ember.config.http_client import Authorization, BasicAuth, HTTPClientConfig, TLSConfig
from ember.config.http_credentials import USER_AGENT, auth_headers, tls_verify
from ember.errors import ConfigError


def test_credentials_come_from_their_files(tmp_path: Path) -> None:
    (tmp_path / "password").write_text("s3cret\n")
    (tmp_path / "token").write_text("abc\n")
    config = HTTPClientConfig(basic_auth=BasicAuth(username="u", password_file=str(tmp_path / "password")),
                              authorization=Authorization(credentials_file=str(tmp_path / "token")))
    headers, basic = auth_headers(config)
    assert headers == {"User-Agent": USER_AGENT, "Authorization": "Bearer abc"}
    assert basic == ("u", "s3cret")


def test_an_unreadable_secret_is_a_config_error_naming_the_file(tmp_path: Path) -> None:
    config = HTTPClientConfig(authorization=Authorization(credentials_file=str(tmp_path / "absent")))
    with pytest.raises(ConfigError, match="absent"):
        auth_headers(config)


def test_tls_trust() -> None:
    assert tls_verify(HTTPClientConfig()) is True
    assert tls_verify(HTTPClientConfig(tls_config=TLSConfig(insecure_skip_verify=True))) is False
    with pytest.raises(ConfigError, match="TLS"):
        tls_verify(HTTPClientConfig(tls_config=TLSConfig(ca_file="/nonexistent/ca.pem")))
