"""Request bytes built from target URLs, the TLS context of `tls_config`, and the idle-connection pool."""

from __future__ import annotations

import asyncio
import ssl
from pathlib import Path

import pytest

from ember.config.http_client import TLSConfig
from ember.errors import ConfigError
from ember.scrape import connection_pool
from ember.scrape.connection_pool import (
    IDLE_TIMEOUT_S,
    ConnectionPool,
    Origin,
    RequestURLError,
    prepare_request,
    scrape_tls_context,
)
from ember.scrape.http_connection import HttpConnection
from tests.certificates import OPENSSL, self_signed_certificate


def test_request_bytes_name_path_query_host_and_headers() -> None:
    prepared = prepare_request("http://node:9100/metrics?collect[]=cpu", {"Accept": "text/plain", "X-A": "1"})
    assert prepared.origin == Origin("node", 9100, tls=False)
    assert prepared.data == (b"GET /metrics?collect[]=cpu HTTP/1.1\r\nHost: node:9100\r\nAccept: text/plain\r\n"
                             b"X-A: 1\r\n\r\n")


@pytest.mark.parametrize(("url", "origin", "start"), [
    ("https://example.org/m", Origin("example.org", 443, tls=True), b"GET /m HTTP/1.1\r\nHost: example.org\r\n"),
    ("http://example.org", Origin("example.org", 80, tls=False), b"GET / HTTP/1.1\r\nHost: example.org\r\n"),
    ("http://[::1]:9090/a b", Origin("::1", 9090, tls=False), b"GET /a%20b HTTP/1.1\r\nHost: [::1]:9090\r\n"),
    ("http://u:p@h:1/x%2Fy", Origin("h", 1, tls=False), b"GET /x%2Fy HTTP/1.1\r\nHost: h:1\r\n"),
])
def test_origins_default_ports_and_escaping(url: str, origin: Origin, start: bytes) -> None:
    prepared = prepare_request(url, {})
    assert prepared.origin == origin and prepared.data.startswith(start)


@pytest.mark.parametrize(("url", "headers", "message"), [
    ("ftp://h/m", {}, 'unsupported protocol scheme "ftp"'),
    ("http:///m", {}, "no Host in request URL"),
    ("http://h:99999/m", {}, "Port out of range"),
    ("http://h/m", {"Authorization": "a\r\nInjected: 1"}, 'invalid header field value for "Authorization"$'),
])
def test_unusable_urls_and_headers_are_refused(url: str, headers: dict[str, str], message: str) -> None:
    with pytest.raises(RequestURLError, match=message):
        prepare_request(url, headers)


def test_non_ascii_header_values_go_out_as_utf8() -> None:
    assert b"\r\nAuthorization: Bearer snow \xe2\x98\x83\r\n" in prepare_request("http://h/", {
        "Authorization": "Bearer snow ☃"}).data


def test_tls_context_verifies_by_default_and_not_when_told() -> None:
    assert scrape_tls_context(TLSConfig()).verify_mode == ssl.CERT_REQUIRED
    skipped = scrape_tls_context(TLSConfig(insecure_skip_verify=True, min_version="TLS13"))
    assert skipped.verify_mode == ssl.CERT_NONE and not skipped.check_hostname
    assert skipped.minimum_version == ssl.TLSVersion.TLSv1_3


def test_unreadable_ca_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot load TLS files"):
        scrape_tls_context(TLSConfig(ca_file=str(tmp_path / "missing.pem")))


@pytest.mark.skipif(OPENSSL is None, reason="openssl is needed to make a test certificate")
def test_inline_ca_and_client_certificate_load(tmp_path: Path) -> None:
    cert, key = self_signed_certificate(tmp_path)
    pem, key_pem = Path(cert).read_text(), Path(key).read_text()
    context = scrape_tls_context(TLSConfig(ca=pem, cert=pem, key=key_pem))
    assert len(context.get_ca_certs()) == 1


class FakeConnection(HttpConnection):
    def __init__(self) -> None:
        super().__init__()
        self.reusable = True


def test_pool_reuses_live_connections_and_drops_expired_or_closed_ones(monkeypatch: pytest.MonkeyPatch) -> None:
    now = [1000.0]

    async def fake_open(host: str, port: int, tls: object, server_name: str) -> HttpConnection:
        return FakeConnection()

    monkeypatch.setattr(connection_pool, "open_connection", fake_open)
    origin, other = Origin("h", 1, tls=False), Origin("h", 2, tls=False)

    async def run() -> list[bool]:
        pool = ConnectionPool(TLSConfig(), clock=lambda: now[0])
        seen = [pool.take_idle(origin) is None]
        first = await pool.connect(origin)
        pool.checkin(origin, first)
        seen.append(pool.take_idle(other) is None)  # another origin's connection is never handed out
        seen.append(pool.take_idle(origin) is first)
        pool.checkin(origin, first)
        now[0] += IDLE_TIMEOUT_S + 1
        seen.append(pool.take_idle(origin) is None and first.closed)  # expired: closed, not handed out
        second = await pool.connect(origin)
        pool.checkin(origin, second)
        second.closed = True  # the peer closed it while idle
        seen.append(pool.take_idle(origin) is None)
        return seen

    assert asyncio.run(run()) == [True] * 5


def test_unreusable_connection_is_not_pooled() -> None:
    connection = FakeConnection()
    connection.reusable = False
    pool = ConnectionPool(TLSConfig())
    origin = Origin("h", 1, tls=False)
    pool.checkin(origin, connection)
    assert connection.closed
