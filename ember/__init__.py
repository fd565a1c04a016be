"""Ember: a Prometheus-compatible monitoring system in Python.

The embedded API: `ember.open(path)` returns a `Database` to append numpy arrays to and to query with
PromQL into numpy and pandas. The names are loaded on first use, so importing a sub-package
(`ember.model`, `ember.exposition`) does not pull in the database and its compiled kernels.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

__all__ = ["BatchAppender", "Database", "Labels", "Series", "__version__", "open"]

_LAZY = {
    "BatchAppender": "ember.embedded",
    "Database": "ember.embedded",
    "Series": "ember.embedded",
    "open": "ember.embedded",
    "Labels": "ember.model.labels",
}

if TYPE_CHECKING:
    from ember.embedded import BatchAppender, Database, Series, open
    from ember.model.labels import Labels


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'ember' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
