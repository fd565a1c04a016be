"""Rule files in Prometheus's YAML format, loaded and validated into frozen dataclasses.

Validation follows Prometheus's `rulefmt` (what `promtool check rules` reports): unknown fields, empty
or repeated group names, `record` xor `alert`, a parsable `expr`, valid names, no `for` /
`keep_firing_for` / `annotations` on recording rules, and templates that parse. All problems of a file
are collected, each naming the file, the line and the group/rule, so a user sees every error at once.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any, Literal

from ember.config.durations import Duration
from ember.config.yaml_nodes import ConfigNode, parse_yaml
from ember.errors import ConfigError, EmberError
from ember.model.labels import METRIC_NAME, is_valid_label_name, is_valid_metric_name
from ember.promql.parsing import parse_query
from ember.rules.templates import TemplateError, expand

RuleKind = Literal["record", "alert"]
LabelPairs = tuple[tuple[str, str], ...]

_GROUP_FIELDS = ("name", "interval", "query_offset", "limit", "rules", "labels")
_RULE_FIELDS = ("record", "alert", "expr", "for", "keep_firing_for", "labels", "annotations")


class RuleFileError(ConfigError):
    """A rule file that does not load; `errors` holds every problem found, one message each."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("\n".join(errors))
        self.errors = errors


@dataclass(frozen=True)
class RuleSpec:
    """One recording (`kind="record"`) or alerting (`kind="alert"`) rule as written in the file."""

    kind: RuleKind
    name: str
    expr: str
    for_ms: int = 0
    keep_firing_for_ms: int = 0
    labels: LabelPairs = ()
    annotations: LabelPairs = ()


@dataclass(frozen=True)
class RuleGroupSpec:
    """A group of rules evaluated in order; `interval_ms` / `query_offset_ms` None means the default."""

    name: str
    file: str
    rules: tuple[RuleSpec, ...]
    interval_ms: int | None = None
    query_offset_ms: int | None = None
    limit: int = 0
    labels: LabelPairs = ()


@dataclass(frozen=True)
class RuleFile:
    path: str
    groups: tuple[RuleGroupSpec, ...]

    @property
    def rule_count(self) -> int:
        return sum(len(group.rules) for group in self.groups)


def load_rule_file(path: str) -> RuleFile:
    """Reads and validates `path`; raises `RuleFileError` listing every problem."""
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    except OSError as exc:
        raise RuleFileError([f"{path}: {exc.strerror or exc}"]) from exc
    except UnicodeDecodeError as exc:
        raise RuleFileError([f"{path}: not UTF-8 text: {exc.reason}"]) from exc
    return parse_rule_file(text, path)


def parse_rule_file(text: str, path: str) -> RuleFile:
    """Validates rule-file `text` (named `path` in messages) into a `RuleFile`."""
    try:
        data = parse_yaml(text, path)
        root = ConfigNode.root(data, path, "rule groups", None)
        root.expect_only(("groups",))
        groups_raw = list(root.sections("groups", "rule group"))
    except ConfigError as exc:
        raise RuleFileError([str(exc)]) from exc
    errors: list[str] = []
    groups: list[RuleGroupSpec] = []
    seen: set[str] = set()
    for index, node in enumerate(groups_raw):
        group = _read_group(node, _item_position(root.data.get("groups"), index), seen, errors)
        if group is not None:
            groups.append(group)
    if errors:
        raise RuleFileError(errors)
    return RuleFile(path, tuple(groups))


def _item_position(container: Any, index: int) -> str:
    """`line:column` of a list item, as Go's yaml.Node reports it (1-based; `0:0` when unknown)."""
    try:
        line, column = container.lc.item(index)
    except (AttributeError, KeyError, IndexError, TypeError):
        return "0:0"
    return f"{line + 1}:{column + 1}"


def _value_position(node: ConfigNode, key: str) -> str:
    """`line:column` of the value under `key`; `0:0` when absent, as an unset yaml.Node prints."""
    if key not in node.data:
        return "0:0"
    data: Any = node.data
    try:
        line, column = data.lc.value(key)
    except (AttributeError, KeyError, TypeError):
        return "0:0"
    return f"{line + 1}:{column + 1}"


