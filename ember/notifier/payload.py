"""Alerts on their way out: external labels and alert relabelling, then the Alertmanager API v2 JSON body
(`postableAlerts`: labels, annotations, startsAt, endsAt, generatorURL)."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime

from ember.model.labels import Labels
from ember.relabel import RelabelConfig, relabel
from ember.rules.alert import Alert


def relabel_alerts(alerts: Sequence[Alert], configs: Sequence[RelabelConfig], external_labels: Labels) -> list[Alert]:
    """Adds the external labels an alert lacks (its own labels win, as in Prometheus's `relabelAlerts`), then
    applies `configs`; alerts a rule drops are left out."""
    kept: list[Alert] = []
    for alert in alerts:
        labels = alert.labels
        missing = {name: value for name, value in external_labels if name not in labels}
        if missing:
            labels = labels.updated(missing)
        relabelled = relabel(labels, configs)
        if relabelled is None:
            continue
        kept.append(alert if relabelled is alert.labels else replace(alert, labels=relabelled))
    return kept


def rfc3339(seconds: float) -> str:
    """UTC time with milliseconds, as Go's `strfmt.DateTime` writes it (`2006-01-02T15:04:05.000Z`)."""
    millis = math.floor(seconds * 1000)
    moment = datetime.fromtimestamp(millis // 1000, UTC).replace(microsecond=(millis % 1000) * 1000)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{millis % 1000:03d}Z"


def _time_text(seconds: float | None) -> str | None:
    if seconds is None or not math.isfinite(seconds):
        return None
    try:
        return rfc3339(seconds)
    except (OverflowError, ValueError, OSError):  # beyond the years datetime can represent
        return None


def _postable(alert: Alert) -> dict[str, object]:
    body: dict[str, object] = {
        "labels": alert.labels.to_dict(),
        "annotations": alert.annotations.to_dict(),
        "generatorURL": alert.generator_url,
    }
    # A time that cannot be written is left out: Alertmanager then applies its own default.
    for key, seconds in (("startsAt", alert.starts_at), ("endsAt", alert.ends_at)):
        text = _time_text(seconds)
        if text is not None:
            body[key] = text
    return body


def encode_alerts(alerts: Sequence[Alert]) -> bytes:
    """The JSON body of `POST /api/v2/alerts` for `alerts`."""
    return json.dumps([_postable(alert) for alert in alerts], separators=(",", ":")).encode()
