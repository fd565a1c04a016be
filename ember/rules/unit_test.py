"""`ember test rules FILE...`: promtool's rule unit tests, with promtool 2.42's output and exit codes.

Per test group: the input series are loaded into a fresh storage, the rule groups are evaluated at
0, interval, 2*interval, ... up to the largest `eval_time`, firing alerts are compared at each
`alert_rule_test` time (with the evaluation at or just before it) and `promql_expr_test`s are queried at
the end, exactly as `cmd/promtool/unittest.go` does (exact float comparison, as 2.42).
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Callable, Sequence
from typing import TextIO

import numpy as np

from ember.config.durations import format_duration_ms
from ember.errors import ConfigError, EmberError
from ember.model.labels import Labels
from ember.model.samples import SampleBatch
from ember.promql.engine import Engine
from ember.promql.testscript.series_notation import parse_labels, parse_values
from ember.rules.alerting import STATE_FIRING, AlertingRule
from ember.rules.go_format import go_duration, go_float_e, go_labels, go_quote
from ember.rules.group import RuleGroup, build_rules
from ember.rules.rule_file import RuleFileError, load_rule_file
from ember.rules.rule_query import engine_query
from ember.rules.unit_test_format import AlertTestCase, TestGroup, UnitTestFile, load_unit_test_file
from ember.storage.interface import Storage
from ember.testing import ReferenceStorage

StorageFactory = Callable[[], Storage]
# promtool evaluates with a no-op logger: failures show up in its report, not as log lines.
_QUIET = logging.getLogger("ember.rules.unit_test.evaluation")
_QUIET.addHandler(logging.NullHandler())
_QUIET.propagate = False
LabelledPair = tuple[Labels, Labels]


def run_rule_tests(
    paths: list[str], out: TextIO = sys.stdout, *, run: str | None = None, err: TextIO | None = None,
    storage_factory: StorageFactory = ReferenceStorage,
) -> int:
    """Runs every unit-test file; prints as promtool (results on `out`, failures on `err`, default
    stderr) and returns 0 when all pass, 1 otherwise. `run` is a regular expression selecting test
    groups by `name` (promtool's later `--run`)."""
    err = err or sys.stderr
    selector = re.compile(run) if run else None
    failed = False
    for path in paths:
        print("Unit Testing: ", path, file=out)
        errors = _test_file(path, selector, storage_factory, err)
        if errors:
            print("  FAILED:", file=err)
            for message in errors:
                print(message, file=err)
                print(file=out)
            failed = True
        else:
            print("  SUCCESS", file=out)
        print(file=out)
    return 1 if failed else 0


def _test_file(path: str, selector: re.Pattern[str] | None, factory: StorageFactory, err: TextIO) -> list[str]:
    try:
        spec = load_unit_test_file(path, warnings=err)
    except EmberError as exc:
        return [str(exc)]
    order: dict[str, int] = {}
    for index, name in enumerate(spec.group_eval_order):
        if name in order:
            return [f"group name repeated in evaluation order: {name}"]
        order[name] = index
    errors: list[str] = []
    for test in spec.tests:
        if selector is not None and not selector.search(test.name):
            continue
        errors.extend(_run_test_group(spec, test, order, factory))
    return errors


def _run_test_group(spec: UnitTestFile, test: TestGroup, order: dict[str, int], factory: StorageFactory) -> list[str]:
    storage = factory()
    try:
        try:
            _load_series(storage, test)
        except EmberError as exc:
            return [str(exc)]
        engine = Engine(default_subquery_step_ms=spec.evaluation_interval_ms)
        query = engine_query(engine, storage)
        try:
            groups = _load_groups(spec, test, storage, order, query)
        except RuleFileError as exc:
            return exc.errors
        missing = next((case for case in test.alert_rule_tests if not case.alertname), None)
        if missing is not None:
            suffix = f" (in TestGroup {test.name})" if test.name else ""
            return [f"an item under alert_rule_test misses required attribute alertname at eval_time "
                    f"{_model_duration(missing.eval_time_ms)}{suffix}"]
        errors, rule_failed = _evaluate_and_check_alerts(spec, test, groups)
        if rule_failed:
            return errors
        return errors + _check_promql(test, engine, storage)
    finally:
        close = getattr(storage, "close", None)
        if callable(close):
            close()


def _load_series(storage: Storage, test: TestGroup) -> None:
    """promtool's `load <interval>` of the input series: value i at i * interval, `_` skipped."""
    appender = storage.appender()
    for item in test.input_series:
        labels, end = parse_labels(item.series)
        if item.series[end:].strip():
            raise ConfigError(f"invalid series {item.series!r}")
        values = parse_values(item.values)
        kept = [(i, v) for i, v in enumerate(values) if v is not None]
        if any(not isinstance(v, float) for _i, v in kept):
            raise ConfigError(f"native histograms are not supported in input_series ({item.series})")
        times = np.array([i * test.interval_ms for i, _v in kept], dtype=np.int64)
        appender.append(SampleBatch.of_series(labels, times, np.array([v for _i, v in kept], dtype=np.float64)))
    appender.commit()


def _load_groups(
    spec: UnitTestFile, test: TestGroup, storage: Storage, order: dict[str, int],
    query: Callable[[str, int], tuple[Sequence[Labels], np.ndarray]],
) -> list[RuleGroup]:
    groups: list[RuleGroup] = []
    for path in spec.rule_files:
        rule_file = load_rule_file(path)
        for group_spec in rule_file.groups:
            # Alerting rules start restored so ALERTS series exist from the first evaluation.
            rules = build_rules(group_spec, external_labels=dict(test.external_labels),
                                external_url=test.external_url, restored=True)
            groups.append(RuleGroup(
                group_spec, rules, interval_ms=group_spec.interval_ms or test.interval_ms,
                query_offset_ms=group_spec.query_offset_ms or 0, appendable=storage, query=query,
                logger=_QUIET,
            ))
    groups.sort(key=lambda g: order.get(g.name, 0))
    return groups


def _evaluate_and_check_alerts(
    spec: UnitTestFile, test: TestGroup, groups: list[RuleGroup]
) -> tuple[list[str], bool]:
    """Evaluates every interval up to the last eval time; returns the failures and whether a rule
    failed to evaluate (which ends the test group, as in promtool)."""
    interval = spec.evaluation_interval_ms
    by_time: dict[int, list[AlertTestCase]] = {}
    for case in test.alert_rule_tests:
        by_time.setdefault(case.eval_time_ms, []).append(case)
    pending_times = sorted(by_time)
    errors: list[str] = []
    ts = 0
    while ts <= test.max_eval_time_ms():
        rule_errors: list[str] = []
        for group in groups:
            group.evaluate(ts)
            rule_errors.extend(
                f"    rule: {rule.name}, time: {go_duration(ts)}, err: {rule.status.last_error}"
                for rule in group.rules if rule.status.last_error
            )
        if rule_errors:
            return errors + rule_errors, True
        while pending_times and ts <= pending_times[0] < ts + interval:
            at = pending_times.pop(0)
            errors.extend(_compare_alerts(test, by_time[at], groups))
        ts += interval
    return errors, False


def _firing(groups: list[RuleGroup], name: str) -> list[LabelledPair]:
    found: list[LabelledPair] = []
    for group in groups:
        for rule in group.rules:
            if isinstance(rule, AlertingRule) and rule.name == name:
                found.extend((a.labels, a.annotations) for a in rule.active.values() if a.state == STATE_FIRING)
    return found


def _compare_alerts(test: TestGroup, cases: list[AlertTestCase], groups: list[RuleGroup]) -> list[str]:
    errors = []
    for case in cases:
        got = sorted(_firing(groups, case.alertname), key=_pair_key)
        expected = sorted(
            ((Labels.from_dict(dict(a.labels) | {"alertname": case.alertname}), Labels(a.annotations))
             for a in case.exp_alerts), key=_pair_key,
        )
        if got != expected:
            name = f"    name: {test.name},\n" if test.name else ""
            indent = "            "
            errors.append(
                f"{name}    alertname: {case.alertname}, time: {_model_duration(case.eval_time_ms)}, \n"
                f"        exp:{_indent(_pairs_text(expected), indent)}, \n"
                f"        got:{_indent(_pairs_text(got), indent)}"
            )
    return errors


def _pair_key(pair: LabelledPair) -> tuple[tuple[str, ...], tuple[str, ...]]:
    return tuple(_pairs(pair[0])), tuple(_pairs(pair[1]))


def _pairs(labels: Labels) -> list[str]:
    return [f"{n}\x00{v}" for n, v in labels]


def _pairs_text(pairs: list[LabelledPair]) -> str:
    """promtool's `labelsAndAnnotations.String()`."""
    if not pairs:
        return "[]"
    parts = [
        f"{i}:" + _indent(f"\nLabels:{go_labels(labels)}\nAnnotations:{go_labels(annotations)}", "  ")
        for i, (labels, annotations) in enumerate(pairs)
    ]
    return "[\n" + ",\n".join(parts) + "\n]"


def _indent(text: str, indent: str) -> str:
    return ("\n" + indent).join(text.split("\n"))


def _model_duration(ms: int) -> str:
    """Prometheus's `model.Duration.String()` (`10m`, `1h30m`, `0s`)."""
    return format_duration_ms(ms)


def _check_promql(test: TestGroup, engine: Engine, storage: Storage) -> list[str]:
    errors = []
    for case in test.promql_expr_tests:
        where = f"    expr: {go_quote(case.expr)}, time: {_model_duration(case.eval_time_ms)}"
        try:
            got = _query_samples(engine, storage, case.expr, case.eval_time_ms)
        except EmberError as exc:
            errors.append(f"{where}, err: {exc}")
            continue
        try:
            expected = [(_parse_metric(s.labels), s.value) for s in case.exp_samples]
        except EmberError as exc:
            errors.append(f"{where}, err: {exc}")
            continue
        expected.sort(key=lambda s: _pairs(s[0]))
        got.sort(key=lambda s: _pairs(s[0]))
        if not _same_samples(expected, got):
            errors.append(f"{where},\n        exp: {_samples_text(expected)}\n        got: {_samples_text(got)}")
    return errors


def _parse_metric(text: str) -> Labels:
    try:
        labels, end = parse_labels(text)
        if text[end:].strip():
            raise ConfigError(f"unexpected {text[end:].strip()!r}")
    except EmberError as exc:
        raise ConfigError(f"labels {go_quote(text)}: {exc}") from exc
    return labels


def _query_samples(engine: Engine, storage: Storage, expr: str, time_ms: int) -> list[tuple[Labels, float]]:
    result = engine.instant_query(storage, expr, time_ms)
    if result.result_type == "scalar":
        return [(Labels(), float("nan") if result.scalar is None else result.scalar)]
    if result.result_type != "vector":
        raise ConfigError("rule result is not a vector or scalar")
    series = result.series
    if series is None:
        return []
    values = series.values[series.offsets[:-1]].tolist()
    return list(zip(series.labels, values, strict=True))


def _same_samples(a: list[tuple[Labels, float]], b: list[tuple[Labels, float]]) -> bool:
    """`reflect.DeepEqual` on the sorted samples: exact floats, NaN never equal."""
    return len(a) == len(b) and all(la == lb and va == vb for (la, va), (lb, vb) in zip(a, b, strict=True))


def _samples_text(samples: list[tuple[Labels, float]]) -> str:
    if not samples:
        return "nil"
    return ", ".join(f"{go_labels(labels)} {go_float_e(value, upper=True)}" for labels, value in samples)

