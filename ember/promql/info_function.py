"""`info(v, {selector})` (experimental): enrich series with the data labels of matching info series.

Info series (default `target_info`) are joined by the identifying labels `instance` and `job`, read
with the lookback window at the same (offset or `@`-shifted) times as the base samples; per step the
newest info sample wins. Labels the base series already has are kept.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import numpy as np
import promql_parser

from ember.errors import ExecutionError, QueryParseError
from ember.model.labels import METRIC_NAME, Labels
from ember.model.matchers import Matcher, MatchType
from ember.promql.context import EvalContext
from ember.promql.selection import at_ms, duration_ms, matchers_of_unchecked
from ember.promql.selector_kernels import lookback_select
from ember.promql.values import InstantVector, Int64Array, Value, merge_rows_by_labels

Evaluate = Callable[[object, EvalContext], Value]
IDENTIFYING_LABELS = ("instance", "job")
_POSITIVE = (MatchType.EQUAL, MatchType.REGEX)


def eval_info(node: promql_parser.Call, ctx: EvalContext, evaluate: Evaluate) -> InstantVector:
    """Evaluates `info()` for all steps."""
    base = evaluate(node.args[0], ctx)
    if not isinstance(base, InstantVector):
        raise QueryParseError("info() expects an instant vector as its first argument")
    selector = (
        [Matcher(n, t, v) for n, t, v in matchers_of_unchecked(node.args[1])] if len(node.args) > 1 else []
    )
    name_matchers = [m for m in selector if m.name == METRIC_NAME]
    data_matchers = [m for m in selector if m.name != METRIC_NAME]
    if not selector:
        name_matchers = [Matcher.equal(METRIC_NAME, "target_info")]
    ignored = _ignored_rows(base, name_matchers)
    if not name_matchers:
        name_matchers = [Matcher.equal(METRIC_NAME, "target_info")]
    elif not any(m.type in _POSITIVE for m in name_matchers):
        # Only negative name matchers: info series are still the `*_info` metrics.
        name_matchers = [Matcher.regex(METRIC_NAME, ".+_info"), *name_matchers]
    times = reference_times(node.args[0], ctx)
    info = _info_series(base, ignored, name_matchers + data_matchers, times, ctx)
    return _combine(base, ignored, info, data_matchers)


def _ignored_rows(base: InstantVector, name_matchers: list[Matcher]) -> np.ndarray:
    """Base series that are info series themselves (match every name matcher, one of them positive)."""
    if not any(m.type in _POSITIVE for m in name_matchers):
        return np.zeros(len(base), dtype=np.bool_)
    return np.array([all(m.matches(lb.metric_name) for m in name_matchers) for lb in base.labels],
                    dtype=np.bool_).reshape(len(base))


def reference_times(expr: object, ctx: EvalContext) -> Int64Array:
    """The times the base samples were read at: step times moved by the `@`/`offset` of the first
    selector or subquery found going down the first arguments of `expr`."""
    times = ctx.times
    node = expr
    while node is not None:
        if isinstance(node, promql_parser.SubqueryExpr | promql_parser.VectorSelector):
            fixed = at_ms(node.at, ctx)
            base = np.full(len(times), fixed, dtype=np.int64) if fixed is not None else times
            times = base - duration_ms(node.offset)
            if isinstance(node, promql_parser.VectorSelector):
                return times
            node = node.expr
        elif isinstance(node, promql_parser.MatrixSelector):
            node = node.vector_selector
        elif isinstance(node, promql_parser.ParenExpr | promql_parser.UnaryExpr
                        | promql_parser.AggregateExpr):
            node = node.expr
        elif isinstance(node, promql_parser.Call) and node.args:
            node = next((a for a in node.args if not isinstance(
                a, promql_parser.NumberLiteral | promql_parser.StringLiteral)), None)
        elif isinstance(node, promql_parser.BinaryExpr):
            node = node.lhs
        else:
            return times
    return times


class _InfoSeries:
    """Info series read at the reference times: labels, presence and sample times per step."""

    def __init__(self, labels: list[Labels], present: np.ndarray, sample_times: np.ndarray) -> None:
        self.labels = labels
        self.present = present
        self.sample_times = sample_times


def _info_series(base: InstantVector, ignored: np.ndarray, matchers: list[Matcher], times: Int64Array,
                 ctx: EvalContext) -> _InfoSeries:
    wanted: dict[str, set[str]] = {name: set() for name in IDENTIFYING_LABELS}
    for row, labels in enumerate(base.labels):
        if not ignored[row]:
            for name in IDENTIFYING_LABELS:
                if labels.get(name):
                    wanted[name].add(labels.get(name))
    identifying = [
        Matcher.regex(n, "|".join(re.escape(v) for v in sorted(vs))) for n, vs in wanted.items() if vs
    ]
    if not identifying:
        return _InfoSeries([], np.zeros((0, len(times)), bool), np.zeros((0, len(times)), np.int64))
    found = ctx.querier.select(matchers + identifying, int(times.min()) - ctx.lookback_ms + 1,
                               int(times.max()))
    _, present, sample_times = lookback_select(found.timestamps, found.values, found.offsets, times,
                                               ctx.lookback_ms, True)
    return _InfoSeries(list(found.labels), present, sample_times)


def _signature(name: str, labels: Labels) -> tuple[str, ...]:
    return (name, *(f"{n}={labels.get(n)}" for n in IDENTIFYING_LABELS if labels.get(n)))


def _newest_per_signature(info: _InfoSeries) -> dict[tuple[str, ...], np.ndarray]:
    """Per signature, the info row chosen at each step (-1: none); equal times are a conflict."""
    rows_of: dict[tuple[str, ...], list[int]] = {}
    for row, labels in enumerate(info.labels):
        rows_of.setdefault(_signature(labels.metric_name, labels), []).append(row)
    chosen = {}
    for sig, rows in rows_of.items():
        times = np.where(info.present[rows], info.sample_times[rows], np.iinfo(np.int64).min)
        best = np.argmax(times, axis=0)
        newest = times.max(axis=0)
        if len(rows) > 1 and ((times == newest) & info.present[rows]).sum(axis=0).max() > 1:
            raise ExecutionError("found duplicate series for info metric")
        chosen[sig] = np.where(info.present[rows].any(axis=0), np.array(rows)[best], -1)
    return chosen


def _combine(base: InstantVector, ignored: np.ndarray, info: _InfoSeries,
             data_matchers: list[Matcher]) -> InstantVector:
    chosen = _newest_per_signature(info)
    info_names = sorted({lb.metric_name for lb in info.labels})
    data_names = {m.name for m in data_matchers}
    keep_unmatched = all(m.matches("") for m in data_matchers)
    labels: list[Labels] = []
    rows: list[int] = []
    masks: list[np.ndarray] = []
    for row, base_labels in enumerate(base.labels):
        if ignored[row]:
            labels.append(base_labels)
            rows.append(row)
            masks.append(base.present[row])
            continue
        picks = np.stack([chosen.get(_signature(n, base_labels), np.full(base.num_steps, -1))
                          for n in info_names]) if info_names else np.full((1, base.num_steps), -1)
        combos, which = np.unique(picks, axis=1, return_inverse=True)
        for k in range(combos.shape[1]):
            combo = combos[:, k].tolist()
            mask = base.present[row] & (which.reshape(-1) == k)
            if not mask.any() or (all(c < 0 for c in combo) and not keep_unmatched):
                continue
            labels.append(_enriched(base_labels, [info.labels[c] for c in combo if c >= 0], data_names))
            rows.append(row)
            masks.append(mask)
    if not labels:
        return InstantVector.empty(base.num_steps)
    index = np.array(rows, dtype=np.int64)
    result = InstantVector(labels, base.values[index], np.stack(masks), base.drop_name[index])
    return merge_rows_by_labels(result, labels)


def _enriched(base: Labels, infos: list[Labels], data_names: set[str]) -> Labels:
    added: dict[str, str] = {}
    for info_labels in infos:
        for name, value in info_labels:
            if name == METRIC_NAME or (data_names and name not in data_names):
                continue
            if added.get(name, value) != value:
                raise ExecutionError(f"conflicting label: {name}")
            if base.get(name) == "":
                added[name] = value
    return base.updated(added) if added else base
