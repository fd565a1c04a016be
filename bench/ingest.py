"""Ingest throughput through the Appender with the WAL on (group commit), and WAL replay time.

100 targets x 1,000 series (100k series) scraped every 15 s for 2 h (48 M samples), appended as one
aligned batch per scrape, with series refs after the first scrape as a scrape cache does. Then the
writer process is killed with SIGKILL and the time to reopen (replay the WAL) is measured.

    .venv/bin/python bench/ingest.py [--targets 100] [--series 1000] [--hours 2]

Last line: samples per CPU-second, the same per wall second, and the replay time.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from ember.model.labels import Labels
from ember.model.samples import SampleBatch
from ember.storage.interface import AppendOptions
from ember.tsdb.db import DB
from ember.tsdb.options import DBOptions


def ingest(directory: Path, targets: int, series: int, hours: float) -> dict[str, float]:
    db = DB.open(directory, DBOptions(maintenance_interval_s=5.0))
    rng = np.random.default_rng(1)
    labels = [
        [Labels.from_strings("__name__", f"metric_{j % 50}", "instance", f"host-{t}:9100", "job", "node",
                             "series", str(j)) for j in range(series)]
        for t in range(targets)
    ]
    # Realistic values: counters growing by integer steps, gauges with two decimals.
    counters = rng.integers(0, 10_000, size=(targets, series)).astype(np.float64)
    steps = int(hours * 3600 / 15)
    refs: list[np.ndarray | None] = [None] * targets
    cpu0, wall0 = time.process_time(), time.perf_counter()
    for step in range(steps):
        t = step * 15_000
        counters += rng.integers(0, 20, size=counters.shape)
        for target in range(targets):
            values = counters[target]
            appender = db.appender()
            if refs[target] is None:
                batch = SampleBatch.aligned(t, values, series=labels[target])
            else:
                batch = SampleBatch.aligned(t, values, refs=refs[target])
            refs[target] = appender.append(batch, AppendOptions(group=f"target-{target}")).refs
            appender.commit()
    db.sync()
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    samples = steps * targets * series
    return {"samples": samples, "cpu_s": cpu, "wall_s": wall, "head_bytes": db.head.nbytes()}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--targets", type=int, default=100)
    parser.add_argument("--series", type=int, default=1000)
    parser.add_argument("--hours", type=float, default=2.0)
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        figures = ingest(Path(args.child), args.targets, args.series, args.hours)
        print(json.dumps(figures), flush=True)
        time.sleep(3600)  # wait to be killed, WAL synced but never closed cleanly
        return
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp) / "data"
        child = subprocess.Popen(
            [sys.executable, __file__, "--child", str(directory), "--targets", str(args.targets),
             "--series", str(args.series), "--hours", str(args.hours)],
            stdout=subprocess.PIPE, text=True,
        )
        assert child.stdout is not None
        figures = json.loads(child.stdout.readline())
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
        started = time.perf_counter()
        db = DB.open(directory, DBOptions(background_maintenance=False))
        replay_s = time.perf_counter() - started
        head_samples = db.head.num_samples()
        db.close()
    rate_cpu = figures["samples"] / figures["cpu_s"]
    rate_wall = figures["samples"] / figures["wall_s"]
    print(f"ingested {figures['samples']:,} samples in {figures['cpu_s']:.1f} CPU-s ({figures['wall_s']:.1f} s wall); "
          f"head {figures['head_bytes'] / figures['samples']:.2f} bytes/sample; replayed {head_samples:,} samples")
    print(f"ingest: {rate_cpu / 1e6:.2f} M samples/CPU-s, {rate_wall / 1e6:.2f} M samples/s wall; "
          f"WAL replay after SIGKILL: {replay_s:.2f} s")


if __name__ == "__main__":
    main()
