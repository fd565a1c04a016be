"""Label sets printed the way Prometheus's error messages print them (`{a="b", c="d"}`)."""

from __future__ import annotations

import json

from ember.model.labels import Labels


def prometheus_labels_string(labels: Labels) -> str:
    """All pairs in braces, `__name__` included, values quoted as Go's `%q` does for plain text."""
    return "{" + ", ".join(f"{name}={json.dumps(value, ensure_ascii=False)}" for name, value in labels) + "}"
