"""Discovery providers: the static list, files (re-read on change and every refresh_interval), and HTTP."""

from __future__ import annotations

import asyncio
import glob
import logging
import os
import re
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx

from ember.discovery.target_groups import DiscoveredGroup, groups_from_document, parse_document
from ember.errors import BadDataError

FILE_CHECK_SECONDS = 1.0
JSON_CONTENT_TYPE = re.compile(r"^(?i:application/json(;\s*charset=(\"utf-8\"|utf-8))?)$")

log = logging.getLogger("ember.discovery")

Publish = Callable[[str, list[DiscoveredGroup]], Awaitable[None]]


class FileProvider:
    """Watches the files matched by globs; publishes their groups whenever a file changes."""

    def __init__(self, name: str, patterns: tuple[str, ...], refresh_s: float) -> None:
        self.name = name
        self.patterns = patterns
        self.refresh_s = refresh_s
        self._seen: dict[str, float] = {}
        self._last_good: dict[str, list[DiscoveredGroup]] = {}

    def read(self) -> list[DiscoveredGroup]:
        """The groups of every matching file. A file that fails to read or parse keeps the groups it had
        last time, as Prometheus's file SD does, so a half-written file never drops its targets."""
        current: dict[str, list[DiscoveredGroup]] = {}
        for path in sorted({p for pattern in self.patterns for p in glob.glob(pattern)}):
            try:
                text = Path(path).read_text()
                current[path] = groups_from_document(parse_document(text, path), path, {"__meta_filepath": path})
            except (OSError, BadDataError) as exc:
                log.error("file SD: %s", exc)
                if path in self._last_good:
                    current[path] = self._last_good[path]
        self._last_good = current
        return [group for groups in current.values() for group in groups]

    def _fingerprint(self) -> dict[str, float]:
        stamps = {}
        for pattern in self.patterns:
            for path in glob.glob(pattern):
                try:
                    stamps[path] = os.stat(path).st_mtime
                except OSError:
                    continue
        return stamps

    async def run(self, publish: Publish) -> None:
        last_refresh = 0.0
        loop = asyncio.get_running_loop()
        while True:
            stamps = self._fingerprint()
            now = loop.time()
            if stamps != self._seen or now - last_refresh >= self.refresh_s:
                self._seen = stamps
                last_refresh = now
                await publish(self.name, await asyncio.to_thread(self.read))
            await asyncio.sleep(FILE_CHECK_SECONDS)


class HTTPProvider:
    """Polls an HTTP SD endpoint every refresh_interval."""

    def __init__(self, name: str, url: str, refresh_s: float, client: httpx.AsyncClient) -> None:
        self.name = name
        self.url = url
        self.refresh_s = refresh_s
        self._client = client

    async def run(self, publish: Publish) -> None:
        while True:
            try:
                response = await self._client.get(self.url, headers={"Accept": "application/json"})
                if response.status_code != 200:
                    raise BadDataError(f"server returned HTTP status {response.status_code}")
                content_type = response.headers.get("content-type", "").strip()
                if not JSON_CONTENT_TYPE.match(content_type):
                    raise BadDataError(f"unsupported content type {content_type!r}")
                groups = groups_from_document(response.json(), self.url, {"__meta_url": self.url})
                await publish(self.name, groups)
            except (httpx.HTTPError, ValueError, BadDataError) as exc:
                log.error("HTTP SD %s: %s", self.url, exc)
            await asyncio.sleep(self.refresh_s)
