"""`ember check config FILE...`: validates configuration files and prints like `promtool check config`.

Besides loading each file, it checks what Prometheus's check does without running anything: explicitly
named rule files, credentials files and TLS files exist, and file SD patterns match something (a warning
only). Rule-file syntax is checked elsewhere.
"""

from __future__ import annotations

import glob
import os
import sys
from typing import TextIO

from ember.config.http_client import HTTPClientConfig
from ember.config.loader import load_config
from ember.config.prometheus import Config
from ember.errors import ConfigError
from ember.relabel import go_quote

SUCCESS_EXIT_CODE = 0
FAILURE_EXIT_CODE = 1


def check_config(paths: list[str], out: TextIO | None = None, err: TextIO | None = None) -> int:
    """Checks each file; returns promtool's exit code (0 when all are valid, 1 otherwise)."""
    out = out if out is not None else sys.stdout
    err = err if err is not None else sys.stderr
    failed = False
    for path in paths:
        print(f"Checking {path}", file=out)
        try:
            config = load_config(path)
            rule_files = _existing_rule_files(config)
            _check_referenced_files(config, out)
        except ConfigError as exc:
            print(f"  FAILED: {exc}", file=err)
            failed = True
        else:
            if rule_files:
                print(f"  SUCCESS: {len(rule_files)} rule files found", file=out)
            print(f" SUCCESS: {path} is valid prometheus config file syntax", file=out)
        print(file=out)
    return FAILURE_EXIT_CODE if failed else SUCCESS_EXIT_CODE


def _existing_rule_files(config: Config) -> list[str]:
    """The rule files the patterns name; an explicit (glob-free) name must exist."""
    found: list[str] = []
    for pattern in config.rule_files:
        matches = sorted(glob.glob(pattern))
        if "*" not in pattern:
            if not matches:
                raise ConfigError(f"{go_quote(pattern)} does not point to an existing file")
            if not os.path.isfile(matches[0]):
                raise ConfigError(f"error checking rule file {go_quote(matches[0])}: not a regular file")
        found.extend(matches)
    return found


def _check_referenced_files(config: Config, out: TextIO) -> None:
    for scrape in config.scrape_configs:
        _check_client_files(scrape.http_client_config)
        for file_sd in scrape.file_sd_configs:
            for pattern in file_sd.files:
                if not glob.glob(pattern):
                    print(
                        f"  WARNING: file {go_quote(pattern)} for file_sd in scrape job "
                        f"{go_quote(scrape.job_name)} does not exist",
                        file=out,
                    )
    for alertmanager in config.alerting_config.alertmanagers:
        _check_client_files(alertmanager.http_client_config)


def _check_client_files(client: HTTPClientConfig) -> None:
    authorization = client.authorization
    if authorization is not None and authorization.credentials_file:
        _require_file(
            authorization.credentials_file, "error checking authorization credentials or bearer token file"
        )
    tls = client.tls_config
    for path, what in ((tls.ca_file, "CA"), (tls.cert_file, "client cert"), (tls.key_file, "client key")):
        if path:
            _require_file(path, f"error checking {what} file")


def _require_file(path: str, message: str) -> None:
    if not os.path.exists(path):
        raise ConfigError(f"{message} {go_quote(path)}: stat {path}: no such file or directory")
