"""Compaction: planning which blocks to merge (Prometheus's leveled rules) and merging them.

Merging decodes the parents' column groups (tombstoned samples dropped), maps every series to one id
by its labels, and writes them with `write_block`, which resolves overlaps (vertical compaction: on
equal timestamps the later block wins) and concatenates consecutive groups of the same series set.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np

from ember.errors import BadDataError
from ember.model.labels import Labels
from ember.tsdb.block_meta import BlockMeta
from ember.tsdb.block_reader import Block
from ember.tsdb.block_writer import write_block
from ember.tsdb.column_group import ColumnGroup

TOMBSTONE_SHARE = 0.05  # Prometheus rewrites a big-enough block whose tombstones exceed 5% of its series


def _overlapping(metas: list[BlockMeta]) -> list[BlockMeta]:
    """The first run of time-overlapping blocks (metas sorted by min_time), as Prometheus's
    `selectOverlappingDirs`."""
    run: list[BlockMeta] = []
    if not metas:
        return run
    global_max = metas[0].max_time
    for previous, meta in itertools.pairwise(metas):
        if meta.min_time < global_max:
            if not run:
                run.append(previous)
            run.append(meta)
        elif run:
            break
        global_max = max(global_max, meta.max_time)
    return run


def _split_by_range(metas: list[BlockMeta], span: int) -> list[list[BlockMeta]]:
    """Blocks grouped by the aligned window of `span` containing them; blocks fitting in no single
    window are left out (Prometheus's `splitByRange`)."""
    parts: list[list[BlockMeta]] = []
    i = 0
    while i < len(metas):
        start = (metas[i].min_time // span) * span  # floor division aligns negative times too
        if metas[i].max_time > start + span:
            i += 1
            continue
        part = []
        while i < len(metas) and metas[i].max_time <= start + span:
            part.append(metas[i])
            i += 1
        parts.append(part)
    return parts


def _select_for_ranges(metas: list[BlockMeta], ranges: Sequence[int]) -> list[BlockMeta]:
    if len(ranges) < 2 or not metas:
        return []
    high_time = metas[-1].min_time
    for span in ranges[1:]:
        for part in _split_by_range(metas, span):
            mint, maxt = part[0].min_time, part[-1].max_time
            # A full window (gaps allowed), or one entirely before the newest block.
            if len(part) > 1 and (maxt - mint == span or maxt <= high_time):
                return part
    return []


def plan_compaction(metas: Sequence[BlockMeta], ranges: Sequence[int]) -> list[list[BlockMeta]]:
    """Sets of blocks to compact, as Prometheus's `LeveledCompactor.plan`: overlapping blocks first;
    then the first full window of a larger range, never touching the newest block; then one big-enough
    block with many tombstones (or a fully deleted one) to rewrite on its own."""
    ordered = sorted(metas, key=lambda m: m.min_time)
    overlapping = _overlapping(ordered)
    if overlapping:
        return [overlapping]
    candidates = ordered[:-1]
    selected = _select_for_ranges(candidates, ranges)
    if selected:
        return [selected]
    for meta in reversed(candidates):
        stats = meta.stats
        if meta.max_time - meta.min_time < ranges[len(ranges) // 2]:
            if stats.num_tombstones > 0 and stats.num_tombstones >= stats.num_series:
                return [[meta]]
            break
        if stats.num_tombstones / (stats.num_series + 1) > TOMBSTONE_SHARE:
            return [[meta]]
    return []


def _merged_groups(blocks: Sequence[Block], series: dict[int, Labels]) -> Iterator[ColumnGroup]:
    """The blocks' groups with refs renumbered so equal label sets share one ref."""
    ref_of: dict[Labels, int] = {labels: ref for ref, labels in series.items()}
    for block in blocks:
        for labels_of, group in block.column_groups(apply_tombstones=True):
            refs = []
            for local in group.refs.tolist():
                labels = labels_of[local]
                ref = ref_of.get(labels)
                if ref is None:
                    ref = ref_of[labels] = len(ref_of)
                    series[ref] = labels
                refs.append(ref)
            yield ColumnGroup(np.array(refs, dtype=np.int64), group.timestamps, group.values)


def compact(blocks: Sequence[Block], parent_dir: Path) -> Path:
    """Merges blocks into one new block in `parent_dir` (the parents are left for the caller to
    delete); its level is one more than the highest parent's, as in Prometheus."""
    if not blocks:
        raise BadDataError("compaction needs at least one block")
    ordered = sorted(blocks, key=lambda b: (b.meta.min_time, b.meta.ulid))
    series: dict[int, Labels] = {}
    groups = list(_merged_groups(ordered, series))
    metas = [b.meta for b in ordered]
    return write_block(
        parent_dir,
        series=series,
        groups=groups,
        mint=min(m.min_time for m in metas),
        maxt=max(m.max_time for m in metas),
        level=max(m.level for m in metas) + 1,
        sources=sorted({s for m in metas for s in m.sources}),
        parents=[m.ulid for m in metas],
    )


def clean_tombstones(block: Block, parent_dir: Path | None = None) -> Path:
    """Rewrites one block without its tombstoned samples; keeps its level and sources."""
    meta = block.meta
    series: dict[int, Labels] = {}
    groups = list(_merged_groups([block], series))
    return write_block(
        parent_dir if parent_dir is not None else block.path.parent,
        series=series,
        groups=groups,
        mint=meta.min_time,
        maxt=meta.max_time,
        level=meta.level,
        sources=meta.sources,
        parents=[meta.ulid],
    )
