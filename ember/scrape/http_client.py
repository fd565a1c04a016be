"""The HTTP clients of scraping, configured from a scrape config's HTTP client section.

Scrapes fetch over Ember's own HTTP/1.1 keep-alive connections (`ember.scrape.http_connection`, parsed by
httptools): request bytes built once per target, one Protocol per connection, the body limit enforced
while reading. On loopback that halves aiohttp's CPU per 58 KB scrape (bench/scrape_fetch.py: about 85
against 170 us, where a bare Protocol that parses nothing costs 45). The lean client does plain and TLS
scrapes and follows redirects as Go does; aiohttp stays only for what it does not do: `proxy_url` and
`proxy_from_environment` configs. Service discovery keeps httpx (`build_client`), where a request every
refresh interval costs nothing that matters.
"""

from __future__ import annotations

import asyncio
import base64
import os
import socket
import ssl
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit, urlunsplit

import aiohttp
import httpx

from ember.config.http_client import HTTPClientConfig
from ember.config.http_credentials import auth_headers, tls_verify
from ember.errors import BODY_SIZE_LIMIT_EXCEEDED, ConfigError, ScrapeFailedError
from ember.scrape.connection_pool import ConnectionPool, Origin, PreparedRequest, RequestURLError, prepare_request
from ember.scrape.http_connection import DeadlineExceededError, HttpConnection, MalformedResponseError, RawResponse

READ_CHUNK = 1 << 20
MAX_REDIRECTS = 10
"""Go's http.Client stops after 10 requests of a redirect chain ("stopped after 10 redirects")."""
REDIRECT_STATUSES = frozenset((301, 302, 303, 307, 308))
_PREPARED_CACHE_SIZE = 4096


def build_client(config: HTTPClientConfig) -> httpx.AsyncClient:
    """An httpx client for discovery and other low-rate requests."""
    headers, basic = auth_headers(config)
    return httpx.AsyncClient(
        headers=headers, auth=httpx.BasicAuth(*basic) if basic else None, verify=tls_verify(config),
        follow_redirects=config.follow_redirects, proxy=config.proxy_url or None,
        trust_env=config.proxy_from_environment,
    )


@dataclass(frozen=True)
class FetchedBody:
    body: bytes
    content_type: str | None
    content_encoding: str | None


