"""`ember test promql|rules FILE...`: PromQL test scripts and rule unit tests, as promtool runs them."""

from __future__ import annotations

import argparse
import sys
from typing import Any


def register(commands: Any) -> None:
    test = commands.add_parser("test", help="run test scripts").add_subparsers(dest="test_command", required=True)
    promql = test.add_parser("promql", help="run PromQL test scripts (Prometheus's promqltest format)")
    promql.add_argument("files", nargs="+")
    promql.add_argument("--storage", choices=("tsdb", "reference"), default="tsdb",
                        help="load the scripts' data into Ember's TSDB (default) or the plain reference storage")
    promql.set_defaults(handler=run_test_promql)
    rules = test.add_parser("rules", help="run rule unit tests (promtool's test rules format)")
    rules.add_argument("files", nargs="+")
    rules.add_argument("--run", default=None, help="only test groups whose name matches this regular expression")
    rules.set_defaults(handler=run_test_rules)


def run_test_promql(args: argparse.Namespace) -> int:
    from ember.promql.testscript.runner import default_storage, run_files
    from ember.testing.scratch_database import ScratchDatabase

    factory = ScratchDatabase if args.storage == "tsdb" else default_storage
    return run_files(list(args.files), out=sys.stdout, storage_factory=factory)


def run_test_rules(args: argparse.Namespace) -> int:
    from ember.rules.unit_test import run_rule_tests

    return run_rule_tests(list(args.files), out=sys.stdout, run=args.run)
