"""The alert the rule manager hands to the notifier: one active (or recently resolved) alert instance."""

from __future__ import annotations

from dataclasses import dataclass

from ember.model.labels import Labels


@dataclass(frozen=True)
class Alert:
    """An alert as sent to Alertmanager (API v2 `postableAlert`). Times are Unix seconds; `ends_at` is set
    for resolved alerts and, as Prometheus does, to a time in the future for firing ones
    (now + 4 x max(resend delay, evaluation interval)) so Alertmanager resolves them if Ember disappears."""

    labels: Labels
    annotations: Labels
    starts_at: float
    ends_at: float | None
    generator_url: str
    active_at: float
    state: str  # "pending", "firing" or "inactive" (resolved)
    value: float

    @property
    def resolved(self) -> bool:
        return self.state == "inactive"
