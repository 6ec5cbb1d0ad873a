"""One collection pass: due feeds -> concurrent fetch -> parse on all cores -> one transaction per feed.

Usage::

    report = run_collect(engine, db_url, load_feeds("feeds.yaml"), CollectOptions())
    report.exit_code    # 0 all feeds fine, 1 some failed (the others are stored)

Fetching runs on the event loop, parsing in a process pool (feedparser is CPU-bound and
holds the GIL), and writing in one writer thread, so the three overlap and SQLite sees a
single writer. SIGINT/SIGTERM stop new work, let the transaction in progress commit and
return; what was fetched but not committed is simply fetched again next time, because
a feed's validators only move in the transaction that stores its articles.
"""

from __future__ import annotations

import asyncio
import hashlib
import multiprocessing
import os
import signal
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from .config import Config
from .errors import ConfigError, FeedError, HTTPStatusError
from .fetch import Fetched, Fetcher, FetchSettings, host_of, make_client, run_until_stopped, utcnow
from .lock import collect_lock, lock_path_for
from .parse import ArticleDraft, init_worker, parse_outcome
from .store import Counts, FeedJob, FeedUpdate, due_feeds, record_attempt, store_articles, sync_config

MAX_BACKOFF = timedelta(hours=24)
DUE_SLACK = timedelta(seconds=60)  # a feed due a few seconds after cron fires is due now


def next_fetch_at(outcome: str, started_at: datetime, interval: float, failures: int,
                  retry_after: float | None = None) -> datetime | None:
    """When to fetch a feed again. ``failures`` counts this attempt if it failed.

    Success: one interval after this attempt started. Failure: the interval doubled per
    consecutive failure, at least what Retry-After asked, never more than 24 h. 410: never
    (until ``--force``).
    """
    if outcome == "gone":
        return None
    if outcome in ("ok", "not_modified", "unchanged"):
        return started_at + timedelta(seconds=interval)
    backoff = timedelta(seconds=interval * 2 ** min(max(failures - 1, 0), 20))
    if retry_after is not None:
        backoff = max(backoff, timedelta(seconds=retry_after))
    return started_at + min(backoff, MAX_BACKOFF)


@dataclass(frozen=True)
class CollectOptions:
    force: bool = False
    outlets: tuple[str, ...] = ()
    workers: int = field(default_factory=lambda: os.cpu_count() or 1)  # 0: parse in a thread
    fetch: FetchSettings = FetchSettings()
    lock_wait: float = 0.0


@dataclass(frozen=True)
class FeedResult:
    outlet: str
    feed: str
    url: str
    outcome: str
    http_status: int | None
    counts: Counts
    error: str | None
    next_fetch_at: datetime | None
    seconds: float


@dataclass
class CollectReport:
    started_at: datetime
    finished_at: datetime | None = None
    results: list[FeedResult] = field(default_factory=list)
    due: int = 0
    interrupted: bool = False

    @property
    def failed(self) -> list[FeedResult]:
        return [r for r in self.results if r.outcome in ("error", "gone")]

    @property
    def exit_code(self) -> int:
        return 1 if self.failed else 0


