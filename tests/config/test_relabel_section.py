from __future__ import annotations

import pytest

from ember.config.loader import load_config_text
from ember.errors import ConfigError
from ember.relabel import Action, NameValidation, RelabelConfig


def rules(text: str, scheme_line: str = "") -> tuple[RelabelConfig, ...]:
    config = load_config_text(f"scrape_configs:\n  - job_name: j\n{scheme_line}    relabel_configs:\n{text}")
    return config.scrape_configs[0].relabel_configs


def test_defaults() -> None:
    (cfg,) = rules("      - target_label: x\n")
    assert (cfg.action, cfg.regex, cfg.separator, cfg.replacement, cfg.source_labels) == (
        Action.REPLACE,
        "(.*)",
        ";",
        "$1",
        (),
    )


def test_explicit_empty_regex_is_empty() -> None:
    (cfg,) = rules("      - target_label: x\n        regex:\n")
    assert cfg.regex == ""


def test_scrape_validation_scheme_reaches_the_rules() -> None:
    (cfg,) = rules("      - target_label: x\n", "    metric_name_validation_scheme: legacy\n")
    assert cfg.name_validation_scheme is NameValidation.LEGACY


ERRORS = [
    (
        "      - action: hashmod\n        target_label: h\n",
        "prometheus.yml:4: relabel configuration for hashmod requires non-zero modulus",
    ),
    (
        "      - target_label: x\n        regex: '(a)\\1'\n",
        "prometheus.yml:5: error parsing regexp: invalid escape",
    ),
    ("      - action: frobnicate\n", 'prometheus.yml:4: unknown relabel action "frobnicate"'),
    (
        "      - target_label: x\n        sourcelabels: [a]\n",
        'prometheus.yml:5: field "sourcelabels" not found in relabel config',
    ),
    ("      - source_labels: a\n        action: drop\n", "source_labels: cannot unmarshal string"),
    ("      - source_labels: ['']\n        action: drop\n", '"" is not a valid label name'),
    ("      - target_label: x\n        modulus: -1\n", "modulus: must be at least 0"),
    ("      -\n", "empty or null target relabeling rule in scrape config"),
]


@pytest.mark.parametrize(("text", "message"), ERRORS)
def test_rule_errors_name_the_line(text: str, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        rules(text)
    assert message in str(caught.value)


def test_keys_without_values_are_empty_as_in_go() -> None:
    (cfg,) = rules("      - target_label: x\n        separator:\n        replacement:\n")
    assert (cfg.separator, cfg.replacement) == ("", "")
    with pytest.raises(ConfigError, match=r"prometheus\.yml:4: relabel action cannot be empty"):
        rules("      - action:\n        target_label: x\n")
