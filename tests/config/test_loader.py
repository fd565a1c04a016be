from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from ember.config.loader import load_config, load_config_text
from ember.config.prometheus import DEFAULT_SCRAPE_PROTOCOLS, Config
from ember.errors import ConfigError
from ember.model.labels import Labels
from ember.relabel import Action, relabel

FIXTURES = Path(__file__).parent / "fixtures"


def test_realistic_file(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EMBER_TEST_REPLICA", "r7")
    config = load_config(str(FIXTURES / "full.yml"))
    directory = str(FIXTURES)
    glob_ = config.global_config
    assert (glob_.scrape_interval, glob_.scrape_timeout, glob_.evaluation_interval) == (
        15_000,
        10_000,
        30_000,
    )
    assert glob_.external_labels == Labels([("cluster", "eu-1"), ("replica", "r7")])
    assert glob_.body_size_limit == 10 * 1024 * 1024
    assert glob_.query_log_file == os.path.join(directory, "logs/queries.log")
    assert config.rule_files == (
        os.path.join(directory, "rules/recording.yml"),
        os.path.join(directory, "rules/*.rules.yml"),
    )
    assert [s.job_name for s in config.scrape_configs] == ["prometheus", "node", "discovered", "extra-job"]
    node = config.scrape_config("node")
    assert node is not None
    assert (node.scrape_interval, node.scrape_timeout, node.metrics_path, node.scheme) == (
        30_000,
        20_000,
        "/probe",
        "https",
    )
    assert node.params["module"] == ("http_2xx",)
    assert node.sample_limit == 5000  # from global
    assert node.label_limit == 30
    assert node.http_client_config.basic_auth is not None
    assert node.http_client_config.basic_auth.password_file == os.path.join(directory, "secrets/node.pass")
    assert node.http_client_config.tls_config.min_version == "TLS12"
    assert node.file_sd_configs[0].files == (os.path.join(directory, "targets/*.json"),)
    assert [r.action for r in node.relabel_configs] == [Action.REPLACE, Action.HASHMOD, Action.KEEP]
    assert relabel(Labels([("__name__", "go_gc")]), node.metric_relabel_configs) is None
    discovered = config.scrape_config("discovered")
    assert discovered is not None
    sd = discovered.http_sd_configs[0]
    assert (sd.url, sd.refresh_interval) == ("http://sd.example.com/targets", 120_000)
    assert sd.http_client_config.authorization is not None
    assert sd.http_client_config.authorization.credentials == "secret-token"
    legacy = discovered.http_client_config.authorization
    assert legacy is not None and legacy.type == "Bearer"
    assert legacy.credentials_file == os.path.join(directory, "secrets/token")
    alertmanager = config.alerting_config.alertmanagers[0]
    assert (alertmanager.timeout, alertmanager.path_prefix, alertmanager.api_version) == (5000, "/am", "v2")
    assert alertmanager.static_configs[0].targets == ("alertmanager:9093",)
    write = config.remote_write_configs[0]
    assert (write.name, write.queue_config.max_shards, write.queue_config.capacity) == ("long-term", 10, 2500)
    assert write.queue_config.min_shards == 1
    assert write.metadata_config.send is False
    assert write.http_client_config.enable_http2 is False
    read = config.remote_read_configs[0]
    assert read.read_recent and read.required_matchers == Labels([("team", "a")])
    assert config.source == str(FIXTURES / "full.yml")


def test_secrets_stay_out_of_repr() -> None:
    config = load_config(str(FIXTURES / "full.yml"))
    assert "secret-token" not in repr(config)


def test_minimal_file_gets_prometheus_defaults() -> None:
    config = load_config(str(FIXTURES / "minimal.yml"))
    scrape = config.scrape_configs[0]
    assert (scrape.scrape_interval, scrape.scrape_timeout) == (60_000, 10_000)
    assert (scrape.metrics_path, scrape.scheme, scrape.honor_labels, scrape.honor_timestamps) == (
        "/metrics",
        "http",
        False,
        True,
    )
    assert scrape.enable_compression and scrape.http_client_config.follow_redirects
    assert scrape.http_client_config.enable_http2
    assert scrape.scrape_protocols == DEFAULT_SCRAPE_PROTOCOLS
    assert scrape.metric_name_escaping_scheme == "allow-utf-8"
    assert config.global_config.evaluation_interval == 60_000


@pytest.mark.parametrize("text", ["", "# nothing\n", "global:\n", "global: {}\n"])
def test_empty_files_are_defaults(text: str) -> None:
    assert load_config_text(text) == Config()


def test_typo_names_file_line_and_field() -> None:
    path = str(FIXTURES / "typo.yml")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert str(caught.value) == f'{path}:10: field "scrape_intervall" not found in scrape config'


def test_unsupported_discovery_is_named() -> None:
    with pytest.raises(
        ConfigError, match=r"kubernetes\.yml:3: kubernetes_sd_configs is not supported by Ember yet"
    ):
        load_config(str(FIXTURES / "kubernetes.yml"))


def test_missing_file() -> None:
    with pytest.raises(ConfigError, match=r"open .*nope\.yml: No such file"):
        load_config(str(FIXTURES / "nope.yml"))


ERROR_CASES = [
    (
        "scrape_configs:\n  - job_name: a\n    scrape_timeout: 2m\n",
        'prometheus.yml:3: scrape timeout greater than scrape interval for scrape config with job name "a"',
    ),
    (
        "global:\n  scrape_interval: 5s\n  scrape_timeout: 6s\n",
        "prometheus.yml:3: global scrape timeout greater",
    ),
    (
        "global:\n  scrape_interval: 5x\n",
        'prometheus.yml:2: scrape_interval: unknown unit "x" in duration "5x"',
    ),
    (
        "scrape_configs:\n  - job_name: a\n  - job_name: a\n",
        'found multiple scrape configs with job name "a"',
    ),
    ("scrape_configs:\n  - scrape_interval: 1m\n", "prometheus.yml:2: job_name is empty"),
    ("rule_files: ['a/*/b.yml']\n", 'prometheus.yml:1: invalid rule file path "a/*/b.yml"'),
    ("scrape_config_files: ['d*/j.yml']\n", 'invalid scrape config file path "d*/j.yml"'),
    ("storage:\n  tsdb: {}\n", 'prometheus.yml:1: section "storage" is not supported by Ember yet'),
    ("scrape_configz: []\n", 'prometheus.yml:1: field "scrape_configz" not found in config'),
    (
        "remote_write:\n  - url: http://a/\n    name: x\n  - url: http://b/\n    name: x\n",
        'found multiple remote write configs with job name "x"',
    ),
    ("remote_write:\n  - name: x\n", "prometheus.yml:2: url for remote_write is empty"),
    ("remote_read:\n  - url: ''\n", "url for remote_read is empty"),
    ("scrape_configs:\n  -\n", "prometheus.yml:2: empty or null scrape config section"),
    ("remote_write:\n  -\n", "prometheus.yml:2: empty or null remote write config section"),
    (
        "alerting:\n  alertmanagers:\n    - relabel_configs: [null]\n",
        "empty or null Alertmanager target relabeling",
    ),
]


@pytest.mark.parametrize(("text", "message"), ERROR_CASES)
def test_errors(text: str, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config_text(text)
    assert message in str(caught.value)


def test_scrape_config_files_share_job_names(tmp_path: Path) -> None:
    (tmp_path / "jobs").mkdir()
    (tmp_path / "jobs" / "a.yml").write_text("scrape_configs:\n  - job_name: main\n")
    (tmp_path / "main.yml").write_text(
        "scrape_config_files: [jobs/*.yml]\nscrape_configs:\n  - job_name: main\n"
    )
    with pytest.raises(
        ConfigError,
        match=re.escape(
            'a.yml:2: found multiple scrape configs with job name "main", first found in main config file'
        ),
    ):
        load_config(str(tmp_path / "main.yml"))


def test_scrape_config_files_inherit_global(tmp_path: Path) -> None:
    (tmp_path / "b.yml").write_text(
        "scrape_configs:\n  - job_name: b\n    tls_config:\n      ca_file: ca.pem\n"
    )
    (tmp_path / "main.yml").write_text("global:\n  scrape_interval: 7s\nscrape_config_files: [b.yml]\n")
    scrape = load_config(str(tmp_path / "main.yml")).scrape_configs[0]
    assert scrape.scrape_interval == 7000 and scrape.scrape_timeout == 7000
    assert scrape.http_client_config.tls_config.ca_file == str(tmp_path / "ca.pem")


def test_scrape_config_file_refuses_other_sections(tmp_path: Path) -> None:
    (tmp_path / "b.yml").write_text("global: {}\n")
    (tmp_path / "main.yml").write_text("scrape_config_files: [b.yml]\n")
    message = 'b.yml:1: field "global" not found in scrape config file'
    with pytest.raises(ConfigError, match=re.escape(message)):
        load_config(str(tmp_path / "main.yml"))


def test_text_keeps_relative_paths() -> None:
    config = load_config_text("rule_files: [rules.yml]\n", "inline.yml")
    assert config.rule_files == ("rules.yml",)
    assert config.source == ""