class _Pass:
    """The state of one pass: executors, fetcher and the per-feed pipeline."""

    def __init__(self, engine: Engine, config: Config, options: CollectOptions,
                 clock: Callable[[], datetime], on_result: Callable[[FeedResult], None] | None):
        self.engine, self.config, self.options = engine, config, options
        self.clock, self.on_result = clock, on_result
        self.outlets = {o.id: o for o in config.outlets}
        self.writer = ThreadPoolExecutor(1, thread_name_prefix="narratives-writer")
        self._pool: Executor | None = None
        self.inflight = asyncio.Semaphore(options.fetch.concurrency + 2 * max(options.workers, 1))

    def parser(self) -> Executor:
        if self._pool is None:  # lazily: a pass of 304s never pays for starting processes
            if self.options.workers > 0:
                self._pool = ProcessPoolExecutor(
                    self.options.workers, mp_context=multiprocessing.get_context("spawn"),
                    initializer=init_worker)
            else:
                self._pool = ThreadPoolExecutor(1, thread_name_prefix="narratives-parse")
        return self._pool

    def close(self) -> None:
        self.writer.shutdown(wait=True, cancel_futures=True)
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)

    async def parse(self, fetched: Fetched) -> tuple:
        loop = asyncio.get_running_loop()
        args = (fetched.body, fetched.headers, fetched.final_url or fetched.url, fetched.started_at)
        try:
            return await loop.run_in_executor(self.parser(), parse_outcome, *args)
        except BrokenProcessPool:
            # A worker died (out of memory, a crash in C code): this feed fails, the pass
            # goes on with a fresh pool.
            self._pool = None
            return ("error", "parse", "parse: the parser process died on this feed")

    async def run_feed(self, job: FeedJob, fetcher: Fetcher) -> FeedResult:
        # Bodies wait for a parser once fetched; bounding the feeds between fetch and
        # parse keeps memory flat when fetching outruns parsing (it does, ~6x).
        async with self.inflight:
            fetched = await fetcher.fetch(job.url, etag=job.etag, last_modified=job.last_modified)
            outlet = self.outlets.get(job.outlet_id)
            interval = self.config.interval_for(outlet) if outlet else self.config.defaults.interval
            drafts: tuple[ArticleDraft, ...] = ()
            upd = dict(started_at=fetched.started_at, finished_at=fetched.finished_at or self.clock(),
                       http_status=fetched.status, final_url=fetched.final_url, nbytes=fetched.nbytes,
                       etag=fetched.headers.get("etag"),
                       last_modified=fetched.headers.get("last-modified"))
            error: FeedError | None = fetched.error
            outcome = "ok"
            if error is None and fetched.not_modified:
                outcome = "not_modified"
            elif error is None:
                body_hash = hashlib.sha256(fetched.body or b"").hexdigest()
                upd["body_hash"] = body_hash
                if body_hash == job.body_hash:
                    outcome = "unchanged"
                else:
                    result = await self.parse(fetched)
                    if result[0] == "ok":
                        drafts = result[1].items
                        upd["feed_title"] = result[1].title or None
                        upd["warnings"] = "; ".join(result[1].warnings) or None
                    else:
                        error = FeedError(result[2])
                        error.stage = result[1]
        retry_after = None
        if error is not None:
            outcome = "gone" if isinstance(error, HTTPStatusError) and error.status == 410 else "error"
            retry_after = getattr(error, "retry_after", None)
            upd.update(error_class=error.stage, error_message=f"{error} (feed {job.outlet_id}"
                       f"/{job.name or host_of(job.url)})")
        failures = job.failure_count + 1 if error is not None else 0
        upd["next_fetch_at"] = next_fetch_at(outcome, fetched.started_at, interval, failures,
                                             retry_after)
        update = FeedUpdate(outcome=outcome, **upd)
        writing = self.writer.submit(self.write, job, update, drafts)
        try:
            counts = await asyncio.shield(asyncio.wrap_future(writing))
        except asyncio.CancelledError:
            # Interrupted. A write already under way commits anyway (a thread cannot be
            # stopped), so wait for it and report it: the summary must match the store.
            if writing.cancel():
                raise
            counts = await asyncio.wrap_future(writing)
        if counts is None:
            outcome = "error"
            update = replace(update, error_message="store: could not write this feed; see log")
            counts = Counts()
        result = FeedResult(
            outlet=job.outlet_id, feed=job.name, url=job.url, outcome=outcome,
            http_status=fetched.status, counts=counts, error=update.error_message,
            next_fetch_at=update.next_fetch_at,
            seconds=((update.finished_at - update.started_at).total_seconds()))
        if self.on_result is not None:
            self.on_result(result)
        return result

    def write(self, job: FeedJob, update: FeedUpdate, drafts: tuple[ArticleDraft, ...]) -> Counts | None:
        """One transaction for the feed's articles, validators, status and fetch row."""
        try:
            with Session(self.engine) as s, s.begin():
                counts = store_articles(s, job, drafts, update.started_at) if drafts else Counts()
                record_attempt(s, job, update, counts)
            return counts
        except Exception as exc:  # noqa: BLE001 — one feed's bad row must not end the pass
            failed = replace(update, outcome="error", error_class="store", body_hash=None,
                             error_message=f"store: {type(exc).__name__}: {exc}"[:1000])
            try:
                with Session(self.engine) as s, s.begin():
                    record_attempt(s, job, failed, Counts())
            except Exception:  # noqa: BLE001 — the database itself is unusable; reported below
                pass
            return None


