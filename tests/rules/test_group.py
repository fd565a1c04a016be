"""Rule groups: ordering, chained recording rules, staleness, limits, offsets (ember/rules/group.py)."""

from __future__ import annotations

import xxhash

from ember.model import Labels
from ember.rules.group import group_offset_ns
from tests.rules.rule_fixtures import make_group, samples_of, stale_bits, storage_with

CHAIN = """\
groups:
- name: chain
  rules:
  - record: job:requests:sum
    expr: sum by (job) (requests)
  - record: job:requests:doubled
    expr: job:requests:sum * 2
  - record: all:requests:doubled
    expr: sum(job:requests:doubled)
"""


def _requests() -> dict[str, list[tuple[int, float]]]:
    return {
        'requests{job="a", instance="1"}': [(0, 1.0), (60_000, 2.0)],
        'requests{job="a", instance="2"}': [(0, 3.0), (60_000, 4.0)],
        'requests{job="b", instance="1"}': [(0, 10.0)],
    }


def test_recording_rule_outputs_are_visible_to_later_rules_in_the_same_evaluation() -> None:
    storage = storage_with(_requests())
    group = make_group(CHAIN, storage)
    group.evaluate(60_000)
    assert samples_of(storage, "job:requests:sum") == {
        Labels.from_strings("__name__", "job:requests:sum", "job", "a"): [(60_000, 6.0)],
        Labels.from_strings("__name__", "job:requests:sum", "job", "b"): [(60_000, 10.0)],
    }
    assert samples_of(storage, "all:requests:doubled") == {
        Labels.from_strings("__name__", "all:requests:doubled"): [(60_000, 32.0)]
    }
    assert all(rule.status.health == "ok" for rule in group.rules)
    assert group.last_evaluation is not None and group.evaluation_seconds > 0


def test_rule_labels_override_and_empty_value_removes() -> None:
    storage = storage_with({'x{job="a", drop="me"}': [(0, 1.0)]})
    group = make_group(
        "groups:\n- name: g\n  labels: {team: t}\n  rules:\n  - record: y\n    expr: x\n"
        "    labels: {job: override, drop: ''}\n", storage,
    )
    group.evaluate(0)
    assert list(samples_of(storage, "y")) == [Labels.from_strings("__name__", "y", "job", "override", "team", "t")]


def test_vanished_output_series_get_a_staleness_marker() -> None:
    storage = storage_with(_requests())
    group = make_group(CHAIN, storage)
    group.evaluate(0)
    group.evaluate(360_000)  # all input samples are older than the 5m lookback now
    written = samples_of(storage, "job:requests:sum")
    for points in written.values():
        assert points[0][0] == 0 and points[-1][0] == 360_000 and stale_bits(points[-1][1])
    group.evaluate(420_000)  # no second marker for a series already gone
    assert all(len(points) == 2 for points in samples_of(storage, "job:requests:sum").values())


def test_failing_rule_reports_err_health_and_the_rest_still_runs() -> None:
    storage = storage_with({'x{a="1"}': [(0, 1.0)], 'x{a="2"}': [(0, 2.0)]})
    group = make_group(
        "groups:\n- name: g\n  rules:\n  - record: y\n    expr: x\n    labels: {a: same}\n"
        "  - record: z\n    expr: sum(x)\n", storage,
    )
    group.evaluate(0)
    first, second = group.rules
    assert first.status.health == "err"
    assert first.status.last_error == "vector contains metrics with the same labelset after applying rule labels"
    assert second.status.health == "ok" and samples_of(storage, "z")


def test_limit_fails_the_rule_with_prometheus_message() -> None:
    storage = storage_with({'x{a="1"}': [(0, 1.0)], 'x{a="2"}': [(0, 2.0)], 'x{a="3"}': [(0, 3.0)]})
    group = make_group("groups:\n- name: g\n  limit: 2\n  rules:\n  - record: y\n    expr: x\n", storage)
    group.evaluate(0)
    assert group.rules[0].status.last_error == "exceeded limit of 2 with 3 series"
    assert samples_of(storage, "y") == {}


def test_query_offset_shifts_query_and_output_time() -> None:
    storage = storage_with({"x": [(0, 1.0), (60_000, 2.0)]})
    group = make_group("groups:\n- name: g\n  query_offset: 1m\n  rules:\n  - record: y\n    expr: x\n", storage)
    group.evaluate(120_000)
    assert samples_of(storage, "y") == {Labels.from_strings("__name__", "y"): [(60_000, 2.0)]}


def test_global_query_offset_applies_without_a_group_offset() -> None:
    storage = storage_with({"x": [(0, 1.0), (60_000, 2.0)]})
    group = make_group("groups:\n- name: g\n  rules:\n  - record: y\n    expr: x\n", storage, query_offset_ms=60_000)
    group.evaluate(60_000)
    assert samples_of(storage, "y") == {Labels.from_strings("__name__", "y"): [(0, 1.0)]}


def test_group_offset_is_the_label_hash_of_file_and_name() -> None:
    interval_ns = 60 * 10**9
    data = b"file\xffrules.yml\xffname\xffg\xff"
    assert group_offset_ns("rules.yml", "g", interval_ns) == xxhash.xxh64_intdigest(data) % interval_ns
    assert group_offset_ns("rules.yml", "g", interval_ns) != group_offset_ns("rules.yml", "h", interval_ns)


def test_eval_timestamps_fall_on_the_group_slot() -> None:
    storage = storage_with({})
    group = make_group("groups:\n- name: g\n  interval: 15s\n  rules:\n  - record: y\n    expr: vector(1)\n", storage)
    offset_ms = group_offset_ns("rules.yml", "g", 15 * 10**9) // 10**6
    for now in (1_700_000_000.0, 1_700_000_007.3, 1_700_000_014.999):
        slot = group.eval_timestamp_ms(now)
        assert now * 1000 - 15_000 < slot <= now * 1000
        assert (slot - offset_ms) % 15_000 == 0


def test_copy_state_keeps_outputs_and_queues_removed_rules_for_staleness() -> None:
    storage = storage_with(_requests())
    old = make_group(CHAIN, storage)
    old.evaluate(0)
    new = make_group(
        "groups:\n- name: chain\n  rules:\n  - record: job:requests:sum\n    expr: sum by (job) (requests)\n", storage
    )
    new.copy_state(old)
    assert new.previous_outputs[0] == old.previous_outputs[0]
    new.evaluate(60_000)
    doubled = samples_of(storage, "job:requests:doubled")
    assert doubled and all(stale_bits(points[-1][1]) and points[-1][0] == 60_000 for points in doubled.values())


def test_mark_all_stale_writes_markers_for_every_output() -> None:
    storage = storage_with(_requests())
    group = make_group(CHAIN, storage)
    group.evaluate(0)
    group.mark_all_stale(30_000)
    for name in ("job:requests:sum", "job:requests:doubled", "all:requests:doubled"):
        for points in samples_of(storage, name).values():
            assert points[-1][0] == 30_000 and stale_bits(points[-1][1])


def test_rejected_output_samples_make_the_rule_unhealthy() -> None:
    storage = storage_with({"x": [(0, 1.0), (60_000, 2.0)]})
    group = make_group("groups:\n- name: g\n  rules:\n  - record: y\n    expr: x\n", storage)
    group.evaluate(60_000)
    group.evaluate(30_000)  # older than what the rule already wrote
    assert group.rules[0].status.health == "err"
    assert group.rules[0].status.last_error == "out of order sample"
