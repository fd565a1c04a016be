"""The API v2 body and alert relabelling with external labels."""

from __future__ import annotations

import json
import math
from dataclasses import replace

from ember.model.labels import Labels
from ember.notifier.payload import encode_alerts, relabel_alerts, rfc3339
from ember.relabel import Action, RelabelConfig
from tests.notifier.sample_alerts import firing_alert


def test_rfc3339_has_milliseconds_in_utc() -> None:
    assert rfc3339(0) == "1970-01-01T00:00:00.000Z"
    assert rfc3339(1_700_000_000.1239) == "2023-11-14T22:13:20.123Z"
    assert rfc3339(-0.5) == "1969-12-31T23:59:59.500Z"


def test_body_is_a_list_of_postable_alerts() -> None:
    alert = replace(firing_alert("Down", job="api"), starts_at=1_700_000_000.0, ends_at=1_700_000_300.0)
    (body,) = json.loads(encode_alerts([alert]))
    assert body == {
        "labels": {"alertname": "Down", "job": "api"},
        "annotations": {"summary": "Down is firing"},
        "startsAt": "2023-11-14T22:13:20.000Z",
        "endsAt": "2023-11-14T22:18:20.000Z",
        "generatorURL": "http://ember.example:9090/graph?g0.expr=up",
    }


def test_unwritable_times_are_left_out() -> None:
    alert = replace(firing_alert("Down"), starts_at=math.nan, ends_at=None)
    (body,) = json.loads(encode_alerts([alert]))
    assert "startsAt" not in body and "endsAt" not in body
    (body,) = json.loads(encode_alerts([replace(alert, starts_at=1e300)]))
    assert "startsAt" not in body


def test_external_labels_fill_in_but_the_alert_wins() -> None:
    external = Labels([("region", "eu"), ("replica", "a")])
    own, plain = relabel_alerts([firing_alert("X", region="us"), firing_alert("Y")], (), external)
    assert own.labels.get("region") == "us" and own.labels.get("replica") == "a"
    assert plain.labels.get("region") == "eu"


def test_relabelling_can_drop_and_rewrite() -> None:
    configs = (
        RelabelConfig(source_labels=("severity",), regex="debug", action=Action.DROP),
        RelabelConfig(target_label="team", replacement="core"),
    )
    kept = relabel_alerts([firing_alert("A", severity="debug"), firing_alert("B")], configs, Labels())
    assert [a.labels.get("alertname") for a in kept] == ["B"]
    assert kept[0].labels.get("team") == "core"
    assert kept[0].annotations == firing_alert("B").annotations


def test_relabelling_sees_external_labels() -> None:
    configs = (RelabelConfig(source_labels=("region",), regex="eu", action=Action.DROP),)
    assert relabel_alerts([firing_alert("A")], configs, Labels([("region", "eu")])) == []
