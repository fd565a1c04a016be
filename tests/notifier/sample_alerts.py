"""Alerts for the notifier tests."""

from __future__ import annotations

import time

from ember.model.labels import Labels
from ember.rules.alert import Alert


def firing_alert(name: str, ends_in_s: float = 300.0, **labels: str) -> Alert:
    now = time.time()
    return Alert(
        labels=Labels([("alertname", name), *labels.items()]),
        annotations=Labels([("summary", f"{name} is firing")]),
        starts_at=now - 60,
        ends_at=now + ends_in_s,
        generator_url="http://ember.example:9090/graph?g0.expr=up",
        active_at=now - 120,
        state="firing" if ends_in_s > 0 else "inactive",
        value=1.0,
    )


def resolved_alert(name: str, **labels: str) -> Alert:
    return firing_alert(name, ends_in_s=-1.0, **labels)
