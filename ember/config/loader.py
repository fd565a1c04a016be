"""Loading `prometheus.yml`: `load_config(path)` and `load_config_text(text, filename)`.

The file is parsed once with line information and validated section by section into the frozen
dataclasses of `ember.config.prometheus`; any problem is a `ConfigError` naming the file, the line and
the field. Relative paths (rule files, scrape config files, TLS and password files, file SD) are taken
from the configuration file's directory, as Prometheus does.
"""

from __future__ import annotations

import glob
import os
import re

from ember.config.outbound_sections import read_alerting, read_remote_read, read_remote_write
from ember.config.prometheus import Config, GlobalConfig, ScrapeConfig
from ember.config.scrape_sections import read_global, read_scrape_config
from ember.config.yaml_nodes import ConfigNode, join_dir, parse_yaml
from ember.errors import ConfigError
from ember.relabel import go_quote

# Prometheus's `patRulePath`: at most one `*`, and only in the last path element.
_GLOB_PATH = re.compile(r"[^*]*(\*[^/]*)?")
_TOP_LEVEL = (
    "global",
    "alerting",
    "rule_files",
    "scrape_config_files",
    "scrape_configs",
    "remote_write",
    "remote_read",
)
_TOP_LEVEL_UNSUPPORTED = ("runtime", "storage", "tracing", "otlp")


def load_config(path: str) -> Config:
    """Reads and validates the configuration file at `path`, including its `scrape_config_files`."""
    text = _read_text(path)
    return load_config_text(text, path, directory=os.path.dirname(path) or ".")


def load_config_text(text: str, filename: str = "prometheus.yml", directory: str | None = None) -> Config:
    """Validates configuration text; `filename` is used in messages. With a `directory`, relative paths
    are joined to it and `scrape_config_files` are read; without one, paths stay as written."""
    root = ConfigNode.root(parse_yaml(text, filename), filename, "config", directory)
    root.expect_only(_TOP_LEVEL + _TOP_LEVEL_UNSUPPORTED)
    for key in _TOP_LEVEL_UNSUPPORTED:
        if root.has(key):
            raise root.error(f'section "{key}" is not supported by Ember yet', key)
        root.raw(key)
    global_config = read_global(root.section("global", "global config"))
    rule_files = _glob_patterns(root, "rule_files", "rule file")
    scrape_config_files = _glob_patterns(root, "scrape_config_files", "scrape config file")
    scrape_configs = [
        read_scrape_config(item, global_config)
        for item in root.sections("scrape_configs", "scrape config", "empty or null scrape config section")
    ]
    _check_unique_jobs(root, scrape_configs)
    scheme = global_config.metric_name_validation_scheme
    alerting = read_alerting(root.section("alerting", "alerting config"), scheme)
    remote_write = [
        read_remote_write(item, scheme)
        for item in root.sections(
            "remote_write", "remote write config", "empty or null remote write config section"
        )
    ]
    remote_read = [
        read_remote_read(item)
        for item in root.sections(
            "remote_read", "remote read config", "empty or null remote read config section"
        )
    ]
    _check_unique_names(root, "remote_write", "remote write", [c.name for c in remote_write])
    _check_unique_names(root, "remote_read", "remote read", [c.name for c in remote_read])
    root.finish()
    if directory is not None:
        scrape_configs += _read_scrape_config_files(scrape_config_files, global_config, scrape_configs)
    return Config(
        global_config=global_config,
        alerting_config=alerting,
        rule_files=rule_files,
        scrape_config_files=scrape_config_files,
        scrape_configs=tuple(scrape_configs),
        remote_write_configs=tuple(remote_write),
        remote_read_configs=tuple(remote_read),
        source=filename if directory is not None else "",
    )


def _read_text(path: str) -> str:
    try:
        with open(path, encoding="utf-8") as file:
            return file.read()
    except OSError as exc:
        raise ConfigError(f"open {path}: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not valid UTF-8 text at byte {exc.start}") from exc


def _glob_patterns(root: ConfigNode, key: str, what: str) -> tuple[str, ...]:
    patterns = root.string_list(key)
    for pattern in patterns:
        if _GLOB_PATH.fullmatch(pattern) is None:
            raise root.error(f"invalid {what} path {go_quote(pattern)}", key)
    return tuple(join_dir(root.directory, pattern) for pattern in patterns)


def _check_unique_jobs(root: ConfigNode, scrape_configs: list[ScrapeConfig]) -> None:
    seen: set[str] = set()
    for scrape in scrape_configs:
        if scrape.job_name in seen:
            raise root.error(
                f"found multiple scrape configs with job name {go_quote(scrape.job_name)}", "scrape_configs"
            )
        seen.add(scrape.job_name)


def _check_unique_names(root: ConfigNode, key: str, what: str, names: list[str]) -> None:
    seen: set[str] = set()
    for name in names:
        # Unnamed entries are told apart later, by a hash of their settings (as in Prometheus).
        if name and name in seen:
            raise root.error(f"found multiple {what} configs with job name {go_quote(name)}", key)
        seen.add(name)


def _read_scrape_config_files(
    patterns: tuple[str, ...], global_config: GlobalConfig, main: list[ScrapeConfig]
) -> list[ScrapeConfig]:
    """Prometheus's `GetScrapeConfigs`: each matching file holds only `scrape_configs`; job names stay
    unique across all files."""
    first_seen = {scrape.job_name: "main config file" for scrape in main}
    found: list[ScrapeConfig] = []
    for pattern in patterns:
        for filename in sorted(glob.glob(pattern)):
            text = _read_text(filename)
            root = ConfigNode.root(
                parse_yaml(text, filename), filename, "scrape config file", os.path.dirname(filename) or "."
            )
            for item in root.sections(
                "scrape_configs", "scrape config", "empty or null scrape config section"
            ):
                scrape = read_scrape_config(item, global_config)
                if scrape.job_name in first_seen:
                    raise item.error(
                        f"found multiple scrape configs with job name {go_quote(scrape.job_name)}, "
                        f"first found in {first_seen[scrape.job_name]}",
                        "job_name",
                    )
                first_seen[scrape.job_name] = go_quote(os.path.abspath(filename))
                found.append(scrape)
            root.finish()
    return found