class ScrapeClient:
    """One scrape pool's HTTP client: keep-alive connections shared by its targets (one per target in
    flight), or an aiohttp session when the config names a proxy. Made outside any event loop; connections
    are opened on first use, inside the loop that scrapes."""

    def __init__(self, config: HTTPClientConfig | None = None) -> None:
        self._config = config or HTTPClientConfig()
        self._proxied = bool(self._config.proxy_url or self._config.proxy_from_environment)
        self._pool = ConnectionPool(self._config.tls_config)
        self._base_headers: dict[str, str] | None = None
        self._secret_files = _secret_files(self._config)
        self._secret_stamp: tuple[tuple[int, int, int], ...] = ()
        self._prepared: dict[tuple[str, tuple[tuple[str, str], ...]], PreparedRequest] = {}
        self._session: aiohttp.ClientSession | None = None

    async def fetch(self, url: str, headers: dict[str, str], timeout_s: float, body_limit: int) -> FetchedBody:
        """The body of a 200 response, still encoded; failures raise ScrapeFailedError with Prometheus's
        wording where it has one."""
        if self._proxied:
            return await self._fetch_proxied(url, headers, timeout_s, body_limit)
        deadline = asyncio.get_running_loop().time() + timeout_s
        try:
            response = await self._round_trip(url, headers, body_limit, deadline)
            if response.status != 200:
                response = await self._follow_redirects(url, headers, body_limit, response, deadline)
        except DeadlineExceededError:
            raise ScrapeFailedError("context deadline exceeded") from None
        kept = response.headers
        content_type, encoding = kept.get(b"content-type"), kept.get(b"content-encoding")
        return FetchedBody(response.body, content_type.decode("latin-1") if content_type else None,
                           encoding.decode("latin-1") if encoding else None)

    async def close(self) -> None:
        self._pool.close()
        if self._session is not None:
            await self._session.close()
            self._session = None

    # ------------------------------------------------------------------ lean client
    async def _follow_redirects(self, url: str, headers: dict[str, str], body_limit: int,
                                response: RawResponse, deadline: float) -> RawResponse:
        """The 200 answer at the end of the redirect chain that `response` (not a 200) starts, as Go's
        client follows it; anything else raises."""
        for redirects in range(MAX_REDIRECTS):
            location = response.headers.get(b"location")
            if not (self._config.follow_redirects and location and response.status in REDIRECT_STATUSES):
                raise ScrapeFailedError(f"server returned HTTP status {response.status} {response.reason}".rstrip())
            location_text = location.decode("latin-1")
            if redirects == MAX_REDIRECTS - 1:
                break
            url = urljoin(url, location_text)
            response = await self._round_trip(url, headers, body_limit, deadline)
            if response.status == 200:
                return response
        # Go's client names the unresolved Location of the redirect it refused to follow.
        raise ScrapeFailedError(f'Get "{location_text}": stopped after {MAX_REDIRECTS} redirects')

    async def _round_trip(self, url: str, headers: dict[str, str], body_limit: int, deadline: float) -> RawResponse:
        """One request on a pooled connection, answered by `deadline` (the event loop's clock) or
        `DeadlineExceededError`. A reused connection the server closed while it was idle (nothing of the
        answer arrived) is replaced and the GET sent again, as Go's transport does."""
        try:
            prepared = self._prepare(url, headers)
            origin = prepared.origin
            while True:
                connection = self._pool.take_idle(origin)
                reused = connection is not None
                if connection is None:
                    connection = await self._connect(url, origin, deadline)
                try:
                    response = await connection.exchange(prepared.data, body_limit, deadline)
                except ConnectionError:
                    connection.abort()
                    if reused and not connection.answered:
                        continue
                    raise
                except BaseException:
                    connection.abort()
                    raise
                self._pool.checkin(origin, connection)
                return response
        except (RequestURLError, MalformedResponseError, OSError) as exc:
            raise ScrapeFailedError(f'Get "{_without_password(url)}": {_transport_error(exc)}') from None

    async def _connect(self, url: str, origin: Origin, deadline: float) -> HttpConnection:
        timeout = asyncio.timeout_at(deadline)
        try:
            async with timeout:
                return await self._pool.connect(origin)
        except OSError as exc:  # asyncio's TimeoutError is one, as is the system's ETIMEDOUT
            if timeout.expired():
                raise DeadlineExceededError from None
            raise ScrapeFailedError(f'Get "{_without_password(url)}": '
                                    f'{_dial_error(origin.host, origin.port, exc)}') from None

    def _prepare(self, url: str, headers: dict[str, str]) -> PreparedRequest:
        if self._secret_files:
            self._reload_changed_secrets()
        key = (url, tuple(headers.items()))
        prepared = self._prepared.get(key)
        if prepared is None:
            if len(self._prepared) >= _PREPARED_CACHE_SIZE:
                self._prepared.clear()  # targets churned; rebuilding a request is cheap
            prepared = self._prepared[key] = prepare_request(url, {**self._request_headers(), **headers})
        return prepared

    def _reload_changed_secrets(self) -> None:
        """Prometheus reads credential files on every request, so rotated tokens take effect at the next
        scrape; a stat per scrape finds the same change without re-reading unchanged files."""
        try:
            stamp = tuple((st.st_ino, st.st_mtime_ns, st.st_size) for st in map(os.stat, self._secret_files))
        except OSError as error:
            raise ConfigError(f"cannot read credentials file: {error}") from error
        if stamp != self._secret_stamp:
            self._secret_stamp = stamp
            self._base_headers = None
            self._prepared.clear()

    def _request_headers(self) -> dict[str, str]:
        """User-Agent and credentials (credential files are read at the first fetch and when they change)."""
        if self._base_headers is None:
            headers, basic = auth_headers(self._config)
            if basic is not None:
                user_password = f"{basic[0]}:{basic[1]}".encode()
                headers["Authorization"] = "Basic " + base64.b64encode(user_password).decode("ascii")
            self._base_headers = headers
        return self._base_headers

    # ------------------------------------------------------------------ proxied: aiohttp
    def _ensure_session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(limit=0, ssl=tls_verify(self._config))
            self._session = aiohttp.ClientSession(
                connector=connector, headers=self._request_headers(), auto_decompress=False,
                trust_env=self._config.proxy_from_environment, read_bufsize=READ_CHUNK,
            )
        return self._session

    async def _fetch_proxied(self, url: str, headers: dict[str, str], timeout_s: float,
                             body_limit: int) -> FetchedBody:
        session = self._ensure_session()
        try:
            async with session.get(url, headers=headers, timeout=aiohttp.ClientTimeout(total=timeout_s),
                                   allow_redirects=self._config.follow_redirects, max_redirects=MAX_REDIRECTS,
                                   proxy=self._config.proxy_url or None) as response:
                if response.status != 200:
                    raise ScrapeFailedError(f"server returned HTTP status {response.status} {response.reason}")
                return FetchedBody(await _read_limited(response, body_limit), response.headers.get("Content-Type"),
                                   response.headers.get("Content-Encoding"))
        except TimeoutError:
            raise ScrapeFailedError("context deadline exceeded") from None
        except aiohttp.ClientConnectorError as exc:
            raise ScrapeFailedError(f'Get "{url}": {exc.strerror or exc}') from None
        except (aiohttp.ClientError, ValueError) as exc:
            raise ScrapeFailedError(f'Get "{url}": {exc or type(exc).__name__}') from None


