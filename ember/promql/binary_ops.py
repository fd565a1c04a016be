"""Binary operators between scalars and vectors: arithmetic, comparisons, set operations, matching."""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass

import numpy as np
import promql_parser

from ember.errors import ExecutionError, QueryParseError
from ember.model.labels import METRIC_NAME, Labels
from ember.promql.context import EvalContext
from ember.promql.labels_format import prometheus_labels_string
from ember.promql.values import (
    BoolMatrix,
    FloatMatrix,
    InstantVector,
    ScalarValue,
    Value,
    labels_keeping,
    labels_without,
    merge_rows_by_labels,
)

ARITHMETIC = frozenset({"+", "-", "*", "/", "%", "^", "atan2"})
COMPARISON = frozenset({"==", "!=", ">", "<", ">=", "<="})
SET_OPERATORS = frozenset({"and", "or", "unless"})


@dataclass(frozen=True)
class Matching:
    """`on`/`ignoring`, the cardinality and the `group_x` labels of a vector-vector operation."""

    cardinality: str
    on: bool
    labels: tuple[str, ...]
    include: tuple[str, ...]
    return_bool: bool
    fill_many: float | None = None
    fill_one: float | None = None

    @classmethod
    def of(cls, modifier: promql_parser.BinModifier | None, op: str) -> Matching:
        default_card = "ManyToMany" if op in SET_OPERATORS else "OneToOne"
        if modifier is None:
            return cls(default_card, False, (), (), False)
        card = str(modifier.card).rsplit(".", 1)[-1]
        on, names = False, tuple[str, ...]()
        if modifier.matching is not None:
            on = str(modifier.matching.type).rsplit(".", 1)[-1] == "Include"
            names = tuple(modifier.matching.labels)
        include = tuple(modifier.group_labels or ()) if card in ("ManyToOne", "OneToMany") else ()
        fill = getattr(modifier, "fill_values", None)
        # fill_left/fill_right name the sides after group_right's swap: the left is the "many" side.
        fill_many = None if fill is None or fill.lhs is None else float(fill.lhs)
        fill_one = None if fill is None or fill.rhs is None else float(fill.rhs)
        return cls(card, on, names, include, bool(modifier.return_bool), fill_many, fill_one)

    def signature(self, labels: Labels) -> tuple[str, ...]:
        """The match key: the `on` labels' values, or all but the `ignoring` labels and `__name__`."""
        if self.on:
            return tuple(labels.get(name) for name in self.labels)
        skip = {*self.labels, METRIC_NAME}
        return tuple(item for name, value in labels if name not in skip for item in (name, value))

    def matched_labels(self, labels: Labels) -> Labels:
        if self.on:
            return labels.keep_only(*self.labels)
        return labels.without(*self.labels, METRIC_NAME)


def eval_binary(node: promql_parser.BinaryExpr, lhs: Value, rhs: Value, ctx: EvalContext) -> Value:
    """Applies `node.op` to already evaluated operands."""
    op = str(node.op).strip().lower()
    matching = Matching.of(node.modifier, op)
    if (matching.fill_many is not None or matching.fill_one is not None) and op in SET_OPERATORS:
        raise QueryParseError(f"fill modifiers are not allowed with set operator {op!r}")
    if isinstance(lhs, ScalarValue) and isinstance(rhs, ScalarValue):
        values, _ = elementwise(op, lhs.values, rhs.values)
        return ScalarValue(values)
    if isinstance(lhs, InstantVector) and isinstance(rhs, ScalarValue):
        return _vector_scalar(op, lhs, rhs.values, matching.return_bool, scalar_left=False)
    if isinstance(lhs, ScalarValue) and isinstance(rhs, InstantVector):
        return _vector_scalar(op, rhs, lhs.values, matching.return_bool, scalar_left=True)
    if isinstance(lhs, InstantVector) and isinstance(rhs, InstantVector):
        if op in SET_OPERATORS:
            return _set_operation(op, lhs, rhs, matching)
        return _vector_vector(op, lhs, rhs, matching)
    raise QueryParseError(f"binary operator {op!r} is not defined on these operand types")


def elementwise(op: str, left: FloatMatrix, right: FloatMatrix) -> tuple[FloatMatrix, BoolMatrix]:
    """Prometheus's float operator semantics: the value and, for comparisons, whether it holds."""
    with np.errstate(all="ignore"):
        if op in ARITHMETIC:
            values = _arithmetic(op, left, right)
            return values, np.ones(np.shape(values), dtype=np.bool_)
        holds = _compare(op, left, right)
        return holds.astype(np.float64), holds


# Go's math.Mod keeps the sign of the dividend, as np.fmod does; atan2 is PromQL's only binary function-op.
_ARITHMETIC = {"+": np.add, "-": np.subtract, "*": np.multiply, "/": np.divide, "%": np.fmod, "^": np.power,
               "atan2": np.arctan2}
