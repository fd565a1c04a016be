"""Aggregation operators (`sum by (job) (...)` and friends) over `[series, steps]` vectors."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import promql_parser
import xxhash

from ember.errors import BadDataError, ExecutionError, QueryParseError
from ember.model.labels import EMPTY_LABELS, METRIC_NAME, Labels, is_valid_label_name
from ember.promql.aggregation_kernels import (
    OP_CODES,
    grouped_limitk,
    grouped_quantile,
    grouped_reduce,
    grouped_topk,
)
from ember.promql.annotation_positions import at_argument
from ember.promql.binary_ops import group_rows
from ember.promql.context import EvalContext, go_float, warn_quantile_range
from ember.promql.values import (
    Float64Array,
    InstantVector,
    ScalarValue,
    StringValue,
    Value,
    labels_keeping,
    labels_without,
)

Evaluate = Callable[[object, EvalContext], Value]
_SELECTING = frozenset({"topk", "bottomk", "limitk", "limit_ratio"})


def eval_aggregation(node: promql_parser.AggregateExpr, ctx: EvalContext, evaluate: Evaluate) -> Value:
    """Evaluates one aggregation node: groups the input series, then reduces or selects per group."""
    op = str(node.op).strip().lower()
    if op in ("limitk", "limit_ratio") and not ctx.experimental:
        raise QueryParseError(f"limitk() and limit_ratio() are experimental and not enabled ({op})")
    operand = evaluate(node.expr, ctx)
    if not isinstance(operand, InstantVector):
        raise QueryParseError(f"expected type instant vector in aggregation expression, got {type(operand)}")
    param = evaluate(node.param, ctx) if node.param is not None else None
    grouping = _grouping(node.modifier)
    keys = _group_keys(operand.labels, grouping)
    if op == "count_values":
        if not isinstance(param, StringValue):
            raise QueryParseError("count_values needs a string parameter")
        return _count_values(operand, keys, param.value, ctx)
    group_ids, groups = group_rows(list(keys))
    if op in _SELECTING:
        return _select(op, operand, group_ids, len(groups), _scalar(param, ctx), ctx)
    if op == "quantile":
        warn_quantile_range(_scalar(param, ctx), ctx, at_argument(ctx.text, op, 0))
        values, present = grouped_quantile(operand.values, operand.present, group_ids, len(groups),
                                           _scalar(param, ctx))
    elif op in OP_CODES:
        values, present = grouped_reduce(op, operand.values, operand.present, group_ids, len(groups))
    else:
        raise QueryParseError(f"unsupported aggregation {op!r}")
    labels = [g for g in groups if isinstance(g, Labels)]
    drop = _group_drop_names(operand, group_ids, len(groups), grouping)
    return InstantVector(labels, values, present, drop).nonempty()


def _grouping(modifier: promql_parser.AggModifier | None) -> tuple[bool, tuple[str, ...]] | None:
    """(is `without`, label names), or None for an aggregation over everything."""
    if modifier is None:
        return None
    without = str(modifier.type).rsplit(".", 1)[-1] == "Without"
    return without, tuple(modifier.labels)


def _group_keys(labels: list[Labels], grouping: tuple[bool, tuple[str, ...]] | None) -> list[Labels]:
    """Each series' group labels. Equal groups share one object, so 50k input series leave one `Labels`
    per group alive rather than one per series: fewer survivors, fewer full garbage collections (which
    hold the GIL for 100 ms and more in a large server)."""
    if grouping is None:
        return [EMPTY_LABELS] * len(labels)
    without, names = grouping
    if without:
        dropped = frozenset((*names, METRIC_NAME))
        keys = (labels_without(lb, dropped) for lb in labels)
    else:
        kept = frozenset(names)
        keys = (labels_keeping(lb, kept) for lb in labels)
    shared: dict[Labels, Labels] = {}
    return [shared.setdefault(key, key) for key in keys]


def _group_drop_names(operand: InstantVector, group_ids: np.ndarray, num_groups: int,
                      grouping: tuple[bool, tuple[str, ...]] | None) -> np.ndarray:
    """`by (__name__)` keeps a name that was due to be dropped (delayed name removal)."""
    drop = np.zeros(num_groups, dtype=np.bool_)
    if grouping is not None and not grouping[0] and METRIC_NAME in grouping[1]:
        np.logical_or.at(drop, group_ids, operand.drop_name)
    return drop


def _scalar(param: Value | None, ctx: EvalContext) -> Float64Array:
    if not isinstance(param, ScalarValue):
        raise QueryParseError("expected a scalar parameter for the aggregation")
    return param.values


def _select(op: str, operand: InstantVector, group_ids: np.ndarray, num_groups: int,
            param: Float64Array, ctx: EvalContext) -> InstantVector:
    """topk, bottomk, limitk, limit_ratio: keep input series (labels untouched) selected per step."""
    if op == "limit_ratio":
        if np.isnan(param).any():
            raise ExecutionError("Ratio value is NaN")
        keep = _limit_ratio(operand, param, ctx)
        return InstantVector(operand.labels, operand.values, operand.present & keep,
                             operand.drop_name).nonempty()
    if np.isnan(param).any():
        raise ExecutionError("Parameter value is NaN")
    ks = np.clip(np.nan_to_num(param, nan=0.0, posinf=2**62, neginf=0), 0, 2**62).astype(np.int64)
    if op == "limitk":
        keep = grouped_limitk(operand.present, group_ids, num_groups, ks)
        return InstantVector(operand.labels, operand.values, keep, operand.drop_name).nonempty()
    keep, rank = grouped_topk(operand.values, operand.present, group_ids, num_groups, ks, op == "bottomk")
    result = InstantVector(operand.labels, operand.values, keep, operand.drop_name)
    if result.num_steps == 1:
        # Instant queries return each group's series best first (Prometheus sorts the heap).
        order = np.lexsort((rank[:, 0], group_ids))
        result = result.take(order)
    return result.nonempty()


def _limit_ratio(operand: InstantVector, ratios: Float64Array, ctx: EvalContext) -> np.ndarray:
    """A series is kept when its label hash, scaled to [0, 1), falls under the ratio (or, for a
    negative ratio, at or above 1 + ratio), so r and r - 1 pick complementary sets."""
    if (np.abs(ratios) > 1).any():
        bad = float(ratios[np.abs(ratios) > 1][0])
        ctx.annotations.warn(
            f"PromQL warning: ratio value should be between -1 and 1, got {_go_float(bad)}, "
            f"capping to {_go_float(float(np.clip(bad, -1, 1)))}{at_argument(ctx.text, 'limit_ratio', 0)}"
        )
    capped = np.clip(ratios, -1.0, 1.0).reshape(1, -1)
    offsets = np.array([_label_hash_fraction(lb) for lb in operand.labels]).reshape(-1, 1)
    return np.where(capped >= 0, offsets < capped, offsets >= 1.0 + capped)


def _label_hash_fraction(labels: Labels) -> float:
    """Prometheus's `labels.Hash()` (xxhash64 of `name\xffvalue\xff...`) over the largest uint64."""
    data = b"".join(part.encode("utf-8", "surrogateescape") + b"\xff" for part in labels.flat)
    return xxhash.xxh64_intdigest(data) / float(2**64 - 1)


