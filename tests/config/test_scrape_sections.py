from __future__ import annotations

import pytest

from ember.config.loader import load_config_text
from ember.config.prometheus import DEFAULT_SCRAPE_PROTOCOLS, ScrapeConfig
from ember.config.scrape_sections import expand_environment
from ember.errors import ConfigError
from ember.relabel import NameValidation


def scrape(text: str, global_text: str = "") -> ScrapeConfig:
    head = f"global:\n{global_text}" if global_text else ""
    return load_config_text(f"{head}scrape_configs:\n  - job_name: j\n{text}").scrape_configs[0]


def test_limits_and_intervals_inherit_from_global() -> None:
    global_text = (
        "  scrape_interval: 20s\n  scrape_timeout: 15s\n  sample_limit: 10\n  label_limit: 5\n"
        "  label_name_length_limit: 6\n  label_value_length_limit: 7\n  target_limit: 8\n"
        "  body_size_limit: 1KB\n  keep_dropped_targets: 9\n  scrape_protocols: [PrometheusText0.0.4]\n"
    )
    inherited = scrape("", global_text)
    assert (inherited.scrape_interval, inherited.scrape_timeout) == (20_000, 15_000)
    assert (
        inherited.sample_limit,
        inherited.label_limit,
        inherited.label_name_length_limit,
        inherited.label_value_length_limit,
        inherited.target_limit,
        inherited.body_size_limit,
        inherited.keep_dropped_targets,
    ) == (10, 5, 6, 7, 8, 1024, 9)
    assert inherited.scrape_protocols == ("PrometheusText0.0.4",)
    own = scrape(
        "    sample_limit: 99\n    scrape_interval: 10s\n    scrape_protocols: [OpenMetricsText1.0.0]\n",
        global_text,
    )
    assert (own.sample_limit, own.scrape_interval, own.scrape_timeout) == (99, 10_000, 10_000)
    assert own.scrape_protocols == ("OpenMetricsText1.0.0",)


def test_timeout_defaults_to_the_smaller_of_global_timeout_and_interval() -> None:
    assert scrape("    scrape_interval: 5s\n").scrape_timeout == 5000
    assert scrape("    scrape_interval: 2m\n").scrape_timeout == 10_000
    assert scrape("", "  scrape_interval: 3s\n").scrape_timeout == 3000


def test_booleans_and_their_defaults() -> None:
    defaults = scrape("")
    assert (
        defaults.honor_labels,
        defaults.honor_timestamps,
        defaults.track_timestamps_staleness,
        defaults.enable_compression,
    ) == (False, True, False, True)
    flipped = scrape(
        "    honor_labels: true\n    honor_timestamps: false\n    track_timestamps_staleness: true\n"
        "    enable_compression: false\n"
    )
    assert (
        flipped.honor_labels,
        flipped.honor_timestamps,
        flipped.track_timestamps_staleness,
        flipped.enable_compression,
    ) == (True, False, True, False)
    assert defaults.scrape_protocols == DEFAULT_SCRAPE_PROTOCOLS


def test_validation_scheme_and_escaping() -> None:
    legacy = scrape("    metric_name_validation_scheme: legacy\n")
    assert legacy.metric_name_validation_scheme is NameValidation.LEGACY
    assert legacy.metric_name_escaping_scheme == "underscores"
    inherited = scrape("", "  metric_name_validation_scheme: legacy\n")
    assert inherited.metric_name_escaping_scheme == "underscores"
    dots = scrape("    metric_name_escaping_scheme: dots\n")
    assert dots.metric_name_escaping_scheme == "dots"


ERRORS = [
    ("    scrape_protocols: []\n", "scrape_protocols cannot be empty"),
    ("    scrape_protocols: [Foo]\n", "unknown scrape protocol Foo"),
    ("    scrape_protocols: [PrometheusProto, prometheusproto]\n", "duplicated protocol"),
    (
        "    fallback_scrape_protocol: Nope\n",
        'invalid fallback_scrape_protocol for scrape config with job name "j"',
    ),
    ("    metric_name_validation_scheme: ascii\n", "must be either '', 'legacy' or 'utf8', got ascii"),
    ("    metric_name_escaping_scheme: weird\n", "unknown scrape config name escaping method"),
    (
        "    metric_name_validation_scheme: legacy\n    metric_name_escaping_scheme: allow-utf-8\n",
        "utf8 metric names requested but validation scheme is not set to UTF8",
    ),
    (
        "    scrape_native_histograms: true\n",
        'field "scrape_native_histograms" in scrape config is not supported',
    ),
    ("    native_histogram_bucket_limit: 10\n", "not supported by Ember yet"),
    ("    scheme: ftp\n", 'scheme: must be http or https, got "ftp"'),
    ("    sample_limit: -1\n", "sample_limit: must be at least 0"),
    ("    honor_labels: maybe\n", 'honor_labels: cannot unmarshal string "maybe" into a boolean'),
    ("    body_size_limit: 100\n", "body_size_limit: units: unknown unit"),
    ("    params: {a: b}\n", "a: cannot unmarshal"),
    (
        "    static_configs:\n      - targets: ['http://x:80/metrics']\n",
        '"http://x:80/metrics" is not a valid hostname',
    ),
]


@pytest.mark.parametrize(("text", "message"), ERRORS)
def test_scrape_errors(text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=r"prometheus\.yml:\d+: ") as caught:
        scrape(text)
    assert message in str(caught.value)


def test_url_targets_are_fine_with_relabelling() -> None:
    config = scrape(
        "    static_configs:\n      - targets: ['http://x/']\n    relabel_configs:\n"
        "      - target_label: a\n        replacement: b\n"
    )
    assert config.static_configs[0].targets == ("http://x/",)


def test_typo_wins_over_its_consequences() -> None:
    with pytest.raises(ConfigError, match='field "scrape_intervall" not found in scrape config'):
        scrape("    scrape_intervall: 5m\n    scrape_timeout: 2m\n")


def test_external_labels_expand_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EMBER_REGION", "eu")
    monkeypatch.delenv("EMBER_UNSET", raising=False)
    assert expand_environment("$EMBER_REGION-${EMBER_REGION}-$$-$EMBER_UNSET.") == "eu-eu-$-."
    config = load_config_text("global:\n  external_labels:\n    region: $EMBER_REGION\n")
    assert config.global_config.external_labels.get("region") == "eu"


def test_external_label_names_follow_the_validation_scheme() -> None:
    assert load_config_text("global:\n  external_labels:\n    a-b: c\n").global_config.external_labels.get(
        "a-b"
    )
    with pytest.raises(ConfigError, match='"a-b" is not a valid label name'):
        load_config_text("global:\n  metric_name_validation_scheme: legacy\n  external_labels:\n    a-b: c\n")
