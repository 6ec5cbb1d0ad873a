"""The only module that touches the network: polite, bounded HTTP fetching of feeds.

Usage::

    async with make_client() as client:
        fetcher = Fetcher(client, FetchSettings(concurrency=16, per_host=2))
        result = await fetcher.fetch(url, etag=..., last_modified=...)

Every outcome, good or bad, comes back as a ``Fetched``; failures carry a ``FeedError``
and never raise. Bodies are decompressed here, chunk by chunk with a ceiling on each
step, so the size cap holds after decompression and a gzip bomb costs bounded memory.
"""

from __future__ import annotations

import asyncio
import zlib
from collections import defaultdict
from collections.abc import Callable, Coroutine, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

import httpx

from . import __version__
from .errors import (
    BodyTooLarge,
    FeedError,
    FetchError,
    FetchTimeout,
    HTTPStatusError,
    ProtocolError,
)
from .storefile import utcnow  # noqa: F401  (re-exported: most callers import it from here)

USER_AGENT = (f"narratives/{__version__} (+https://github.com/narratives-project/narratives; "
              "media research feed collector)")
ACCEPT = ("application/rss+xml, application/atom+xml, application/rdf+xml, "
          "application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5")
MAX_RETRY_AFTER = 24 * 3600.0


@dataclass(frozen=True)
class FetchSettings:
    concurrency: int = 16
    per_host: int = 2
    connect_timeout: float = 10.0
    deadline: float = 30.0  # whole request, headers to last byte: drips cannot hold a slot
    max_bytes: int = 10 * 1024 * 1024
    max_redirects: int = 5


@dataclass
class Fetched:
    url: str
    started_at: datetime
    finished_at: datetime | None = None
    status: int | None = None
    final_url: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes | None = None
    nbytes: int = 0
    error: FeedError | None = None

    @property
    def not_modified(self) -> bool:
        return self.status == 304 and self.error is None




