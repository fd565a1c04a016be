"""Fixed CPU of a steady scrape, in process: N scrape loops on one event loop append into a real database
in a temporary directory; each target answers from memory (no HTTP), alternating two bodies that differ
only in their values, as `bench/scrape.py`'s targets do. Isolates the parse-template, row write (or append
and commit) and report path from the network so a change can be judged in seconds.

    .venv/bin/python bench/scrape_steady.py [--targets 50] [--series 1000] [--rounds 60] [--gap-ms 0] [--profile]

`--gap-ms 25` sleeps that long between scrapes, as 200 targets at a 5 s interval are spaced, and counts
only the scrapes' CPU: on a machine that idles in between, the same work then costs several times more.

Last line: CPU microseconds per steady scrape (best of three passes) and per 1,000 samples.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import pstats
import tempfile
import time

from scrape import make_bodies

from ember.config.loader import load_config_text
from ember.model.labels import Labels
from ember.scrape.http_client import FetchedBody
from ember.scrape.loop import ScrapeLoop
from ember.scrape.target import populate_target
from ember.tsdb.db import DB
from ember.tsdb.options import DBOptions


class MemoryClient:
    """Answers target k (by URL path) with its two bodies in turn."""

    def __init__(self, bodies: list[list[bytes]]) -> None:
        self._bodies = bodies
        self._counters = [0] * len(bodies)

    async def fetch(self, url: str, headers: dict[str, str], timeout: float, limit: int) -> FetchedBody:
        index = int(url.rsplit("/", 1)[-1])
        self._counters[index] += 1
        return FetchedBody(self._bodies[index][self._counters[index] % 2], "text/plain; version=0.0.4", None)


def make_loops(db: DB, targets: int, series: int) -> list[ScrapeLoop]:
    config = load_config_text("scrape_configs:\n  - job_name: bench\n    static_configs:\n"
                              "      - targets: ['127.0.0.1:9']\n").scrape_configs[0]
    client = MemoryClient(make_bodies(targets, series))
    loops = []
    for index in range(targets):
        labels = Labels([("__address__", "127.0.0.1:9"), ("__metrics_path__", f"/metrics/{index}"),
                         ("shard", str(index))])
        target = populate_target(labels, config)
        assert target is not None
        loops.append(ScrapeLoop(target, config, db, client))  # type: ignore[arg-type]
    return loops


async def scrape_rounds(loops: list[ScrapeLoop], start_ms: int, rounds: int, gap_s: float = 0.0) -> tuple[int, float]:
    """(the next round's timestamp, CPU-seconds spent in the scrapes of this thread)."""
    cpu = 0.0
    for step in range(rounds):
        t = start_ms + step * 5000
        for loop in loops:
            if gap_s:
                await asyncio.sleep(gap_s)
            started = time.thread_time()
            outcome = await loop.scrape_once(t)
            cpu += time.thread_time() - started
            assert not outcome.error, outcome.error
    return start_ms + rounds * 5000, cpu


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--targets", type=int, default=50)
    parser.add_argument("--series", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=60)
    parser.add_argument("--gap-ms", type=float, default=0.0)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, DB.open(tmp, DBOptions(background_maintenance=False)) as db:
        loops = make_loops(db, args.targets, args.series)
        t = int(time.time() * 1000) - 3_600_000
        t, _ = asyncio.run(scrape_rounds(loops, t, 3))  # first scrapes, templates, kernels compiled
        best = float("inf")
        for _ in range(3):
            t, cpu = asyncio.run(scrape_rounds(loops, t, args.rounds, args.gap_ms / 1000))
            best = min(best, cpu / (args.rounds * args.targets))
        if args.profile:
            profile = cProfile.Profile()
            profile.enable()
            t, _ = asyncio.run(scrape_rounds(loops, t, args.rounds))
            profile.disable()
            pstats.Stats(profile).sort_stats("tottime").print_stats(30)
    per_scrape_us = best * 1e6
    print(f"steady scrape: {per_scrape_us:.0f} us CPU per scrape, {per_scrape_us * 1000 / args.series:.0f} us "
          f"per 1,000 samples ({args.targets} targets x {args.series} series, {args.gap_ms:g} ms between scrapes)")


if __name__ == "__main__":
    main()
