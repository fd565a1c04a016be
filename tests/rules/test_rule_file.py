"""Loading and validating rule files (ember/rules/rule_file.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ember.errors import ConfigError
from ember.rules.rule_file import RuleFileError, load_rule_file, parse_rule_file

GOOD = """\
groups:
  - name: one
    interval: 30s
    query_offset: 1m
    limit: 10
    labels:
      team: infra
    rules:
      - record: job:up:sum
        expr: sum by (job) (up)
        labels:
          source: rule
      - alert: Down
        expr: up == 0
        for: 5m
        keep_firing_for: 2m
        labels:
          severity: page
        annotations:
          summary: it is down
  - name: two
    rules: []
"""


def test_loads_groups_and_rules_into_dataclasses(tmp_path: Path) -> None:
    path = tmp_path / "rules.yml"
    path.write_text(GOOD)
    loaded = load_rule_file(str(path))
    assert [g.name for g in loaded.groups] == ["one", "two"]
    one = loaded.groups[0]
    assert (one.interval_ms, one.query_offset_ms, one.limit, one.labels) == (30_000, 60_000, 10, (("team", "infra"),))
    record, alert = one.rules
    assert (record.kind, record.name, record.expr, record.labels) == (
        "record", "job:up:sum", "sum by (job) (up)", (("source", "rule"),)
    )
    assert (alert.kind, alert.for_ms, alert.keep_firing_for_ms) == ("alert", 300_000, 120_000)
    assert alert.annotations == (("summary", "it is down"),)
    assert loaded.groups[1].interval_ms is None and loaded.groups[1].query_offset_ms is None
    assert loaded.rule_count == 2


def test_empty_file_has_no_groups() -> None:
    assert parse_rule_file("", "empty.yml").groups == ()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("groups:\n- name: a\n  rules: []\n- name: a\n  rules: []\n",
         'f.yml: 4:3: groupname: "a" is repeated in the same file'),
        ("groups:\n- name: ''\n  rules: []\n", "f.yml: 2:3: Groupname must not be empty"),
        ("groups:\n- name: a\n  rules:\n  - record: x\n    expr: sum(\n",
         'f.yml: 5:11: group "a", rule 1, "x": could not parse expression'),
        ("groups:\n- name: a\n  rules:\n  - record: x\n    alert: y\n    expr: up\n",
         "f.yml: 4:13: 5:12: group \"a\", rule 1, \"y\": only one of 'record' and 'alert' must be set"),
        ("groups:\n- name: a\n  rules:\n  - expr: up\n", "one of 'record' or 'alert' must be set"),
        ("groups:\n- name: a\n  rules:\n  - record: x\n", "field 'expr' must be set in rule"),
        ("groups:\n- name: a\n  rules:\n  - record: x\n    expr: up\n    for: 1m\n",
         "f.yml: 4:13: group \"a\", rule 1, \"x\": invalid field 'for' in recording rule"),
        ("groups:\n- name: a\n  rules:\n  - record: x\n    expr: up\n    keep_firing_for: 1m\n",
         "invalid field 'keep_firing_for' in recording rule"),
        ("groups:\n- name: a\n  rules:\n  - record: x\n    expr: up\n    annotations: {a: b}\n",
         "invalid field 'annotations' in recording rule"),
        ("groups:\n- name: a\n  rules:\n  - record: 'bad name'\n    expr: up\n",
         "invalid recording rule name: bad name"),
        ("groups:\n- name: a\n  rules:\n  - alert: x\n    expr: up\n    labels: {'a-b': c}\n",
         'f.yml: group "a", rule 1, "x": invalid label name: a-b'),
        ("groups:\n- name: a\n  rules:\n  - alert: x\n    expr: up\n    labels: {__name__: c}\n",
         "invalid label name: __name__"),
        ("groups:\n- name: a\n  rules:\n  - alert: x\n    expr: up\n    annotations: {'a b': c}\n",
         "invalid annotation name: a b"),
        ("groups:\n- name: a\n  rules:\n  - alert: x\n    expr: up\n    for: 5 minutes\n",
         'f.yml:6: for: unknown unit'),
        ("groups:\n- name: a\n  rulez: []\n", 'f.yml:3: field "rulez" not found in rule group'),
        ("groupz: []\n", 'field "groupz" not found in rule groups'),
        ("groups:\n- name: a\n  rules:\n  - alert: x\n    expr: up\n    severity: page\n",
         'f.yml:6: field "severity" not found in rule'),
    ],
)
def test_invalid_files_name_file_line_and_field(text: str, message: str) -> None:
    with pytest.raises(RuleFileError) as caught:
        parse_rule_file(text, "f.yml")
    assert isinstance(caught.value, ConfigError)
    assert any(message in error for error in caught.value.errors), caught.value.errors
    assert all(error.startswith("f.yml") for error in caught.value.errors)


def test_every_problem_of_a_file_is_reported() -> None:
    text = "groups:\n- name: a\n  rules:\n  - record: x\n    expr: sum(\n  - record: y\n    expr: up\n    for: 1m\n"
    with pytest.raises(RuleFileError) as caught:
        parse_rule_file(text, "f.yml")
    assert len(caught.value.errors) == 2
    assert "rule 1" in caught.value.errors[0] and "rule 2" in caught.value.errors[1]


def test_yaml_syntax_error_names_the_line() -> None:
    with pytest.raises(RuleFileError, match=r"f\.yml:\d+: "):
        parse_rule_file("groups:\n- name: a\n  rules: [\n", "f.yml")


def test_missing_file_is_a_rule_file_error(tmp_path: Path) -> None:
    with pytest.raises(RuleFileError, match=r"nope\.yml"):
        load_rule_file(str(tmp_path / "nope.yml"))


def test_binary_file_is_a_rule_file_error(tmp_path: Path) -> None:
    path = tmp_path / "bin.yml"
    path.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(RuleFileError, match="not UTF-8"):
        load_rule_file(str(path))


def test_template_that_does_not_parse_is_reported() -> None:
    text = "groups:\n- name: a\n  rules:\n  - alert: x\n    expr: up\n    labels: {s: '{{ if }}'}\n"
    with pytest.raises(RuleFileError, match=r'group "a", rule 1, "x": label "s": template: __alert_x:1'):
        parse_rule_file(text, "f.yml")
