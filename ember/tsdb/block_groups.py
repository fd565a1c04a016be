"""Preparing column groups for a block: local series ids, overlaps resolved, neighbours concatenated.

A block keeps one invariant its reader relies on: the groups holding a series never overlap in time, so
a series' samples are its columns concatenated in group-time order. Overlapping input (vertical
compaction, a series written by two writers) is merged sample by sample, the later group winning on
equal timestamps like Prometheus's compacting merge; those series then get one-column groups.
Consecutive groups of the same series set are concatenated (up to `max_rows` rows) because timestamps
and per-column overheads are then paid once: this is most of the density of a block.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from ember.model.samples import Float64Array, Int64Array
from ember.tsdb.column_group import ColumnGroup

DEFAULT_MAX_ROWS = 1024


def localize(
    groups: Iterable[ColumnGroup], local_of: dict[int, int], mint: int, maxt: int
) -> list[ColumnGroup]:
    """Groups with refs mapped to block-local ids, columns sorted by id, rows cut to [mint, maxt]."""
    out = []
    for group in groups:
        part = group.time_slice(mint, maxt)
        if not len(part.timestamps) or not len(part.refs):
            continue
        ids = np.fromiter((local_of[r] for r in part.refs.tolist()), dtype=np.int64, count=len(part.refs))
        order = np.argsort(ids, kind="stable")
        out.append(ColumnGroup(ids[order], part.timestamps, part.values[:, order]))
    return out


def _column_table(groups: list[ColumnGroup]) -> tuple[Int64Array, Int64Array, Int64Array, Int64Array]:
    """Per column: series id, group index, group mint, group maxt."""
    series = np.concatenate([g.refs for g in groups])
    counts = [len(g.refs) for g in groups]
    group_of = np.repeat(np.arange(len(groups), dtype=np.int64), counts)
    mint = np.array([g.mint for g in groups], dtype=np.int64)[group_of]
    maxt = np.array([g.maxt for g in groups], dtype=np.int64)[group_of]
    return series, group_of, mint, maxt


def overlapping_series(groups: list[ColumnGroup]) -> Int64Array:
    """Series ids present in two groups whose time ranges overlap."""
    if len(groups) < 2:
        return np.empty(0, dtype=np.int64)
    series, _, mint, maxt = _column_table(groups)
    order = np.lexsort((mint, series))
    series, mint, maxt = series[order], mint[order], maxt[order]
    # Running max of maxt within each series: rank the maxt values, offset the ranks by series so one
    # cumulative maximum over the whole array never crosses from one series into the next.
    distinct, rank = np.unique(maxt, return_inverse=True)
    _, series_rank = np.unique(series, return_inverse=True)
    running = np.maximum.accumulate(series_rank * len(distinct) + rank) - series_rank * len(distinct)
    same = series[1:] == series[:-1]
    clash = same & (mint[1:] <= distinct[running[:-1]])
    return np.unique(series[1:][clash])


def _merge_samples(groups: list[ColumnGroup], doomed: Int64Array) -> list[ColumnGroup]:
    """One-column groups for `doomed` series with their samples merged; later groups win ties."""
    sids, times, values, priority = [], [], [], []
    for k, group in enumerate(groups):
        cols = np.flatnonzero(np.isin(group.refs, doomed))
        if not len(cols):
            continue
        rows = len(group.timestamps)
        sids.append(np.repeat(group.refs[cols], rows))
        times.append(np.tile(group.timestamps, len(cols)))
        values.append(group.values[:, cols].T.reshape(-1))
        priority.append(np.full(rows * len(cols), k, dtype=np.int64))
    sid, ts, prio = np.concatenate(sids), np.concatenate(times), np.concatenate(priority)
    val: Float64Array = np.concatenate(values)
    order = np.lexsort((-prio, ts, sid))
    sid, ts, val = sid[order], ts[order], val[order]
    keep = np.ones(len(ts), dtype=bool)
    keep[1:] = (sid[1:] != sid[:-1]) | (ts[1:] != ts[:-1])
    sid, ts, val = sid[keep], ts[keep], val[keep]
    bounds = np.flatnonzero(np.diff(sid)) + 1
    out = []
    for lo, hi in zip([0, *bounds.tolist()], [*bounds.tolist(), len(sid)], strict=True):
        out.append(ColumnGroup(sid[lo : lo + 1].copy(), ts[lo:hi].copy(), val[lo:hi].reshape(-1, 1).copy()))
    return out


def resolve_overlaps(groups: list[ColumnGroup]) -> list[ColumnGroup]:
    """Groups in which no series has two time-overlapping groups (see module docstring)."""
    doomed = overlapping_series(groups)
    if not len(doomed):
        return groups
    merged = _merge_samples(groups, doomed)
    out = []
    for group in groups:
        keep = ~np.isin(group.refs, doomed)
        if keep.all():
            out.append(group)
        elif keep.any():
            out.append(ColumnGroup(group.refs[keep], group.timestamps, group.values[:, keep]))
    return out + merged


def _predecessors(groups: list[ColumnGroup]) -> list[int]:
    """For each group, the group every one of its series was in just before it, or -1."""
    series, group_of, mint, _ = _column_table(groups)
    order = np.lexsort((mint, series))
    previous = np.full(len(series), -1, dtype=np.int64)
    same = series[order][1:] == series[order][:-1]
    previous[order[1:][same]] = group_of[order][:-1][same]
    starts = np.cumsum([0] + [len(g.refs) for g in groups[:-1]])
    low = np.minimum.reduceat(previous, starts)
    high = np.maximum.reduceat(previous, starts)
    chosen: list[int] = np.where(low == high, low, -1).tolist()
    return chosen


def concatenate_neighbours(groups: list[ColumnGroup], max_rows: int = DEFAULT_MAX_ROWS) -> list[ColumnGroup]:
    """Joins each group to its predecessor when both hold exactly the same series (see docstring)."""
    if len(groups) < 2:
        return groups
    previous = _predecessors(groups)
    runs: list[list[int]] = []
    run_of: dict[int, int] = {}
    rows: list[int] = []
    for k in np.argsort([g.mint for g in groups], kind="stable").tolist():
        p = previous[k]
        joinable = p >= 0 and p in run_of and np.array_equal(groups[p].refs, groups[k].refs)
        if joinable and runs[run_of[p]][-1] == p and rows[run_of[p]] + len(groups[k].timestamps) <= max_rows:
            run = run_of[p]
            runs[run].append(k)
            rows[run] += len(groups[k].timestamps)
        else:
            run = len(runs)
            runs.append([k])
            rows.append(len(groups[k].timestamps))
        run_of[k] = run
    out = []
    for run_members in runs:
        if len(run_members) == 1:
            out.append(groups[run_members[0]])
            continue
        members = [groups[k] for k in run_members]
        out.append(
            ColumnGroup(
                members[0].refs,
                np.concatenate([g.timestamps for g in members]),
                np.concatenate([g.values for g in members], axis=0),
            )
        )
    return out


def prepare_groups(
    groups: Iterable[ColumnGroup],
    local_of: dict[int, int],
    mint: int,
    maxt: int,
    max_rows: int = DEFAULT_MAX_ROWS,
) -> list[ColumnGroup]:
    """The groups a block stores, in time order (see module docstring)."""
    local = resolve_overlaps(localize(groups, local_of, mint, maxt))
    joined = concatenate_neighbours(local, max_rows)
    return sorted(joined, key=lambda g: (g.mint, int(g.refs[0])))
