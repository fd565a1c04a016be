"""promtool's rule unit-test file format (`promtool test rules`), read strictly into frozen dataclasses.

See Prometheus's docs/configuration/unit_testing_rules.md: `rule_files` (relative to the test file,
globs expanded), `evaluation_interval` (default 1m), `group_eval_order`, and `tests`, each with
`interval`, `input_series`, `alert_rule_test`, `promql_expr_test`, `external_labels`, `external_url`
and `name`.
"""

from __future__ import annotations

import glob
import os
import sys
from dataclasses import dataclass
from typing import TextIO

from ember.config.yaml_nodes import ConfigNode, parse_yaml
from ember.errors import ConfigError

DEFAULT_EVALUATION_INTERVAL_MS = 60_000
_FILE_FIELDS = ("rule_files", "evaluation_interval", "group_eval_order", "tests")
_GROUP_FIELDS = ("interval", "input_series", "alert_rule_test", "promql_expr_test", "external_labels",
                 "external_url", "name")


@dataclass(frozen=True)
class InputSeries:
    series: str
    values: str


@dataclass(frozen=True)
class ExpectedAlert:
    labels: tuple[tuple[str, str], ...]
    annotations: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class AlertTestCase:
    eval_time_ms: int
    alertname: str
    exp_alerts: tuple[ExpectedAlert, ...]


@dataclass(frozen=True)
class ExpectedSample:
    labels: str
    value: float


@dataclass(frozen=True)
class PromqlTestCase:
    expr: str
    eval_time_ms: int
    exp_samples: tuple[ExpectedSample, ...]


@dataclass(frozen=True)
class TestGroup:
    __test__ = False  # not a pytest class

    interval_ms: int
    input_series: tuple[InputSeries, ...]
    alert_rule_tests: tuple[AlertTestCase, ...]
    promql_expr_tests: tuple[PromqlTestCase, ...]
    external_labels: tuple[tuple[str, str], ...]
    external_url: str
    name: str

    def max_eval_time_ms(self) -> int:
        times = [t.eval_time_ms for t in self.alert_rule_tests] + [t.eval_time_ms for t in self.promql_expr_tests]
        return max(times, default=0)


@dataclass(frozen=True)
class UnitTestFile:
    path: str
    rule_files: tuple[str, ...]
    evaluation_interval_ms: int
    group_eval_order: tuple[str, ...]
    tests: tuple[TestGroup, ...]


def load_unit_test_file(path: str, warnings: TextIO | None = None) -> UnitTestFile:
    """Reads a unit-test file; raises `ConfigError` naming file, line and field. Rule-file patterns
    that match nothing are warned about on `warnings` (stderr), as promtool does."""
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    except OSError as exc:
        raise ConfigError(f"open {path}: {(exc.strerror or str(exc)).lower()}") from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text: {exc.reason}") from exc
    root = ConfigNode.root(parse_yaml(text, path), path, "unit test file", os.path.dirname(path))
    root.expect_only(_FILE_FIELDS)
    patterns = [p if os.path.isabs(p) or not p else os.path.join(os.path.dirname(path), p)
                for p in root.string_list("rule_files")]
    rule_files: list[str] = []
    for pattern in patterns:
        matches = sorted(glob.glob(pattern))
        if not matches:
            print("  WARNING: no file match pattern", pattern, file=warnings or sys.stderr)
        rule_files.extend(matches)
    interval = int(root.duration("evaluation_interval", 0)) or DEFAULT_EVALUATION_INTERVAL_MS
    order = root.string_list("group_eval_order")
    tests = tuple(_read_test_group(node) for node in root.sections("tests", "test group"))
    return UnitTestFile(path, tuple(rule_files), interval, order, tests)


def _read_test_group(node: ConfigNode) -> TestGroup:
    node.expect_only(_GROUP_FIELDS)
    series = []
    for item in node.sections("input_series", "series"):
        item.expect_only(("series", "values"))
        series.append(InputSeries(item.string("series"), item.string("values")))
    alerts = tuple(_read_alert_case(item) for item in node.sections("alert_rule_test", "alert test case"))
    exprs = tuple(_read_promql_case(item) for item in node.sections("promql_expr_test", "promql test case"))
    return TestGroup(
        interval_ms=int(node.duration("interval", 0)), input_series=tuple(series), alert_rule_tests=alerts,
        promql_expr_tests=exprs, external_labels=tuple(sorted(node.string_map("external_labels").items())),
        external_url=node.string("external_url"), name=node.string("name"),
    )


def _read_alert_case(node: ConfigNode) -> AlertTestCase:
    node.expect_only(("eval_time", "alertname", "exp_alerts"))
    expected = []
    for item in node.sections("exp_alerts", "alert"):
        item.expect_only(("exp_labels", "exp_annotations"))
        expected.append(ExpectedAlert(tuple(sorted(item.string_map("exp_labels").items())),
                                      tuple(sorted(item.string_map("exp_annotations").items()))))
    return AlertTestCase(int(node.duration("eval_time", 0)), node.string("alertname"), tuple(expected))


def _read_promql_case(node: ConfigNode) -> PromqlTestCase:
    node.expect_only(("expr", "eval_time", "exp_samples"))
    samples = []
    for item in node.sections("exp_samples", "sample"):
        item.expect_only(("labels", "value"))
        samples.append(ExpectedSample(item.string("labels"), item.number("value", 0.0)))
    return PromqlTestCase(node.string("expr"), int(node.duration("eval_time", 0)), tuple(samples))