def _go_float(value: float) -> str:
    return go_float(value)


def format_value_label(value: float) -> str:
    """Go's `strconv.FormatFloat(v, 'f', -1, 64)`: shortest round-trip digits, no exponent."""
    if np.isnan(value):
        return "NaN"
    if np.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    return np.format_float_positional(value, trim="-")


def _count_values(operand: InstantVector, keys: list[Labels], label: str,
                  ctx: EvalContext) -> InstantVector:
    """One output series per group and distinct value, counting the series holding that value."""
    if not label or not is_valid_label_name(label):
        raise BadDataError(f'invalid label name "{label}"')
    group_ids, groups = group_rows(list(keys))
    rows, steps = np.nonzero(operand.present)
    if len(rows) == 0:
        return InstantVector.empty(operand.num_steps)
    values = operand.values[rows, steps]
    # NaNs are one value for counting purposes (one label "NaN").
    bits = np.where(np.isnan(values), np.float64(np.nan), values + 0.0).view(np.int64)
    pairs = np.stack([group_ids[rows], bits], axis=1)
    distinct, inverse = np.unique(pairs, axis=0, return_inverse=True)
    ctx.limits.check_cells(len(distinct) * operand.num_steps)
    counts = np.zeros((len(distinct), operand.num_steps))
    np.add.at(counts, (inverse.reshape(-1), steps), 1.0)
    floats = distinct[:, 1].copy().view(np.float64)
    labels = [
        groups_label.updated({label: format_value_label(v)})
        for groups_label, v in zip(
            (groups[int(g)] for g in distinct[:, 0]), floats.tolist(), strict=True
        )
        if isinstance(groups_label, Labels)
    ]
    # The value label may overwrite a grouping label, so distinct keys can share an output label set.
    ids, merged = group_rows(list(labels))
    if len(merged) < len(labels):
        summed = np.zeros((len(merged), operand.num_steps))
        np.add.at(summed, ids, counts)
        counts, labels = summed, [lb for lb in merged if isinstance(lb, Labels)]
    return InstantVector(labels, counts, counts > 0)
