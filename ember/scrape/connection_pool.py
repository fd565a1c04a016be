"""Where scrape requests go and on what: a target URL turned once into request bytes and an origin, the
idle keep-alive connections per origin, and the TLS context of a scrape config's `tls_config`."""

from __future__ import annotations

import asyncio
import os
import ssl
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import NamedTuple
from urllib.parse import quote, urlsplit

from ember.config.http_client import TLSConfig
from ember.errors import ConfigError
from ember.scrape.http_connection import HttpConnection, open_connection

IDLE_TIMEOUT_S = 300.0
"""Idle connections older than this are closed: Prometheus's HTTP transport sets IdleConnTimeout to 5m."""

_TLS_VERSIONS = {"TLS10": ssl.TLSVersion.TLSv1, "TLS11": ssl.TLSVersion.TLSv1_1,
                 "TLS12": ssl.TLSVersion.TLSv1_2, "TLS13": ssl.TLSVersion.TLSv1_3}
_DEFAULT_PORTS = {"http": 80, "https": 443}
_PATH_SAFE = "/%:@!$&'()*+,;=-._~"
_QUERY_SAFE = "".join(chr(c) for c in range(33, 127))
"""Go sends the raw query as it is; only what cannot stand in a request line (spaces, controls) is escaped."""


class RequestURLError(ValueError):
    """A target URL the client cannot request; the message is Go's wording for it."""


class Origin(NamedTuple):
    """Where a connection goes; a tuple, so its hash is computed in C on every pool lookup."""

    host: str
    port: int
    tls: bool


@dataclass(frozen=True, slots=True)
class PreparedRequest:
    """A GET for one URL with one header set, encoded once and sent on every scrape."""

    url: str
    origin: Origin
    data: bytes


def prepare_request(url: str, headers: Mapping[str, str]) -> PreparedRequest:
    """The request bytes of `GET url` with `headers` (Host comes from the URL, as Go's client sets it)."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise RequestURLError(str(exc)) from None
    if parts.scheme not in _DEFAULT_PORTS:
        raise RequestURLError(f'unsupported protocol scheme "{parts.scheme}"')
    if not parts.hostname:
        raise RequestURLError("no Host in request URL")
    # Go sends the path escaped (URL.EscapedPath); what is already escaped stays as it is.
    target = quote(parts.path or "/", safe=_PATH_SAFE) + (f"?{quote(parts.query, safe=_QUERY_SAFE)}"
                                                          if parts.query else "")
    authority = parts.netloc.rpartition("@")[2]
    for name, value in (("Host", authority), *headers.items()):
        if any(c in name + value for c in "\r\n\0"):  # the value may be a secret: only its name is told
            raise RequestURLError(f'net/http: invalid header field value for "{name}"')
    lines = [f"GET {target} HTTP/1.1", f"Host: {authority}"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    # Go writes header values as their UTF-8 bytes (obs-text is allowed in a field value).
    data = ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8", "surrogateescape")
    origin = Origin(parts.hostname, port or _DEFAULT_PORTS[parts.scheme], parts.scheme == "https")
    return PreparedRequest(url, origin, data)


def scrape_tls_context(tls: TLSConfig) -> ssl.SSLContext:
    """The client TLS context for `tls_config`: CA (file or inline), client certificate, versions and
    `insecure_skip_verify`. Only HTTP/1.1 is offered in ALPN, the one protocol this client speaks."""
    try:
        context = ssl.create_default_context(cafile=tls.ca_file or None, cadata=tls.ca or None)
        if tls.cert_file:
            context.load_cert_chain(tls.cert_file, tls.key_file or None)
        elif tls.cert:
            _load_inline_cert_chain(context, tls.cert, tls.key)
    except (OSError, ssl.SSLError, ValueError) as error:
        raise ConfigError(f"cannot load TLS files: {error}") from error
    if tls.insecure_skip_verify:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    if tls.min_version:
        context.minimum_version = _TLS_VERSIONS[tls.min_version]
    if tls.max_version:
        context.maximum_version = _TLS_VERSIONS[tls.max_version]
    context.set_alpn_protocols(["http/1.1"])
    return context


def _load_inline_cert_chain(context: ssl.SSLContext, cert: str, key: str) -> None:
    """ssl loads certificates only from files: the inline PEM goes through a private temporary file."""
    with tempfile.TemporaryDirectory() as directory:
        path = os.path.join(directory, "client.pem")
        with open(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600), "w") as pem:
            pem.write(cert.rstrip("\n") + "\n" + key)
        context.load_cert_chain(path)


class ConnectionPool:
    """Idle keep-alive connections by origin, most recently used first. A connection is taken for
    one request (`take_idle` or `connect`) and checked back in only if its response left it reusable."""

    def __init__(self, tls: TLSConfig, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._tls_config = tls
        self._tls: ssl.SSLContext | None = None
        self._idle: dict[Origin, list[HttpConnection]] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._last_prune = clock()

    def take_idle(self, origin: Origin) -> HttpConnection | None:
        """A live idle connection to `origin`, or None."""
        loop = asyncio.get_running_loop()
        if loop is not self._loop:  # connections belong to the loop that opened them
            self.close()
            self._loop = loop
        idle = self._idle.get(origin)
        now = self._clock()
        while idle:
            connection = idle.pop()
            if not connection.closed and now - connection.idle_since < IDLE_TIMEOUT_S:
                return connection
            connection.abort()
        return None

    async def connect(self, origin: Origin) -> HttpConnection:
        """A new connection to `origin` (TLS when its scheme is https)."""
        tls = self._tls_context() if origin.tls else None
        return await open_connection(origin.host, origin.port, tls, self._tls_config.server_name)

    def checkin(self, origin: Origin, connection: HttpConnection) -> None:
        if not connection.reusable or connection.closed:
            connection.close()
            return
        now = self._clock()
        connection.idle_since = now
        self._idle.setdefault(origin, []).append(connection)
        if now - self._last_prune > IDLE_TIMEOUT_S / 5:
            self._prune(now)

    def close(self) -> None:
        for idle in self._idle.values():
            for connection in idle:
                connection.abort()
        self._idle.clear()

    def _prune(self, now: float) -> None:
        """Closes expired and peer-closed idle connections, so targets that went away hold no sockets."""
        self._last_prune = now
        for origin, idle in list(self._idle.items()):
            live = []
            for connection in idle:
                if not connection.closed and now - connection.idle_since < IDLE_TIMEOUT_S:
                    live.append(connection)
                else:
                    connection.abort()
            if live:
                self._idle[origin] = live
            else:
                del self._idle[origin]

    def _tls_context(self) -> ssl.SSLContext:
        if self._tls is None:
            self._tls = scrape_tls_context(self._tls_config)
        return self._tls
