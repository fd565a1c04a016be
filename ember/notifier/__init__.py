"""Sending alerts to Alertmanager (API v2)."""

from ember.notifier.notifier import MAX_BATCH_SIZE, Notifier, check_alerting_config

__all__ = ["MAX_BATCH_SIZE", "Notifier", "check_alerting_config"]
