"""The scrape client against real loopback servers: what it sends, how it reads plain, chunked and
compressed answers, keep-alive reuse and servers closing idle connections, redirects, limits, timeouts,
an HTTPS target that wants credentials (TLS trust from `tls_config`, basic auth, bearer tokens from a
file), the proxy fallback, and Prometheus's wording for what goes wrong."""

from __future__ import annotations

import asyncio
import base64
import gzip
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import uvloop

from ember.config.http_client import HTTPClientConfig
from ember.config.loader import load_config_text
from ember.errors import ScrapeFailedError
from ember.scrape.http_client import FetchedBody, ScrapeClient
from tests.certificates import OPENSSL, self_signed_certificate
from tests.local_servers import free_port
from tests.scrape.scripted_http_server import Reply, ScriptedServer, chunked_response, http_response

needs_openssl = pytest.mark.skipif(OPENSSL is None, reason="openssl is needed to make a test certificate")
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
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    try:
        yield f"127.0.0.1:{server.server_address[1]}", cert, seen
    finally:
        server.shutdown()
        server.server_close()


def _fetch(address: str, http_section: str, use_uvloop: bool = False) -> FetchedBody:
    config = load_config_text(f"scrape_configs:\n  - job_name: secure\n    scheme: https\n{http_section}"
                              f"    static_configs: [{{targets: ['{address}']}}]\n").scrape_configs[0]

    async def fetch() -> FetchedBody:
        client = ScrapeClient(config.http_client_config)
        try:
            return await client.fetch(f"https://{address}/metrics", {}, 5.0, 1 << 20)
        finally:
            await client.close()

    with asyncio.Runner(loop_factory=uvloop.new_event_loop if use_uvloop else None) as runner:
        return runner.run(fetch())


@needs_openssl
@pytest.mark.parametrize("use_uvloop", [False, True], ids=["asyncio", "uvloop"])
def test_basic_auth_over_tls_with_the_ca_from_tls_config(https_target: tuple[str, str, list[str]],
                                                         use_uvloop: bool) -> None:
    address, ca, seen = https_target
    fetched = _fetch(address, f"    tls_config: {{ca_file: {ca}}}\n"
                              "    basic_auth: {username: scraper, password: s3cret}\n", use_uvloop)
    assert fetched.body == BODY
    assert seen[-1].startswith("Basic ")


@needs_openssl
def test_bearer_token_read_from_credentials_file(https_target: tuple[str, str, list[str]], tmp_path: Path) -> None:
    address, ca, seen = https_target
    token = tmp_path / "token"
    token.write_text("token-from-file\n")
    fetched = _fetch(address, f"    tls_config: {{ca_file: {ca}}}\n    authorization: {{credentials_file: {token}}}\n")
    assert fetched.body == BODY and seen[-1] == "Bearer token-from-file"


@needs_openssl
def test_wrong_password_is_prometheus_status_error(https_target: tuple[str, str, list[str]]) -> None:
    address, ca, _ = https_target
    with pytest.raises(ScrapeFailedError, match="server returned HTTP status 401 Unauthorized"):
        _fetch(address, f"    tls_config: {{ca_file: {ca}}}\n    basic_auth: {{username: scraper, password: nope}}\n")


@needs_openssl
def test_untrusted_certificate_fails_unless_verification_is_skipped(https_target: tuple[str, str, list[str]]) -> None:
    address, _, _ = https_target
    with pytest.raises(ScrapeFailedError, match="certificate"):
        _fetch(address, "    basic_auth: {username: scraper, password: s3cret}\n")
    skipped = _fetch(address, "    tls_config: {insecure_skip_verify: true}\n"
                              "    basic_auth: {username: scraper, password: s3cret}\n")
    assert skipped.body == BODY


# --------------------------------------------------------------------------- plain HTTP, scripted servers
SCRAPE_HEADERS = {"Accept": "text/plain;version=0.0.4", "Accept-Encoding": "gzip",
                  "X-Prometheus-Scrape-Timeout-Seconds": "5"}


@pytest.fixture
def scripted() -> Iterator[Callable[[Callable[[int, bytes], Reply]], ScriptedServer]]:
    """Starts scripted servers for a test and stops them after it."""
    servers: list[ScriptedServer] = []

    def start(respond: Callable[[int, bytes], Reply]) -> ScriptedServer:
        servers.append(ScriptedServer(respond))
        return servers[-1]

    yield start
    for server in servers:
        server.close()


