"""Relabelling: `relabel_configs`, `metric_relabel_configs`, `write_relabel_configs`, `alert_relabel_configs`.

Semantics follow Prometheus's `model/relabel`: regexes are Go RE2, fully anchored; `replacement` and a
`replace` action's `target_label` use Go's `$1` / `${name}` expansion; a rule that drops ends the chain.
Relabelling runs per target and per scraped series, so each rule memoises its regex work by input string
(bounded), and `relabel` returns the input `Labels` object itself when no rule changed anything.
"""

from __future__ import annotations

import enum
import functools
import hashlib
import itertools
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from ember.errors import ConfigError
from ember.model.go_regex import GoRegex, GoRegexError, compile_go_regex
from ember.model.labels import Labels, is_valid_label_name

DEFAULT_REGEX = "(.*)"
DEFAULT_REPLACEMENT = "$1"
DEFAULT_SEPARATOR = ";"
_MEMO_LIMIT = 16_384
# Prometheus's `relabelTargetLegacy`: a legacy label name in which `$var` / `${var}` may appear.
_LEGACY_NAME_WITH_VARIABLES = re.compile(r"(?:(?:[a-zA-Z_]|\$(?:\{\w+\}|\w+))+\w*)+", re.ASCII)


class Action(enum.StrEnum):
    """A relabelling action; YAML values are matched case-insensitively, as Prometheus does."""

    REPLACE = "replace"
    KEEP = "keep"
    DROP = "drop"
    KEEPEQUAL = "keepequal"
    DROPEQUAL = "dropequal"
    HASHMOD = "hashmod"
    LABELMAP = "labelmap"
    LABELDROP = "labeldrop"
    LABELKEEP = "labelkeep"
    LOWERCASE = "lowercase"
    UPPERCASE = "uppercase"


class NameValidation(enum.StrEnum):
    """Which label names are valid: any non-empty UTF-8 (Prometheus 3's default) or the legacy charset."""

    UTF8 = "utf8"
    LEGACY = "legacy"


def is_valid_name(name: str, scheme: NameValidation) -> bool:
    """Whether `name` is a valid label name under `scheme`."""
    if scheme is NameValidation.LEGACY:
        return is_valid_label_name(name)
    if not name:
        return False
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def go_quote(text: str) -> str:
    """Go's `%q` for the strings that appear in Prometheus's error messages."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


@dataclass(frozen=True)
class RelabelConfig:
    """One relabelling rule, with Prometheus's field names and defaults; validated when built."""

    source_labels: tuple[str, ...] = ()
    separator: str = DEFAULT_SEPARATOR
    target_label: str = ""
    regex: str = DEFAULT_REGEX
    modulus: int = 0
    replacement: str = DEFAULT_REPLACEMENT
    action: Action = Action.REPLACE
    name_validation_scheme: NameValidation = NameValidation.UTF8
    _compiled: GoRegex = field(init=False, repr=False, compare=False, hash=False)
    _match_memo: dict[str, object] = field(default_factory=dict, init=False, repr=False, compare=False)
    _result_memo: dict[str, object] = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        action = str(self.action).lower()
        if not action:
            raise ConfigError("relabel action cannot be empty")
        if action not in Action.__members__.values():
            raise ConfigError(f"unknown relabel action {go_quote(str(self.action))}")
        try:
            scheme = NameValidation(self.name_validation_scheme)
        except ValueError as exc:
            raise ConfigError(
                "unknown relabel config name validation method specified, must be either '', 'legacy' or "
                f"'utf8', got {self.name_validation_scheme}"
            ) from exc
        object.__setattr__(self, "action", Action(action))
        object.__setattr__(self, "name_validation_scheme", scheme)
        object.__setattr__(self, "source_labels", tuple(self.source_labels))
        try:
            object.__setattr__(self, "_compiled", compile_go_regex(self.regex))
        except GoRegexError as exc:
            raise ConfigError(str(exc)) from exc
        _validate(self)

    def source_value(self, values: dict[str, str]) -> str:
        """The source labels' values joined by the separator (absent labels count as "")."""
        names = self.source_labels
        if len(names) == 1:
            return values.get(names[0], "")
        return self.separator.join([values.get(name, "") for name in names])

    def matches(self, text: str) -> bool:
        """Whether the anchored regex matches `text`; memoised, since inputs repeat across scrapes."""
        memo = self._match_memo
        found = memo.get(text)
        if found is None:
            found = self._compiled.fullmatch(text) is not None
            _remember(memo, text, found)
        return found is True

    def _replaced(self, text: str) -> tuple[str, str] | None:
        """For `replace`: the (target name, value) `text` produces, or None when nothing is written."""
        memo = self._result_memo
        found = memo.get(text, _MISSING)
        if found is _MISSING:
            found = self._replace_uncached(text)
            _remember(memo, text, found)
        return found  # type: ignore[return-value]

    def _replace_uncached(self, text: str) -> tuple[str, str] | None:
        match = self._compiled.fullmatch(text)
        if match is None:
            return None
        target = self._compiled.expand(self.target_label, match)
        if not is_valid_name(target, self.name_validation_scheme):
            return None
        return target, self._compiled.expand(self.replacement, match)

    def _mapped_name(self, name: str) -> str | None:
        """For `labelmap`: the new name for label `name`, or None when the regex does not match it."""
        memo = self._result_memo
        found = memo.get(name, _MISSING)
        if found is _MISSING:
            match = self._compiled.fullmatch(name)
            found = None if match is None else self._compiled.expand(self.replacement, match)
            _remember(memo, name, found)
        return found  # type: ignore[return-value]


