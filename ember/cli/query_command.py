"""`ember query --data DIR EXPR`: PromQL over an offline data directory."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from ember.timeutil import now_ms, to_duration_ms, to_millis


def register(commands: Any) -> None:
    query = commands.add_parser("query", help="run a PromQL query against a data directory")
    query.add_argument("expr", help="the PromQL expression")
    query.add_argument("--data", required=True, help="the data directory")
    query.add_argument("--time", default=None, help="instant query time (ms or RFC 3339; default now)")
    query.add_argument("--start", default=None, help="range query start (ms or RFC 3339)")
    query.add_argument("--end", default=None, help="range query end (ms or RFC 3339)")
    query.add_argument("--step", default="1m", help="range query step (duration, e.g. 15s)")
    query.add_argument("--format", choices=["text", "csv"], default="text")
    query.set_defaults(handler=run_query)


def _time(value: str) -> int:
    return int(value) if value.lstrip("-").isdigit() else to_millis(value)


def run_query(args: argparse.Namespace) -> int:
    import ember

    with ember.open(args.data, background_maintenance=False) as db:
        if args.start is not None or args.end is not None:
            if args.start is None or args.end is None:
                print("error: a range query needs both --start and --end", file=sys.stderr)
                return 2
            result = db.query_range(args.expr, _time(args.start), _time(args.end), to_duration_ms(args.step))
        else:
            result = db.query(args.expr, now_ms() if args.time is None else _time(args.time))
    if args.format == "csv":
        result.to_pandas().to_csv(sys.stdout, index=False)
    else:
        print(result.to_pandas().to_string(index=False))
    return 0
