"""Scrape loops against real HTTP targets on loopback, appending into the reference storage."""

from __future__ import annotations

import asyncio
import gzip
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np
import pytest

from ember.config.loader import load_config_text
from ember.model.labels import Labels
from ember.model.matchers import Matcher
from ember.model.samples import is_stale
from ember.scrape.http_client import ScrapeClient
from ember.scrape.loop import ScrapeLoop
from ember.scrape.target import populate_target
from ember.storage.interface import MAX_TIME, MIN_TIME
from ember.testing import ReferenceStorage


class Target:
    """A test target whose response can be changed between scrapes."""

    def __init__(self) -> None:
        self.body = b"a_total 1\nb 2\n"
        self.content_type = "text/plain; version=0.0.4"
        self.status = 200
        self.gzip = False
        self.delay = 0.0
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                import time as _time
                _time.sleep(outer.delay)
                body = gzip.compress(outer.body) if outer.gzip else outer.body
                self.send_response(outer.status)
                self.send_header("Content-Type", outer.content_type)
                if outer.gzip:
                    self.send_header("Content-Encoding", "gzip")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.address = f"127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def target() -> Iterator[Target]:
    served = Target()
    yield served
    served.server.shutdown()


def _loop(target: Target, storage: ReferenceStorage, extra: str = "") -> ScrapeLoop:
    config = load_config_text(
        f"scrape_configs:\n  - job_name: app\n    scrape_timeout: 500ms\n    static_configs:\n"
        f"      - targets: ['{target.address}']\n{extra}"
    ).scrape_configs[0]
    scrape_target = populate_target(Labels([("__address__", target.address)]), config)
    assert scrape_target is not None
    clock = iter(float(i) for i in range(1000, 10_000, 15))
    return ScrapeLoop(scrape_target, config, storage, ScrapeClient(), clock=lambda: next(clock))


def _values(storage: ReferenceStorage, name: str) -> list[float]:
    found = storage.querier().select([Matcher.equal("__name__", name)], MIN_TIME, MAX_TIME)
    return found.series(0)[1].tolist() if len(found) else []


def test_scrape_appends_samples_with_target_labels_and_report(target: Target) -> None:
    storage = ReferenceStorage()
    outcome = asyncio.run(_loop(target, storage).scrape_once())
    assert outcome.error == "" and outcome.samples_scraped == 2
    found = storage.querier().select([Matcher.equal("__name__", "a_total")], MIN_TIME, MAX_TIME)
    assert list(found.labels) == [Labels.from_strings("__name__", "a_total", "instance", target.address, "job", "app")]
    assert _values(storage, "up") == [1.0]
    assert _values(storage, "scrape_samples_scraped") == [2.0]
    assert _values(storage, "scrape_series_added") == [2.0]


def test_vanished_series_get_a_staleness_marker(target: Target) -> None:
    storage = ReferenceStorage()

    async def scenario() -> None:
        loop = _loop(target, storage)
        await loop.scrape_once()
        target.body = b"a_total 2\n"
        await loop.scrape_once()
        await loop.scrape_once()

    asyncio.run(scenario())
    b = storage.querier().select([Matcher.equal("__name__", "b")], MIN_TIME, MAX_TIME)
    _, values = b.series(0)
    assert values[0] == 2.0 and is_stale(values[1:]).tolist() == [True]
    assert _values(storage, "a_total") == [1.0, 2.0, 2.0]


@pytest.mark.parametrize("track", [False, True])
def test_explicit_timestamps_go_stale_only_when_tracked(target: Target, track: bool) -> None:
    storage = ReferenceStorage()
    target.body = b"a_total 1\nstamped 5 500000\n"

    async def scenario() -> None:
        loop = _loop(target, storage, f"    track_timestamps_staleness: {str(track).lower()}\n")
        await loop.scrape_once()
        target.body = b"a_total 2\n"
        await loop.scrape_once()

    asyncio.run(scenario())
    stamped = storage.querier().select([Matcher.equal("__name__", "stamped")], MIN_TIME, MAX_TIME)
    timestamps, values = stamped.series(0)
    assert timestamps[0] == 500_000 and values[0] == 5.0
    assert is_stale(values[1:]).tolist() == ([True] if track else [])


@pytest.mark.parametrize(
    ("setup", "error"),
    [
        (lambda t: setattr(t, "body", b"garbage{{{ 1\n"), "line 1"),
        (lambda t: setattr(t, "status", 500), "server returned HTTP status 500"),
        (lambda t: setattr(t, "delay", 1.5), "context deadline exceeded"),
        (lambda t: setattr(t, "content_type", "application/json"), "Content-Type"),
    ],
)
def test_bad_targets_are_down_with_their_error(target: Target, setup: object, error: str) -> None:
    storage = ReferenceStorage()
    setup(target)  # type: ignore[operator]
    loop = _loop(target, storage)
    outcome = asyncio.run(loop.scrape_once())
    assert error in outcome.error
    assert loop.health == "down" and error in loop.last_error
    assert _values(storage, "up") == [0.0]


def test_gzip_body_and_sample_limit(target: Target) -> None:
    storage = ReferenceStorage()
    target.gzip = True
    assert asyncio.run(_loop(target, storage).scrape_once()).error == ""
    limited = ReferenceStorage()
    outcome = asyncio.run(_loop(target, limited, "    sample_limit: 1\n").scrape_once())
    assert outcome.error == "sample limit exceeded"
    assert _values(limited, "a_total") == []


def test_body_size_limit(target: Target) -> None:
    target.body = b"x 1\n" * 1000
    outcome = asyncio.run(_loop(target, ReferenceStorage(), "    body_size_limit: 100B\n").scrape_once())
    assert "body size limit exceeded" in outcome.error


def test_honor_labels_and_exported_prefix(target: Target) -> None:
    target.body = b'm{job="scraped"} 1\n'
    storage = ReferenceStorage()
    asyncio.run(_loop(target, storage).scrape_once())
    (labels,) = storage.querier().select([Matcher.equal("__name__", "m")], MIN_TIME, MAX_TIME).labels
    assert labels.get("job") == "app" and labels.get("exported_job") == "scraped"
    honored = ReferenceStorage()
    asyncio.run(_loop(target, honored, "    honor_labels: true\n").scrape_once())
    (labels,) = honored.querier().select([Matcher.equal("__name__", "m")], MIN_TIME, MAX_TIME).labels
    assert labels.get("job") == "scraped" and labels.get("exported_job") == ""


def test_metric_relabelling_drops_series(target: Target) -> None:
    storage = ReferenceStorage()
    extra = "    metric_relabel_configs:\n      - source_labels: [__name__]\n        regex: b\n        action: drop\n"
    outcome = asyncio.run(_loop(target, storage, extra).scrape_once())
    assert outcome.samples_scraped == 2 and outcome.samples_kept == 1
    assert _values(storage, "b") == []
    assert _values(storage, "scrape_samples_post_metric_relabeling") == [1.0]


def test_stop_writes_staleness_for_everything(target: Target) -> None:
    storage = ReferenceStorage()

    async def scenario() -> None:
        loop = _loop(target, storage)
        await loop.scrape_once()
        await loop.stop()

    asyncio.run(scenario())
    for name in ("a_total", "b", "up"):
        assert bool(is_stale(np.array(_values(storage, name)[-1:]))[0])