def _fetch_all(urls: list[str], *, config: HTTPClientConfig | None = None, timeout_s: float = 5.0,
               body_limit: int = 1 << 20, use_uvloop: bool = False) -> list[FetchedBody | ScrapeFailedError]:
    """Fetches the URLs one after another through one client; failures are returned, not raised."""

    async def fetch() -> list[FetchedBody | ScrapeFailedError]:
        client = ScrapeClient(config)
        results: list[FetchedBody | ScrapeFailedError] = []
        try:
            for url in urls:
                try:
                    results.append(await client.fetch(url, SCRAPE_HEADERS, timeout_s, body_limit))
                except ScrapeFailedError as error:
                    results.append(error)
        finally:
            await client.close()
        return results

    with asyncio.Runner(loop_factory=uvloop.new_event_loop if use_uvloop else None) as runner:
        return runner.run(fetch())


def _one(url: str, **options: Any) -> FetchedBody:
    result = _fetch_all([url], **options)[0]
    assert isinstance(result, FetchedBody), result
    return result


def _failure(url: str, **options: Any) -> str:
    result = _fetch_all([url], **options)[0]
    assert isinstance(result, ScrapeFailedError), result
    return str(result)


def _http_config(yaml: str = "") -> HTTPClientConfig:
    return load_config_text(f"scrape_configs:\n  - job_name: j\n{yaml}"
                            "    static_configs: [{targets: ['x:1']}]\n").scrape_configs[0].http_client_config


@pytest.mark.parametrize("use_uvloop", [False, True], ids=["asyncio", "uvloop"])
def test_keep_alive_content_length_answers_reuse_one_connection(scripted: Any, use_uvloop: bool) -> None:
    server = scripted(lambda n, _: Reply(http_response(f"m {n}\n".encode())))
    results = _fetch_all([server.url()] * 3, use_uvloop=use_uvloop)
    assert [r.body for r in results if isinstance(r, FetchedBody)] == [b"m 0\n", b"m 1\n", b"m 2\n"]
    assert server.connections == 1
    first = results[0]
    assert isinstance(first, FetchedBody) and first.content_type == "text/plain; version=0.0.4"
    assert first.content_encoding is None


def test_request_carries_host_path_scrape_headers_and_bearer_token(scripted: Any) -> None:
    server = scripted(lambda n, _: Reply(http_response(b"m 1\n")))
    _one(server.url("/metrics/x?module=a%20b"), config=_http_config("    authorization: {credentials: tok}\n"))
    request_line, *header_lines = server.requests[0].decode().split("\r\n")
    headers = dict(line.split(": ", 1) for line in header_lines)
    assert request_line == "GET /metrics/x?module=a%20b HTTP/1.1"
    assert headers["Host"] == f"127.0.0.1:{server.port}"
    assert headers["Authorization"] == "Bearer tok"
    assert headers["User-Agent"].startswith("Ember/")
    assert {k: headers[k] for k in SCRAPE_HEADERS} == SCRAPE_HEADERS


def test_rotated_credentials_file_is_used_from_the_next_scrape(scripted: Any, tmp_path: Path) -> None:
    server = scripted(lambda n, _: Reply(http_response(b"m 1\n")))
    token = tmp_path / "token"
    token.write_text("first\n")
    client = ScrapeClient(_http_config(f"    authorization: {{credentials_file: {token}}}\n"))

    async def scrape_twice() -> None:
        try:
            await client.fetch(server.url(), SCRAPE_HEADERS, 5.0, 1 << 20)
            token.write_text("second-token\n")
            await client.fetch(server.url(), SCRAPE_HEADERS, 5.0, 1 << 20)
        finally:
            await client.close()

    asyncio.run(scrape_twice())
    sent = [next(line for line in r.split(b"\r\n") if line.startswith(b"Authorization")) for r in server.requests]
    assert sent == [b"Authorization: Bearer first", b"Authorization: Bearer second-token"]


def test_basic_auth_header_is_sent_over_plain_http(scripted: Any) -> None:
    server = scripted(lambda n, _: Reply(http_response(b"m 1\n")))
    _one(server.url(), config=_http_config("    basic_auth: {username: ü, password: 'p:w'}\n"))
    sent = next(line for line in server.requests[0].split(b"\r\n") if line.startswith(b"Authorization: "))
    assert base64.b64decode(sent.split(b" ")[-1]) == "ü:p:w".encode()


