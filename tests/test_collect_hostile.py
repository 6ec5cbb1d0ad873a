"""End-to-end: the collector against a misbehaving loopback server (HTTP level).

Each hostile case goes through ``run_hostile``: the feed URL is first collected while it
still behaves (three articles stored), then the route turns hostile and a forced pass
collects it beside a well-behaved feed of another outlet. So every test can check that
the error is recorded on that one feed, that the good feed's articles are stored in the
same pass, and that nothing stored earlier was lost, changed or duplicated.

Content-level hostility (XML bombs, encodings, dates, keys) is in test_collect_hostile2.py,
which imports the helpers from here.
"""

from __future__ import annotations

import email.utils
import gzip
import hashlib
import struct
import threading
import time
import zlib
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from functools import cache

import psutil
import pytest
from conftest import FAST, collect_once, config_for, item, items, outlet, rss_doc
from sqlalchemy import select
from sqlalchemy.orm import Session

from narratives.collect import CollectReport
from narratives.config import Config
from narratives.loopback import Route, send, static
from narratives.models import ArticleRow, ArticleVersionRow, FeedRow, FetchRow

BAD, GOOD = "/bad.xml", "/good.xml"
SEED = rss_doc(items(3, start=100), title="Seeded")
GOOD_BODY = rss_doc(items(4, start=500), title="Good")
GOOD_TITLES = [f"Item {i}" for i in range(500, 504)]
QUICK = replace(FAST, deadline=1.0, connect_timeout=1.0)  # for cases that run into the deadline


# --- route factories ----------------------------------------------------------------

