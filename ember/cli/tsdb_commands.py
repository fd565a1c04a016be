"""`ember tsdb stats|analyze|dump|import`: offline tools for a data directory (like promtool tsdb)."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from ember.storage.interface import MAX_TIME, MIN_TIME
from ember.timeutil import to_millis


def register(commands: Any) -> None:
    tsdb = commands.add_parser("tsdb", help="tools for a TSDB data directory").add_subparsers(
        dest="tsdb_command", required=True
    )
    stats = tsdb.add_parser("stats", help="open a data directory and print its statistics as JSON")
    stats.add_argument("data_dir")
    stats.set_defaults(handler=run_stats)

    analyze = tsdb.add_parser("analyze", help="blocks, series and label cardinality")
    analyze.add_argument("data_dir")
    analyze.add_argument("--limit", type=int, default=20, help="how many items to show in each list")
    analyze.set_defaults(handler=run_analyze)

    dump = tsdb.add_parser("dump", help="print samples as `labels value timestamp` lines")
    dump.add_argument("data_dir")
    dump.add_argument("--match", default='{__name__=~".+"}', help="series selector")
    dump.add_argument("--min-time", default=None, help="milliseconds or RFC 3339")
    dump.add_argument("--max-time", default=None, help="milliseconds or RFC 3339")
    dump.set_defaults(handler=run_dump)

    imp = tsdb.add_parser("import", help="backfill blocks from a file").add_subparsers(
        dest="import_format", required=True
    )
    openmetrics = imp.add_parser("openmetrics", help="from OpenMetrics text with timestamps")
    openmetrics.add_argument("input_file")
    openmetrics.add_argument("data_dir")
    openmetrics.add_argument("--quiet", action="store_true", help="no progress bar")
    openmetrics.set_defaults(handler=run_import_openmetrics)


def _time_arg(value: str | None, default: int) -> int:
    if value is None:
        return default
    return int(value) if value.lstrip("-").isdigit() else to_millis(value)


def run_stats(args: argparse.Namespace) -> int:
    from ember.tsdb.db import DB
    from ember.tsdb.options import DBOptions
    from ember.tsdb.stats import database_stats

    with DB.open(args.data_dir, DBOptions(background_maintenance=False)) as db:
        print(json.dumps(database_stats(db), indent=2))
    return 0


def run_analyze(args: argparse.Namespace) -> int:
    from ember.tsdb.analyze import analyze

    analyze(args.data_dir, limit=args.limit, out=sys.stdout)
    return 0


def run_dump(args: argparse.Namespace) -> int:
    from ember.promql.selector import parse_selector
    from ember.tsdb.db import DB
    from ember.tsdb.options import DBOptions

    matchers = parse_selector(args.match)
    mint = _time_arg(args.min_time, MIN_TIME)
    maxt = _time_arg(args.max_time, MAX_TIME)
    out = sys.stdout
    with DB.open(args.data_dir, DBOptions(background_maintenance=False)) as db:
        querier = db.querier()
        for labels, timestamps, values in querier.select(matchers, mint, maxt):
            prefix = "{" + ", ".join(f'{n}="{v}"' for n, v in labels) + "}"
            out.writelines(
                f"{prefix} {_format_value(v)} {t}\n" for t, v in zip(timestamps.tolist(), values.tolist(),
                                                                     strict=True)
            )
    return 0


def _format_value(value: float) -> str:
    if value != value:
        return "NaN"
    if value in (float("inf"), float("-inf")):
        return "+Inf" if value > 0 else "-Inf"
    return repr(value) if value != int(value) or abs(value) >= 1e15 else str(int(value))


def run_import_openmetrics(args: argparse.Namespace) -> int:
    from ember.tsdb.backfill import import_openmetrics

    summary = import_openmetrics(args.input_file, args.data_dir, progress=not args.quiet)
    print(summary)
    return 0
