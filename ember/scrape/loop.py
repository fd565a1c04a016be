"""One target's scrape loop: fetch, parse, relabel through the series cache, append one row per scrape,
write staleness markers for vanished series and the `up` / `scrape_*` report series."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ember.config.durations import format_duration_ms
from ember.config.prometheus import ScrapeConfig
from ember.errors import BadDataError, EmberError, UnknownSeriesRefError
from ember.exposition import ScrapeBodyParser, accept_header, parse_scrape_protocol
from ember.exposition.scrape_result import MetricFamily, ParsedScrape
from ember.exposition.template_kernels import warm_up as warm_up_template_kernels
from ember.model.labels import Labels
from ember.model.samples import STALE_NAN, SampleBatch
from ember.scrape.http_client import FetchedBody, ScrapeClient
from ember.scrape.interval_stats import IntervalStats
from ember.scrape.schedule import ScrapeSchedule
from ember.scrape.series_state import ResolvedSeries, SeriesState, refs_of
from ember.scrape.target import Target
from ember.storage.interface import Appendable, Appender, AppendOptions, RowAppendable, RowWriter

log = logging.getLogger("ember.scrape")
DEFAULT_BODY_LIMIT = 1 << 30
# Bodies up to this size are parsed on the event loop (well under a millisecond); handing them to a
# worker thread costs more in thread wake-ups than the parse itself. Larger ones go to a thread.
INLINE_BODY_BYTES = 256 * 1024
REPORT_NAMES = ("up", "scrape_duration_seconds", "scrape_samples_scraped", "scrape_samples_post_metric_relabeling",
                "scrape_series_added")


@dataclass(frozen=True)
class _Steady:
    """The last scrape's series texts, kept rows and refs: when a scrape repeats them exactly, as a
    steady target does, the samples are appended without looking at a single series."""

    texts: list[str]
    rows: np.ndarray | None  # type: ignore[type-arg]  # None: every sample is kept
    refs: np.ndarray  # type: ignore[type-arg]
    outcome: ScrapeOutcome


@dataclass(frozen=True)
class _RowPath:
    """How steady scrapes are stored once the storage writes their rows: its writer, the report values
    of such a scrape (up, duration, scraped, kept, added; the duration is set per scrape) and the outcome
    each of them has (they are alike)."""

    writer: RowWriter
    report: np.ndarray  # type: ignore[type-arg]
    outcome: ScrapeOutcome


@dataclass
class ScrapeOutcome:
    samples_scraped: int = 0
    samples_kept: int = 0
    series_added: int = 0
    error: str = ""


class ScrapeLoop:
    def __init__(self, target: Target, config: ScrapeConfig, appendable: Appendable, client: ScrapeClient,
                 clock: Callable[[], float] = time.time, intervals: IntervalStats | None = None) -> None:
        self.target = target
        self._intervals = intervals
        self.config = config
        self._appendable = appendable
        self._row_appendable = appendable if isinstance(appendable, RowAppendable) else None
        self._client = client
        self._clock = clock
        self._series = SeriesState(target.public_labels, config)
        fallback = parse_scrape_protocol(config.fallback_scrape_protocol) if config.fallback_scrape_protocol else None
        self._body_limit = config.body_size_limit or DEFAULT_BODY_LIMIT
        self._parser = ScrapeBodyParser(fallback=fallback, body_size_limit=self._body_limit)
        self._last: list[ResolvedSeries] = []  # series appended by the previous scrape, for staleness
        self._report_refs: np.ndarray | None = None  # type: ignore[type-arg]
        self._steady: _Steady | None = None
        self._steady_row_refs: np.ndarray | None = None  # type: ignore[type-arg]  # steady refs + report refs
        self._rows: _RowPath | None = None  # once the storage's group holds the steady rows
        self._group = f"scrape/{config.job_name}/{target.key}"
        self._options = AppendOptions(group=self._group)
        self._steady_options = AppendOptions(group=self._group, counts=False)
        self._report_options = AppendOptions(group=f"{self._group}/report")
        self._timeout = int(config.scrape_timeout) / 1000
        self._headers = {
            "Accept": accept_header(tuple(parse_scrape_protocol(p) for p in config.scrape_protocols)),
            "X-Prometheus-Scrape-Timeout-Seconds": f"{self._timeout:g}",
            "Accept-Encoding": "gzip" if config.enable_compression else "identity",
        }
        self._task: asyncio.Task[None] | None = None
        self.health = "unknown"
        self.last_error = ""
        self.last_scrape: float | None = None
        self.last_duration = 0.0
        self.metadata: list[MetricFamily] = []  # the families (TYPE/HELP/UNIT) of the last good scrape

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> None:
        self._task = asyncio.ensure_future(self._run())

    async def stop(self, *, stale: bool = True) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        if stale and self.last_scrape is not None:
            await asyncio.to_thread(self._write_end_of_run, self._now_ms())

    async def _run(self) -> None:
        await asyncio.to_thread(warm_up_template_kernels)  # compiled once per process, off the event loop
        interval = int(self.config.scrape_interval) / 1000
        now = self._clock()
        offset = self.target.offset_ms(int(self.config.scrape_interval)) / 1000
        await asyncio.sleep((offset - now % interval) % interval)
        schedule = ScrapeSchedule(self._now_ms(), int(self.config.scrape_interval))
        previous: float | None = None
        label = format_duration_ms(int(self.config.scrape_interval))
        while True:
            started = self._clock()
            if previous is not None and self._intervals is not None:
                self._intervals.observe(label, started - previous)
            previous = started
            await self.scrape_once(schedule.timestamp_ms(int(started * 1000)))
            await asyncio.sleep(schedule.delay_s(self._now_ms()))

    def _now_ms(self) -> int:
        return int(self._clock() * 1000)

    # --------------------------------------------------------------------- scrape
    async def scrape_once(self, timestamp_ms: int | None = None) -> ScrapeOutcome:
        """One scrape; its samples get `timestamp_ms` (the schedule's aligned time), by default its start."""
        started = self._clock()
        t = int(started * 1000) if timestamp_ms is None else timestamp_ms
        fetched: FetchedBody | None = None
        error = ""
        try:
            fetched = await self._client.fetch(self.target.url, self._headers, self._timeout, self._body_limit)
        except (EmberError, OSError, ValueError) as exc:
            error = _describe(exc)
        if fetched is not None and len(fetched.body) > INLINE_BODY_BYTES:
            outcome, duration = await asyncio.to_thread(self._store, started, t, fetched)
        else:
            outcome, duration = self._store(started, t, fetched, error)
        self.health = "down" if outcome.error else "up"
        self.last_error = outcome.error
        self.last_scrape = started
        self.last_duration = duration
        return outcome

    def _store(self, started: float, t: int, fetched: FetchedBody | None,
               error: str = "") -> tuple[ScrapeOutcome, float]:
        """Appends the scrape's samples (or the staleness markers of a failed one) and then the report
        series through one appender, committed once, as Prometheus's scrapeAndReport does; like there,
        scrape_duration_seconds runs from the start of the fetch to the end of the sample append."""
        if fetched is not None and self._rows is not None:
            try:
                written = self._write_steady_row(started, t, fetched)
            except (EmberError, OSError, ValueError):
                written = None  # the full path below meets the same failure and reports it
            if written is not None:
                return written
        appender = self._appendable.appender()
        outcome = ScrapeOutcome(error=error)
        if fetched is not None:
            try:
                scrape = self._parser.parse(fetched.body, fetched.content_type, fetched.content_encoding).scrape
                self.metadata = scrape.families
                stored = self._store_steady(appender, started, t, scrape)
                if stored is not None:
                    return stored
                outcome = self._ingest(appender, t, scrape)
            except (EmberError, OSError, ValueError) as exc:
                appender.rollback()
                appender = self._appendable.appender()
                outcome = ScrapeOutcome(error=_describe(exc))
        if outcome.error:
            self._append_failure(appender, t)
        duration = self._clock() - started
        self._append_report(appender, t, np.array([0.0 if outcome.error else 1.0, duration, outcome.samples_scraped,
                                                   outcome.samples_kept, outcome.series_added]))
        appender.commit()
        return outcome, duration

    def _store_steady(self, appender: Appender, started: float, t: int,
                      scrape: ParsedScrape) -> tuple[ScrapeOutcome, float] | None:
        """A scrape repeating the last one's series in the same order: the samples and the report series
        in one row of one append, by refs, nothing else to decide. scrape_duration_seconds then ends
        before that append (a few microseconds earlier than Prometheus's). None for any other scrape,
        when the report series are not known yet, or when a ref is gone from the storage (an append that
        raises stages nothing)."""
        steady, row_refs = self._steady, self._steady_row_refs
        # A body that matched the parser's template hands back the very list of the last scrape.
        if steady is None or row_refs is None or not (
                scrape.series_text is steady.texts or scrape.series_text == steady.texts):
            return None
        values = scrape.values if steady.rows is None else scrape.values[steady.rows]
        previous = steady.outcome
        duration = self._clock() - started
        report = (1.0, duration, previous.samples_scraped, previous.samples_kept, 0)
        row = np.concatenate((values, report))
        try:
            appender.append(SampleBatch.aligned(t, row, refs=row_refs), self._steady_options)
        except UnknownSeriesRefError:
            self._series.forget_refs()
            self._steady = self._rows = None
            self._report_refs = self._steady_row_refs = None
            return None
        appender.commit()
        outcome = ScrapeOutcome(previous.samples_scraped, previous.samples_kept, 0)
        writer = None if self._row_appendable is None else self._row_appendable.row_writer(self._group, row_refs)
        self._rows = None if writer is None else _RowPath(writer, np.array(report, dtype=np.float64), outcome)
        return outcome, duration

    def _write_steady_row(self, started: float, t: int, fetched: FetchedBody) -> tuple[ScrapeOutcome, float] | None:
        """The steady scrape of `_store_steady` once the storage has a writer for its rows: the values are
        read by the template and written, with the report, straight into the group's row. None (nothing
        written) for any other scrape, and for a row the writer declines."""
        steady, rows = self._steady, self._rows
        assert steady is not None and rows is not None
        values = self._parser.steady_values(fetched.body, fetched.content_type, fetched.content_encoding,
                                            steady.texts)
        if values is None:
            return None
        if steady.rows is not None:
            values = values[steady.rows]
        duration = self._clock() - started
        rows.report[1] = duration
        if not rows.writer.write(t, values, rows.report):
            self._rows = None  # the appender path decides; a writer is bound again after it
            return None
        return rows.outcome, duration

    def _ingest(self, appender: Appender, t: int, scrape: ParsedScrape) -> ScrapeOutcome:
        entries, added = self._series.resolve(scrape.series_text, scrape.entries)
        kept = np.fromiter((e.labels is not None for e in entries), dtype=bool, count=len(entries))
        outcome = ScrapeOutcome(samples_scraped=len(entries), samples_kept=int(kept.sum()), series_added=added)
        if self.config.sample_limit and outcome.samples_kept > self.config.sample_limit:
            raise BadDataError("sample limit exceeded")
        stamped = scrape.has_timestamp & kept if self.config.honor_timestamps else np.zeros(len(entries), bool)
        rows = np.flatnonzero(kept & ~stamped)
        current = [entries[i] for i in rows.tolist()]
        self._append_row(appender, t, current, scrape.values[rows])
        explicit = np.flatnonzero(stamped)
        stamped_entries = [entries[i] for i in explicit.tolist()]
        if len(explicit):
            self._append_explicit(appender, stamped_entries, scrape.timestamps_ms[explicit], scrape.values[explicit])
        # Series with explicit timestamps get staleness markers only with track_timestamps_staleness.
        tracked = current + stamped_entries if self.config.track_timestamps_staleness else current
        self._append_stale(appender, t, tracked)
        self._last = tracked
        self._forget_unseen(scrape.series_text)
        refs = refs_of(current)
        plain = not len(explicit) and refs is not None
        kept_rows = None if len(rows) == len(entries) else rows
        self._steady = _Steady(scrape.series_text, kept_rows, refs, outcome) if plain else None  # type: ignore[arg-type]
        self._steady_row_refs = self._rows = None  # known again once this scrape's report refs are
        return outcome

    def _forget_unseen(self, texts: list[str]) -> None:
        """Drops series state of texts this scrape did not have; the parser's series cache too once it
        holds more than twice the scrape (Prometheus's scrape cache is pruned likewise), so churn does
        not grow it forever."""
        seen = set(texts)
        self._series.retain(seen)
        cache = self._parser.cache
        if len(cache) > 2 * len(seen) + 64:
            cache.retain_only(seen)

    def _append_row(self, appender: Appender, t: int, entries: list[ResolvedSeries], values: np.ndarray) -> None:  # type: ignore[type-arg]
        if not entries:
            return
        refs = refs_of(entries)
        options = self._options
        try:
            if refs is not None:
                result = appender.append(SampleBatch.aligned(t, values, refs=refs), options)
            else:
                series = [e.labels for e in entries]
                result = appender.append(SampleBatch.aligned(t, values, series=series), options)  # type: ignore[arg-type]
        except UnknownSeriesRefError:
            self._series.forget_refs()
            series = [e.labels for e in entries]
            result = appender.append(SampleBatch.aligned(t, values, series=series), options)  # type: ignore[arg-type]
        for entry, ref in zip(entries, result.refs.tolist(), strict=True):
            entry.ref = ref

    def _append_explicit(self, appender: Appender, entries: list[ResolvedSeries], stamps: np.ndarray,  # type: ignore[type-arg]
                         values: np.ndarray) -> None:  # type: ignore[type-arg]
        unique: dict[int, int] = {}
        index = np.array([unique.setdefault(id(e), len(unique)) for e in entries], dtype=np.int32)
        series = list({id(e): e.labels for e in entries}.values())
        appender.append(SampleBatch.of_samples(series, index, stamps, values))  # type: ignore[arg-type]

    def _append_stale(self, appender: Appender, t: int, current: list[ResolvedSeries]) -> None:
        present = {id(e) for e in current}
        gone = [e for e in self._last if id(e) not in present and e.labels is not None]
        if gone:
            series: list[Labels] = [e.labels for e in gone]  # type: ignore[misc]
            appender.append(SampleBatch.aligned(t, np.full(len(gone), STALE_NAN), series=series))

    def _append_failure(self, appender: Appender, t: int) -> None:
        """A failed scrape: every series of the last one goes stale."""
        self._steady = self._steady_row_refs = self._rows = None
        self._append_stale(appender, t, [])
        self._last = []

    def _append_report(self, appender: Appender, t: int, values: np.ndarray) -> None:  # type: ignore[type-arg]
        options = self._report_options
        try:
            if self._report_refs is not None:
                result = appender.append(SampleBatch.aligned(t, values, refs=self._report_refs), options)
            else:
                result = appender.append(SampleBatch.aligned(t, values, series=self._report_labels()), options)
        except UnknownSeriesRefError:
            result = appender.append(SampleBatch.aligned(t, values, series=self._report_labels()), options)
        self._report_refs = result.refs
        steady = self._steady
        if steady is not None and self._steady_row_refs is None and not np.isin(result.refs, steady.refs).any():
            self._steady_row_refs = np.concatenate((steady.refs, result.refs))

    def _report_labels(self) -> list[Labels]:
        target = self.target.public_labels
        return [target.updated({"__name__": name}) for name in REPORT_NAMES]

    def _write_end_of_run(self, t: int) -> None:
        """Staleness markers for every series of a target that goes away, its report series included."""
        appender = self._appendable.appender()
        self._append_failure(appender, t)
        self._append_report(appender, t, np.full(len(REPORT_NAMES), STALE_NAN))
        appender.commit()


def _describe(error: BaseException) -> str:
    return str(error) or type(error).__name__
