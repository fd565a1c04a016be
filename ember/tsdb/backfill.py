"""Backfill: OpenMetrics text with timestamps into blocks (like `promtool tsdb create-blocks-from
openmetrics`). The samples go through a scratch database in the target directory, whose head is then
written out as blocks and moved beside the target's own blocks."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
from tqdm import tqdm

from ember.errors import BadDataError
from ember.exposition.openmetrics_parser import parse_openmetrics
from ember.model.labels import Labels
from ember.model.samples import SampleBatch
from ember.tsdb.db import DB
from ember.tsdb.options import DBOptions

APPEND_CHUNK = 1_000_000


def import_openmetrics(input_file: str | Path, data_dir: str | Path, *, progress: bool = False) -> str:
    """Imports every sample of `input_file` into new blocks under `data_dir`; returns a summary line."""
    body = Path(input_file).read_bytes()
    scrape = parse_openmetrics(body)
    if len(scrape) and not scrape.has_timestamp.all():
        missing = int(np.flatnonzero(~scrape.has_timestamp)[0])
        raise BadDataError(f"sample {missing + 1} ({scrape.series_text[missing]}) has no timestamp; "
                           "backfilling needs a timestamp on every sample")
    entries = scrape.entries
    index_of: dict[int, int] = {}
    series: list[Labels] = []
    series_index = np.empty(len(entries), dtype=np.int32)
    for i, entry in enumerate(entries):
        k = index_of.get(id(entry))
        if k is None:
            k = index_of[id(entry)] = len(series)
            series.append(entry.labels)
        series_index[i] = k
    order = np.lexsort((scrape.timestamps_ms, series_index))
    target = Path(data_dir)
    scratch = target / ".import-scratch"
    shutil.rmtree(scratch, ignore_errors=True)
    rejected = 0
    with DB.open(scratch, DBOptions(background_maintenance=False, retention_ms=0, wal_sync_interval_s=0)) as db:
        bar = tqdm(total=len(order), unit="samples", disable=not progress)
        for start in range(0, len(order), APPEND_CHUNK):
            chunk = order[start : start + APPEND_CHUNK]
            appender = db.appender()
            result = appender.append(SampleBatch.of_samples(
                series, series_index[chunk], scrape.timestamps_ms[chunk], scrape.values[chunk]))
            appender.commit()
            rejected += result.rejected
            bar.update(len(chunk))
        bar.close()
        db.flush_head()
        blocks = [b.path for b in db.blocks]
    target.mkdir(parents=True, exist_ok=True)
    for path in blocks:
        path.rename(target / path.name)
    shutil.rmtree(scratch, ignore_errors=True)
    return (f"imported {len(order) - rejected} samples of {len(series)} series into {len(blocks)} block(s) "
            f"in {target}" + (f"; {rejected} duplicate samples skipped" if rejected else ""))
