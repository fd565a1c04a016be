from __future__ import annotations

import pytest

from ember.config.loader import load_config_text
from ember.config.prometheus import ScrapeConfig
from ember.errors import ConfigError
from ember.model.labels import Labels


def scrape(text: str) -> ScrapeConfig:
    return load_config_text(
        f"scrape_configs:\n  - job_name: j\n{text}", directory="/etc/ember"
    ).scrape_configs[0]


def test_static_groups_keep_their_labels() -> None:
    config = scrape(
        "    static_configs:\n      - targets: [a:1, b:2]\n        labels: {env: prod}\n"
        "      - targets: [c:3]\n"
    )
    assert [g.targets for g in config.static_configs] == [("a:1", "b:2"), ("c:3",)]
    assert config.static_configs[0].labels == Labels([("env", "prod")])
    assert config.static_configs[1].labels == Labels()


def test_file_sd_defaults_and_relative_paths() -> None:
    config = scrape("    file_sd_configs:\n      - files: [targets/*.json, /abs/t.yml]\n")
    assert config.file_sd_configs[0].files == ("/etc/ember/targets/*.json", "/abs/t.yml")
    assert config.file_sd_configs[0].refresh_interval == 300_000


def test_http_sd_defaults() -> None:
    sd = scrape("    http_sd_configs:\n      - url: https://sd/\n").http_sd_configs[0]
    assert (sd.url, sd.refresh_interval, sd.http_client_config.follow_redirects) == (
        "https://sd/",
        60_000,
        True,
    )


ERRORS = [
    ("    consul_sd_configs:\n      - server: x\n", "consul_sd_configs is not supported by Ember yet"),
    ("    ec2_sd_configs: []\n", "ec2_sd_configs is not supported by Ember yet"),
    ("    consult_sd_configs: []\n", 'field "consult_sd_configs" not found in scrape config'),
    (
        "    static_configs:\n      - targets: [a]\n        lables: {}\n",
        'field "lables" not found in static_config',
    ),
    ("    static_configs:\n      -\n", "empty or null section in static_configs"),
    ("    file_sd_configs:\n      - files: []\n", "must contain at least one path name"),
    ("    file_sd_configs:\n      - files: [t.txt]\n", 'path name "t.txt" is not valid for file discovery'),
    ("    file_sd_configs:\n      - files: [a*/t.json]\n", "is not valid for file discovery"),
    ("    http_sd_configs:\n      - refresh_interval: 1m\n", "URL is missing"),
    ("    http_sd_configs:\n      - url: ftp://x/\n", "URL scheme must be 'http' or 'https'"),
    ("    http_sd_configs:\n      - url: http:///x\n", "host is missing in URL"),
    (
        "    http_sd_configs:\n      - url: http://x/\n        urll: y\n",
        'field "urll" not found in http_sd_config',
    ),
    ("    static_configs:\n      - targets: [a]\n        labels: {'': x}\n", '"" is not a valid label name'),
]


@pytest.mark.parametrize(("text", "message"), ERRORS)
def test_discovery_errors(text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=r"prometheus\.yml:\d+: ") as caught:
        scrape(text)
    assert message in str(caught.value)


def test_error_points_at_the_entry_line() -> None:
    with pytest.raises(ConfigError, match=r"^prometheus.yml:6: "):
        scrape("    static_configs:\n      - targets: [a]\n      - targets: [b]\n        bogus: 1\n")
