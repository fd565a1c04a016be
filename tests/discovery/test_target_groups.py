from __future__ import annotations

import pytest

from ember.discovery.target_groups import groups_from_document, parse_document, static_groups
from ember.errors import BadDataError
from ember.model.labels import Labels


def test_groups_carry_targets_labels_and_meta_labels() -> None:
    data = parse_document('[{"targets": ["a:1", "b:2"], "labels": {"env": "prod"}}, {"targets": ["c:3"]}]', "x.json")
    first, second = groups_from_document(data, "x.json", {"__meta_filepath": "x.json"})
    assert first.targets == (Labels([("__address__", "a:1")]), Labels([("__address__", "b:2")]))
    assert first.labels == Labels([("env", "prod"), ("__meta_filepath", "x.json")])
    assert second.labels == Labels([("__meta_filepath", "x.json")])
    assert (first.source, second.source) == ("x.json:0", "x.json:1")


def test_yaml_documents_are_read_by_extension() -> None:
    data = parse_document("- targets: ['a:1']\n  labels: {team: db}\n", "targets.yml")
    (group,) = groups_from_document(data, "targets.yml")
    assert group.labels == Labels([("team", "db")])


@pytest.mark.parametrize(("text", "source", "message"), [
    ("{not json", "bad.json", "bad.json"),
    ("a: [unclosed", "bad.yml", "bad.yml"),
    ('{"targets": []}', "object.json", "expected a list of target groups"),
    ('[{"targets": "a:1"}]', "string.json", "expected targets as a list"),
    ('[{"targets": ["a:1"], "labels": {"n": 1}}]', "number.json", "labels must map names to strings"),
])
def test_malformed_documents_are_bad_data_naming_the_source(text: str, source: str, message: str) -> None:
    with pytest.raises(BadDataError, match=message):
        groups_from_document(parse_document(text, source), source)


def test_static_groups_are_named_by_job_and_position() -> None:
    class Group:
        targets = ("h:9100",)
        labels = Labels([("dc", "eu")])

    (group,) = static_groups("node", [Group()])
    assert group.source == "static/node/0" and group.labels == Labels([("dc", "eu")])
