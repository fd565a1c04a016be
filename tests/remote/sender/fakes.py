"""Test doubles for the sender: a receiver behind an httpx MockTransport and a hand-fed WAL follower."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import httpx
import numpy as np

from ember.config.prometheus import RemoteWriteConfig
from ember.model.labels import Labels
from ember.remote.sender.client import HttpxPoster
from ember.remote.sender.wal_source import SampleSink
from ember.remote.write_codec import decode_body

Responder = Callable[[int], httpx.Response]
"""Answers request number n (0-based)."""


@dataclass
class FakeReceiver:
    """Records what it accepted (2xx) as (labels, timestamp, value-bits) rows, and every request."""

    respond: Responder = field(default=lambda n: httpx.Response(204))
    gate: asyncio.Event | None = None
    accepted: list[tuple[Labels, int, int]] = field(default_factory=list)
    requests: list[httpx.Request] = field(default_factory=list)
    batch_sizes: list[int] = field(default_factory=list)

    async def handle(self, request: httpx.Request) -> httpx.Response:
        if self.gate is not None:
            await self.gate.wait()
        number = len(self.requests)
        self.requests.append(request)
        decoded = decode_body(request.content)
        response = self.respond(number)
        if 200 <= response.status_code < 300:
            bits = decoded.values.view(np.uint64).tolist()
            index = decoded.series_index.tolist()
            self.batch_sizes.append(len(bits))
            self.accepted += [(decoded.series[i], t, b)
                              for i, t, b in zip(index, decoded.timestamps.tolist(), bits, strict=True)]
        return response

    def client_factory(self, config: RemoteWriteConfig) -> HttpxPoster:
        return HttpxPoster(httpx.AsyncClient(transport=httpx.MockTransport(self.handle)))


class HandFedFollower:
    """A WAL follower the test drives: it only records the sink it was given."""

    def __init__(self, sink: SampleSink, name: str, segment: int = 3) -> None:
        self.sink = sink
        self.name = name
        self.segment = segment
        self.started = self.stopped = self.drained = False

    def start(self) -> None:
        self.started = True

    def drain(self, timeout_s: float) -> None:
        self.drained = True

    def stop(self) -> None:
        self.stopped = True

    def lowest_segment_in_use(self) -> int | None:
        return self.segment


@dataclass
class FollowerRegistry:
    followers: list[HandFedFollower] = field(default_factory=list)

    def __call__(self, sink: SampleSink, name: str) -> HandFedFollower:
        follower = HandFedFollower(sink, name)
        self.followers.append(follower)
        return follower


def series(n: int, job: str = "api") -> list[Labels]:
    return [Labels.from_strings("__name__", "m", "job", job, "i", str(i)) for i in range(n)]


def rows(labels: Sequence[Labels], timestamps: Sequence[int], values: np.ndarray) -> list[tuple[Labels, int, int]]:
    """Expected receiver rows for samples laid out [time, series]."""
    bits = np.asarray(values, dtype=np.float64).view(np.uint64)
    return [(labels[s], int(t), int(bits[k, s])) for k, t in enumerate(timestamps) for s in range(len(labels))]
