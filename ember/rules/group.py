"""A rule group: its rules evaluated in order at one timestamp, outputs appended (and committed) rule by
rule so later rules see earlier outputs, staleness markers for vanished outputs, and the group's timing.

Follows Prometheus's `rules/group.go`: `Eval`, `EvalTimestamp`, `CopyState`, `cleanupStaleSeries` and
`RestoreForState`.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable, Sequence

import numpy as np
import xxhash

from ember.errors import EmberError
from ember.model.labels import Labels
from ember.model.matchers import Matcher
from ember.model.samples import STALE_NAN, Float64Array, SampleBatch
from ember.rules.alert import Alert
from ember.rules.alerting import AlertingRule
from ember.rules.recording import RecordingRule
from ember.rules.rule_file import RuleGroupSpec
from ember.rules.rule_status import RuleQuery
from ember.storage.interface import Appendable, AppendOptions, AppendResult, Queryable

log = logging.getLogger(__name__)

Rule = RecordingRule | AlertingRule
Notify = Callable[[list[Alert]], None]
_LABEL_SEP = b"\xff"


def group_key(file: str, name: str) -> str:
    """Group names are unique per file only (Prometheus's `GroupKey`)."""
    return f"{file};{name}"


def group_offset_ns(file: str, name: str, interval_ns: int) -> int:
    """The group's slot within its interval: the hash of the label set {file, name} (Prometheus's
    `labels.Hash`, xxhash64 over sorted name/value pairs each followed by 0xff) modulo the interval."""
    data = _LABEL_SEP.join([b"file", file.encode(), b"name", name.encode()]) + _LABEL_SEP
    return xxhash.xxh64_intdigest(data) % interval_ns


def build_rules(
    spec: RuleGroupSpec, *, external_labels: dict[str, str], external_url: str, restored: bool
) -> list[Rule]:
    rules: list[Rule] = []
    for rule in spec.rules:
        if rule.kind == "alert":
            rules.append(AlertingRule(rule, spec.labels, external_labels=external_labels,
                                      external_url=external_url, restored=restored))
        else:
            rules.append(RecordingRule(rule, spec.labels))
    return rules


class RuleGroup:
    """One loaded group; `evaluate` is synchronous (the manager runs it in a worker thread)."""

    def __init__(
        self, spec: RuleGroupSpec, rules: Sequence[Rule], *, interval_ms: int, query_offset_ms: int,
        appendable: Appendable, query: RuleQuery, notify: Notify | None = None,
        resend_delay_s: float = 60.0, clock: Callable[[], float] = time.time,
        logger: logging.Logger = log,
    ) -> None:
        self.spec = spec
        self.name = spec.name
        self.file = spec.file
        self.rules = list(rules)
        self.interval_ms = interval_ms
        self.query_offset_ms = query_offset_ms
        self.limit = spec.limit
        self._appendable = appendable
        self._query = query
        self._notify = notify
        self._resend_delay_s = resend_delay_s
        self._clock = clock
        self._log = logger
        self.previous_outputs: list[set[Labels]] = [set() for _ in self.rules]
        self.stale_series: list[Labels] = []
        self.last_evaluation: float | None = None
        self.evaluation_seconds = 0.0
        self.last_eval_time_ms: int | None = None

    @property
    def key(self) -> str:
        return group_key(self.file, self.name)

    def alerting_rules(self) -> list[AlertingRule]:
        return [rule for rule in self.rules if isinstance(rule, AlertingRule)]

    def eval_timestamp_ms(self, now_s: float) -> int:
        """The latest slot of this group at or before `now_s` (Prometheus's `EvalTimestamp`)."""
        interval_ns = self.interval_ms * 1_000_000
        offset = group_offset_ns(self.file, self.name, interval_ns)
        adjusted = int(now_s * 1e9) - offset
        return (adjusted - adjusted % interval_ns + offset) // 1_000_000

    def same_definition(self, other: RuleGroup) -> bool:
        """Prometheus's `Group.Equals`: a reload keeps a group whose definition did not change."""
        return (
            self.name == other.name and self.file == other.file and self.interval_ms == other.interval_ms
            and self.limit == other.limit and self.spec.query_offset_ms == other.spec.query_offset_ms
            and [r.spec for r in self.rules] == [r.spec for r in other.rules]
            and self.spec.labels == other.spec.labels
        )

    def copy_state(self, old: RuleGroup) -> None:
        """Takes over alert state and previous outputs from `old` (matched by name and labels, duplicates
        in order); outputs of rules that no longer exist are queued for staleness markers."""
        self.evaluation_seconds = old.evaluation_seconds
        self.last_evaluation = old.last_evaluation
        by_identity: dict[str, list[int]] = {}
        for index, rule in enumerate(old.rules):
            by_identity.setdefault(rule.identity(), []).append(index)
        for index, rule in enumerate(self.rules):
            matches = by_identity.get(rule.identity())
            if not matches:
                continue
            old_index = matches.pop(0)
            self.previous_outputs[index] = old.previous_outputs[old_index]
            old_rule = old.rules[old_index]
            if isinstance(rule, AlertingRule) and isinstance(old_rule, AlertingRule):
                rule.active.update(old_rule.active)
        self.stale_series = list(old.stale_series)
        for indexes in by_identity.values():
            for old_index in indexes:
                self.stale_series.extend(old.previous_outputs[old_index])

    def evaluate(self, time_ms: int) -> None:
        """Evaluates every rule at `time_ms`, in order, committing each rule's output before the next."""
        started = time.perf_counter()
        self.last_evaluation = self._clock()
        for index, rule in enumerate(self.rules):
            self._evaluate_rule(index, rule, time_ms)
        self._write_stale(self.stale_series, time_ms - self.query_offset_ms)
        self.stale_series = []
        self.evaluation_seconds = time.perf_counter() - started
        self.last_eval_time_ms = time_ms

    def _evaluate_rule(self, index: int, rule: Rule, time_ms: int) -> None:
        started = time.perf_counter()
        rule.status.last_evaluation = self._clock()
        try:
            try:
                if isinstance(rule, AlertingRule):
                    labels, values = rule.evaluate(self._query, time_ms, self.query_offset_ms, self.limit)
                else:
                    labels, values = rule.evaluate(self._query, time_ms - self.query_offset_ms, self.limit)
            except EmberError as exc:
                rule.status.failed(str(exc))
                self._log.warning("Evaluating rule failed: rule %s in group %s: %s", rule.name, self.key, exc)
                return
            rule.status.succeeded()
            if isinstance(rule, AlertingRule):
                self._send(rule, time_ms)
            self._write_outputs(index, rule, labels, values, time_ms - self.query_offset_ms)
        except Exception as exc:  # a bug in one rule must not stop the group's loop
            rule.status.failed(str(exc))
            self._log.exception("Evaluating rule %s in group %s crashed", rule.name, self.key)
        finally:
            rule.status.evaluation_seconds = time.perf_counter() - started

    def _send(self, rule: AlertingRule, time_ms: int) -> None:
        if self._notify is None:
            return
        alerts = rule.pending_notifications(time_ms / 1000, self._resend_delay_s, self.interval_ms / 1000)
        if alerts:
            self._notify(alerts)

    def _write_outputs(
        self, index: int, rule: Rule, labels: Sequence[Labels], values: Float64Array, out_ms: int
    ) -> None:
        appender = self._appendable.appender()
        result = AppendResult()
        returned = set(labels)
        vanished = [series for series in self.previous_outputs[index] if series not in returned]
        try:
            if len(labels):
                batch = SampleBatch.aligned(out_ms, values, series=labels)
                options = AppendOptions(group=f"rules/{self.file}/{self.name}/{index}")
                result.merge(appender.append(batch, options))
            if vanished:
                # Rejections here are expected when another rule now writes the series (as Prometheus).
                appender.append(_stale_batch(vanished, out_ms))
            result.merge(appender.commit())
        except EmberError as exc:
            with contextlib.suppress(EmberError):
                appender.rollback()
            rule.status.failed(str(exc))
            self._log.warning("Rule sample appending failed: rule %s: %s", rule.name, exc)
            return
        message = result.first_error_message()
        if message is not None:
            rule.status.failed(message)
            self._log.warning("Rule evaluation result discarded: rule %s: %d samples: %s",
                              rule.name, result.rejected, message)
        self.previous_outputs[index] = returned

    def _write_stale(self, series: Sequence[Labels], out_ms: int) -> None:
        if not series:
            return
        appender = self._appendable.appender()
        try:
            appender.append(_stale_batch(series, out_ms))
            appender.commit()
        except EmberError as exc:
            self._log.warning("Stale sample appending for previous configuration failed: %s", exc)

    def mark_all_stale(self, time_ms: int) -> None:
        """Staleness markers for every output of this group (it was removed from the configuration)."""
        series = [s for outputs in self.previous_outputs for s in outputs] + self.stale_series
        self.previous_outputs = [set() for _ in self.rules]
        self.stale_series = []
        self._write_stale(series, time_ms - self.query_offset_ms)

    def restore_for_state(self, queryable: Queryable, now_s: float, outage_tolerance_s: float,
                          grace_period_s: float) -> None:
        """Prometheus's `RestoreForState`: `active_at` of current alerts from `ALERTS_FOR_STATE` samples
        no older than the outage tolerance."""
        maxt = int(now_s * 1000)
        mint = maxt - int(outage_tolerance_s * 1000)
        querier = queryable.querier()
        try:
            for rule in self.alerting_rules():
                if rule.hold_ms < grace_period_s * 1000:
                    rule.restored = True
                    continue
                matchers = [Matcher.equal(name, value) for name, value in rule.for_state_selector()]
                try:
                    found = querier.select(matchers, mint, maxt)
                except EmberError as exc:
                    self._log.error("Failed to restore 'for' state of %s: %s", rule.name, exc)
                    rule.restored = True
                    continue
                last: dict[Labels, tuple[int, float]] = {}
                for labels, timestamps, values in found:
                    if len(timestamps):
                        last[labels.without_metric_name()] = (int(timestamps[-1]), float(values[-1]))
                rule.restore_for_state(now_s, last, grace_period_s)
        finally:
            querier.close()


def _stale_batch(series: Sequence[Labels], time_ms: int) -> SampleBatch:
    count = len(series)
    return SampleBatch.of_samples(
        list(series), np.arange(count, dtype=np.int32), np.full(count, time_ms, dtype=np.int64),
        np.full(count, STALE_NAN, dtype=np.float64),
    )