def _read_group(node: ConfigNode, position: str, seen: set[str], errors: list[str]) -> RuleGroupSpec | None:
    try:
        node.expect_only(_GROUP_FIELDS)
        name = node.string("name")
        interval = node.duration("interval", 0)
        offset = node.duration("query_offset", -1) if node.has("query_offset") else None
        limit = node.integer("limit", 0)
        labels = node.string_map("labels")
        rule_nodes = list(node.sections("rules", "rule"))
    except ConfigError as exc:
        errors.append(str(exc))
        return None
    path = node.filename
    if not name:
        errors.append(f"{path}: {position}: Groupname must not be empty")
    if name in seen:
        errors.append(f'{path}: {position}: groupname: "{name}" is repeated in the same file')
    seen.add(name)
    errors.extend(f"{path}: {problem}" for problem in _label_problems(labels, "label"))
    rules: list[RuleSpec] = []
    for index, rule_node in enumerate(rule_nodes, start=1):
        rule = _read_rule(rule_node, name, index, errors)
        if rule is not None:
            rules.append(rule)
    return RuleGroupSpec(
        name=name, file=path, rules=tuple(rules), interval_ms=int(interval) or None,
        query_offset_ms=None if offset is None else int(offset), limit=limit,
        labels=tuple(sorted(labels.items())),
    )


def _read_rule(node: ConfigNode, group: str, index: int, errors: list[str]) -> RuleSpec | None:
    try:
        node.expect_only(_RULE_FIELDS)
        record, alert, expr = node.string("record"), node.string("alert"), node.string("expr")
        hold = node.duration("for", 0)
        keep = node.duration("keep_firing_for", 0)
        labels = node.string_map("labels")
        annotations = node.string_map("annotations")
    except ConfigError as exc:
        errors.append(str(exc))
        return None
    name = alert or record
    where = f'group "{group}", rule {index}, "{name}"'
    positions = {"record": _value_position(node, "record"), "alert": _value_position(node, "alert"),
                 "expr": _value_position(node, "expr")}
    positions["both"] = f"{positions['record']}: {positions['alert']}"
    problems = _rule_problems(record, alert, expr, hold, keep, labels, annotations)
    for at, problem in problems:
        prefix = f"{positions[at]}: " if at else ""
        errors.append(f"{node.filename}: {prefix}{where}: {problem}")
    if problems:
        return None
    return RuleSpec(
        kind="alert" if alert else "record", name=name, expr=expr, for_ms=int(hold),
        keep_firing_for_ms=int(keep), labels=tuple(sorted(labels.items())),
        annotations=tuple(sorted(annotations.items())),
    )


def _rule_problems(
    record: str, alert: str, expr: str, hold: Duration, keep: Duration, labels: dict[str, str],
    annotations: dict[str, str],
) -> list[tuple[str, str]]:
    """Prometheus's `RuleNode.Validate` messages for one rule, each with the node it points at
    ("record", "alert", "expr", "both" or "" for none)."""
    problems: list[tuple[str, str]] = []
    if record and alert:
        problems.append(("both", "only one of 'record' and 'alert' must be set"))
    if not record and not alert:
        problems.append(("both", "one of 'record' or 'alert' must be set"))
    if not expr:
        problems.append(("expr", "field 'expr' must be set in rule"))
    else:
        try:
            parse_query(expr)
        except EmberError as exc:
            problems.append(("expr", f"could not parse expression: {exc}"))
    if record:
        if annotations:
            problems.append(("record", "invalid field 'annotations' in recording rule"))
        if hold:
            problems.append(("record", "invalid field 'for' in recording rule"))
        if keep:
            problems.append(("record", "invalid field 'keep_firing_for' in recording rule"))
        if not is_valid_metric_name(record):
            problems.append(("record", f"invalid recording rule name: {record}"))
    unplaced = _label_problems(labels, "label")
    unplaced.extend(f"invalid annotation name: {k}" for k in sorted(annotations) if not is_valid_label_name(k))
    if alert:
        unplaced.extend(_template_problems(alert, labels, "label"))
        unplaced.extend(_template_problems(alert, annotations, "annotation"))
    return problems + [("", problem) for problem in unplaced]


def _label_problems(labels: dict[str, str], what: str) -> list[str]:
    return [
        f"invalid {what} name: {k}" for k in sorted(labels) if not is_valid_label_name(k) or k == METRIC_NAME
    ]


def _no_query(_expr: str) -> list[tuple[Any, float]]:
    return []


def _template_problems(alert: str, texts: dict[str, str], what: str) -> list[str]:
    """Templates that do not parse (Prometheus's `testTemplateParsing`); execution errors on the empty
    test data are not parse errors and are not reported, as `ParseTest` only parses."""
    problems: list[str] = []
    for key in sorted(texts):
        try:
            expand(texts[key], labels={}, value=math.nan, external_labels={}, external_url="",
                   query=_no_query, timestamp_ms=0, name=f"__alert_{alert}")
        except TemplateError as exc:
            message = str(exc)
            if "executing" not in message:
                # Prometheus's ParseTest returns the bare parse error, without Expand's prefix.
                message = re.sub(r"^error parsing template [^:]*: ", "", message)
                problems.append(f'{what} "{key}": {message}')
    return problems
