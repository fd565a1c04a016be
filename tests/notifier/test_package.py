"""The public names of `ember.notifier` are a deliberate list."""

from __future__ import annotations

import ember.notifier


def test_public_names_are_pinned() -> None:
    assert ember.notifier.__all__ == ["MAX_BATCH_SIZE", "Notifier", "check_alerting_config"]
    assert all(hasattr(ember.notifier, name) for name in ember.notifier.__all__)
