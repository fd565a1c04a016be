"""`ember test promql FILE...`: run Prometheus's PromQL test scripts."""

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


def run_test_promql(args: argparse.Namespace) -> int:
    from ember.promql.testscript.runner import default_storage, run_files
    from ember.testing.scratch_database import ScratchDatabase

    factory = ScratchDatabase if args.storage == "tsdb" else default_storage
    return run_files(list(args.files), out=sys.stdout, storage_factory=factory)
