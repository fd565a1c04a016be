"""Memory per active series: RSS growth of a process holding N head series (default 1,000,000:
1,000 targets x 1,000 series) after `--steps` scrapes at 15 s through the Appender with the WAL on
(default 480: two hours, the most a head holds before it is cut, with realistic counter values).

    .venv/bin/python bench/memory.py [--targets 1000] [--series 1000] [--steps 480]

Last line: bytes of RSS per active series (label sets, index, head state, WAL buffers included).
"""

from __future__ import annotations

import argparse
import gc
import resource
import tempfile
from pathlib import Path

import numpy as np

from ember.model.labels import Labels
from ember.model.samples import SampleBatch
from ember.storage.interface import AppendOptions
from ember.tsdb.db import DB
from ember.tsdb.options import DBOptions


def rss_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * resource.getpagesize()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--targets", type=int, default=1000)
    parser.add_argument("--series", type=int, default=1000)
    parser.add_argument("--steps", type=int, default=480)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = DB.open(Path(tmp), DBOptions(background_maintenance=False))
        gc.collect()
        before = rss_bytes()
        refs = []
        for target in range(args.targets):
            labels = [
                Labels.from_strings("__name__", f"metric_{j % 100}", "instance", f"host-{target}:9100",
                                    "job", "node", "series", str(j))
                for j in range(args.series)
            ]
            appender = db.appender()
            result = appender.append(SampleBatch.aligned(0, np.zeros(args.series), series=labels),
                                     AppendOptions(group=f"t{target}"))
            appender.commit()
            refs.append(result.refs)
        rng = np.random.default_rng(3)
        increments = rng.integers(0, 50, size=(args.targets, args.series)).astype(np.float64)
        for step in range(1, args.steps):
            for target in range(args.targets):
                appender = db.appender()
                appender.append(SampleBatch.aligned(step * 15_000, increments[target] * step,
                                                    refs=refs[target]), AppendOptions(group=f"t{target}"))
                appender.commit()
        gc.collect()
        grown = rss_bytes() - before
        n = args.targets * args.series
        samples = n * args.steps
        print(f"series {n:,}, samples {samples:,}; RSS growth {grown / 2**20:.0f} MiB; "
              f"head {db.head.nbytes() / samples:.2f} bytes/sample")
        print(f"memory per active series: {grown / n:.0f} bytes")
        db.close()


if __name__ == "__main__":
    main()
