"""The full-text stage: fetch each article's own page, politely, and keep its main text.

Usage::

    report = run_fulltext(engine, db_url, load_feeds("feeds.yaml"), FulltextOptions())
    report.exit_code     # 0 fine, 1 some pages failed (the rest are stored)

Many feeds carry a headline and a one-line teaser, and judging what an outlet leaves out
from a teaser is unfair to it. For outlets with ``full_text: true`` this stage fetches
each article's page as politely as the feeds are fetched (per-host limits, deadline,
body cap, redirects; robots.txt read once per host and obeyed, Crawl-delay included;
a host that answers 429/503 is left alone for the rest of the run), has ``extract.py``
turn it into text, and keeps that beside the feed's text in ``article_texts``.

``robots_policy`` and ``next_attempt`` are pure; ``fulltext_pass`` is the I/O edge:
fetching on the event loop, extraction in a process pool, writes in short
transactions from one writer thread, under its own lock (``<db>.fulltext.lock``), so
``narratives collect`` is never held up by it.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import signal
import time
from collections import defaultdict
from collections.abc import Callable
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from urllib.parse import urlsplit
from urllib.robotparser import RobotFileParser

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from .config import Config
from .errors import BodyTooLarge, FeedError, HTTPStatusError, ProtocolError
from .extract import extract_outcome, load_extractor
from .fetch import (
    USER_AGENT,
    Fetched,
    Fetcher,
    FetchSettings,
    host_of,
    make_client,
    run_until_stopped,
    utcnow,
)
from .lock import collect_lock, lock_path_for
from .parse import init_worker
from .store import PageJob, PageUpdate, due_pages, record_page

HTML_ACCEPT = "text/html,application/xhtml+xml;q=0.9,*/*;q=0.5"
ROBOTS_MAX_BYTES = 512 * 1024  # Google reads the first 500 KiB of a robots.txt
MAX_CRAWL_DELAY = 30.0
#: A spawned extractor costs ~0.5 s to start, the time it takes to extract ~60 pages:
#: fewer pages than this per process are extracted faster in a thread.
PAGES_PER_WORKER = 100

#: Retries after consecutive failures: 1 h, 6 h, 24 h; the fourth failure gives up
#: (until the feed changes the article, or ``--force``). Retry-After stretches a wait.
RETRY_BACKOFF = (timedelta(hours=1), timedelta(hours=6), timedelta(hours=24))
MAX_FAILURES = 4
#: A page robots.txt disallows is looked at again (robots.txt first) a week later.
ROBOTS_BACKOFF = timedelta(days=7)
#: Failures that another try would only repeat: given up at once.
PERMANENT = frozenset({"gone", "not_html", "too_large"})

# --- politeness -------------------------------------------------------------------

def robots_policy(status: int | None, body: bytes | None) -> RobotFileParser:
    """A parsed robots.txt from a fetch of ``/robots.txt``; never lets robotparser fetch.

    2xx: its rules. 401/403: everything disallowed (the common convention). 404, other
    statuses and network errors: everything allowed.
    """
    policy = RobotFileParser()
    if status is not None and 200 <= status < 300 and body is not None:
        policy.parse(body[:ROBOTS_MAX_BYTES].decode("utf-8", "replace").splitlines())
    elif status in (401, 403):
        policy.disallow_all = True
    else:
        policy.allow_all = True
    return policy


def next_attempt(error_class: str, failures: int, now: datetime,
                 retry_after: float | None = None) -> datetime | None:
    """When to try a failed page again. ``failures`` counts this one; None: give up."""
    if error_class == "robots":
        return now + ROBOTS_BACKOFF
    if error_class in PERMANENT or failures >= MAX_FAILURES:
        return None
    wait = RETRY_BACKOFF[min(failures, len(RETRY_BACKOFF)) - 1]
    if retry_after is not None:
        wait = max(wait, timedelta(seconds=retry_after))
    return now + wait


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}"


def _failure(error: FeedError, fetched: Fetched, max_bytes: int) -> tuple[str, str]:
    """(error_class, message) for a failed page fetch, worded for pages, not feeds."""
    host = host_of(fetched.url)
    if isinstance(error, HTTPStatusError):
        if error.status == 410:
            return "gone", f"fulltext: 410 Gone from {host}: the page was removed"
        hint = (f"; server asks to retry after {error.retry_after:g} s"
                if error.retry_after is not None else "")
        return "http_status", f"fulltext: {error.status} from {host}{hint}"
    if isinstance(error, BodyTooLarge):
        return "too_large", (f"fulltext: page larger than {max_bytes:,} bytes; skipped (raise "
                             "--max-bytes and use --force if it is a real article)")
    if isinstance(error, ProtocolError) and "redirects" in str(error):
        return "protocol", f"fulltext: too many redirects from {host}"
    return error.stage, "fulltext: " + str(error).removeprefix("fetch: ")


# --- the I/O edge -----------------------------------------------------------------

@dataclass(frozen=True)
class FulltextOptions:
    limit: int = 500  # pages per run, never-tried first, then newest first
    force: bool = False  # retry failed pages now, even those given up on
    recheck: bool = False  # read already-read pages again (silent edits of the page)
    outlets: tuple[str, ...] = ()
    # Extractor processes at most: one per ``pages_per_worker`` pages due, and none (a
    # thread) below that. 0: always a thread.
    workers: int = field(default_factory=lambda: os.cpu_count() or 1)
    pages_per_worker: int = PAGES_PER_WORKER
    fetch: FetchSettings = FetchSettings(concurrency=8, per_host=2, max_bytes=5 * 1024 * 1024)
    lock_wait: float = 0.0
    batch: int = 50  # results per write transaction
    flush_every: float = 1.0  # seconds a result may wait for its transaction


@dataclass(frozen=True)
class PageResult:
    article_id: int
    outlet: str
    url: str
    outcome: str  # extracted | fallback | failed | deferred (host asked us to wait; not tried)
    http_status: int | None
    chars: int
    reason: str | None  # fallback reason or error class
    message: str | None  # why it failed, or why the feed text stayed best
    next_attempt_at: datetime | None
    seconds: float
    versioned: bool = False  # an earlier page text went to article_versions


@dataclass
class FulltextReport:
    started_at: datetime
    finished_at: datetime | None = None
    results: list[PageResult] = field(default_factory=list)
    due: int = 0
    outlets: tuple[str, ...] = ()
    interrupted: bool = False

    def count(self, outcome: str) -> int:
        return sum(r.outcome == outcome for r in self.results)

    @property
    def failed(self) -> list[PageResult]:
        return [r for r in self.results if r.outcome == "failed"]

    @property
    def exit_code(self) -> int:
        return 1 if self.failed else 0


def fulltext_outlets(config: Config, only: tuple[str, ...] = ()) -> tuple[str, ...]:
    """Enabled outlets with ``full_text: true`` (of ``only``, when given)."""
    return tuple(o.id for o in config.outlets
                 if o.full_text and o.enabled and (not only or o.id in only))


class _Run:
    """One run's state: executors, robots cache, host back-offs and the write batches."""

    def __init__(self, engine: Engine, options: FulltextOptions, host_limits: dict[str, int],
                 pages: int, clock: Callable[[], datetime],
                 on_result: Callable[[PageResult], None] | None):
        self.engine, self.options, self.clock, self.on_result = engine, options, clock, on_result
        self.workers = min(options.workers, pages // max(options.pages_per_worker, 1))
        self.slots = {host: asyncio.Semaphore(n) for host, n in host_limits.items()}
        self.writer = ThreadPoolExecutor(1, thread_name_prefix="narratives-fulltext-writer")
        self._pool: Executor | None = None
        self.inflight = asyncio.Semaphore(options.fetch.concurrency + 2 * max(self.workers, 1))
        self.robots: dict[str, asyncio.Task[RobotFileParser]] = {}
        self.pace: dict[str, asyncio.Lock] = defaultdict(asyncio.Lock)
        self.last_start: dict[str, float] = {}
        self.held: dict[str, str] = {}  # host -> why this run stopped asking it
        self.pending: list[tuple[PageJob, PageUpdate]] = []
        self.writes: list[asyncio.Future[list[bool | None]]] = []
        self.versioned: set[int] = set()
        self.unwritten: set[int] = set()

    def extractor(self) -> Executor:
        if self._pool is None:  # first use, or a fresh pool after a worker died
            if self.workers > 0:
                self._pool = ProcessPoolExecutor(
                    self.workers, mp_context=multiprocessing.get_context("spawn"),
                    initializer=init_worker)
            else:
                self._pool = ThreadPoolExecutor(1, thread_name_prefix="narratives-extract")
        return self._pool

    def close(self) -> None:
        self.writer.shutdown(wait=True)
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)

    async def policy(self, url: str, fetcher: Fetcher) -> RobotFileParser:
        """robots.txt of the URL's origin, fetched once per run with the same caps."""
        origin = origin_of(url)
        if origin not in self.robots:
            async def load() -> RobotFileParser:
                fetched = await fetcher.fetch(origin + "/robots.txt")
                return robots_policy(fetched.status, fetched.body)
            self.robots[origin] = asyncio.ensure_future(load())
        return await asyncio.shield(self.robots[origin])

    async def wait_turn(self, url: str, policy: RobotFileParser) -> None:
        """Space requests to one origin by its robots.txt Crawl-delay (at most 30 s)."""
        delay = min(float(policy.crawl_delay(USER_AGENT) or 0), MAX_CRAWL_DELAY)
        if delay <= 0:
            return
        origin = origin_of(url)
        async with self.pace[origin]:
            wait = self.last_start.get(origin, -1e9) + delay - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            self.last_start[origin] = time.monotonic()

    def warm_up(self) -> None:
        """Load the extractor now (start its processes, or import it in the thread), so
        that its ~0.3-0.5 s of imports overlap the first fetches."""
        pool = self.extractor()
        for _ in range(max(self.workers, 1)):
            pool.submit(load_extractor)

    async def extract(self, fetched: Fetched, job: PageJob) -> tuple:
        loop = asyncio.get_running_loop()
        args = (fetched.body, fetched.headers, fetched.final_url or fetched.url, job.feed_text, job.title)
        try:
            return await loop.run_in_executor(self.extractor(), extract_outcome, *args)
        except BrokenProcessPool:
            self._pool = None  # a worker died on this page; the run goes on with a fresh pool
            return ("failed", "", "extract", "extract: the extractor process died on this page",
                    None, None)

    async def run_page(self, job: PageJob, fetcher: Fetcher) -> PageResult:
        began = time.monotonic()
        host = host_of(job.url)
        async with self.inflight:
            # The host slot is taken before the 429 check, so a page queued behind one
            # that was told to wait is not asked for either.
            async with self.slots[host]:
                if host in self.held:
                    return PageResult(job.article_id, job.outlet_id, job.url, "deferred", None, 0,
                                      None, self.held[host], None, 0.0)
                fetched: Fetched | None = None
                policy = await self.policy(job.url, fetcher)
                now = self.clock()
                if not policy.can_fetch(USER_AGENT, job.url):
                    upd = self.failed(job, now, "robots", f"fulltext: {origin_of(job.url)}/robots.txt "
                                      "disallows this page for our user agent; not fetched")
                else:
                    await self.wait_turn(job.url, policy)
                    now = self.clock()
                    fetched = await fetcher.fetch(job.url)
            if fetched is not None:  # extraction outside the slot: the host's next page goes on
                upd = await self.outcome(job, fetched, now)
        self.pending.append((job, upd))
        if len(self.pending) >= self.options.batch:
            self.flush()
        result = PageResult(
            job.article_id, job.outlet_id, job.url, upd.status, upd.http_status, len(upd.text),
            upd.reason or upd.error_class, upd.error_message, upd.next_attempt_at,
            time.monotonic() - began)
        if self.on_result is not None:
            self.on_result(result)
        return result

    def failed(self, job: PageJob, now: datetime, error_class: str, message: str,
               fetched: Fetched | None = None, retry_after: float | None = None) -> PageUpdate:
        return PageUpdate(
            status="failed", attempted_at=now, url=job.url, error_class=error_class,
            error_message=f"{message} (article {job.article_id}, {job.url})"[:2000],
            next_attempt_at=next_attempt(error_class, job.failures + 1, now, retry_after),
            final_url=fetched.final_url if fetched else None,
            http_status=fetched.status if fetched else None, nbytes=fetched.nbytes if fetched else 0)

    async def outcome(self, job: PageJob, fetched: Fetched, now: datetime) -> PageUpdate:
        if fetched.error is not None:
            error_class, message = _failure(fetched.error, fetched, self.options.fetch.max_bytes)
            retry_after = getattr(fetched.error, "retry_after", None)
            if fetched.status in (429, 503):
                # The host asked us to slow down: the rest of its pages wait for a later run.
                self.held[host_of(job.url)] = f"{fetched.status} from this host earlier in the run"
            return self.failed(job, now, error_class, message, fetched, retry_after)
        status, text, reason, message, encoding, extractor = await self.extract(fetched, job)
        if status == "failed":
            return self.failed(job, now, reason or "extract", f"fulltext: {message}", fetched)
        # A fallback's message (why the feed text stays best) is reported, not stored:
        # reason and chars say it in the table.
        return PageUpdate(
            status=status, attempted_at=now, url=job.url, final_url=fetched.final_url,
            http_status=fetched.status, nbytes=fetched.nbytes, text=text, extractor=extractor,
            encoding=encoding, reason=reason, error_message=message if status == "fallback" else None)

    def flush(self) -> None:
        """Hand the pending results to the writer as one transaction."""
        batch, self.pending = self.pending, []
        if batch:
            self.writes.append(asyncio.wrap_future(self.writer.submit(self.write, batch)))

    def write(self, batch: list[tuple[PageJob, PageUpdate]]) -> list[bool | None]:
        try:
            with Session(self.engine) as s, s.begin():
                done: list[bool | None] = [record_page(s, job, upd) for job, upd in batch]
        except Exception:  # noqa: BLE001 — one bad row must not lose the batch: one by one
            done = []
            for job, upd in batch:
                try:
                    with Session(self.engine) as s, s.begin():
                        done.append(record_page(s, job, upd))
                except Exception:  # noqa: BLE001 — reported on the article below
                    done.append(None)
        for (job, _), versioned in zip(batch, done, strict=True):
            if versioned:
                self.versioned.add(job.article_id)
            elif versioned is None:
                self.unwritten.add(job.article_id)
        return done

    async def flusher(self) -> None:
        while True:
            await asyncio.sleep(self.options.flush_every)
            self.flush()


