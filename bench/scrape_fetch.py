"""HTTP cost of a scrape: N keep-alive GETs of a ~55 KB exposition body from a server in another process,
fetched by Ember's ScrapeClient and by an aiohttp session set up as Ember's scrape client was before it
(same loop: uvloop, as `ember serve` runs). Reports CPU-seconds of the fetching process per request.

    .venv/bin/python bench/scrape_fetch.py [--requests 2000] [--concurrency 8] [--series 1000] [--rounds 3]

Last line: CPU microseconds per fetch for each client (best of the rounds), their ratio, and the event
loop's floor (a bare Protocol that sends the request and counts the answer's bytes, no HTTP parsing).
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

import aiohttp  # noqa: TID251 - the client being compared against
import uvloop
from peers import free_port, serve_exposition

from ember.scrape.http_client import ScrapeClient

Fetch = Callable[[], Awaitable[int]]
HEADERS = {"Accept": "text/plain;version=0.0.4", "Accept-Encoding": "gzip", "X-Prometheus-Scrape-Timeout-Seconds": "4"}


def make_body(series: int) -> bytes:
    lines = ["# TYPE bench_requests_total counter"]
    lines += [f'bench_requests_total{{target="0",series="{j}",le="{j % 10}"}} {1000 + j}' for j in range(series)]
    return ("\n".join(lines) + "\n").encode()


def serve(port: int, series: int) -> None:
    body = make_body(series)
    serve_exposition(lambda path: body, port)
    while True:
        time.sleep(3600)


def cpu_now() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def measure(fetch: Fetch, requests: int, concurrency: int) -> float:
    """CPU-seconds of this process per request, after a warm-up that opens the connections."""
    per_worker = requests // concurrency

    async def worker(count: int) -> None:
        for _ in range(count):
            await fetch()

    await asyncio.gather(*(worker(4) for _ in range(concurrency)))
    started = cpu_now()
    await asyncio.gather(*(worker(per_worker) for _ in range(concurrency)))
    return (cpu_now() - started) / (per_worker * concurrency)


async def ember_client(url: str, requests: int, concurrency: int) -> float:
    client = ScrapeClient()

    async def fetch() -> int:
        return len((await client.fetch(url, HEADERS, 4.0, 1 << 30)).body)

    try:
        return await measure(fetch, requests, concurrency)
    finally:
        await client.close()


async def aiohttp_client(url: str, requests: int, concurrency: int) -> float:
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector, auto_decompress=False, read_bufsize=1 << 20) as session:

        async def fetch() -> int:
            async with session.get(url, headers=HEADERS, timeout=aiohttp.ClientTimeout(total=4.0)) as response:
                if response.status != 200:
                    raise RuntimeError(f"status {response.status}")
                return len(await response.content.readexactly(response.content_length or 0))

        return await measure(fetch, requests, concurrency)


def body_size_when_ready(url: str, timeout_s: float = 30) -> int:
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            with urllib.request.urlopen(url, timeout=1) as response:
                return len(response.read())
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def raw_response_size(port: int) -> int:
    """Bytes of one whole response (status line, headers, body) as the bare floor client receives it."""
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.sendall(f"GET /metrics HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n".encode())
        received = b"".join(iter(lambda: sock.recv(1 << 16), b""))
    return len(received) - len(b"Connection: close\r\n") * received.count(b"Connection: close\r\n")


class BareProtocol(asyncio.Protocol):
    """The event loop's floor: send the request, count bytes up to a known response size, no HTTP parsing."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.received = 0
        self.done: asyncio.Future[None] | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.received += len(data)
        if self.received >= self.size and self.done is not None and not self.done.done():
            self.done.set_result(None)


async def bare_floor(url: str, requests: int, concurrency: int, response_size: int) -> float:
    loop = asyncio.get_running_loop()
    port = int(url.split(":")[2].split("/")[0])
    request = f"GET /metrics HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode()
    idle: list[BareProtocol] = []

    async def fetch() -> int:
        protocol = idle.pop() if idle else (await loop.create_connection(lambda: BareProtocol(response_size),
                                                                         "127.0.0.1", port))[1]
        protocol.received, protocol.done = 0, loop.create_future()
        protocol.transport.write(request)  # type: ignore[attr-defined]
        await protocol.done
        idle.append(protocol)
        return protocol.received

    return await measure(fetch, requests, concurrency)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--series", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--serve", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.series)
        return
    port = free_port()
    server = subprocess.Popen([sys.executable, __file__, "--serve", str(port), "--series", str(args.series)])
    url = f"http://127.0.0.1:{port}/metrics"
    try:
        size = body_size_when_ready(url)
        response_size = raw_response_size(port)
        clients: dict[str, Callable[[], Coroutine[Any, Any, float]]] = {
            "aiohttp": lambda: aiohttp_client(url, args.requests, args.concurrency),
            "ember": lambda: ember_client(url, args.requests, args.concurrency),
            "floor": lambda: bare_floor(url, args.requests, args.concurrency, response_size),
        }
        best = dict.fromkeys(clients, float("inf"))
        for _ in range(args.rounds):
            for name, client in clients.items():
                with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
                    cost = runner.run(client())
                print(f"{name}: {cost * 1e6:.0f} us CPU per fetch")
                best[name] = min(best[name], cost)
    finally:
        server.terminate()
        server.wait()
    print(f"scrape fetch ({size:,} byte body, {args.concurrency} concurrent keep-alive connections): "
          f"aiohttp {best['aiohttp'] * 1e6:.0f} us CPU/fetch, Ember ScrapeClient {best['ember'] * 1e6:.0f} us "
          f"CPU/fetch; aiohttp/Ember {best['aiohttp'] / best['ember']:.2f}x; event-loop floor (bare Protocol, "
          f"no HTTP) {best['floor'] * 1e6:.0f} us")


if __name__ == "__main__":
    main()
