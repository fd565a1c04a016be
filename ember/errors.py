"""Ember's one exception tree. Messages match Prometheus's strings where Prometheus has one.

    EmberError
    ├── BadDataError            invalid user input (HTTP 400, errorType "bad_data")
    │   ├── QueryParseError     PromQL that does not parse
    │   └── ConfigError         a configuration file that does not load (names file, line, field)
    ├── ExecutionError          a query failed while running (HTTP 422, "execution")
    │   ├── QueryTimeoutError   "query timed out in ..." (HTTP 503, "timeout")
    │   ├── QueryCanceledError  the query was canceled (HTTP 503, "canceled")
    │   └── TooManySamplesError "query processing would load too many samples into memory in ..."
    ├── AppendError             a sample was refused by storage
    │   ├── OutOfOrderSampleError   "out of order sample"
    │   ├── DuplicateSampleError    "duplicate sample for timestamp"
    │   └── OutOfBoundsError        "out of bounds"
    ├── StorageError            the database cannot do what was asked
    │   ├── DataDirLockedError  another process holds the data directory
    │   ├── UnknownSeriesRefError  a series ref the storage no longer knows (append by labels)
    │   └── CorruptionError     on-disk data failed a check (names the file and offset)
    └── UnavailableError        not ready yet, or the feature is switched off (HTTP 503, "unavailable")
"""

from __future__ import annotations


class EmberError(Exception):
    """Base of every error Ember raises on purpose."""

    error_type = "internal"


class BadDataError(EmberError):
    error_type = "bad_data"


class QueryParseError(BadDataError):
    """PromQL that does not parse; `position` is a character offset where known."""

    def __init__(self, message: str, position: int | None = None) -> None:
        super().__init__(message)
        self.position = position


class ConfigError(BadDataError):
    """A configuration file that does not load; the message names file, line and field."""


class ExecutionError(EmberError):
    error_type = "execution"


class QueryTimeoutError(ExecutionError):
    error_type = "timeout"


class QueryCanceledError(ExecutionError):
    error_type = "canceled"


class TooManySamplesError(ExecutionError):
    def __init__(self, where: str = "query execution") -> None:
        super().__init__(f"query processing would load too many samples into memory in {where}")


class AppendError(EmberError):
    error_type = "bad_data"


class OutOfOrderSampleError(AppendError):
    def __init__(self, message: str = "out of order sample") -> None:
        super().__init__(message)


class DuplicateSampleError(AppendError):
    def __init__(self, message: str = "duplicate sample for timestamp") -> None:
        super().__init__(message)


class OutOfBoundsError(AppendError):
    def __init__(self, message: str = "out of bounds") -> None:
        super().__init__(message)


class StorageError(EmberError):
    pass


class DataDirLockedError(StorageError):
    pass


class UnknownSeriesRefError(StorageError):
    """A series ref from an earlier append that the storage no longer knows; append by labels."""


class CorruptionError(StorageError):
    """On-disk data that fails a check; carries the path and offset for the log line."""

    def __init__(self, message: str, path: str = "", offset: int | None = None) -> None:
        where = f"{path}" + (f" at offset {offset}" if offset is not None else "")
        super().__init__(f"{where}: {message}" if where else message)
        self.path = path
        self.offset = offset


class UnavailableError(EmberError):
    error_type = "unavailable"


# Prometheus's errBodySizeLimit: a scrape body that reaches `body_size_limit` (before or after gunzip).
BODY_SIZE_LIMIT_EXCEEDED = "body size limit exceeded"


class ScrapeFailedError(EmberError):
    """A target could not be scraped: connection refused, timeout, a non-200 status, an oversized body."""
