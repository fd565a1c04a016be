"""`ember check config|rules|metrics`: validate files as `promtool check` does."""

from __future__ import annotations

import argparse
from typing import Any


def register(commands: Any) -> None:
    check = commands.add_parser("check", help="validate configuration and exposition").add_subparsers(
        dest="check_command", required=True
    )
    config = check.add_parser("config", help="check prometheus.yml files")
    config.add_argument("files", nargs="+")
    config.set_defaults(handler=run_check_config)
    rules = check.add_parser("rules", help="check rule files")
    rules.add_argument("files", nargs="+")
    rules.set_defaults(handler=run_check_rules)
    metrics = check.add_parser("metrics", help="check an exposition body read from standard input")
    metrics.add_argument("--format", choices=("text", "openmetrics"), default="text")
    metrics.set_defaults(handler=run_check_metrics)


def run_check_config(args: argparse.Namespace) -> int:
    from ember.config.check import check_config

    return check_config(list(args.files))


def run_check_rules(args: argparse.Namespace) -> int:
    import sys

    from ember.rules.check import check_rules

    return check_rules(list(args.files), sys.stdout, sys.stderr)


def run_check_metrics(args: argparse.Namespace) -> int:
    from ember.exposition.check import main

    return main(["--format", args.format])