async def _read_limited(response: aiohttp.ClientResponse, limit: int) -> bytes:
    declared = response.content_length
    if declared is not None and declared >= limit:
        raise ScrapeFailedError(BODY_SIZE_LIMIT_EXCEEDED)
    if declared is not None:
        return await response.content.readexactly(declared) if declared else b""
    chunks, size = [], 0
    async for chunk in response.content.iter_chunked(READ_CHUNK):
        size += len(chunk)
        if size >= limit:
            raise ScrapeFailedError(BODY_SIZE_LIMIT_EXCEEDED)
        chunks.append(chunk)
    return b"".join(chunks)


def _secret_files(config: HTTPClientConfig) -> tuple[str, ...]:
    files = []
    if config.basic_auth is not None:
        files += [config.basic_auth.username_file, config.basic_auth.password_file]
    if config.authorization is not None:
        files.append(config.authorization.credentials_file)
    return tuple(f for f in files if f)


def _without_password(url: str) -> str:
    """The URL as Go's errors print it: a password in the user info shown as ***."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"{parts.username}:***@{host}"))


def _go_errno_text(exc: OSError) -> str:
    """Go prints syscall errors in lower case ("connection refused"); Python's strerror capitalises."""
    # asyncio replaces the strerror of a failed connect with its own "Connect call failed (...)".
    text = os.strerror(exc.errno) if exc.errno and exc.errno > 0 and not isinstance(exc, socket.gaierror) else \
        exc.strerror or str(exc) or type(exc).__name__
    return text[:1].lower() + text[1:]


def _dial_error(host: str, port: int, exc: OSError) -> str:
    """Go's wording for a failed connect, TLS handshake or name lookup."""
    if isinstance(exc, ssl.SSLError):
        return _tls_error(exc)
    if isinstance(exc, socket.gaierror):
        return f"dial tcp: lookup {host}: no such host" if exc.errno == socket.EAI_NONAME else \
            f"dial tcp: lookup {host}: {_go_errno_text(exc)}"
    if exc.errno is None:  # several addresses failed: asyncio joins their errors into one message
        return f"dial tcp: {exc}"
    address = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    return f"dial tcp {address}: connect: {_go_errno_text(exc)}"


def _tls_error(exc: ssl.SSLError) -> str:
    if isinstance(exc, ssl.SSLCertVerificationError):
        return f"tls: failed to verify certificate: x509: {exc.verify_message}"
    return f"tls: {exc.reason or exc}"


def _transport_error(exc: Exception) -> str:
    """Go's wording for a request that failed after the connection was made."""
    if isinstance(exc, MalformedResponseError):
        return f"net/http: HTTP/1.x transport connection broken: {exc}"
    if isinstance(exc, ssl.SSLError):
        return _tls_error(exc)
    if isinstance(exc, OSError) and exc.errno:
        return f"read: {_go_errno_text(exc)}"
    return str(exc) or type(exc).__name__
