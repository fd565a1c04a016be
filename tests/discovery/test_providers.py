"""File and HTTP service discovery against real files and a real HTTP endpoint."""

from __future__ import annotations

import asyncio
import http.server
import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from ember.discovery.providers import FileProvider, HTTPProvider
from ember.discovery.target_groups import DiscoveredGroup


def _addresses(groups: list[DiscoveredGroup]) -> list[str]:
    return sorted(t.get("__address__") for g in groups for t in g.targets)


def test_file_provider_reads_every_matching_file(tmp_path: Path) -> None:
    (tmp_path / "a.json").write_text(json.dumps([{"targets": ["a:1"]}]))
    (tmp_path / "b.yml").write_text("- targets: ['b:2', 'b:3']\n")
    (tmp_path / "ignored.txt").write_text("not matched")
    provider = FileProvider("file/0", (str(tmp_path / "*.json"), str(tmp_path / "*.yml")), 300)
    groups = provider.read()
    assert _addresses(groups) == ["a:1", "b:2", "b:3"]
    assert {g.labels.get("__meta_filepath") for g in groups} == {str(tmp_path / "a.json"), str(tmp_path / "b.yml")}


def test_a_broken_file_keeps_its_last_good_targets(tmp_path: Path) -> None:
    good, other = tmp_path / "good.json", tmp_path / "other.json"
    good.write_text(json.dumps([{"targets": ["a:1"]}]))
    other.write_text(json.dumps([{"targets": ["b:2"]}]))
    provider = FileProvider("file/0", (str(tmp_path / "*.json"),), 300)
    assert _addresses(provider.read()) == ["a:1", "b:2"]
    good.write_text('[{"targets": ["a:1", "a:2"')  # half written
    other.write_text(json.dumps([{"targets": ["b:3"]}]))
    assert _addresses(provider.read()) == ["a:1", "b:3"]
    good.unlink()  # a deleted file's targets go
    assert _addresses(provider.read()) == ["b:3"]


def test_file_provider_publishes_on_change(tmp_path: Path) -> None:
    path = tmp_path / "targets.json"
    path.write_text(json.dumps([{"targets": ["a:1"]}]))
    published: list[list[str]] = []

    async def scenario() -> None:
        async def publish(name: str, groups: list[DiscoveredGroup]) -> None:
            published.append(_addresses(groups))

        task = asyncio.ensure_future(FileProvider("file/0", (str(path),), 300).run(publish))
        await asyncio.sleep(0.2)
        path.write_text(json.dumps([{"targets": ["a:1", "c:3"]}]))
        await asyncio.sleep(1.5)  # the provider checks files every second
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)

    asyncio.run(scenario())
    assert published[0] == ["a:1"] and published[-1] == ["a:1", "c:3"]


class _SD:
    """An HTTP SD endpoint whose answer the test sets."""

    def __init__(self) -> None:
        self.status, self.content_type, self.body = 200, "application/json", b"[]"
        endpoint = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self.send_response(endpoint.status)
                self.send_header("Content-Type", endpoint.content_type)
                self.send_header("Content-Length", str(len(endpoint.body)))
                self.end_headers()
                self.wfile.write(endpoint.body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/sd"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def sd() -> Iterator[_SD]:
    endpoint = _SD()
    yield endpoint
    endpoint.server.shutdown()


def _poll_http(sd: _SD, answers: list[tuple[int, str, bytes]]) -> list[list[str]]:
    """Runs the provider through the given answers, one per refresh; returns what it published."""
    published: list[list[str]] = []

    async def scenario() -> None:
        async def publish(name: str, groups: list[DiscoveredGroup]) -> None:
            assert all(g.labels.get("__meta_url") == sd.url for g in groups)
            published.append(_addresses(groups))

        async with httpx.AsyncClient() as client:
            provider = HTTPProvider("http/0", sd.url, 0.3, client)
            sd.status, sd.content_type, sd.body = answers[0]
            task = asyncio.ensure_future(provider.run(publish))
            for answer in answers[1:]:
                await asyncio.sleep(0.3)
                sd.status, sd.content_type, sd.body = answer
            await asyncio.sleep(0.8)
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    asyncio.run(scenario())
    return published


def test_http_provider_publishes_targets_and_keeps_them_through_bad_answers(sd: _SD) -> None:
    good = json.dumps([{"targets": ["a:1"], "labels": {"env": "x"}}]).encode()
    published = _poll_http(sd, [
        (200, "application/json", good),
        (500, "application/json", b"oops"),
        (200, "text/plain", good),
        (200, "application/json", b"[{broken"),
        (200, "application/json; charset=utf-8", json.dumps([{"targets": ["b:2"]}]).encode()),
    ])
    # bad answers publish nothing, so the last good targets stay in place
    assert published[0] == ["a:1"] and published[-1] == ["b:2"]
    assert all(p in (["a:1"], ["b:2"]) for p in published)
