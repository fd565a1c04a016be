"""The `ember` command: `ember tsdb ...`, `ember query`, `ember check ...`, `ember test ...`."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from ember.cli import check_commands, query_command, serve_command, test_commands, tsdb_commands
from ember.errors import EmberError


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ember", description="Ember: Prometheus-compatible monitoring.")
    parser.add_argument("--version", action="version", version="ember 0.1.0")
    commands = parser.add_subparsers(dest="command", required=True)
    serve_command.register(commands)
    tsdb_commands.register(commands)
    query_command.register(commands)
    check_commands.register(commands)
    test_commands.register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        code: int = args.handler(args)
    except EmberError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    return code


if __name__ == "__main__":
    sys.exit(main())
