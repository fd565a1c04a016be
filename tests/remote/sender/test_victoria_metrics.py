"""End to end with a real receiver: a database's WAL, followed by the sender, into VictoriaMetrics; what
VictoriaMetrics stores must equal what the database holds, also across a receiver outage."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from ember.config.durations import Duration
from ember.config.prometheus import QueueConfig, RemoteWriteConfig
from ember.model import SampleBatch, is_stale
from ember.model.labels import Labels
from ember.model.matchers import Matcher, MatchType
from ember.remote.sender import RemoteWriteStorage, SampleSink
from ember.storage.interface import MAX_TIME, MIN_TIME, AppendOptions
from ember.tsdb.db import DB
from ember.tsdb.options import DBOptions
from ember.tsdb.wal_watcher import WalWatcher
from tests.remote.sender import victoria

pytestmark = [
    pytest.mark.server,
    pytest.mark.skipif(not victoria.available(), reason="Debian package victoria-metrics is not installed "
                       f"({victoria.BINARY} missing)"),
]

EXTERNAL = Labels.from_strings("replica", "ember-test")


@asynccontextmanager
async def pipeline(tmp_path: Path, receiver: victoria.VictoriaMetrics) -> AsyncIterator[DB]:
    """A database whose WAL is remote-written to `receiver`, wired as the server wires it."""
    db = DB.open(tmp_path / "data", DBOptions(wal_segment_size=64 * 1024, background_maintenance=False,
                                              wal_sync_interval_s=0.01))

    def follower(sink: SampleSink, name: str) -> WalWatcher:
        return WalWatcher(db.directory / "wal", sink, name)

    storage = RemoteWriteStorage(follower)
    queue = QueueConfig(batch_send_deadline=Duration(100), min_backoff=Duration(50), max_backoff=Duration(500),
                        max_samples_per_send=500, capacity=2000)
    await storage.apply_config([RemoteWriteConfig(url=receiver.write_url, queue_config=queue)], EXTERNAL)
    try:
        yield db
    finally:
        await storage.stop(flush_deadline_s=10)
        db.close()


def scrape(db: DB, targets: int, width: int, timestamp: int, step: int) -> None:
    """One scrape of `targets` targets, as the scrape loop appends it (one aligned group each)."""
    for t in range(targets):
        labels = [Labels.from_strings("__name__", "e2e_metric", "target", str(t), "i", str(i)) for i in range(width)]
        values = np.arange(width, dtype=np.float64) * 0.5 + step
        if step % 7 == 6:
            values[0] = np.float64(np.array([0x7FF0000000000002], dtype=np.uint64).view(np.float64)[0])
        appender = db.appender()
        appender.append(SampleBatch.aligned(timestamp, values, series=labels), AppendOptions(group=f"t{t}"))
        appender.commit()


def local_data(db: DB) -> dict[tuple[tuple[str, str], ...], tuple[list[int], list[Any]]]:
    """The database's samples in VictoriaMetrics' export form (external labels added, stale as None)."""
    found = db.querier().select([Matcher("__name__", MatchType.EQUAL, "e2e_metric")], MIN_TIME, MAX_TIME)
    out = {}
    for labels, stamps, values in found:
        key = tuple(sorted({**dict(labels), **dict(EXTERNAL)}.items()))
        stale = is_stale(values)
        out[key] = (stamps.tolist(), [None if s else v for s, v in zip(stale.tolist(), values.tolist(), strict=True)])
    return out


async def converge(db: DB, receiver: victoria.VictoriaMetrics, timeout_s: float = 30) -> tuple[Any, Any]:
    expected = local_data(db)
    got: Any = None
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        got = await asyncio.to_thread(receiver.export, '{__name__="e2e_metric"}')
        if got == expected:
            break
        await asyncio.sleep(0.3)
    return got, expected


def differences(got: Any, expected: Any) -> list[str]:
    """Readable gaps and surpluses per series (empty when VictoriaMetrics holds exactly the local data)."""
    out = []
    for key in sorted(set(got) | set(expected)):
        have = dict(zip(*got.get(key, ([], [])), strict=True))
        want = dict(zip(*expected.get(key, ([], [])), strict=True))
        missing = sorted(set(want) - set(have))
        extra = sorted(set(have) - set(want))
        wrong = sorted(t for t in set(want) & set(have) if want[t] != have[t])
        if missing or extra or wrong:
            out.append(f"{dict(key)}: missing {missing[:5]}({len(missing)}) extra {extra[:5]}({len(extra)}) "
                       f"wrong {wrong[:5]}")
    return out


def test_data_written_to_victoria_metrics_equals_the_local_data(tmp_path: Path) -> None:
    receiver = victoria.VictoriaMetrics(tmp_path / "vm")
    receiver.start()

    async def main() -> None:
        async with pipeline(tmp_path, receiver) as db:
            start = int(time.time() * 1000) + 1  # the watcher sends samples after its start time only
            for step in range(20):
                scrape(db, targets=5, width=40, timestamp=start + 1000 * (step + 1), step=step)
                await asyncio.sleep(0.01)
            got, expected = await converge(db, receiver)
            assert sum(len(v[0]) for v in expected.values()) == 5 * 40 * 20
            assert differences(got, expected) == []

    try:
        asyncio.run(main())
    finally:
        receiver.stop()


def run_outage(tmp_path: Path, outage_s: float) -> None:
    receiver = victoria.VictoriaMetrics(tmp_path / "vm")
    receiver.start()

    async def main() -> None:
        async with pipeline(tmp_path, receiver) as db:
            start = int(time.time() * 1000) + 1  # the watcher sends samples after its start time only
            step = 0

            async def scrape_for(seconds: float) -> None:
                nonlocal step
                until = time.monotonic() + seconds
                while time.monotonic() < until:
                    scrape(db, targets=3, width=50, timestamp=start + 250 * step, step=step)
                    step += 1
                    await asyncio.sleep(0.25)

            await scrape_for(2)
            receiver.stop()
            await scrape_for(outage_s)
            receiver.start()
            await scrape_for(2)
            got, expected = await converge(db, receiver, timeout_s=60)
            assert sum(len(v[0]) for v in expected.values()) == 3 * 50 * step
            assert differences(got, expected) == []  # every sample before, during and after the outage

    try:
        asyncio.run(main())
    finally:
        receiver.stop()


def test_a_receiver_outage_leaves_no_gap(tmp_path: Path) -> None:
    run_outage(tmp_path, outage_s=5)


@pytest.mark.slow
@pytest.mark.skipif(os.environ.get("EMBER_SLOW_TESTS") != "1", reason="the 60 s outage runs with EMBER_SLOW_TESTS=1")
def test_a_sixty_second_receiver_outage_leaves_no_gap(tmp_path: Path) -> None:
    run_outage(tmp_path, outage_s=60)