async def fulltext_pass(engine: Engine, config: Config, options: FulltextOptions, *,
                        clock: Callable[[], datetime] = utcnow,
                        on_start: Callable[[int], None] | None = None,
                        on_result: Callable[[PageResult], None] | None = None,
                        stop: asyncio.Event | None = None) -> FulltextReport:
    """Fetch and extract every due page once. Caller holds the fulltext lock."""
    outlets = fulltext_outlets(config, options.outlets)
    report = FulltextReport(started_at=clock(), outlets=outlets)
    jobs: list[PageJob] = []
    if outlets:
        with Session(engine) as s, s.begin():
            jobs = due_pages(s, report.started_at, outlets, limit=options.limit,
                             force=options.force, recheck=options.recheck)
    report.due = len(jobs)
    if on_start is not None:
        on_start(len(jobs))
    if not jobs:
        report.finished_at = clock()
        return report
    by_id = {o.id: o for o in config.outlets}
    host_limits: dict[str, int] = {}
    for job in jobs:
        outlet = by_id[job.outlet_id]
        limit = (outlet.max_per_host if outlet.max_per_host else
                 min(config.defaults.max_per_host, options.fetch.per_host))
        host = host_of(job.url)
        host_limits[host] = min(limit, host_limits.get(host, limit))
    state = _Run(engine, options, host_limits, len(jobs), clock, on_result)
    state.warm_up()
    flusher = asyncio.create_task(state.flusher())
    try:
        async with make_client(options.fetch) as client:
            client.headers["Accept"] = HTML_ACCEPT
            fetcher = Fetcher(client, options.fetch, host_limits, clock)
            results, report.interrupted = await run_until_stopped(
                (state.run_page(job, fetcher) for job in jobs), stop)
            for task in state.robots.values():
                task.cancel()
    finally:
        flusher.cancel()
        state.flush()
        # Writes already handed over always finish: the summary must match the store.
        await asyncio.gather(*state.writes, return_exceptions=True)
        await asyncio.get_running_loop().run_in_executor(None, state.close)
    for r in results:
        if isinstance(r, BaseException) and not isinstance(r, asyncio.CancelledError):
            raise r
    for r in results:
        if not isinstance(r, PageResult):
            continue
        if r.article_id in state.unwritten:
            r = PageResult(r.article_id, r.outlet, r.url, "failed", r.http_status, 0, "store",
                           "store: could not write this article's page result", None, r.seconds)
        elif r.article_id in state.versioned:
            r = replace(r, versioned=True)
        report.results.append(r)
    report.finished_at = clock()
    return report


def run_fulltext(engine: Engine, db_url: str, config: Config, options: FulltextOptions, *,
                 on_start: Callable[[int], None] | None = None,
                 on_result: Callable[[PageResult], None] | None = None,
                 clock: Callable[[], datetime] = utcnow) -> FulltextReport:
    """One run under ``<db>.fulltext.lock`` (LockBusy if another holds it); SIGINT/SIGTERM
    stop new work, let the writes in progress commit, and return."""

    async def main() -> FulltextReport:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        try:
            with collect_lock(lock_path_for(db_url, ".fulltext.lock"), options.lock_wait,
                              what="fulltext"):
                return await fulltext_pass(engine, config, options, clock=clock,
                                           on_start=on_start, on_result=on_result, stop=stop)
        finally:
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.remove_signal_handler(sig)

    return asyncio.run(main())
