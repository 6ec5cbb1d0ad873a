"""End-to-end: the collector against hostile feed *content* served over loopback HTTP.

Same harness as test_collect_hostile.py (whose helpers this imports): the feed URL is
first collected while well behaved, then serves the hostile document in a forced pass
beside a good feed of another outlet. Here the HTTP is fine and the bytes are not:
XML bombs, lying encodings, absurd dates, missing or shared guids, hostile links and
markup, and text that must survive the store byte for byte.
"""

from __future__ import annotations

import re
from datetime import datetime

import pytest
from conftest import collect_once, config_for, item, items, outlet, rss_doc
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from test_collect_hostile import (
    BAD,
    GOOD,
    GOOD_BODY,
    Hostile,
    articles,
    assert_good_stored,
    assert_no_duplicates,
    assert_refused,
    fetch_rows,
    redirect,
    reply,
    result_for,
    run_hostile,
    typed,
)

from narratives.config import Config
from narratives.loopback import static
from narratives.models import ArticleRow

T0 = datetime(2026, 12, 1, 12, 0, 0)
CONTENT_NS = 'xmlns:content="http://purl.org/rss/1.0/modules/content/"'


def stored(store, outlet_id: str = "bad") -> dict[str, ArticleRow]:
    """item_key -> the stored article row, read back with real types."""
    rows = typed(store, select(ArticleRow).where(ArticleRow.outlet_id == outlet_id))
    return {r[0].item_key: r[0] for r in rows}


def assert_accepted(h: Hostile, new: int, *, changed: int = 0) -> dict[str, ArticleRow]:
    """The odd feed was stored: ``new`` more articles, the earlier ones untouched."""
    fetch = h.fetch
    assert (h.result.outcome, fetch.outcome, fetch.error_class) == ("ok", "ok", None), fetch.error_message
    assert (fetch.items_new, fetch.items_changed) == (new, changed)
    assert (h.feed.status, h.feed.failure_count, h.feed.last_error) == ("active", 0, None)
    after = articles(h.store, "bad")
    if not changed:
        assert set(h.before) <= set(after)  # every earlier row, unchanged
    assert len(after) == len(h.before) + new
    rows = stored(h.store)
    for row in rows.values():
        for text in (row.title, row.summary, row.content, row.url or "", row.guid or ""):
            assert "\x00" not in text and not re.search("[\ud800-\udfff]", text)
    return {k: v for k, v in rows.items() if k not in {a[0] for a in h.before}}


# --- not a feed ---------------------------------------------------------------------

LOGIN = (b"<!DOCTYPE html>\n<html><head><title>Sign in</title></head><body><form method=post>"
         b"<input name=user><input type=password name=pw></form></body></html>")


@pytest.mark.parametrize("page", [LOGIN, b"\xef\xbb\xbf  <!-- cms -->\n<html lang=en><body>"
                                  b"<h1>Please log in</h1></body></html>"])
def test_html_login_page_instead_of_a_feed(server, store, page):
    server.add("/login", reply(200, page, {"Content-Type": "text/html; charset=utf-8"}))
    h = run_hostile(server, store, redirect("/login?next=/bad.xml"))
    assert_refused(h, "parse", "HTML page", "login")
    assert h.fetch.final_url == server.url("/login?next=/bad.xml")


def test_valid_rss_served_as_text_html_is_stored(server, store):
    body = rss_doc(items(3, start=100) + items(2, start=200), title="Seeded")
    h = run_hostile(server, store, static(body, "text/html; charset=utf-8"))
    new = assert_accepted(h, 2)
    assert sorted(r.title for r in new.values()) == ["Item 200", "Item 201"]


@pytest.mark.parametrize("body", [b"", b" \r\n\t \n"])
def test_empty_body(server, store, body):
    h = run_hostile(server, store, reply(200, body, {"Content-Type": "application/rss+xml"}))
    assert_refused(h, "parse", "empty body")


