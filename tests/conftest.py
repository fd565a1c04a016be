"""Test-suite settings. Under CI (CI=true) hypothesis is derandomized and has no deadline, so a run is
repeatable on a loaded machine; locally it explores new examples each run."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci", derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow], print_blob=True
)
settings.register_profile("dev", deadline=None)
settings.load_profile("ci" if os.environ.get("CI") else "dev")