def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP date); None if garbage."""
    if not value:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():  # "²" is a digit to isdigit() but not to float()
        return min(float(value), MAX_RETRY_AFTER)
    try:
        when = parsedate_to_datetime(value)
        if when is not None and when.tzinfo is not None:
            when = when.astimezone(UTC).replace(tzinfo=None)
    # OverflowError: "31 Dec 9999 23:59:59 -1200" is past datetime.max in UTC; uncaught, a
    # server's header would end the whole pass.
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when is None:
        return None
    return min(max((when - now).total_seconds(), 0.0), MAX_RETRY_AFTER)


class _Decoder:
    """Content-Encoding decoding with a hard ceiling on output, fed chunk by chunk."""

    def __init__(self, encoding: str, limit: int):
        self.encoding = encoding.strip().lower() or "identity"
        self.limit = limit
        self.total = 0
        if self.encoding in ("gzip", "x-gzip"):
            self._new = lambda: zlib.decompressobj(16 + zlib.MAX_WBITS)
        elif self.encoding == "deflate":
            self._new = lambda: zlib.decompressobj(zlib.MAX_WBITS)
        elif self.encoding != "identity":
            raise ProtocolError(f"fetch: unsupported Content-Encoding {encoding!r}")
        self._d = self._new() if self.encoding != "identity" else None
        self._raw_deflate_tried = False

    def _count(self, data: bytes) -> bytes:
        self.total += len(data)
        if self.total > self.limit:
            raise BodyTooLarge(f"fetch: body larger than {self.limit:,} bytes after "
                               "decompression; refused (raise --max-bytes if the feed is real)")
        return data

    def feed(self, chunk: bytes) -> list[bytes]:
        if self._d is None:
            return [self._count(chunk)]
        out, data = [], chunk
        while data:
            room = self.limit - self.total + 1
            try:
                piece = self._d.decompress(data, room)
            except zlib.error as exc:
                if self.encoding == "deflate" and not self._raw_deflate_tried and self.total == 0:
                    # Some servers send raw deflate without the zlib wrapper.
                    self._raw_deflate_tried = True
                    self._d = zlib.decompressobj(-zlib.MAX_WBITS)
                    continue
                raise ProtocolError(f"fetch: corrupt {self.encoding} body: {exc}") from None
            out.append(self._count(piece))
            data = self._d.unconsumed_tail
            if self._d.eof and self._d.unused_data:
                data = self._d.unused_data  # concatenated gzip members
                self._d = self._new()
        return out

    def finish(self) -> list[bytes]:
        if self._d is None:
            return []
        tail = self._count(self._d.flush())
        if not self._d.eof:
            raise ProtocolError(f"fetch: {self.encoding} body ends early (truncated); nothing stored")
        return [tail]


def make_client(settings: FetchSettings = FetchSettings(),
                transport: httpx.AsyncBaseTransport | None = None) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        timeout=httpx.Timeout(settings.deadline, connect=settings.connect_timeout),
        follow_redirects=True, max_redirects=settings.max_redirects, transport=transport,
        limits=httpx.Limits(max_connections=settings.concurrency,
                            max_keepalive_connections=settings.concurrency),
        headers={"User-Agent": USER_AGENT, "Accept": ACCEPT, "Accept-Encoding": "gzip, deflate"})


async def run_until_stopped(coros: Iterable[Coroutine[Any, Any, Any]],
                            stop: asyncio.Event | None) -> tuple[list[Any], bool]:
    """Run the fetches as tasks until all are done or ``stop`` is set, which cancels the rest.

    Returns every task's result or exception, in order, and whether ``stop`` cut the run
    short. Shared by the feed and page passes (Ctrl-C in ``collect --every`` sets ``stop``).
    """
    tasks = [asyncio.create_task(c) for c in coros]
    waiter = asyncio.gather(*tasks, return_exceptions=True)
    stopper = asyncio.create_task(stop.wait()) if stop is not None else None
    await asyncio.wait([waiter] + ([stopper] if stopper else []), return_when=asyncio.FIRST_COMPLETED)
    interrupted = stopper is not None and not waiter.done()
    if interrupted:
        for task in tasks:
            task.cancel()
    if stopper is not None:
        stopper.cancel()
    return await waiter, interrupted


def host_of(url: str) -> str:
    try:
        return (urlsplit(url).hostname or url).lower()
    except ValueError:
        return url


class Fetcher:
    """Fetch feeds with a global and a per-host concurrency limit.

    ``host_limits`` overrides ``per_host`` for hosts whose outlets ask for less.
    """

    def __init__(self, client: httpx.AsyncClient, settings: FetchSettings = FetchSettings(),
                 host_limits: dict[str, int] | None = None,
                 clock: Callable[[], datetime] = utcnow):
        self.client = client
        self.settings = settings
        self.clock = clock
        self._global = asyncio.Semaphore(settings.concurrency)
        limits = host_limits or {}
        self._hosts: dict[str, asyncio.Semaphore] = defaultdict(
            lambda: asyncio.Semaphore(settings.per_host))
        for host, n in limits.items():
            self._hosts[host] = asyncio.Semaphore(n)

    async def fetch(self, url: str, *, etag: str | None = None,
                    last_modified: str | None = None) -> Fetched:
        async with self._hosts[host_of(url)], self._global:
            result = Fetched(url=url, started_at=self.clock())
            try:
                async with asyncio.timeout(self.settings.deadline):
                    await self._get(result, etag, last_modified)
            except FeedError as exc:
                result.error = exc
            except TimeoutError:
                result.error = FetchTimeout(
                    f"fetch: no complete response from {host_of(url)} within the "
                    f"{self.settings.deadline:g} s deadline (server too slow or dripping)")
            except httpx.ConnectTimeout:
                result.error = FetchTimeout(f"fetch: could not connect to {host_of(url)} within "
                                            f"{self.settings.connect_timeout:g} s")
            except httpx.TimeoutException as exc:
                result.error = FetchTimeout(f"fetch: {host_of(url)} stopped sending "
                                            f"({type(exc).__name__})")
            except httpx.TooManyRedirects:
                result.error = ProtocolError(f"fetch: more than {self.settings.max_redirects} "
                                             "redirects; fix the feed URL in feeds.yaml")
            except httpx.UnsupportedProtocol as exc:
                result.error = ProtocolError(f"fetch: redirected to a non-http(s) URL ({exc})")
            except httpx.RemoteProtocolError as exc:
                result.error = ProtocolError(f"fetch: connection closed before the body was "
                                             f"complete (truncated?): {exc}; nothing stored")
            except httpx.ConnectError as exc:
                result.error = FetchError(f"fetch: cannot connect to {host_of(url)}: {exc}")
            except httpx.HTTPError as exc:
                result.error = FetchError(f"fetch: {type(exc).__name__}: {exc}")
            except (OSError, ValueError, UnicodeError) as exc:
                result.error = FetchError(f"fetch: {type(exc).__name__}: {exc}")
            result.finished_at = self.clock()
            if result.error is not None:
                result.body = None
            return result

    async def _get(self, result: Fetched, etag: str | None, last_modified: str | None) -> None:
        headers = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        async with self.client.stream("GET", result.url, headers=headers) as resp:
            result.status = resp.status_code
            result.final_url = str(resp.url)
            result.headers = {k.lower(): v for k, v in resp.headers.items()}
            if resp.status_code == 304:
                return
            if not 200 <= resp.status_code < 300:
                raise self._status_error(resp, result)
            decoder = _Decoder(resp.headers.get("content-encoding", ""), self.settings.max_bytes)
            parts: list[bytes] = []
            async for chunk in resp.aiter_raw():
                result.nbytes += len(chunk)
                parts.extend(decoder.feed(chunk))
            parts.extend(decoder.finish())
            result.body = b"".join(parts)

    def _status_error(self, resp: httpx.Response, result: Fetched) -> HTTPStatusError:
        host, code = host_of(result.url), resp.status_code
        reason = f"{code} {resp.reason_phrase}".strip()
        if code == 410:
            return HTTPStatusError(f"fetch: {reason} from {host}: the feed is gone; remove or "
                                   "replace it in feeds.yaml", code)
        retry = None
        if code in (429, 503):
            retry = parse_retry_after(resp.headers.get("retry-after"), self.clock())
        hint = f"; server asks to retry after {retry:g} s" if retry is not None else ""
        return HTTPStatusError(f"fetch: {reason} from {host}{hint}", code, retry)
