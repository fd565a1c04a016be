"""The one wiring point of `ember serve`: configuration, the TSDB, the PromQL engine and the HTTP API.

The HTTP server starts first, so `/-/healthy` answers and `/-/ready` says 503 while the WAL is replayed;
the database opens in a worker thread. SIGTERM/SIGINT stop gracefully (the WAL is synced and closed, so
nothing acknowledged is lost); SIGHUP and `POST /-/reload` reload the configuration.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import signal
import socket
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import uvicorn
from starlette.routing import BaseRoute

from ember.config.loader import load_config
from ember.config.prometheus import Config
from ember.config.web_config import WebConfig, load_web_config
from ember.errors import ConfigError, EmberError, ExecutionError, UnavailableError
from ember.model.labels import Labels
from ember.model.matchers import Matcher
from ember.model.samples import SampleBatch
from ember.notifier import Notifier, check_alerting_config
from ember.promql.engine import Engine
from ember.remote.read_client import RemoteReadClient, clients_from_config
from ember.remote.receiver import read_route, write_route
from ember.remote.sender import RemoteWriteStorage
from ember.rules.manager import RuleManager
from ember.scrape.manager import ScrapeManager
from ember.scrape.metrics import ScrapeCollector
from ember.storage.fanout import FanoutQueryable
from ember.storage.interface import MAX_TIME, MIN_TIME, Appendable, Appender, Querier
from ember.testing.reference_storage import ReferenceStorage
from ember.tsdb.agent_db import AgentDB, AgentOptions
from ember.tsdb.db import DB
from ember.tsdb.options import DBOptions
from ember.tsdb.querier import DBQuerier
from ember.tsdb.stats import head_cardinality
from ember.tsdb.wal_reader import ReplayProgress
from ember.tsdb.wal_watcher import WalWatcher
from ember.ui import ui_routes
from ember.web.app import create_app
from ember.web.context import WebContext
from ember.web.self_metrics import SelfMetrics

log = logging.getLogger("ember.server")

# Sections this build cannot act on yet: refused by name rather than silently ignored.
AGENT_REFUSED_SECTIONS = {"rule_files": "rule_files", "remote_read_configs": "remote_read"}
AGENT_UNAVAILABLE = "unavailable with Prometheus Agent"
SWITCH_INTERVAL_S = 0.001
TICK_INTERVAL_S = 1.0
GC_FREEZE_INTERVAL_S = 60.0


WARM_UP_QUERIES = (
    "sum by (a) (rate(ember_warm_up[5m]))",
    "histogram_quantile(0.9, sum by (le) (rate(ember_warm_up[5m])))",
    "avg_over_time(ember_warm_up[5m]) + on() group_left sum(max_over_time(ember_warm_up[1m:10s]))",
    "topk(3, quantile_over_time(0.5, ember_warm_up[5m]))",
)


def default_config_path() -> str:
    return str(resources.files("ember").joinpath("default_config.yml"))


@dataclass(frozen=True)
class ServeOptions:
    config_file: str = ""
    storage_path: str = "data/"
    retention_ms: int = 15 * 86_400_000
    retention_bytes: int = 0
    listen_address: str = "0.0.0.0:9090"
    external_url: str = ""
    enable_admin_api: bool = False
    enable_lifecycle: bool = False
    enable_remote_write_receiver: bool = False
    web_config_file: str = ""
    query_timeout_s: float = 120.0
    query_max_samples: int = 50_000_000
    query_lookback_delta_ms: int = 300_000
    query_max_concurrency: int = 20
    for_outage_tolerance_s: float = 3600.0
    for_grace_period_s: float = 600.0
    resend_delay_s: float = 60.0
    notification_queue_capacity: int = 10_000
    agent: bool = False
    agent_storage_path: str = "data-agent/"
    remote_flush_deadline_s: float = 60.0
    flags: dict[str, str] = field(default_factory=dict)


def check_supported(config: Config, *, agent: bool = False) -> None:
    """Raises ConfigError naming the first section agent mode cannot act on, or a bad alerting section."""
    if agent:
        alerting = config.alerting_config
        if alerting.alertmanagers or alerting.alert_relabel_configs:
            raise ConfigError("field alerting is not allowed in agent mode")
        for attribute, name in AGENT_REFUSED_SECTIONS.items():
            if getattr(config, attribute):
                raise ConfigError(f"field {name} is not allowed in agent mode")
    check_alerting_config(config.alerting_config)


def load_checked_config(path: str, *, agent: bool = False) -> tuple[Config, str]:
    config = load_config(path)
    check_supported(config, agent=agent)
    return config, Path(path).read_text()


class AgentQueries:
    """What the query APIs read in agent mode: nothing, with Prometheus's answer (422, execution)."""

    def querier(self) -> Querier:
        raise ExecutionError(AGENT_UNAVAILABLE)