@pytest.mark.parametrize("body, fragment", [
    (b'\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR' + bytes(range(256)) * 4, "not"),
    (b'{"items": [{"title": "json, not rss"}]}', "not"),
])
def test_bytes_that_are_not_a_feed(server, store, body, fragment):
    h = run_hostile(server, store, reply(200, body, {"Content-Type": "application/rss+xml"}))
    assert_refused(h, "parse", fragment)


# --- XML bombs and entities ---------------------------------------------------------

def laughs() -> bytes:
    decl = '<!ENTITY lol0 "lol">' + "".join(
        f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10))
    return rss_doc([item(1, raw="<category>&lol9;</category>")], prolog=f"<!DOCTYPE rss [{decl}]>")


BOMBS = {
    "billion laughs": laughs(),
    "external entity": rss_doc(
        [item(1).replace("<title>Item 1", "<title>&xxe;")],
        prolog='<!DOCTYPE rss [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'),
    "large entity repeated": rss_doc(
        [item(i).replace(f"<title>Item {i}", f"<title>&big;&big;&big;&big;{i}") for i in range(50)],
        prolog='<!DOCTYPE rss [<!ENTITY big "' + "A" * 200_000 + '">]>'),
    "parameter entity": rss_doc(
        items(1), prolog='<!DOCTYPE rss [<!ENTITY % ext SYSTEM "file:///etc/passwd"> %ext;]>'),
    "utf-16 billion laughs": laughs().decode("utf-8").replace('encoding="utf-8"', 'encoding="utf-16"')
    .encode("utf-16"),
}


@pytest.mark.parametrize("name, workers", [(name, 1 if name == "billion laughs" else 0) for name in BOMBS])
def test_entity_declarations_are_refused_as_unsafe(server, store, name, workers):
    h = run_hostile(server, store, static(BOMBS[name]), workers=workers)
    assert_refused(h, "unsafe", "<!ENTITY", "refused")
    everything = " ".join(str(v) for r in store.rows("SELECT * FROM articles") for v in r)
    assert "root:" not in everything and "lol" not in everything


def test_external_dtd_is_never_fetched(server, store):
    server.add("/evil.dtd", reply(200, b'<!ENTITY title "pwned">', {"Content-Type": "application/xml-dtd"}))
    doc = rss_doc(items(3, start=100) + items(1, start=200), title="Seeded",
                  prolog=f'<!DOCTYPE rss SYSTEM "{server.url("/evil.dtd")}">')
    h = run_hostile(server, store, static(doc))
    new = assert_accepted(h, 1)
    assert [r.title for r in new.values()] == ["Item 200"]
    assert server.hits["/evil.dtd"] == 0


# --- bad characters -----------------------------------------------------------------

def test_surrogate_character_reference_is_replaced_not_fatal(server, store):
    body = rss_doc(items(3, start=100) + [item(200, title="Before"), item(201)], title="Seeded")
    body = body.replace(b"<title>Before", b"<title>Before &#xD800; middle &#55296; after")
    h = run_hostile(server, store, static(body))
    new = assert_accepted(h, 2)
    assert new["guid:g-200"].title == "Before \ufffd middle \ufffd after"
    assert new["guid:g-201"].title == "Item 201"


def test_nul_bytes_are_dropped_from_stored_text(server, store):
    body = rss_doc(items(3, start=100) + [item(200, title="Nul@here"), item(201, description="de@sc")],
                   title="Seeded").replace(b"@", b"\x00")
    assert body.count(b"\x00") == 2
    h = run_hostile(server, store, static(body), workers=1)  # also through the process pool
    new = assert_accepted(h, 2)
    assert new["guid:g-200"].title == "Nulhere"
    assert new["guid:g-201"].summary == "desc"
    assert "well-formed" in (h.fetch.warnings or "")


def cyrillic_doc(declared: str, actual: str) -> bytes:
    """A feed whose XML declaration says ``declared`` while its bytes are ``actual``."""
    text = rss_doc(items(3, start=100) + [item(200, title="Привет, мир")], title="Seeded").decode("utf-8")
    return text.replace('encoding="utf-8"', f'encoding="{declared}"').encode(actual)