def response(status: int, body: bytes = b"", headers: dict[str, str] | None = None, *,
             length: int | None = None) -> bytes:
    """Raw HTTP/1.1 response bytes; ``length`` may lie about the body (None: omit it)."""
    lines = [f"HTTP/1.1 {status} X"] + [f"{k}: {v}" for k, v in (headers or {}).items()]
    if length is not None:
        lines.append(f"Content-Length: {length}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def raw(data: bytes) -> Route:
    """Write exactly these bytes (status line and all), then close the connection."""
    def route(req):
        req.close_connection = True
        req.wfile.write(data)
        req.wfile.flush()
    return route


def reply(status: int, body: bytes = b"", headers: dict[str, str] | None = None) -> Route:
    """A well-formed response with any status, body and headers, every time."""
    def route(req):
        send(req, status, body, headers)
    return route


def stall(server) -> Route:
    """Accept the request, never answer (until the server shuts down)."""
    def route(req):
        req.close_connection = True
        server.stopping.wait(60)
    return route


def drip(server, data: bytes, delay: float = 0.2) -> Route:
    """Send ``data`` one byte every ``delay`` seconds: a read timeout never fires."""
    def route(req):
        req.close_connection = True
        for i in range(len(data)):
            if server.stopping.wait(delay):
                return
            req.wfile.write(data[i:i + 1])
    return route


def drip_body(server, body: bytes, delay: float = 0.2) -> Route:
    """Headers at once (a correct Content-Length), then the body one byte at a time."""
    def route(req):
        req.close_connection = True
        req.wfile.write(response(200, b"", {"Content-Type": "application/rss+xml"}, length=len(body)))
        drip(server, body, delay)(req)
    return route


def endless(server) -> Route:
    """A 200 with no Content-Length whose body never ends."""
    def route(req):
        req.close_connection = True
        req.wfile.write(response(200, b"", {"Content-Type": "application/rss+xml",
                                            "Connection": "close"}))
        chunk = b"<item><title>more</title></item>" * 2000
        while not server.stopping.is_set():
            req.wfile.write(chunk)
    return route


def redirect(location: str, status: int = 302) -> Route:
    return reply(status, b"", {"Location": location})


def recording(route: Route, log: list[dict[str, str]]) -> Route:
    """Remember each request's headers, then answer as ``route`` does."""
    def wrapped(req):
        log.append({k.lower(): v for k, v in req.headers.items()})
        route(req)
    return wrapped


@cache
def gzip_bomb() -> bytes:
    """1 GiB of zeros as a ~1 MB gzip stream, assembled from one repeated flushed block."""
    mb = bytes(1 << 20)
    c = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    first = c.compress(mb) + c.flush(zlib.Z_FULL_FLUSH)
    block = c.compress(mb) + c.flush(zlib.Z_FULL_FLUSH)  # state reset: identical every time
    crc = 0
    for _ in range(1024):
        crc = zlib.crc32(mb, crc)
    return (b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff" + first + block * 1023 + c.flush()
            + struct.pack("<II", crc, (1 << 30) & 0xFFFFFFFF))


# --- running a pass and reading the store -------------------------------------------

def typed(store, query) -> list:
    """Rows of a SQLAlchemy select, with DateTime columns read back as datetimes."""
    with Session(store.engine) as s:
        return list(s.execute(query).all())


def articles(store, outlet_id: str) -> list[tuple]:
    """Everything stored about an outlet's articles, in a stable order."""
    a = ArticleRow
    return [tuple(r) for r in typed(store, select(
        a.item_key, a.guid, a.url, a.title, a.summary, a.content, a.content_hash, a.published_at,
        a.updated_at, a.feed_id).where(a.outlet_id == outlet_id).order_by(a.item_key))]


def feed_row(store, url: str) -> FeedRow:
    return typed(store, select(FeedRow).where(FeedRow.url == url))[0][0]


def fetch_rows(store, url: str) -> list[FetchRow]:
    return [r[0] for r in typed(store, select(FetchRow).join(FeedRow, FeedRow.id == FetchRow.feed_id)
                                .where(FeedRow.url == url).order_by(FetchRow.id))]


def assert_no_duplicates(store) -> None:
    assert store.rows("SELECT outlet_id, item_key FROM articles GROUP BY outlet_id, item_key "
                      "HAVING COUNT(*) > 1") == []
    assert store.rows("SELECT outlet_id, title FROM articles GROUP BY outlet_id, guid, url, title, "
                      "summary, content HAVING COUNT(*) > 1") == []


def result_for(report: CollectReport, url: str):
    [result] = [r for r in report.results if r.url == url]
    return result


def assert_good_stored(store, report: CollectReport, good_url: str) -> None:
    """The well-behaved feed beside the hostile one was stored in full, in that pass."""
    result = result_for(report, good_url)
    assert (result.outcome, result.http_status, result.counts.new) == ("ok", 200, 4)
    assert sorted(a[3] for a in articles(store, "good")) == GOOD_TITLES
    good = feed_row(store, good_url)
    assert (good.status, good.failure_count, good.last_error) == ("active", 0, None)


@dataclass
class Hostile:
    store: object
    report: CollectReport
    url: str
    good_url: str
    before: list[tuple]
    seconds: float

    @property
    def result(self):
        return result_for(self.report, self.url)

    @property
    def feed(self):
        return feed_row(self.store, self.url)

    @property
    def fetch(self):
        return fetch_rows(self.store, self.url)[-1]


def run_hostile(server, store, route: Route, *, fetch=FAST, workers: int = 0, clock=None,
                seed: Route | None = None) -> Hostile:
    """Collect ``seed`` (SEED, well served) at /bad.xml, swap in ``route``, then one forced
    pass beside a good feed."""
    url = server.add(BAD, seed or static(SEED))
    first = collect_once(store, config_for({"bad": [url]}))
    assert [r.outcome for r in first.results] == ["ok"]
    before = articles(store, "bad")
    assert len(before) == 3
    server.add(BAD, route)
    good_url = server.add(GOOD, static(GOOD_BODY))
    t0 = time.monotonic()
    report = collect_once(store, config_for({"bad": [url], "good": [good_url]}), force=True,
                          fetch=fetch, workers=workers, clock=clock)
    seconds = time.monotonic() - t0
    assert_good_stored(store, report, good_url)
    assert_no_duplicates(store)
    return Hostile(store, report, url, good_url, before, seconds)


def assert_refused(h: Hostile, error_class: str, *fragments: str) -> None:
    """The hostile feed failed with a clear, recorded error and its old articles are intact."""
    assert h.result.outcome == "error"
    assert h.report.exit_code == 1
    fetch = h.fetch
    assert (fetch.outcome, fetch.error_class) == ("error", error_class), fetch.error_message
    assert (fetch.items_seen, fetch.items_new, fetch.items_changed) == (0, 0, 0)
    message = fetch.error_message
    assert "(feed bad/f0)" in message  # names the feed it is about
    for fragment in fragments:
        assert fragment.lower() in message.lower(), message
    feed = h.feed
    assert (feed.status, feed.failure_count, feed.last_error) == ("failing", 1, message)
    assert feed.last_error_at is not None and feed.next_fetch_at > fetch.started_at
    assert articles(h.store, "bad") == h.before  # nothing lost, changed or added
    assert h.store.scalar("SELECT COUNT(*) FROM article_versions") == 0
    assert len(fetch_rows(h.store, h.url)) == 2


# --- slow and stalled servers -------------------------------------------------------

def test_server_that_never_answers_times_out_within_the_deadline(server, store):
    h = run_hostile(server, store, stall(server), fetch=QUICK)
    assert_refused(h, "timeout", "127.0.0.1")
    took = (h.fetch.finished_at - h.fetch.started_at).total_seconds()
    assert 0.9 * QUICK.deadline <= took <= QUICK.deadline + 0.5
    assert h.seconds < 2 * QUICK.deadline


@pytest.mark.parametrize("what", ["whole response", "body only"])
def test_drip_feed_is_cut_at_the_deadline(server, store, what):
    body = rss_doc(items(20, start=200))
    route = (drip(server, response(200, body, {"Content-Type": "application/rss+xml"}, length=len(body)))
             if what == "whole response" else drip_body(server, body))
    h = run_hostile(server, store, route, fetch=QUICK)
    assert_refused(h, "timeout", "deadline", "dripping")
    took = (h.fetch.finished_at - h.fetch.started_at).total_seconds()
    assert 0.9 * QUICK.deadline <= took <= QUICK.deadline + 0.5
    assert h.seconds < 1.6 * QUICK.deadline  # the whole pass, good feed included


# --- size caps ----------------------------------------------------------------------

def test_oversized_body_is_refused_at_the_cap(server, store):
    big = rss_doc(items(200, start=200))
    assert len(big) > 20_000
    h = run_hostile(server, store, static(big), fetch=replace(FAST, max_bytes=20_000))
    assert_refused(h, "too_large", "larger than 20,000 bytes")
    assert h.fetch.http_status == 200


def test_endless_body_is_cut_at_the_cap_not_the_deadline(server, store):
    h = run_hostile(server, store, endless(server), fetch=replace(FAST, max_bytes=1_000_000))
    assert_refused(h, "too_large", "larger than 1,000,000 bytes")
    assert h.fetch.bytes < 2_000_000  # stopped reading soon after the cap
    assert h.seconds < FAST.deadline


def test_gzip_bomb_is_refused_in_bounded_memory(server, store):
    bomb = gzip_bomb()
    assert len(bomb) < 2_000_000
    proc = psutil.Process()
    baseline = proc.memory_info().rss
    peak = [baseline]
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.005):
            peak[0] = max(peak[0], proc.memory_info().rss)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        h = run_hostile(server, store, reply(200, bomb, {"Content-Type": "application/rss+xml",
                                                         "Content-Encoding": "gzip"}))
    finally:
        done.set()
        sampler.join()
    peak[0] = max(peak[0], proc.memory_info().rss)
    assert_refused(h, "too_large", "after decompression")
    assert h.fetch.bytes < len(bomb) // 4  # stopped reading long before the end
    # The decoded body may reach the 10 MiB cap (about 13 MiB growth measured); a decoder
    # that inflated a whole 64 KiB network read at once would take ~64 MiB, the whole bomb 1 GiB.
    assert peak[0] - baseline < 48 * 1024 * 1024, f"RSS grew by {(peak[0] - baseline) >> 20} MiB"


