"""Sending alerts to Alertmanager (API v2)."""