@pytest.mark.parametrize("declared, actual, content_type", [
    ("utf-8", "windows-1251", "application/rss+xml"),
    ("utf-8", "windows-1251", "application/rss+xml; charset=utf-8"),
    ("iso-8859-1", "utf-8", "application/rss+xml"),
    ("windows-1251", "windows-1251", "application/rss+xml"),  # honest: the control case
])
def test_wrong_declared_encoding_does_not_lose_the_feed(server, store, declared, actual, content_type):
    h = run_hostile(server, store, static(cyrillic_doc(declared, actual), content_type))
    new = assert_accepted(h, 1)
    row = new["guid:g-200"]
    assert row.url == "https://news.example/a/200" and row.summary == "Body of item 200."
    if actual == "utf-8" or declared == actual:
        assert row.title == "Привет, мир"
    else:  # not utf-8 after all: decoded leniently, byte for character, with a warning
        assert len(row.title) == len("Привет, мир") and row.title != "Привет, мир"
        assert "declared as utf-8" in h.fetch.warnings


# --- dates --------------------------------------------------------------------------

def test_absurd_and_unparseable_dates_fall_back_to_fetch_time(server, store):
    dates = {200: "0000-00-00", 201: "Mon, 01 Jan 1800 00:00:00 GMT",
             202: "Tue, 01 Jan 2999 00:00:00 GMT", 203: None, 204: "Mon, 30 Nov 2026 08:00:00 GMT",
             205: "yesterday-ish"}
    body = rss_doc(items(3, start=100) + [item(i, pub=p) for i, p in dates.items()], title="Seeded")
    h = run_hostile(server, store, static(body), clock=lambda: T0, workers=1)
    new = assert_accepted(h, len(dates))
    got = {int(k.removeprefix("guid:g-")): (r.published_at, r.published_raw, r.date_flag)
           for k, r in new.items()}
    assert got == {
        200: (T0, "0000-00-00", "unparsed"),
        201: (T0, "Mon, 01 Jan 1800 00:00:00 GMT", "absurd"),
        202: (T0, "Tue, 01 Jan 2999 00:00:00 GMT", "absurd"),
        203: (T0, None, "missing"),
        204: (datetime(2026, 11, 30, 8), "Mon, 30 Nov 2026 08:00:00 GMT", None),
        205: (T0, "yesterday-ish", "unparsed"),
    }
    assert h.fetch.started_at == T0


# --- item identity ------------------------------------------------------------------

def test_items_without_guid_or_link_are_keyed_by_text(server, store):
    entries = [item(200, guid=None, link=None, title="Same headline", description="First text"),
               item(201, guid=None, link=None, title="Same headline", description="Second text"),
               item(202, guid=None, link=None, title="Other headline")]
    h = run_hostile(server, store, static(rss_doc(items(3, start=100) + entries, title="Seeded")))
    new = assert_accepted(h, 3)
    assert all(k.startswith("hash:") for k in new)
    assert sorted((r.title, r.summary) for r in new.values()) == [
        ("Other headline", "Body of item 202."), ("Same headline", "First text"),
        ("Same headline", "Second text")]
    assert all(r.guid is None and r.url is None for r in new.values())
    # The same items again, reordered in a different document: parsed again, nothing added.
    server.add(BAD, static(rss_doc(entries[::-1] + items(3, start=100), title="Renamed")))
    report = collect_once(store, config_for({"bad": [h.url], "good": [h.good_url]}), force=True)
    assert result_for(report, h.url).outcome == "ok"
    fetch = fetch_rows(store, h.url)[-1]
    assert (fetch.items_seen, fetch.items_new, fetch.items_changed) == (6, 0, 0)
    assert len(articles(store, "bad")) == 6
    assert_no_duplicates(store)