_MISSING = object()


def _remember(memo: dict[str, object], key: str, value: object) -> None:
    if len(memo) >= _MEMO_LIMIT:
        memo.clear()
    memo[key] = value


def _validate(cfg: RelabelConfig) -> None:
    """Prometheus's `relabel.Config.Validate`, with its messages."""
    action, target, scheme = cfg.action, cfg.target_label, cfg.name_validation_scheme
    needs_target = {
        Action.REPLACE,
        Action.HASHMOD,
        Action.LOWERCASE,
        Action.UPPERCASE,
        Action.KEEPEQUAL,
        Action.DROPEQUAL,
    }
    plain_target = {Action.LOWERCASE, Action.UPPERCASE, Action.KEEPEQUAL, Action.DROPEQUAL}
    if action is Action.HASHMOD and cfg.modulus == 0:
        raise ConfigError("relabel configuration for hashmod requires non-zero modulus")
    if cfg.modulus < 0:
        raise ConfigError(f"relabel modulus must not be negative, got {cfg.modulus}")
    if action in needs_target and target == "":
        raise ConfigError(f"relabel configuration for {action} action requires 'target_label' value")
    invalid_target = ConfigError(f"{go_quote(target)} is invalid 'target_label' for {action} action")
    if action is Action.REPLACE and not _valid_name_with_variables(target, scheme):
        raise invalid_target
    if action in plain_target | {Action.HASHMOD} and not is_valid_name(target, scheme):
        raise invalid_target
    if action in plain_target and cfg.replacement != DEFAULT_REPLACEMENT:
        raise ConfigError(f"'replacement' can not be set for {action} action")
    if action is Action.LABELMAP and not _valid_name_with_variables(cfg.replacement, scheme):
        raise ConfigError(f"{go_quote(cfg.replacement)} is invalid 'replacement' for {action} action")
    if action in (Action.KEEPEQUAL, Action.DROPEQUAL) and (
        cfg.regex != DEFAULT_REGEX or cfg.modulus != 0 or cfg.separator != DEFAULT_SEPARATOR
    ):
        raise ConfigError(
            f"{action} action requires only 'source_labels' and `target_label`, and no other fields"
        )
    if action in (Action.LABELDROP, Action.LABELKEEP) and (
        cfg.source_labels
        or target
        or cfg.modulus != 0
        or cfg.separator != DEFAULT_SEPARATOR
        or cfg.replacement != DEFAULT_REPLACEMENT
    ):
        raise ConfigError(f"{action} action requires only 'regex', and no other fields")


def _valid_name_with_variables(name: str, scheme: NameValidation) -> bool:
    if "$" not in name or scheme is NameValidation.UTF8:
        return is_valid_name(name, scheme)
    return _LEGACY_NAME_WITH_VARIABLES.fullmatch(name) is not None


class _LabelsBuilder:
    """Prometheus's `labels.Builder`: the order of `items()` (kept labels, then set ones in the order
    first set) matches Go's `Builder.Range`, which decides the winner when `labelmap` targets collide."""

    __slots__ = ("added", "changed", "values")

    def __init__(self, labels: Labels) -> None:
        flat = labels.flat
        self.values = dict(zip(flat[::2], flat[1::2], strict=True))
        self.added: set[str] = set()
        self.changed = False

    def set(self, name: str, value: str) -> None:
        if value == "":
            self.delete(name)
            return
        values = self.values
        if name not in self.added:
            values.pop(name, None)
            self.added.add(name)
        values[name] = value
        self.changed = True

    def delete(self, name: str) -> None:
        if name in self.values:
            del self.values[name]
            self.changed = True
        self.added.discard(name)


def _drop(cfg: RelabelConfig, builder: _LabelsBuilder) -> bool:
    return not cfg.matches(cfg.source_value(builder.values))


def _keep(cfg: RelabelConfig, builder: _LabelsBuilder) -> bool:
    return cfg.matches(cfg.source_value(builder.values))


def _dropequal(cfg: RelabelConfig, builder: _LabelsBuilder) -> bool:
    return builder.values.get(cfg.target_label, "") != cfg.source_value(builder.values)


def _keepequal(cfg: RelabelConfig, builder: _LabelsBuilder) -> bool:
    return builder.values.get(cfg.target_label, "") == cfg.source_value(builder.values)


