"""The scrape client against an HTTPS target that wants credentials: TLS trust from `tls_config`, basic
auth, bearer tokens from a file, and Prometheus's wording for what goes wrong."""

from __future__ import annotations

import asyncio
import base64
import ssl
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from ember.config.loader import load_config_text
from ember.errors import ScrapeFailedError
from ember.scrape.http_client import FetchedBody, ScrapeClient
from tests.certificates import OPENSSL, self_signed_certificate

pytestmark = pytest.mark.skipif(OPENSSL is None, reason="openssl is needed to make a test certificate")
BODY = b"secret_metric 1\n"


@pytest.fixture
def https_target(tmp_path: Path) -> Iterator[tuple[str, str, list[str]]]:
    """(address, CA file, Authorization headers seen); answers 401 unless the credentials are right."""
    cert, key = self_signed_certificate(tmp_path)
    seen: list[str] = []
    allowed = {"Basic " + base64.b64encode(b"scraper:s3cret").decode(), "Bearer token-from-file"}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            authorization = self.headers.get("Authorization", "")
            seen.append(authorization)
            ok = authorization in allowed
            self.send_response(200 if ok else 401)
            self.send_header("Content-Type", "text/plain; version=0.0.4")
            self.send_header("Content-Length", str(len(BODY) if ok else 0))
            self.end_headers()
            if ok:
                self.wfile.write(BODY)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"127.0.0.1:{server.server_address[1]}", cert, seen
    finally:
        server.shutdown()


def _fetch(address: str, http_section: str) -> FetchedBody:
    config = load_config_text(f"scrape_configs:\n  - job_name: secure\n    scheme: https\n{http_section}"
                              f"    static_configs: [{{targets: ['{address}']}}]\n").scrape_configs[0]

    async def fetch() -> FetchedBody:
        client = ScrapeClient(config.http_client_config)
        try:
            return await client.fetch(f"https://{address}/metrics", {}, 5.0, 1 << 20)
        finally:
            await client.close()

    return asyncio.run(fetch())


def test_basic_auth_over_tls_with_the_ca_from_tls_config(https_target: tuple[str, str, list[str]]) -> None:
    address, ca, seen = https_target
    fetched = _fetch(address, f"    tls_config: {{ca_file: {ca}}}\n"
                              "    basic_auth: {username: scraper, password: s3cret}\n")
    assert fetched.body == BODY
    assert seen[-1].startswith("Basic ")


def test_bearer_token_read_from_credentials_file(https_target: tuple[str, str, list[str]], tmp_path: Path) -> None:
    address, ca, seen = https_target
    token = tmp_path / "token"
    token.write_text("token-from-file\n")
    fetched = _fetch(address, f"    tls_config: {{ca_file: {ca}}}\n    authorization: {{credentials_file: {token}}}\n")
    assert fetched.body == BODY and seen[-1] == "Bearer token-from-file"


def test_wrong_password_is_prometheus_status_error(https_target: tuple[str, str, list[str]]) -> None:
    address, ca, _ = https_target
    with pytest.raises(ScrapeFailedError, match="server returned HTTP status 401 Unauthorized"):
        _fetch(address, f"    tls_config: {{ca_file: {ca}}}\n    basic_auth: {{username: scraper, password: nope}}\n")


def test_untrusted_certificate_fails_unless_verification_is_skipped(https_target: tuple[str, str, list[str]]) -> None:
    address, _, _ = https_target
    with pytest.raises(ScrapeFailedError, match="certificate"):
        _fetch(address, "    basic_auth: {username: scraper, password: s3cret}\n")
    skipped = _fetch(address, "    tls_config: {insecure_skip_verify: true}\n"
                              "    basic_auth: {username: scraper, password: s3cret}\n")
    assert skipped.body == BODY