def test_items_sharing_one_guid_are_each_stored_once(server, store):
    entries = [item(i, guid="same-guid-for-all") for i in range(200, 204)]
    entries.append(item(204, guid="same-guid-for-all", link=None))
    body = rss_doc(items(3, start=100) + entries, title="Seeded")
    h = run_hostile(server, store, static(body))
    new = assert_accepted(h, 5)
    assert sorted(r.title for r in new.values()) == [f"Item {i}" for i in range(200, 205)]
    assert sorted(k.split(":", 1)[0] for k in new) == ["hash", "url", "url", "url", "url"]
    assert all(r.guid == "same-guid-for-all" for r in new.values())
    assert "5 items share 1 guid" in h.fetch.warnings
    server.add(BAD, static(body.replace(b"<title>Seeded", b"<title>Seeded again")))
    collect_once(store, config_for({"bad": [h.url], "good": [h.good_url]}), force=True)
    assert fetch_rows(store, h.url)[-1].items_new == 0
    assert len(articles(store, "bad")) == 8
    assert_no_duplicates(store)


def test_same_item_in_two_feeds_of_one_outlet_is_one_article(server, store):
    shared = item(1, description="<p>Teaser in the world feed.</p>")
    shared_link = item(2, guid=None, link="https://news.example/a/2?utm_source=world")
    one = server.add("/world.xml", static(rss_doc([shared, shared_link, item(10)])))
    two = server.add("/top.xml", static(rss_doc([
        item(1, description="<p>Another teaser, top stories.</p>"),
        item(2, guid=None, link="https://news.example/a/2#top"), item(20)])))
    good = server.add(GOOD, static(GOOD_BODY))
    config = Config(outlets=(outlet("x", [one, two]), outlet("good", [good])))
    report = collect_once(store, config)
    assert [r.outcome for r in report.results] == ["ok"] * 3
    assert_good_stored(store, report, good)
    rows = stored(store, "x")
    assert sorted(rows) == ["guid:g-1", "guid:g-10", "guid:g-20", "url:https://news.example/a/2"]
    assert sum(result_for(report, u).counts.new for u in (one, two)) == 4
    assert store.scalar("SELECT COUNT(*) FROM article_versions") == 0
    collect_once(store, config, force=True)  # 304s
    assert len(stored(store, "x")) == 4
    assert_no_duplicates(store)


# --- links and markup ---------------------------------------------------------------

def test_relative_links_resolve_against_the_final_url_after_a_redirect(server, store):
    entries = [item(200, link="a/1.html"), item(201, link="/abs/2"), item(202, link="../up/3?q=1&utm_source=x"),
               item(203, link="//cdn.example/x"), item(204, link="https://news.example/abs")]
    server.add("/new/path/feed.xml", static(rss_doc(items(3, start=100) + entries, title="Seeded")))
    h = run_hostile(server, store, redirect("/new/path/feed.xml", 301))
    new = assert_accepted(h, 5)
    base = server.url("")
    assert {k: r.url for k, r in new.items()} == {
        "guid:g-200": f"{base}/new/path/a/1.html",
        "guid:g-201": f"{base}/abs/2",
        "guid:g-202": f"{base}/new/up/3?q=1",
        "guid:g-203": "http://cdn.example/x",
        "guid:g-204": "https://news.example/abs",
    }
    assert h.fetch.final_url == server.url("/new/path/feed.xml")


def test_scripts_are_dropped_and_javascript_links_are_not_stored(server, store):
    desc = ("<p>Hello <a href=\"javascript:steal()\" onclick=\"steal()\">reader</a></p>"
            "<script>alert('pwned-summary')</script><style>p {color: red}</style>"
            "<img src=x onerror=\"alert('pwned-img')\">")
    full = ("<![CDATA[<p>Full story.</p><script>document.location='//evil'+'pwned-content'</script>"
            "<iframe src=\"javascript:alert('pwned-frame')\"></iframe>]]>")
    entries = [item(200, link="javascript:alert('pwned-link')", description=desc,
                    raw=f"<content:encoded>{full}</content:encoded>"),
               item(201, guid=None, link=" JaVaScRiPt:alert(1)", title="No guid, bad link"),
               item(202, link="data:text/html,<script>alert(1)</script>"),
               item(203, link="java\tscript:alert(1)")]
    body = rss_doc(items(3, start=100) + entries, title="Seeded").replace(
        b'<rss version="2.0">', f'<rss version="2.0" {CONTENT_NS}>'.encode())
    h = run_hostile(server, store, static(body))
    new = assert_accepted(h, 4)
    first = new["guid:g-200"]
    assert (first.url, first.summary, first.content) == (None, "Hello reader", "Full story.")
    assert [k for k, r in new.items() if r.title == "No guid, bad link"][0].startswith("hash:")
    assert all(r.url is None for r in new.values())
    everything = " ".join(str(v) for r in store.rows("SELECT * FROM articles") for v in r)
    for bad in ("pwned", "script", "javascript", "alert", "onerror", "color: red"):
        assert bad not in everything.lower()