# --- truncated and broken responses -------------------------------------------------

COMPLETE = rss_doc(items(5, start=200))


@pytest.mark.parametrize("case", ["complete document, length says more", "half a document",
                                  "chunked without the last chunk", "nothing at all"])
def test_truncated_response_stores_nothing(server, store, case):
    half = COMPLETE[:len(COMPLETE) // 2]
    data = {
        "complete document, length says more": response(200, COMPLETE, length=len(COMPLETE) + 500),
        "half a document": response(200, half, length=len(COMPLETE)),
        "chunked without the last chunk": response(
            200, b"%x\r\n%s\r\n" % (len(COMPLETE), COMPLETE), {"Transfer-Encoding": "chunked"}),
        "nothing at all": b"",
    }[case]
    h = run_hostile(server, store, raw(data))
    assert_refused(h, "protocol", "nothing stored" if case != "nothing at all" else "disconnected")


def test_truncated_gzip_body_stores_nothing(server, store):
    packed = gzip.compress(COMPLETE)
    cut = packed[:-12]  # the deflate stream without its end and trailer; framing is correct
    h = run_hostile(server, store, reply(200, cut, {"Content-Encoding": "gzip"}))
    assert_refused(h, "protocol", "gzip", "truncated")


def test_truncated_document_without_content_length_stores_nothing(server, store):
    # Without Content-Length the body ends when the connection closes: a cut-off feed
    # arrives as a "complete" response, and only the document itself shows the cut.
    cut = COMPLETE[:COMPLETE.index(b"<item>", COMPLETE.index(b"<item>") + 10) + 40]
    assert cut.count(b"</item>") == 1
    h = run_hostile(server, store, raw(response(200, cut, {"Connection": "close"})))
    assert_refused(h, "parse", "truncated", "nothing stored")
    assert h.fetch.http_status == 200


@pytest.mark.parametrize("encoding, body, fragment", [
    ("br", b"\x1b\x00\x00", "unsupported content-encoding"),
    ("gzip", COMPLETE, "corrupt gzip"),
])
def test_lying_content_encoding(server, store, encoding, body, fragment):
    h = run_hostile(server, store, reply(200, body, {"Content-Encoding": encoding}))
    assert_refused(h, "protocol", fragment)


def test_server_that_does_not_speak_http(server, store):
    h = run_hostile(server, store, raw(b"SSH-2.0-OpenSSH_9.9\r\nProtocol mismatch.\r\n"))
    assert_refused(h, "protocol")


# --- validators and changed bodies --------------------------------------------------

@pytest.mark.parametrize("validator", ["etag", "last-modified"])
def test_second_pass_sends_validators_and_a_304_writes_no_articles(server, store, validator):
    stamp = 1_790_000_000
    route = (static(SEED) if validator == "etag" else static(SEED, etag=False, last_modified=stamp))
    log: list[dict[str, str]] = []
    h = run_hostile(server, store, recording(route, log), seed=route)
    assert [r.outcome for r in fetch_rows(store, h.url)] == ["ok", "not_modified"]
    feed = h.feed
    if validator == "etag":
        sent = '"' + hashlib.sha256(SEED).hexdigest()[:16] + '"'
        assert feed.etag == log[-1]["if-none-match"] == sent
        assert "if-modified-since" not in log[-1]
    else:
        sent = email.utils.formatdate(stamp, usegmt=True)
        assert feed.last_modified == log[-1]["if-modified-since"] == sent
        assert feed.etag is None and "if-none-match" not in log[-1]
    fetch = h.fetch
    assert (fetch.http_status, fetch.items_seen, fetch.items_new, fetch.error_class) == (304, 0, 0, None)
    assert h.result.outcome == "not_modified" and h.report.exit_code == 0
    assert articles(store, "bad") == h.before  # updated_at untouched too
    assert (feed.status, feed.failure_count, feed.last_error) == ("active", 0, None)
    assert feed.next_fetch_at == fetch.started_at + timedelta(minutes=15)


def test_server_ignoring_validators_gives_unchanged_without_parsing(server, store):
    log: list[dict[str, str]] = []
    h = run_hostile(server, store, recording(reply(200, SEED, {"ETag": '"fresh-every-time"'}), log))
    assert log[-1].get("if-none-match")  # we asked politely
    fetch = h.fetch
    assert (fetch.outcome, fetch.http_status, fetch.items_seen, fetch.items_new) == ("unchanged", 200, 0, 0)
    assert h.result.outcome == "unchanged" and h.report.exit_code == 0
    assert articles(store, "bad") == h.before
    assert (h.feed.status, h.feed.failure_count) == ("active", 0)


def test_changed_body_updates_the_article_and_keeps_the_old_text(server, store):
    changed = rss_doc([item(100, title="Item 100 (corrected)", description="<p>New wording.</p>")]
                      + items(2, start=101), title="Seeded")
    h = run_hostile(server, store, static(changed))
    fetch = h.fetch
    assert (fetch.outcome, fetch.items_seen, fetch.items_new, fetch.items_changed) == ("ok", 3, 0, 1)
    after = {a[0]: a for a in articles(store, "bad")}
    old = {a[0]: a for a in h.before}
    assert set(after) == set(old)  # nothing lost, nothing added
    assert after["guid:g-100"][3:5] == ("Item 100 (corrected)", "New wording.")
    assert after["guid:g-101"] == old["guid:g-101"] and after["guid:g-102"] == old["guid:g-102"]
    [(version,)] = typed(store, select(ArticleVersionRow).join(
        ArticleRow, ArticleRow.id == ArticleVersionRow.article_id).where(ArticleRow.item_key == "guid:g-100"))
    assert (version.title, version.summary) == ("Item 100", "Body of item 100.")
    assert version.content_hash == old["guid:g-100"][6]
    assert version.seen_from == old["guid:g-100"][8]
    assert version.replaced_at == fetch.started_at


# --- statuses, Retry-After and backoff ----------------------------------------------

T0 = datetime(2026, 12, 1, 12, 0, 0)


@pytest.mark.parametrize("status, retry_after, wait", [
    (429, "7200", 7200),
    (429, email.utils.formatdate((T0 + timedelta(hours=3) - datetime(1970, 1, 1)).total_seconds(),
                                 usegmt=True), 3 * 3600),
    (429, "soon, maybe", 900),  # garbage: ignored, plain backoff (one 15 min interval)
    (429, "10", 900),  # less than the backoff: the backoff wins
    (429, "99999999", 24 * 3600),  # capped
    (503, "3600", 3600),
])
def test_retry_after_sets_the_next_fetch(server, store, status, retry_after, wait):
    h = run_hostile(server, store, reply(status, b"slow down", {"Retry-After": retry_after}),
                    clock=lambda: T0)
    assert_refused(h, "http_status", str(status))
    if wait > 900:
        assert "retry after" in h.fetch.error_message
    assert h.fetch.started_at == T0
    assert h.feed.next_fetch_at == h.fetch.next_fetch_at == T0 + timedelta(seconds=wait)
    assert h.result.next_fetch_at == T0 + timedelta(seconds=wait)


def test_repeated_5xx_backs_off_doubling_capped_then_success_resets(server, store):
    bad = server.add(BAD, reply(500, b"oops"))
    good = server.add(GOOD, static(GOOD_BODY))
    config = Config(outlets=(outlet("bad", [bad], interval=10 * 3600), outlet("good", [good])))
    now = [T0]
    for n, backoff in [(1, 10), (2, 20), (3, 24)]:  # hours: 10, 20, then 40 capped at 24
        report = collect_once(store, config, force=True, clock=lambda: now[0])
        assert result_for(report, bad).outcome == "error"
        feed, fetch = feed_row(store, bad), fetch_rows(store, bad)[-1]
        assert (fetch.outcome, fetch.error_class, fetch.http_status) == ("error", "http_status", 500)
        assert "500" in fetch.error_message and "(feed bad/f0)" in fetch.error_message
        assert (feed.status, feed.failure_count, feed.last_error) == ("failing", n, fetch.error_message)
        assert feed.next_fetch_at == now[0] + timedelta(hours=backoff)
        if n == 1:
            assert_good_stored(store, report, good)
        now[0] += timedelta(hours=1)
    # Not due yet: a normal pass leaves it alone.
    hits = server.hits[BAD]
    report = collect_once(store, config, clock=lambda: now[0])
    assert bad not in [r.url for r in report.results] and server.hits[BAD] == hits
    server.add(BAD, static(SEED))
    now[0] = feed_row(store, bad).next_fetch_at  # due now, no force needed
    report = collect_once(store, config, clock=lambda: now[0])
    assert result_for(report, bad).outcome == "ok"
    feed = feed_row(store, bad)
    assert (feed.status, feed.failure_count, feed.last_success_at) == ("active", 0, now[0])
    assert feed.next_fetch_at == now[0] + timedelta(hours=10)
    assert len(articles(store, "bad")) == 3 and len(articles(store, "good")) == 4
    assert_no_duplicates(store)


def test_410_marks_the_feed_gone_until_forced(server, store):
    h = run_hostile(server, store, reply(410, b"gone"))
    assert h.result.outcome == "gone" and h.report.exit_code == 1
    fetch, feed = h.fetch, h.feed
    assert (fetch.outcome, fetch.error_class, fetch.http_status) == ("gone", "http_status", 410)
    assert "410" in fetch.error_message and "gone" in fetch.error_message
    assert (feed.status, feed.failure_count, feed.next_fetch_at) == ("gone", 1, None)
    assert articles(store, "bad") == h.before
    config = config_for({"bad": [h.url], "good": [h.good_url]})
    hits = server.hits[BAD]
    report = collect_once(store, config)  # a normal pass: not due
    assert h.url not in [r.url for r in report.results] and server.hits[BAD] == hits
    assert len(fetch_rows(store, h.url)) == 2
    report = collect_once(store, config, force=True)
    assert result_for(report, h.url).outcome == "gone" and server.hits[BAD] == hits + 1
    assert len(fetch_rows(store, h.url)) == 3
    assert articles(store, "bad") == h.before


@pytest.mark.parametrize("status", [401, 403, 404, 500, 502])
def test_error_statuses_are_recorded_with_the_code(server, store, status):
    h = run_hostile(server, store, reply(status, b"<html><body>nope</body></html>",
                                         {"Content-Type": "text/html"}))
    assert_refused(h, "http_status", str(status))
    assert h.fetch.http_status == status and h.feed.last_status == status


# --- redirects ----------------------------------------------------------------------

def chain(server, prefix: str, hops: int, target: str) -> str:
    """/prefix0 -> /prefix1 -> ... -> target after ``hops`` redirects; returns the start URL."""
    for i in range(hops):
        server.add(f"/{prefix}{i}", redirect(f"/{prefix}{i + 1}" if i + 1 < hops else target))
    return server.url(f"/{prefix}0")


def test_five_redirects_are_followed(server, store):
    target = server.add("/final/feed.xml", static(rss_doc(items(2, start=300))))
    start = chain(server, "hop", 5, "/final/feed.xml")
    good = server.add(GOOD, static(GOOD_BODY))
    report = collect_once(store, config_for({"bad": [start], "good": [good]}))
    assert result_for(report, start).outcome == "ok"
    assert fetch_rows(store, start)[-1].final_url == target
    assert sorted(a[3] for a in articles(store, "bad")) == ["Item 300", "Item 301"]
    assert_good_stored(store, report, good)


@pytest.mark.parametrize("kind", ["six redirects", "loop", "to file://"])
def test_bad_redirects_are_errors(server, store, kind):
    server.add("/final/feed.xml", static(rss_doc(items(2, start=300))))
    if kind == "six redirects":
        route = redirect(chain(server, "hop", 5, "/final/feed.xml"))
        fragment = "more than 5 redirects"
    elif kind == "loop":
        server.add("/loop-a", redirect("/loop-b"))
        server.add("/loop-b", redirect("/loop-a"))
        route, fragment = redirect("/loop-a"), "redirects"
    else:
        route, fragment = redirect("file:///etc/passwd"), "non-http"
    h = run_hostile(server, store, route)
    assert_refused(h, "protocol", fragment)
    assert server.hits["/final/feed.xml"] == 0