def _replace(cfg: RelabelConfig, builder: _LabelsBuilder) -> bool:
    written = cfg._replaced(cfg.source_value(builder.values))
    if written is not None:
        builder.set(*written)
    return True


def _lowercase(cfg: RelabelConfig, builder: _LabelsBuilder) -> bool:
    builder.set(cfg.target_label, go_lower(cfg.source_value(builder.values)))
    return True


def _uppercase(cfg: RelabelConfig, builder: _LabelsBuilder) -> bool:
    builder.set(cfg.target_label, go_upper(cfg.source_value(builder.values)))
    return True


def _hashmod(cfg: RelabelConfig, builder: _LabelsBuilder) -> bool:
    builder.set(cfg.target_label, str(hashmod(cfg.source_value(builder.values), cfg.modulus)))
    return True


def _labelmap(cfg: RelabelConfig, builder: _LabelsBuilder) -> bool:
    for name, value in list(builder.values.items()):
        mapped = cfg._mapped_name(name)
        # Prometheus would set a label with an empty name here; Ember skips it.
        if mapped:
            builder.set(mapped, value)
    return True


def _labeldrop(cfg: RelabelConfig, builder: _LabelsBuilder) -> bool:
    for name in [name for name in builder.values if cfg.matches(name)]:
        builder.delete(name)
    return True


def _labelkeep(cfg: RelabelConfig, builder: _LabelsBuilder) -> bool:
    for name in [name for name in builder.values if not cfg.matches(name)]:
        builder.delete(name)
    return True


_ACTIONS: dict[Action, Callable[[RelabelConfig, _LabelsBuilder], bool]] = {
    Action.DROP: _drop,
    Action.KEEP: _keep,
    Action.DROPEQUAL: _dropequal,
    Action.KEEPEQUAL: _keepequal,
    Action.REPLACE: _replace,
    Action.LOWERCASE: _lowercase,
    Action.UPPERCASE: _uppercase,
    Action.HASHMOD: _hashmod,
    Action.LABELMAP: _labelmap,
    Action.LABELDROP: _labeldrop,
    Action.LABELKEEP: _labelkeep,
}


def hashmod(value: str, modulus: int) -> int:
    """Prometheus's hashmod: the last 8 bytes of md5(value), big-endian, modulo `modulus`."""
    digest = hashlib.md5(value.encode("utf-8")).digest()
    return int.from_bytes(digest[8:], "big") % modulus


def go_lower(text: str) -> str:
    """Go's `strings.ToLower`: per-character simple case mapping (Python's `lower` may lengthen text)."""
    if text.isascii():
        return text.lower()
    return "".join(low if len(low := char.lower()) == 1 else char for char in text)


def go_upper(text: str) -> str:
    """Go's `strings.ToUpper` (simple case mapping: `ß` stays `ß`)."""
    if text.isascii():
        return text.upper()
    return "".join(up if len(up := char.upper()) == 1 else char for char in text)


def relabel(labels: Labels, configs: Sequence[RelabelConfig]) -> Labels | None:
    """Applies `configs` in order; None when a rule drops the label set. Unchanged input is returned as is."""
    if not configs:
        return labels
    builder = _LabelsBuilder(labels)
    for cfg in configs:
        if not _ACTIONS[cfg.action](cfg, builder):
            return None
    if not builder.changed:
        return labels
    # The builder holds unique names and no empty values, so the sorted pairs are a valid flat label set.
    flat = tuple(itertools.chain.from_iterable(sorted(builder.values.items())))
    return Labels._from_sorted_flat(flat)


def relabel_many(labels_list: Iterable[Labels], configs: Sequence[RelabelConfig]) -> list[Labels | None]:
    """`relabel` over many label sets. Results are remembered per rule list across calls (bounded), since
    a target's series repeat every scrape; repeated label sets are relabelled once."""
    if not configs:
        return list(labels_list)
    return _shared_cache(tuple(configs)).relabel_many(labels_list)


class RelabelCache:
    """Relabelling results by input label set for one rule list; cleared when it reaches `max_entries`."""

    def __init__(self, configs: Sequence[RelabelConfig], max_entries: int = 50_000) -> None:
        self.configs = tuple(configs)
        self.max_entries = max_entries
        self._results: dict[Labels, Labels | None] = {}

    def relabel(self, labels: Labels) -> Labels | None:
        results = self._results
        if labels in results:
            return results[labels]
        result = relabel(labels, self.configs)
        if len(results) >= self.max_entries:
            results.clear()
        results[labels] = result
        return result

    def relabel_many(self, labels_list: Iterable[Labels]) -> list[Labels | None]:
        results = self._results
        found = results.get
        out: list[Labels | None] = []
        for labels in labels_list:
            result = found(labels, _MISSING)
            out.append(self.relabel(labels) if result is _MISSING else result)  # type: ignore[arg-type]
        return out


@functools.lru_cache(maxsize=32)
def _shared_cache(configs: tuple[RelabelConfig, ...]) -> RelabelCache:
    return RelabelCache(configs)
