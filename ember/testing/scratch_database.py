"""A real database in a temporary directory, removed when the object is garbage collected: for
running tests and test scripts against the TSDB rather than the reference storage."""

from __future__ import annotations

import shutil
import tempfile
import weakref
from dataclasses import replace

from ember.storage.interface import Appender, Querier
from ember.tsdb.db import DB
from ember.tsdb.options import DBOptions

SCRATCH_OPTIONS = DBOptions(background_maintenance=False, wal_sync_interval_s=1.0, retention_ms=0)


def _dispose(db: DB, directory: str) -> None:
    db.close()
    shutil.rmtree(directory, ignore_errors=True)


class ScratchDatabase:
    """A `Storage` backed by `ember.tsdb.db.DB` in its own temporary directory."""

    def __init__(self, options: DBOptions = SCRATCH_OPTIONS, **overrides: object) -> None:
        directory = tempfile.mkdtemp(prefix="ember-scratch-")
        self.db = DB.open(directory, replace(options, **overrides))  # type: ignore[arg-type]
        self._finalizer = weakref.finalize(self, _dispose, self.db, directory)

    def appender(self) -> Appender:
        return self.db.appender()

    def querier(self) -> Querier:
        return self.db.querier()

    def close(self) -> None:
        self._finalizer()