class StorageGate:
    """The storage the API reads: refuses with `unavailable` until the database has opened."""

    def __init__(self) -> None:
        self.db: DB | None = None

    def querier(self) -> DBQuerier:
        if self.db is None:
            raise UnavailableError("TSDB not ready: the WAL is still being replayed")
        return self.db.querier()

    def appender(self) -> Appender:
        return self._ready().appender()

    def delete(self, matchers: Sequence[Matcher], mint: int = MIN_TIME, maxt: int = MAX_TIME) -> None:
        self._ready().delete(list(matchers), mint, maxt)

    def clean_tombstones(self) -> None:
        self._ready().clean_tombstones()

    def snapshot(self, target: Path, *, with_head: bool = True) -> Path:
        return self._ready().snapshot(target, with_head=with_head)

    @property
    def directory(self) -> Path:
        return self._ready().directory

    def _ready(self) -> DB:
        if self.db is None:
            raise UnavailableError("TSDB not ready: the WAL is still being replayed")
        return self.db


class Server:
    def __init__(self, options: ServeOptions) -> None:
        self.options = options
        self.config_path = options.config_file or default_config_path()
        self.config, config_text = load_checked_config(self.config_path, agent=options.agent)
        self.gate = StorageGate()
        self.agent_db: AgentDB | None = None
        self.remote_write: RemoteWriteStorage | None = None
        # What queries and rules read: local data fanned in with the `remote_read` endpoints, which a
        # reload swaps in place.
        self.queryable = FanoutQueryable(self.gate)
        self.remote_readers: list[RemoteReadClient] = []
        self._swap_remote_readers()
        self.engine = Engine(lookback_delta_ms=options.query_lookback_delta_ms, timeout_s=options.query_timeout_s,
                             max_samples=options.query_max_samples)
        self.ctx = WebContext(
            storage=AgentQueries() if options.agent else self.queryable, engine=self.engine,
            config_text=config_text, flags=options.flags,
            enable_admin_api=options.enable_admin_api, enable_lifecycle=options.enable_lifecycle,
            max_concurrent_queries=options.query_max_concurrency,
            storage_retention=f"{options.retention_ms // 86_400_000}d", ready=self._storage_open,
            reload=self.reload, shutdown=self.request_shutdown, tsdb_stats=self._tsdb_stats, admin=self.gate,
            external_labels=dict(self.config.global_config.external_labels),
        )
        self.replay_progress = ReplayProgress()
        self.ctx.walreplay = self.replay_progress.as_dict
        self._uvicorn: _Uvicorn | None = None
        self.scrape: ScrapeManager | None = None
        self.rules: RuleManager | None = None
        self._db_metrics = SelfMetrics(_LazyDB(self.gate))
        self._db_metrics.registry.register(ScrapeCollector(lambda: self.scrape))
        self.notifier = Notifier(self.config.alerting_config, self.config.global_config.external_labels,
                                 queue_capacity=options.notification_queue_capacity,
                                 registry=self._db_metrics.registry)
        self.ctx.notifier = self.notifier

    def _rule_manager(self) -> RuleManager:
        options = self.options
        return RuleManager(
            self.gate, self.queryable, self.engine, external_labels=dict(self.config.global_config.external_labels),
            external_url=self.external_url, notify=self.notifier.send,
            for_outage_tolerance_s=options.for_outage_tolerance_s, for_grace_period_s=options.for_grace_period_s,
            resend_delay_s=options.resend_delay_s,
        )

    async def _update_rules(self, config: Config) -> None:
        assert self.rules is not None
        settings = config.global_config
        await self.rules.update(list(config.rule_files), int(settings.evaluation_interval),
                                int(settings.rule_query_offset), external_labels=dict(settings.external_labels),
                                external_url=self.external_url)

    @property
    def external_url(self) -> str:
        """`--web.external-url`, or Prometheus's default: this host's name and the listen port."""
        if self.options.external_url:
            return self.options.external_url.rstrip("/")
        port = self.options.listen_address.rpartition(":")[2]
        return f"http://{socket.gethostname()}:{port}"

    def _storage_open(self) -> bool:
        return self.gate.db is not None or self.agent_db is not None

    def _swap_remote_readers(self) -> None:
        """Reads go to the current configuration's `remote_read` endpoints; the old clients close after."""
        old = self.remote_readers
        self.remote_readers = [] if self.options.agent else clients_from_config(self.config, self._local_start_time)
        self.queryable.secondaries = list(self.remote_readers)
        for reader in old:
            reader.close()

    def _local_start_time(self) -> int:
        return self.gate.db.min_time if self.gate.db is not None else MAX_TIME

    def _tsdb_stats(self) -> dict[str, Any]:
        if self.options.agent:
            raise ExecutionError(AGENT_UNAVAILABLE)
        db = self.gate._ready()
        head = db.head
        empty = head.min_time == MAX_TIME
        return {
            "headStats": {"numSeries": len(head.series), "numLabelPairs": sum(
                head.series.postings.value_cardinalities().values()), "chunkCount": 0,
                "minTime": 0 if empty else head.min_time, "maxTime": 0 if empty else head.max_time},
            **head_cardinality(db),
        }

    async def reload(self) -> None:
        config, text = await asyncio.to_thread(load_checked_config, self.config_path, agent=self.options.agent)
        self.config = config
        self._swap_remote_readers()
        self.ctx.config_text = text
        self.ctx.external_labels = dict(config.global_config.external_labels)
        if self.rules is not None:  # first: invalid rule files fail the reload before anything changes
            await self._update_rules(config)
        await self.notifier.apply_config(config.alerting_config, config.global_config.external_labels)
        if self.remote_write is not None:
            await self.remote_write.apply_config(config.remote_write_configs, config.global_config.external_labels)
        if self.scrape is not None:
            await self.scrape.apply_config(config)
        log.info("configuration reloaded from %s", self.config_path)

    def request_shutdown(self) -> None:
        if self._uvicorn is not None:
            self._uvicorn.request_exit()

    async def run(self) -> None:
        # Query threads hold the GIL for up to the switch interval each time the event loop wants it
        # back (after every socket read, every scrape); 1 ms instead of 5 keeps scrapes on schedule.
        sys.setswitchinterval(SWITCH_INTERVAL_S)
        host, _, port = self.options.listen_address.rpartition(":")
        extra: list[BaseRoute] = [] if self.options.agent else [read_route(self.gate)]
        direct = [write_route(self.gate, self._sync_storage)] if self.options.enable_remote_write_receiver else []
        extra.extend(ui_routes())
        web = load_web_config(self.options.web_config_file) if self.options.web_config_file else WebConfig()
        app = create_app(self.ctx, self._db_metrics, extra, web.basic_auth_users, direct_routes=direct)
        config = uvicorn.Config(app, host=host or "0.0.0.0", port=int(port), log_level="warning",
                                lifespan="off", access_log=False, timeout_graceful_shutdown=10,
                                ssl_certfile=web.cert_file or None,
                                ssl_keyfile=web.key_file or None)
        self._uvicorn = _Uvicorn(config)
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, self.request_shutdown)
        loop.add_signal_handler(signal.SIGHUP, lambda: asyncio.ensure_future(self._reload_logged()))
        serving = asyncio.ensure_future(self._uvicorn.serve())
        freezing: asyncio.Future[None] | None = None
        try:
            appendable = await self._open_storage()
            freezing = asyncio.ensure_future(freeze_long_lived_objects())
            await self._start_remote_write()  # before the first scrape, so the sender sees every sample
            await self.notifier.start()
            self.scrape = ScrapeManager(appendable)
            self.ctx.scrape = self.scrape
            await self.scrape.apply_config(self.config)
            if not self.options.agent:
                self.rules = self.ctx.rules = self._rule_manager()
                await self._update_rules(self.config)
            log.info("TSDB ready; listening on %s", self.options.listen_address)
            await serving
        finally:
            self.request_shutdown()
            if freezing is not None:
                freezing.cancel()
            await asyncio.gather(serving, return_exceptions=True)
            if self.rules is not None:
                await self.rules.stop()
            await self.notifier.stop()
            if self.scrape is not None:
                await self.scrape.stop()
            if self.remote_write is not None:
                await self.remote_write.stop(flush_deadline_s=self.options.remote_flush_deadline_s)
            for reader in self.remote_readers:
                reader.close()
            if self.gate.db is not None:
                await asyncio.to_thread(self.gate.db.close)
                log.info("TSDB closed cleanly")
            if self.agent_db is not None:
                await asyncio.to_thread(self.agent_db.close)
                log.info("agent WAL closed cleanly")

    async def _reload_logged(self) -> None:
        try:
            await self.reload()
        except EmberError as exc:
            log.error("reload failed, keeping the old configuration: %s", exc)

    def _warm_up_queries(self) -> None:
        """Loads the PromQL kernels (numba, cached on disk) before the first user query needs them, by
        running a few queries over a handful of samples in a scratch in-memory storage."""
        scratch = ReferenceStorage()
        appender = scratch.appender()
        for le in ("0.1", "1", "+Inf"):
            labels = Labels.from_strings("__name__", "ember_warm_up", "a", "x", "le", le)
            appender.append(SampleBatch.of_series(labels, [0, 60_000, 120_000, 180_000], [1.0, 2.0, 4.0, 8.0]))
        appender.commit()
        for expr in WARM_UP_QUERIES:
            try:
                self.engine.instant_query(scratch, expr, 180_000)
            except EmberError as exc:  # never fatal: the first real query would compile them instead
                log.warning("query warm-up %r failed: %s", expr, exc)

    async def _open_storage(self) -> Appendable:
        """The database (or, in agent mode, the WAL-only storage), opened off the event loop."""
        if self.options.agent:
            self.agent_db = await asyncio.to_thread(
                AgentDB.open, self.options.agent_storage_path, AgentOptions(), keep_segment_from=self._wal_hold,
            )
            return self.agent_db
        self.gate.db = await asyncio.to_thread(self._open_db)
        await asyncio.to_thread(self._warm_up_queries)
        return self.gate.db

    def _wal_hold(self) -> int | None:
        """The lowest WAL segment the remote-write sender still has to read (None: nothing held)."""
        return self.remote_write.lowest_segment_in_use() if self.remote_write is not None else None

    def _sync_storage(self) -> None:
        """fdatasyncs every committed sample: one call covers a batch of remote-write requests."""
        if self.gate.db is not None:
            self.gate.db.sync()

    async def _start_remote_write(self) -> None:
        """Remote-write queues fed by watchers tailing the WAL, as Prometheus's are."""
        storage = self.agent_db or self.gate.db
        assert storage is not None
        wal_dir = storage.wal.directory
        self.remote_write = RemoteWriteStorage(lambda sink, name: WalWatcher(wal_dir, sink, name),
                                               registry=self._db_metrics.registry)
        await self.remote_write.apply_config(self.config.remote_write_configs,
                                             self.config.global_config.external_labels)

    def _open_db(self) -> DB:
        options = DBOptions(retention_ms=self.options.retention_ms, retention_bytes=self.options.retention_bytes)
        return DB.open(self.options.storage_path, options, replay_progress=self.replay_progress,
                       keep_segment_from=self._wal_hold)


