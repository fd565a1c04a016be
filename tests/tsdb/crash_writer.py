"""A writer for the crash test: appends scrape rows and prints each timestamp once its synchronous commit
has returned. Run as `python -m tests.tsdb.crash_writer DIR START_MS`; it never stops by itself."""

from __future__ import annotations

import sys

import numpy as np

from ember.model.labels import Labels
from ember.model.samples import SampleBatch
from ember.storage.interface import AppendOptions
from ember.tsdb.db import DB
from ember.tsdb.options import DBOptions

SERIES = [Labels.from_strings("__name__", "crash_test", "i", str(i)) for i in range(64)]
OPTIONS = DBOptions(block_range_ms=30_000, maintenance_interval_s=0.02, wal_sync_interval_s=0.005,
                    wal_segment_size=256 * 1024, retention_ms=0)


def value_at(t: int) -> np.ndarray:
    return np.arange(len(SERIES), dtype=np.float64) * 1000 + t / 1000


def main() -> None:
    directory, start = sys.argv[1], int(sys.argv[2])
    db = DB.open(directory, OPTIONS)
    t = start
    refs = None
    while True:
        appender = db.appender()
        if refs is None:
            batch = SampleBatch.aligned(t, value_at(t), series=SERIES)
        else:
            batch = SampleBatch.aligned(t, value_at(t), refs=refs)
        result = appender.append(batch, AppendOptions(group="crash"))
        refs = result.refs
        if t % 7000 == 0:  # some unaligned samples too
            appender.append(SampleBatch.of_series(Labels.from_strings("__name__", "side"), [t], [t / 7]))
        appender.commit(sync=True)
        print(t, flush=True)
        t += 1000


if __name__ == "__main__":
    main()