_COMPARISONS = {"==": np.equal, "!=": np.not_equal, ">": np.greater, "<": np.less, ">=": np.greater_equal,
                "<=": np.less_equal}


def _arithmetic(op: str, left: FloatMatrix, right: FloatMatrix) -> FloatMatrix:
    result: FloatMatrix = _ARITHMETIC.get(op, np.arctan2)(left, right)
    return result


def _compare(op: str, left: FloatMatrix, right: FloatMatrix) -> BoolMatrix:
    ufunc = _COMPARISONS.get(op)
    if ufunc is not None:
        holds: BoolMatrix = ufunc(left, right)
        return holds
    raise QueryParseError(f"operator {op!r} not allowed here")


def _vector_scalar(
    op: str, vector: InstantVector, scalar: FloatMatrix, return_bool: bool, *, scalar_left: bool
) -> InstantVector:
    if op in SET_OPERATORS:
        raise QueryParseError(f"set operator {op!r} not allowed in binary scalar expression")
    row = scalar.reshape(1, -1)
    left, right = (row, vector.values) if scalar_left else (vector.values, row)
    values, holds = elementwise(op, left, right)
    present = vector.present.copy()
    if op in COMPARISON:
        if return_bool:
            values = holds.astype(np.float64)
        else:
            # The vector's own value is kept, whichever side it is on.
            values = vector.values
            present &= holds
    drop = vector.drop_name | (op in ARITHMETIC or return_bool)
    values = np.broadcast_to(values, present.shape).copy()
    return InstantVector(vector.labels, values, present, drop).nonempty()


def group_rows(keys: Sequence[Hashable]) -> tuple[np.ndarray, list[Hashable]]:
    """Dense group ids for hashable keys, in order of first appearance."""
    index: dict[Hashable, int] = {}
    ids = np.fromiter((index.setdefault(k, len(index)) for k in keys), dtype=np.int64, count=len(keys))
    return ids, list(index)


def overlap_counts(group_ids: np.ndarray, present: BoolMatrix, num_groups: int) -> np.ndarray:
    """Per group and step, how many rows of the group are present."""
    counts = np.zeros((num_groups, present.shape[1]), dtype=np.int64)
    np.add.at(counts, group_ids, present.astype(np.int64))
    return counts


def _set_operation(op: str, lhs: InstantVector, rhs: InstantVector, matching: Matching) -> InstantVector:
    lhs_keys = [matching.signature(lb) for lb in lhs.labels]
    rhs_keys = [matching.signature(lb) for lb in rhs.labels]
    ids, keys = group_rows(lhs_keys + rhs_keys)
    lhs_ids, rhs_ids = ids[: len(lhs)], ids[len(lhs):]
    if op == "or":
        lhs_any = overlap_counts(lhs_ids, lhs.present, len(keys)) > 0
        rhs_kept = rhs.present & ~lhs_any[rhs_ids]
        combined = InstantVector(
            lhs.labels + rhs.labels,
            np.concatenate([lhs.values, rhs.values]),
            np.concatenate([lhs.present, rhs_kept]),
            np.concatenate([lhs.drop_name, rhs.drop_name]),
        ).nonempty()
        return merge_rows_by_labels(combined, combined.labels)
    rhs_any = overlap_counts(rhs_ids, rhs.present, len(keys)) > 0
    matched = rhs_any[lhs_ids]
    present = lhs.present & (matched if op == "and" else ~matched)
    return InstantVector(lhs.labels, lhs.values, present, lhs.drop_name).nonempty()


def _vector_vector(op: str, lhs: InstantVector, rhs: InstantVector, matching: Matching) -> InstantVector:
    swapped = matching.cardinality == "OneToMany"
    many, one = (rhs, lhs) if swapped else (lhs, rhs)
    many_keys = [matching.signature(lb) for lb in many.labels]
    one_keys = [matching.signature(lb) for lb in one.labels]
    one_rows: dict[tuple[str, ...], list[int]] = {}
    for row, key in enumerate(one_keys):
        one_rows.setdefault(key, []).append(row)
    _check_one_side_unique(one, one_rows, matching, "left" if swapped else "right")
    pairs = [(m, o) for m, key in enumerate(many_keys) for o in one_rows.get(key, ())]
    many_idx = np.fromiter((p[0] for p in pairs), dtype=np.int64, count=len(pairs))
    one_idx = np.fromiter((p[1] for p in pairs), dtype=np.int64, count=len(pairs))
    labels = [_result_labels(many.labels[m], one.labels[o], matching) for m, o in pairs]
    present = many.present[many_idx] & one.present[one_idx]
    # Checked before comparisons filter samples out, as Prometheus does.
    _check_many_side_unique(many_idx, many_keys, labels, present, matching)
    blocks = [_Block(labels, many.values[many_idx], one.values[one_idx], present, many.drop_name[many_idx])]
    if matching.fill_many is not None or matching.fill_one is not None:
        blocks += _fill_blocks(many, one, many_keys, one_keys, matching)
    result = _combine(op, blocks, swapped, matching, lhs.num_steps).nonempty()
    return merge_rows_by_labels(result, result.labels)


