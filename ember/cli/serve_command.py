"""`ember serve`: the server, with Prometheus's flag names where the meaning is the same."""

from __future__ import annotations

import argparse
import asyncio
from typing import Any

from ember.config.byte_sizes import parse_base2_bytes
from ember.config.durations import parse_duration_ms


def register(commands: Any) -> None:
    serve = commands.add_parser("serve", help="run the Ember server (Prometheus-compatible HTTP API)")
    flag = serve.add_argument
    flag("--config.file", dest="config_file", default="", help="configuration file (default: the bundled one)")
    flag("--storage.tsdb.path", dest="storage_path", default="data/", help="base path for metrics storage")
    flag("--storage.tsdb.retention.time", dest="retention_time", default="15d", help="how long to keep samples")
    flag("--storage.tsdb.retention.size", dest="retention_size", default="0B", help="most bytes of blocks kept")
    flag("--web.listen-address", dest="listen_address", default="0.0.0.0:9090")
    flag("--web.enable-admin-api", dest="enable_admin_api", action="store_true")
    flag("--web.enable-lifecycle", dest="enable_lifecycle", action="store_true")
    flag("--web.enable-remote-write-receiver", dest="enable_remote_write_receiver", action="store_true")
    flag("--web.config.file", dest="web_config_file", default="", help="TLS and basic-auth configuration")
    flag("--query.timeout", dest="query_timeout", default="2m")
    flag("--query.max-samples", dest="query_max_samples", type=int, default=50_000_000)
    flag("--query.lookback-delta", dest="query_lookback_delta", default="5m")
    flag("--query.max-concurrency", dest="query_max_concurrency", type=int, default=20)
    flag("--log.level", dest="log_level", choices=["debug", "info", "warn", "error"], default="info")
    flag("--log.format", dest="log_format", choices=["logfmt", "json"], default="logfmt")
    serve.set_defaults(handler=run_serve)


def run_serve(args: argparse.Namespace) -> int:
    from ember.log import setup_logging
    from ember.server import ServeOptions, Server

    setup_logging(args.log_level, args.log_format)
    flags = {
        "config.file": args.config_file, "storage.tsdb.path": args.storage_path,
        "storage.tsdb.retention.time": args.retention_time, "storage.tsdb.retention.size": args.retention_size,
        "web.listen-address": args.listen_address, "web.enable-admin-api": str(args.enable_admin_api).lower(),
        "web.enable-lifecycle": str(args.enable_lifecycle).lower(), "query.timeout": args.query_timeout,
        "web.enable-remote-write-receiver": str(args.enable_remote_write_receiver).lower(),
        "web.config.file": args.web_config_file,
        "query.max-samples": str(args.query_max_samples), "query.lookback-delta": args.query_lookback_delta,
        "query.max-concurrency": str(args.query_max_concurrency), "log.level": args.log_level,
        "log.format": args.log_format,
    }
    options = ServeOptions(
        config_file=args.config_file,
        storage_path=args.storage_path,
        retention_ms=parse_duration_ms(args.retention_time),
        retention_bytes=parse_base2_bytes(args.retention_size),
        listen_address=args.listen_address,
        enable_admin_api=args.enable_admin_api,
        enable_lifecycle=args.enable_lifecycle,
        enable_remote_write_receiver=args.enable_remote_write_receiver,
        web_config_file=args.web_config_file,
        query_timeout_s=parse_duration_ms(args.query_timeout) / 1000,
        query_max_samples=args.query_max_samples,
        query_lookback_delta_ms=parse_duration_ms(args.query_lookback_delta),
        query_max_concurrency=args.query_max_concurrency,
        flags=flags,
    )
    asyncio.run(Server(options).run())
    return 0
