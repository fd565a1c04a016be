"""Reading lists of relabelling rules (`relabel_configs`, `metric_relabel_configs`, ...) into
`ember.relabel.RelabelConfig`, with each rule's errors pointing at its line."""

from __future__ import annotations

from ember.config.yaml_nodes import ConfigNode
from ember.errors import ConfigError
from ember.relabel import (
    DEFAULT_REGEX,
    DEFAULT_REPLACEMENT,
    DEFAULT_SEPARATOR,
    NameValidation,
    RelabelConfig,
    go_quote,
    is_valid_name,
)


def read_relabel_configs(
    node: ConfigNode, key: str, scheme: NameValidation, null_message: str
) -> tuple[RelabelConfig, ...]:
    """The rules listed under `key` (empty when absent); a null rule is an error saying `null_message`."""
    return tuple(_read_rule(item, scheme) for item in node.sections(key, "relabel config", null_message))


def _read_rule(node: ConfigNode, scheme: NameValidation) -> RelabelConfig:
    source_labels = node.string_list("source_labels")
    for name in source_labels:
        if not is_valid_name(name, NameValidation.UTF8):
            raise node.error(f"{go_quote(name)} is not a valid label name", "source_labels")
    regex = _text(node, "regex", DEFAULT_REGEX)
    separator = _text(node, "separator", DEFAULT_SEPARATOR)
    target_label = _text(node, "target_label", "")
    modulus = node.uint("modulus")
    replacement = _text(node, "replacement", DEFAULT_REPLACEMENT)
    action = _text(node, "action", "replace")
    node.finish()
    try:
        return RelabelConfig(
            source_labels=source_labels,
            separator=separator,
            target_label=target_label,
            regex=regex,
            modulus=modulus,
            replacement=replacement,
            action=action,  # type: ignore[arg-type]
            name_validation_scheme=scheme,
        )
    except ConfigError as exc:
        key = "regex" if "regexp" in str(exc) else _blamed_field(str(exc))
        raise node.error(str(exc), key if key in node.data else None) from exc


def _text(node: ConfigNode, key: str, default: str) -> str:
    """A key written with no value is "" here, not the default: Go's YAML decoder zeroes the field."""
    return node.string(key, "" if key in node.data else default)


def _blamed_field(message: str) -> str:
    for key in ("modulus", "target_label", "replacement", "action"):
        if key in message:
            return key
    return "action"