@dataclass
class _Block:
    """Output rows before the operator is applied: labels, the many and one operands, presence."""

    labels: list[Labels]
    many: FloatMatrix
    one: FloatMatrix
    present: BoolMatrix
    drop: np.ndarray


def _combine(op: str, blocks: list[_Block], swapped: bool, matching: Matching, steps: int) -> InstantVector:
    labels = [lb for block in blocks for lb in block.labels]
    if not labels:
        return InstantVector.empty(steps)
    many = np.concatenate([b.many for b in blocks])
    one = np.concatenate([b.one for b in blocks])
    present = np.concatenate([b.present for b in blocks])
    left, right = (one, many) if swapped else (many, one)
    values, holds = elementwise(op, left, right)
    if op in COMPARISON and not matching.return_bool:
        values = left
        present = present & holds
    drop = np.concatenate([b.drop for b in blocks]) | (op in ARITHMETIC or matching.return_bool)
    return InstantVector(labels, np.ascontiguousarray(values), present, drop)


def _fill_blocks(many: InstantVector, one: InstantVector, many_keys: list[tuple[str, ...]],
                 one_keys: list[tuple[str, ...]], matching: Matching) -> list[_Block]:
    """Rows for `fill()`: a side with no series of the match group at a step is filled with the
    value (Prometheus 3.10); a filled "many" side yields one series with the match group's labels."""
    ids, keys = group_rows(many_keys + one_keys)
    many_ids, one_ids = ids[: len(many)], ids[len(many):]
    blocks = []
    steps = many.num_steps
    if matching.fill_one is not None and len(many):
        one_any = overlap_counts(one_ids, one.present, len(keys)) > 0
        labels = [_result_labels(lb, Labels(), matching) for lb in many.labels]
        blocks.append(_Block(labels, many.values, np.full(many.values.shape, matching.fill_one),
                             many.present & ~one_any[many_ids], many.drop_name))
    if matching.fill_many is not None and len(one):
        many_any = overlap_counts(many_ids, many.present, len(keys)) > 0
        labels = [matching.matched_labels(lb) for lb in one.labels]
        blocks.append(_Block(labels, np.full((len(one), steps), matching.fill_many), one.values,
                             one.present & ~many_any[one_ids], np.ones(len(one), dtype=np.bool_)))
    return blocks


def _result_labels(many: Labels, one: Labels, matching: Matching) -> Labels:
    """Prometheus's `resultMetric`: one-to-one keeps `on` labels (or drops `ignoring` ones);
    `group_x` copies the listed labels from the "one" side."""
    labels = many
    if matching.cardinality == "OneToOne":
        names = frozenset(matching.labels)
        labels = labels_keeping(labels, names) if matching.on else labels_without(labels, names)
    if matching.include:
        labels = labels.updated({name: one.get(name) for name in matching.include})
    return labels


def _check_one_side_unique(
    one: InstantVector, rows_of: dict[tuple[str, ...], list[int]], matching: Matching, side: str
) -> None:
    for rows in rows_of.values():
        if len(rows) < 2:
            continue
        counts = one.present[rows].sum(axis=0)
        if not (counts > 1).any():
            continue
        step = int(np.argmax(counts > 1))
        hits = sorted(one.labels[r] for r in rows if one.present[r, step])
        first, second = hits[1], hits[0]
        raise ExecutionError(
            f"found duplicate series for the match group "
            f"{prometheus_labels_string(matching.matched_labels(second))} on the {side} hand-side of the "
            f"operation: [{prometheus_labels_string(second)}, {prometheus_labels_string(first)}]"
            ";many-to-many matching not allowed: matching labels must be unique on one side"
        )


def _check_many_side_unique(
    many_idx: np.ndarray, many_keys: list[tuple[str, ...]], labels: list[Labels], present: BoolMatrix,
    matching: Matching,
) -> None:
    if matching.cardinality == "OneToOne":
        keys: list[Hashable] = [many_keys[int(m)] for m in many_idx]
        message = (
            "multiple matches for labels: many-to-one matching must be explicit (group_left/group_right)"
        )
    else:
        keys = [(many_keys[int(m)], lb) for m, lb in zip(many_idx, labels, strict=True)]
        message = "multiple matches for labels: grouping labels must ensure unique matches"
    ids, distinct = group_rows(keys)
    if len(distinct) < len(keys) and (overlap_counts(ids, present, len(distinct)) > 1).any():
        raise ExecutionError(message)
