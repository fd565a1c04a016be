"""`ember serve`: the server, with Prometheus's flag names where the meaning is the same."""

from __future__ import annotations

import argparse
import asyncio
from typing import Any

from ember.config.byte_sizes import parse_base2_bytes
from ember.config.durations import parse_duration_ms


def register(commands: Any) -> None:
    serve = commands.add_parser("serve", help="run the Ember server (Prometheus-compatible HTTP API)")
    flag_names: dict[str, str] = {}  # flag name by argparse destination, for `/api/v1/status/flags`

    def flag(name: str, dest: str, **kwargs: Any) -> None:
        serve.add_argument(name, dest=dest, **kwargs)
        flag_names[dest] = name.removeprefix("--")

    flag("--config.file", "config_file", default="", help="configuration file (default: the bundled one)")
    flag("--storage.tsdb.path", "storage_path", default="data/", help="base path for metrics storage")
    flag("--storage.tsdb.retention.time", "retention_time", default="15d", help="how long to keep samples")
    flag("--storage.tsdb.retention.size", "retention_size", default="0B", help="most bytes of blocks kept")
    flag("--web.listen-address", "listen_address", default="0.0.0.0:9090")
    flag("--web.external-url", "external_url", default="", help="the URL Ember is reachable at (alert links)")
    flag("--web.enable-admin-api", "enable_admin_api", action="store_true")
    flag("--web.enable-lifecycle", "enable_lifecycle", action="store_true")
    flag("--web.enable-remote-write-receiver", "enable_remote_write_receiver", action="store_true")
    flag("--web.config.file", "web_config_file", default="", help="TLS and basic-auth configuration")
    flag("--query.timeout", "query_timeout", default="2m")
    flag("--query.max-samples", "query_max_samples", type=int, default=50_000_000)
    flag("--query.lookback-delta", "query_lookback_delta", default="5m")
    flag("--query.max-concurrency", "query_max_concurrency", type=int, default=20)
    flag("--rules.alert.for-outage-tolerance", "for_outage_tolerance", default="1h",
         help="max time to tolerate an outage when restoring the 'for' state of alerts")
    flag("--rules.alert.for-grace-period", "for_grace_period", default="10m",
         help="min duration between alert and restored 'for' state")
    flag("--rules.alert.resend-delay", "resend_delay", default="1m",
         help="min time to wait before resending an alert to Alertmanager")
    flag("--alertmanager.notification-queue-capacity", "notification_queue_capacity", type=int, default=10_000)
    flag("--agent", "agent", action="store_true",
         help="agent mode: scrape, WAL and remote write only; no local queries, rules or alerts")
    flag("--storage.agent.path", "agent_storage_path", default="data-agent/", help="base path for agent storage")
    flag("--storage.remote.flush-deadline", "remote_flush_deadline", default="1m",
         help="how long to wait flushing remote-write samples on shutdown")
    flag("--log.level", "log_level", choices=["debug", "info", "warn", "error"], default="info")
    flag("--log.format", "log_format", choices=["logfmt", "json"], default="logfmt")
    serve.set_defaults(handler=run_serve, flag_names=flag_names)


def _flag_values(args: argparse.Namespace) -> dict[str, str]:
    values = {}
    for dest, name in args.flag_names.items():
        value = getattr(args, dest)
        values[name] = str(value).lower() if isinstance(value, bool) else str(value)
    return values


def run_serve(args: argparse.Namespace) -> int:
    import uvloop

    from ember.log import setup_logging
    from ember.server import ServeOptions, Server

    setup_logging(args.log_level, args.log_format)
    options = ServeOptions(
        config_file=args.config_file,
        storage_path=args.storage_path,
        retention_ms=parse_duration_ms(args.retention_time),
        retention_bytes=parse_base2_bytes(args.retention_size),
        listen_address=args.listen_address,
        external_url=args.external_url,
        enable_admin_api=args.enable_admin_api,
        enable_lifecycle=args.enable_lifecycle,
        enable_remote_write_receiver=args.enable_remote_write_receiver,
        web_config_file=args.web_config_file,
        query_timeout_s=parse_duration_ms(args.query_timeout) / 1000,
        query_max_samples=args.query_max_samples,
        query_lookback_delta_ms=parse_duration_ms(args.query_lookback_delta),
        query_max_concurrency=args.query_max_concurrency,
        for_outage_tolerance_s=parse_duration_ms(args.for_outage_tolerance) / 1000,
        for_grace_period_s=parse_duration_ms(args.for_grace_period) / 1000,
        resend_delay_s=parse_duration_ms(args.resend_delay) / 1000,
        notification_queue_capacity=args.notification_queue_capacity,
        agent=args.agent,
        agent_storage_path=args.agent_storage_path,
        remote_flush_deadline_s=parse_duration_ms(args.remote_flush_deadline) / 1000,
        flags=_flag_values(args),
    )
    # uvloop's event loop costs less CPU per request and per scrape than asyncio's own.
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        runner.run(Server(options).run())
    return 0