def test_chunked_body_is_reassembled(scripted: Any) -> None:
    pieces = [b"a 1\n", b"b 2\nc", b" 3\n" * 1000]
    server = scripted(lambda n, _: Reply(chunked_response(pieces)))
    assert [r.body for r in _fetch_all([server.url()] * 2)] == [b"".join(pieces)] * 2  # type: ignore[union-attr]
    assert server.connections == 1


def test_gzip_body_is_passed_through_encoded(scripted: Any) -> None:
    compressed = gzip.compress(b"m 1\n")
    server = scripted(lambda n, _: Reply(http_response(compressed, headers=("Content-Encoding: gzip",))))
    fetched = _one(server.url())
    assert fetched.body == compressed and fetched.content_encoding == "gzip"


def test_body_delimited_by_connection_close(scripted: Any) -> None:
    server = scripted(lambda n, _: Reply(b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nm 1\n", close=True))
    assert [r.body for r in _fetch_all([server.url()] * 2)] == [b"m 1\n"] * 2  # type: ignore[union-attr]
    assert server.connections == 2


def test_connection_close_answer_is_not_reused(scripted: Any) -> None:
    server = scripted(lambda n, _: Reply(http_response(b"m 1\n", headers=("Connection: close",))))
    assert all(isinstance(r, FetchedBody) for r in _fetch_all([server.url()] * 3))
    assert server.connections == 3


def test_one_client_scrapes_again_after_close_in_another_event_loop(scripted: Any) -> None:
    server = scripted(lambda n, _: Reply(http_response(f"m {n}\n".encode())))
    client = ScrapeClient()

    async def fetch_and_close() -> bytes:
        try:
            return (await client.fetch(server.url(), SCRAPE_HEADERS, 5.0, 1 << 20)).body
        finally:
            await client.close()

    assert [asyncio.run(fetch_and_close()) for _ in range(2)] == [b"m 0\n", b"m 1\n"]
    assert server.connections == 2


def test_server_closing_idle_keep_alive_connections_causes_no_failure(scripted: Any) -> None:
    # The answer allows keep-alive, but the server closes right after it, as servers with a short idle
    # timeout do; the next scrape finds the pooled connection dead and must reconnect transparently.
    server = scripted(lambda n, _: Reply(http_response(f"m {n}\n".encode()), close=True))

    async def scrape_with_pauses() -> list[bytes]:
        client = ScrapeClient()
        bodies = []
        try:
            for _ in range(3):
                bodies.append((await client.fetch(server.url(), SCRAPE_HEADERS, 5.0, 1 << 20)).body)
                await asyncio.sleep(0.05)
        finally:
            await client.close()
        return bodies

    assert asyncio.run(scrape_with_pauses()) == [b"m 0\n", b"m 1\n", b"m 2\n"]
    assert server.connections == 3


def test_reused_connection_reset_before_the_answer_is_retried_once(scripted: Any) -> None:
    # The second request arrives on the kept-alive connection and the server drops it unanswered (an
    # idle close racing the request); the GET is sent again on a new connection.
    server = scripted(lambda n, _: Reply(b"", close=True) if n == 1 else Reply(http_response(f"m {n}\n".encode())))
    results = _fetch_all([server.url()] * 2)
    assert [r.body for r in results] == [b"m 0\n", b"m 2\n"]  # type: ignore[union-attr]
    assert server.connections == 2


@pytest.mark.parametrize(("status", "wording"), [("404 Not Found", "404 Not Found"),
                                                 ("503 Service Unavailable", "503 Service Unavailable"),
                                                 ("500 Custom Reason", "500 Custom Reason")])
def test_non_200_status_is_prometheus_wording(scripted: Any, status: str, wording: str) -> None:
    server = scripted(lambda n, _: Reply(http_response(b"oops", status=status)))
    assert _failure(server.url()) == f"server returned HTTP status {wording}"


def test_body_limit_on_declared_length_and_on_chunks(scripted: Any) -> None:
    body = b"m 1\n" * 100
    declared = scripted(lambda n, _: Reply(http_response(body)))
    chunked = scripted(lambda n, _: Reply(chunked_response([body[:200], body[200:]])))
    for server in (declared, chunked):
        assert _failure(server.url(), body_limit=400) == "body size limit exceeded"  # reaching it fails
        assert _one(server.url(), body_limit=401).body == body


def test_slow_server_times_out_with_context_deadline_exceeded(scripted: Any) -> None:
    server = scripted(lambda n, _: Reply(http_response(b"m 1\n"), delay_s=1.0 if n == 0 else 0.0))
    results = _fetch_all([server.url(), server.url()], timeout_s=0.2)
    assert str(results[0]) == "context deadline exceeded"
    assert isinstance(results[1], FetchedBody)  # the timed-out connection was dropped, not reused


@pytest.mark.parametrize("use_uvloop", [False, True], ids=["asyncio", "uvloop"])
def test_a_connect_that_hangs_times_out_with_context_deadline_exceeded(use_uvloop: bool) -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(0)  # never accepted: once the queue is full, further handshakes are not answered
        address = listener.getsockname()
        queued: list[socket.socket] = []
        try:
            for _ in range(8):  # fill the queue: the first handshake left unanswered ends the filling
                try:
                    queued.append(socket.create_connection(address, timeout=0.2))
                except TimeoutError:
                    break
            else:
                pytest.fail("the listen queue never filled")
            url = f"http://127.0.0.1:{address[1]}/metrics"
            started = time.monotonic()
            results = _fetch_all([url], timeout_s=0.3, use_uvloop=use_uvloop)
            assert str(results[0]) == "context deadline exceeded"
            assert time.monotonic() - started < 3
        finally:
            for connection in queued:
                connection.close()


def test_connection_refused_wording() -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}/metrics"
    assert _failure(url) == f'Get "{url}": dial tcp 127.0.0.1:{port}: connect: connection refused'


def test_garbage_instead_of_http_is_a_clean_failure(scripted: Any) -> None:
    server = scripted(lambda n, _: Reply(b"SSH-2.0-OpenSSH_9.2\r\n\r\n", close=True))
    message = _failure(server.url())
    assert message.startswith(f'Get "{server.url()}": net/http: HTTP/1.x transport connection broken: ')


def test_connection_closed_mid_body_fails(scripted: Any) -> None:
    server = scripted(lambda n, _: Reply(http_response(b"m 1\n" * 10)[:-5], close=True))
    assert _failure(server.url()) == f'Get "{server.url()}": unexpected EOF'


def test_unsupported_scheme_wording() -> None:
    assert _failure("ftp://127.0.0.1:1/metrics") == 'Get "ftp://127.0.0.1:1/metrics": unsupported protocol scheme "ftp"'


def test_redirects_are_followed_unless_disabled(scripted: Any) -> None:
    server = scripted(lambda n, head: Reply(http_response(b"m 1\n")) if head.startswith(b"GET /final ")
                      else Reply(http_response(b"", status="302 Found", headers=("Location: /final",))))
    assert _one(server.url()).body == b"m 1\n"
    assert _failure(server.url(), config=_http_config("    follow_redirects: false\n")) == \
        "server returned HTTP status 302 Found"


def test_redirect_chain_stops_after_ten_requests(scripted: Any) -> None:
    def respond(n: int, head: bytes) -> Reply:
        hop = int(head.split(b" ")[1].rsplit(b"/", 1)[-1])
        if hop == 9:  # reached after 9 redirects: Go's client still follows these
            return Reply(http_response(b"m 1\n"))
        return Reply(http_response(b"", status="301 Moved Permanently", headers=(f"Location: /hop/{hop + 1}",)))

    server = scripted(respond)
    assert _one(server.url("/hop/0")).body == b"m 1\n"
    assert _failure(server.url("/hop/-1")) == 'Get "/hop/9": stopped after 10 redirects'


def test_proxy_url_sends_the_absolute_url_to_the_proxy(scripted: Any) -> None:
    proxy = scripted(lambda n, _: Reply(http_response(b"via proxy 1\n")))
    config = _http_config(f"    proxy_url: http://127.0.0.1:{proxy.port}\n")
    assert _one("http://target.invalid:9100/metrics", config=config).body == b"via proxy 1\n"
    assert proxy.requests[0].startswith(b"GET http://target.invalid:9100/metrics HTTP/1.1")