async def freeze_long_lived_objects(interval_s: float = GC_FREEZE_INTERVAL_S) -> None:
    """Moves the objects alive now (series labels, caches, compiled code) out of the garbage collector's
    reach, at start and every minute. A full collection then walks only what is new; walking every label
    set of the head held the GIL for 100-500 ms and stalled every scrape. Cyclic garbage among objects
    frozen while alive is never collected; the long-lived state frozen here holds no such cycles."""
    while True:
        gc.freeze()
        await asyncio.sleep(interval_s)


class _Uvicorn(uvicorn.Server):
    """uvicorn without its own signal handling: the server's handlers stop it and then close the TSDB.
    Its housekeeping tick (the Date header, the exit check) runs once a second instead of ten times,
    and an exit request wakes it at once: on this kind of machine every wake-up of an otherwise idle
    process costs tens of microseconds of CPU."""

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self._exit_requested: asyncio.Event | None = None

    def request_exit(self) -> None:
        self.should_exit = True
        if self._exit_requested is not None:
            self._exit_requested.set()

    async def main_loop(self) -> None:
        self._exit_requested = asyncio.Event()
        if self.should_exit:
            self._exit_requested.set()
        counter = 0
        while not await self.on_tick(counter):
            counter = (counter + 10) % 864000  # a multiple of 10: uvicorn refreshes the Date header
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._exit_requested.wait(), TICK_INTERVAL_S)

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


class _LazyDB:
    """Lets `/metrics` read the database once it has opened."""

    def __init__(self, gate: StorageGate) -> None:
        self._gate = gate

    def __getattr__(self, name: str) -> Any:
        return getattr(self._gate._ready(), name)
