"""`ember tsdb analyze`: what a data directory holds, and where its cardinality comes from
(the same questions `promtool tsdb analyze` answers)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import TextIO

from ember.model.labels import METRIC_NAME
from ember.tsdb.db import DB
from ember.tsdb.options import DBOptions
from ember.tsdb.postings import LabelIndex


def _top(counter: Counter[str], limit: int) -> list[tuple[str, int]]:
    return sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]


def describe_index(index: LabelIndex, limit: int, out: TextIO) -> None:
    names = index.label_names()
    pairs = Counter({f"{n}={v}": len(index.postings(n, v)) for n in names for v in index.label_values(n)})
    cardinality = Counter({n: len(index.label_values(n)) for n in names})
    metrics = Counter({v: len(index.postings(METRIC_NAME, v)) for v in index.label_values(METRIC_NAME)})
    print(f"Series: {len(index.all_postings())}", file=out)
    print(f"Label names: {len(names)}", file=out)
    print(f"Postings (unique label pairs): {len(pairs)}", file=out)
    print(f"Postings entries (total label pairs): {sum(pairs.values())}", file=out)
    for title, counter in (
        ("Highest cardinality labels", cardinality),
        ("Highest cardinality metric names", metrics),
        ("Most common label pairs", pairs),
    ):
        print(f"\n{title}:", file=out)
        for name, count in _top(counter, limit):
            print(f"{count} {name}", file=out)


def analyze(data_dir: str | Path, *, limit: int, out: TextIO) -> None:
    with DB.open(data_dir, DBOptions(background_maintenance=False)) as db:
        blocks = db.blocks
        print(f"Blocks: {len(blocks)}", file=out)
        for block in blocks:
            meta = block.meta
            hours = (meta.max_time - meta.min_time) / 3.6e6
            print(
                f"  {meta.ulid}  [{meta.min_time}, {meta.max_time})  duration {hours:g}h"
                f"  series {meta.stats.num_series}  samples {meta.stats.num_samples}  bytes {block.size_bytes}"
                f"  level {meta.level}",
                file=out,
            )
        head = db.head
        print(f"Head: series {len(head.series)}  samples {head.num_samples()}  bytes {head.nbytes()}", file=out)
        target = blocks[-1].index if blocks else head.series.postings
        label = f"block {blocks[-1].meta.ulid}" if blocks else "the head"
        print(f"\nCardinality of {label}:", file=out)
        describe_index(target, limit, out)
