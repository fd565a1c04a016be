"""Ember: a Prometheus-compatible monitoring system in Python."""

__version__ = "0.1.0"