# --- text that must come back exactly -----------------------------------------------

TITLES = [
    "Robert'); DROP TABLE articles;--",
    "' OR '1'='1' --",
    "\"; DELETE FROM feeds WHERE 1=1; --",
    "%s %d {0} :title ? $1 \\x00 \\n",
    "مرحبا بالعالم \u200fالخبر العاجل",
    "שלום עולם: a\u202ebackwards\u202c text",
    "👩\u200d👩\u200d👧 family, 🇺🇦 flag, 👍🏽 tone, 𝔘𝔫𝔦𝔠𝔬𝔡𝔢",
    "Cafe\u0301 (NFD) and Café (NFC)",
    "新华社报道 · ТАСС сообщает · Tom & Jerry · 5 < 6 > 4",
]


def test_sql_looking_rtl_and_emoji_titles_round_trip_exactly(server, store):
    entries = [item(200 + i, title=t, description=t) for i, t in enumerate(TITLES)]
    h = run_hostile(server, store, static(rss_doc(items(3, start=100) + entries, title="Seeded")))
    new = assert_accepted(h, len(TITLES))
    for i, title in enumerate(TITLES):
        row = new[f"guid:g-{200 + i}"]
        assert row.title == title and row.title.encode("utf-8") == title.encode("utf-8")
        assert row.summary == title
    raw = store.rows("SELECT title FROM articles WHERE item_key = 'guid:g-200'")[0][0]
    assert raw == TITLES[0]
    assert store.scalar("SELECT COUNT(*) FROM feeds") == 2  # nothing dropped or deleted


LOOKS_LIKE_HTML = re.compile(r"</\w+>|&#?\w+;")  # feedparser then treats an RSS title as HTML


def double_encoded(text: str) -> bool:
    """Latin-1 text whose bytes are also UTF-8 ("CafÃ©"): feedparser repairs it on purpose."""
    try:
        return text.encode("latin-1").decode("utf-8") != text
    except UnicodeError:
        return False


TITLE_TEXT = st.text(st.characters(blacklist_categories=("Cc", "Cs"), blacklist_characters="\ufffe\uffff"),
                     min_size=1, max_size=40).map(lambda t: " ".join(t.split())).filter(
    lambda t: t and not LOOKS_LIKE_HTML.search(t) and not double_encoded(t))


def test_double_encoded_utf8_is_repaired(server, store):
    entries = [item(200, title="CafÃ© crÃ¨me, naÃ¯ve"), item(201, title="Café crème")]
    h = run_hostile(server, store, static(rss_doc(items(3, start=100) + entries, title="Seeded")))
    new = assert_accepted(h, 2)
    assert new["guid:g-200"].title == new["guid:g-201"].title + ", naïve"


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(title=TITLE_TEXT)
def test_arbitrary_unicode_titles_round_trip(server, store, title):
    n = store.scalar("SELECT COUNT(*) FROM fetches")  # a fresh guid per example
    url = server.add("/uni.xml", static(rss_doc([item(n, title=title, guid=f"uni-{n}")])))
    good = server.add(GOOD, static(GOOD_BODY))
    report = collect_once(store, config_for({"uni": [url], "good": [good]}), force=True)
    assert result_for(report, url).outcome == "ok"
    row = stored(store, "uni")[f"guid:uni-{n}"]
    assert row.title == title and row.title.encode("utf-8") == title.encode("utf-8")
    assert len(stored(store, "good")) == 4
    assert_no_duplicates(store)
