"""Reading YAML with line numbers: every configuration error names the file, the line and the field.

The YAML is loaded once with ruamel.yaml's round-trip loader (which remembers where each key sits), and
each mapping is read through a `ConfigNode`: typed getters mark keys as used, and `finish()` refuses the
keys nobody asked for (Prometheus parses strictly too: an unknown field is an error, never ignored).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from ember.config.byte_sizes import parse_base2_bytes
from ember.config.durations import Duration, parse_duration_ms
from ember.errors import ConfigError

_TRUE = {"true", "True", "TRUE", "yes", "Yes", "YES", "on", "On", "ON", "y", "Y"}
_FALSE = {"false", "False", "FALSE", "no", "No", "NO", "off", "Off", "OFF", "n", "N"}
_MAX_UINT = (1 << 64) - 1


def parse_yaml(text: str, filename: str) -> Any:
    """Parses YAML text keeping line information; syntax errors become ConfigError naming file and line."""
    loader = YAML(typ="rt")
    try:
        return loader.load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 0
        raise ConfigError(f"{filename}:{line}: {exc.problem or exc.context}") from exc
    except YAMLError as exc:
        raise ConfigError(f"{filename}: {exc}") from exc


def join_dir(directory: str | None, path: str) -> str:
    """Prometheus's `config.JoinDir`: relative paths are taken from the configuration file's directory."""
    if not path or directory is None or os.path.isabs(path):
        return path
    return os.path.join(directory, path)


def _line_of(container: Any, key: Any, fallback: int) -> int:
    lc = getattr(container, "lc", None)
    if lc is None:
        return fallback
    try:
        position = lc.key(key) if isinstance(key, str) else lc.item(key)
    except (KeyError, IndexError, TypeError, AttributeError):
        return fallback
    return int(position[0]) + 1 if position else fallback


class ConfigNode:
    """One YAML mapping being read as a named section (`what`, e.g. "scrape config")."""

    def __init__(self, data: Any, filename: str, what: str, line: int, directory: str | None = None) -> None:
        self.filename = filename
        self.what = what
        self.line = line
        self.directory = directory
        if data is None:
            data = {}
        if not isinstance(data, dict):
            raise self.error(f"cannot unmarshal {_describe(data)} into {what}")
        self.data: dict[Any, Any] = data
        self.used: set[str] = set()

    @classmethod
    def root(cls, data: Any, filename: str, what: str, directory: str | None) -> ConfigNode:
        return cls(data, filename, what, 1, directory)

    def error(self, message: str, key: str | None = None) -> ConfigError:
        line = self.line if key is None else self.line_of(key)
        return ConfigError(f"{self.filename}:{line}: {message}")

    def field_error(self, key: str, message: str) -> ConfigError:
        return self.error(f"{key}: {message}", key)

    def line_of(self, key: str | int) -> int:
        return _line_of(self.data, key, self.line)

    def has(self, key: str) -> bool:
        return self.data.get(key) is not None

    def raw(self, key: str) -> Any:
        """The value under `key` (None when absent or null), marking the key as known."""
        self.used.add(key)
        return self.data.get(key)

    def string(self, key: str, default: str = "") -> str:
        value = self.raw(key)
        if value is None:
            return default
        if isinstance(value, dict | list):
            raise self.field_error(key, f"cannot unmarshal {_describe(value)} into a string")
        return _scalar_text(value)

    def path(self, key: str) -> str:
        """A file name, joined to the configuration file's directory when relative."""
        return join_dir(self.directory, self.string(key))

    def boolean(self, key: str, default: bool) -> bool:
        value = self.raw(key)
        if value is None:
            return default
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value in _TRUE | _FALSE:
            return value in _TRUE
        raise self.field_error(key, f"cannot unmarshal {_describe(value)} into a boolean")

    def integer(self, key: str, default: int, minimum: int | None = None) -> int:
        value = self.raw(key)
        if value is None:
            return default
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.field_error(key, f"cannot unmarshal {_describe(value)} into an integer")
        if minimum is not None and value < minimum:
            raise self.field_error(key, f"must be at least {minimum}, got {value}")
        return int(value)

    def uint(self, key: str, default: int = 0) -> int:
        value = self.integer(key, default, minimum=0)
        if value > _MAX_UINT:
            raise self.field_error(key, f"{value} is out of range")
        return value

    def number(self, key: str, default: float) -> float:
        value = self.raw(key)
        if value is None:
            return default
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.field_error(key, f"cannot unmarshal {_describe(value)} into a number")
        return float(value)

    def duration(self, key: str, default: int) -> Duration:
        value = self.raw(key)
        if value is None:
            return Duration(default)
        text = str(value) if isinstance(value, int | str) and not isinstance(value, bool) else None
        if text is None:
            raise self.field_error(key, f"cannot unmarshal {_describe(value)} into a duration")
        try:
            return Duration(parse_duration_ms(text))
        except ConfigError as exc:
            raise self.field_error(key, str(exc)) from exc

    def byte_size(self, key: str, default: int = 0) -> int:
        value = self.raw(key)
        if value is None:
            return default
        try:
            size = parse_base2_bytes(str(value))
        except ConfigError as exc:
            raise self.field_error(key, str(exc)) from exc
        if size < 0:
            raise self.field_error(key, f"must not be negative, got {value}")
        return size

    def string_list(self, key: str) -> tuple[str, ...]:
        value = self.raw(key)
        if value is None:
            return ()
        if not isinstance(value, list):
            raise self.field_error(key, f"cannot unmarshal {_describe(value)} into a list of strings")
        for index, item in enumerate(value):
            if item is None or isinstance(item, dict | list):
                line = _line_of(value, index, self.line_of(key))
                raise ConfigError(
                    f"{self.filename}:{line}: {key}: cannot unmarshal {_describe(item)} into a string"
                )
        return tuple(_scalar_text(item) for item in value)

    def string_map(self, key: str) -> dict[str, str]:
        value = self.raw(key)
        if value is None:
            return {}
        if not isinstance(value, dict):
            raise self.field_error(key, f"cannot unmarshal {_describe(value)} into a map of strings")
        out: dict[str, str] = {}
        for name, item in value.items():
            if isinstance(item, dict | list) or not isinstance(name, str):
                line = _line_of(value, name, self.line_of(key))
                raise ConfigError(
                    f"{self.filename}:{line}: {key}: cannot unmarshal {_describe(item)} into a string"
                )
            out[name] = "" if item is None else _scalar_text(item)
        return out

    def section(self, key: str, what: str) -> ConfigNode | None:
        value = self.raw(key)
        if value is None:
            return None
        return ConfigNode(value, self.filename, what, self.line_of(key), self.directory)

    def sections(self, key: str, what: str, null_message: str = "") -> Iterator[ConfigNode]:
        """The mappings of a list; a null entry is an error (`null_message`, Prometheus's wording)."""
        value = self.raw(key)
        if value is None:
            return
        if not isinstance(value, list):
            raise self.field_error(key, f"cannot unmarshal {_describe(value)} into a list of {what}s")
        for index, item in enumerate(value):
            line = _line_of(value, index, self.line_of(key))
            if item is None:
                message = null_message or f"empty or null section in {key}"
                raise ConfigError(f"{self.filename}:{line}: {message}")
            yield ConfigNode(item, self.filename, what, line, self.directory)

    def refuse(self, *keys: str) -> None:
        """Fields Prometheus knows but Ember does not implement: an error naming them, never ignored."""
        for key in keys:
            if key in self.data:
                raise self.error(f'field "{key}" in {self.what} is not supported by Ember yet', key)

    def expect_only(self, known: Iterable[str]) -> None:
        """Refuses, before any value is checked, keys outside `known`, so a typo is reported rather than
        its consequences."""
        allowed = set(known)
        for key in self.data:
            if not (isinstance(key, str) and key in allowed):
                name = key if isinstance(key, str) else repr(key)
                raise self.error(f'field "{name}" not found in {self.what}', str(key))

    def finish(self) -> None:
        """Refuses every key no getter asked for."""
        for key in self.data:
            if key not in self.used:
                name = key if isinstance(key, str) else repr(key)
                raise self.error(f'field "{name}" not found in {self.what}', str(key))


def _scalar_text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _describe(value: object) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, bool):
        return f"boolean {_scalar_text(value)}"
    if isinstance(value, int | float):
        return f"number {value}"
    return f'string "{value}"'