async def collect_pass(engine: Engine, config: Config, options: CollectOptions, *,
                       clock: Callable[[], datetime] = utcnow,
                       on_start: Callable[[int], None] | None = None,
                       on_result: Callable[[FeedResult], None] | None = None,
                       stop: asyncio.Event | None = None) -> CollectReport:
    """Fetch every due feed once. Caller holds the collect lock."""
    report = CollectReport(started_at=clock())
    with Session(engine) as s, s.begin():
        sync_config(s, config, report.started_at)
        jobs = due_feeds(s, report.started_at + DUE_SLACK, force=options.force,
                         outlets=options.outlets)
    report.due = len(jobs)
    if on_start is not None:
        on_start(len(jobs))
    outlets = {o.id: o for o in config.outlets}
    host_limits: dict[str, int] = {}
    for job in jobs:
        outlet = outlets.get(job.outlet_id)
        limit = (outlet.max_per_host if outlet and outlet.max_per_host else
                 min(config.defaults.max_per_host, options.fetch.per_host))
        host = host_of(job.url)
        host_limits[host] = min(limit, host_limits.get(host, limit))
    state = _Pass(engine, config, options, clock, on_result)
    try:
        async with make_client(options.fetch) as client:
            fetcher = Fetcher(client, options.fetch, host_limits, clock)
            results, report.interrupted = await run_until_stopped(
                (state.run_feed(job, fetcher) for job in jobs), stop)
    finally:
        await asyncio.get_running_loop().run_in_executor(None, state.close)
    report.results = [r for r in results if isinstance(r, FeedResult)]
    for r in results:
        if isinstance(r, BaseException) and not isinstance(r, asyncio.CancelledError):
            raise r
    report.finished_at = clock()
    return report


def run_collect(engine: Engine, db_url: str, config: Config, options: CollectOptions, *,
                reload: Callable[[], Config] | None = None, every: float | None = None,
                on_start: Callable[[int], None] | None = None,
                on_result: Callable[[FeedResult], None] | None = None,
                on_report: Callable[[CollectReport], None] | None = None,
                on_config_error: Callable[[ConfigError], None] | None = None,
                after_pass: Callable[[Config, asyncio.Event], Awaitable[None]] | None = None,
                clock: Callable[[], datetime] = utcnow) -> CollectReport:
    """One pass, or with ``every`` a pass every so many seconds until SIGINT/SIGTERM.

    ``config`` is validated by the caller before anything is written. In a loop,
    ``reload`` re-reads it before each later pass, so an edited feeds.yaml takes effect
    without a restart; a broken edit keeps the last good configuration. ``after_pass``
    runs after each pass, outside the collect lock (``collect --full-text`` runs the
    full-text stage there), and is handed the stop event.
    """

    async def main() -> CollectReport:
        nonlocal config
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        try:
            while True:
                began = time.monotonic()
                with collect_lock(lock_path_for(db_url), options.lock_wait):
                    report = await collect_pass(engine, config, options, clock=clock,
                                                on_start=on_start, on_result=on_result, stop=stop)
                if on_report is not None:
                    on_report(report)
                if after_pass is not None and not stop.is_set():
                    await after_pass(config, stop)
                if every is None or stop.is_set():
                    return report
                try:
                    await asyncio.wait_for(stop.wait(), max(0.0, every - (time.monotonic() - began)))
                    return report
                except TimeoutError:
                    pass
                try:
                    config = reload() if reload is not None else config
                except ConfigError as exc:
                    if on_config_error is not None:
                        on_config_error(exc)
        finally:
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.remove_signal_handler(sig)

    return asyncio.run(main())
