"""Feed bytes + response headers -> article drafts. Pure: no network, no clock, no database.

Usage::

    feed = parse_feed(body, {"content-type": "application/rss+xml"},
                      url="https://tass.com/rss/v2.xml", fetched_at=now)
    for draft in feed.items: ...

Feed content is hostile. Documents that declare DTD entities are refused before any
XML parser sees them (a 68 KiB billion-laughs feed expands to ~190 MiB), feedparser
only ever gets ``bytes`` (given a ``str`` it would open files or fetch URLs), and any
exception feedparser raises becomes a ``ParseError`` on this one feed.
"""

from __future__ import annotations

import calendar
import hashlib
import ipaddress
import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode, urljoin, urlsplit, urlunsplit

import feedparser

from .errors import ParseError, UnsafeDocument

EARLIEST_DATE = datetime(1991, 1, 1)  # before the web existed: a bad date, not news
FUTURE_SLACK = timedelta(days=2)  # time zones and sloppy clocks, not scheduled posts


def plausible_date(when: datetime, now: datetime) -> bool:
    """A publication date worth believing: after 1991 and not days in the future."""
    return EARLIEST_DATE <= when <= now + FUTURE_SLACK


@dataclass(frozen=True, slots=True)
class ArticleDraft:
    """One feed item, normalised; not yet stored."""

    item_key: str
    guid: str | None
    url: str | None
    title: str
    summary: str
    content: str
    author: str | None
    language: str | None
    published_at: datetime  # naive UTC; fetch time when the feed's date was unusable
    published_raw: str | None
    date_flag: str | None  # None, "missing", "unparsed" or "absurd"
    content_hash: str


@dataclass(frozen=True)
class ParsedFeed:
    title: str
    items: tuple[ArticleDraft, ...]
    warnings: tuple[str, ...] = field(default=())


# --- safety checks on the raw bytes -----------------------------------------------

_ENTITY = re.compile(rb"<!entity", re.IGNORECASE)
_CLOSING_ROOT = re.compile(rb"</\s*(?:[a-z0-9_.-]+:)?(?:rss|feed|rdf|channel)\s*>", re.IGNORECASE)
_HTML_START = re.compile(rb"^\s*(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html[\s>])", re.IGNORECASE | re.DOTALL)


def check_document(body: bytes) -> None:
    """Refuse what must never reach an XML parser, and what is plainly not a feed."""
    # UTF-16/32 put NULs between ASCII letters; dropping them lets one scan cover all.
    ascii_view = body.replace(b"\x00", b"") if b"\x00" in body else body
    ascii_view = ascii_view.lstrip(b"\xef\xbb\xbf\xff\xfe")  # UTF-8/16/32 byte order marks
    if not ascii_view.strip():
        raise ParseError("parse: empty body (the server sent no feed)")
    if _ENTITY.search(ascii_view):
        raise UnsafeDocument("parse: document declares DTD entities (<!ENTITY); refused, "
                             "as entity expansion can exhaust memory (billion laughs, XXE)")
    if _HTML_START.match(ascii_view[:4096]):
        raise ParseError("parse: got an HTML page, not a feed (a login, consent or error "
                         "page?); check the feed URL in a browser")
    if not _CLOSING_ROOT.search(ascii_view[-65536:]):
        raise ParseError("parse: document ends before its closing </rss>, </feed> or "
                         "</rdf:RDF> tag (truncated?); nothing stored")


# --- text and URL normalisation ---------------------------------------------------

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
_SPACES = re.compile(r"[ \t\r\f\v\u00a0]+")
_BLANK_LINES = re.compile(r"\n\s*\n+")
_BLOCK = frozenset("address article aside blockquote br dd div dl dt figcaption figure footer "
                   "h1 h2 h3 h4 h5 h6 header hr li main nav ol p pre section table td th tr "
                   "ul".split())
_SKIP = frozenset({"script", "style", "noscript", "template", "iframe", "object", "svg"})
# HTML5: a tag, comment or declaration; "</" then anything but a letter opens a bogus comment
# ("</<script" at the end is markup, not text)
_UNFINISHED_TAG = re.compile(r"<(?:/?[a-zA-Z]|[!?]|/[^>])")


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip = 0

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        if tag in _SKIP:
            self.skip += 1
        elif tag in _BLOCK:
            self.parts.append("\n")

    def handle_startendtag(self, tag: str, attrs: Any) -> None:
        if tag in _BLOCK:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP:
            self.skip = max(0, self.skip - 1)
        elif tag in _BLOCK:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.skip:
            self.parts.append(data)


def clean_text(text: str, *, single_line: bool = False) -> str:
    """Strip control characters and lone surrogates; fold runs of white space."""
    text = _CONTROL.sub("", text.replace("\r\n", "\n"))
    if single_line:
        return " ".join(text.split())
    lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


def html_to_text(html: str, *, single_line: bool = False) -> str:
    """Markup -> plain text: tags dropped, script/style bodies dropped, entities decoded."""
    if "<" not in html and "&" not in html:
        return clean_text(html, single_line=single_line)
    parser = _TextExtractor()
    # Controls go first: clean_text would otherwise splice "<scr\x00ipt>" into "<script>"
    # after the parser had taken it for text.
    parser.feed(_CONTROL.sub("", html))
    # A tag cut off at the end ("… <script", a truncated teaser) is dropped, as HTML5 and
    # newer Pythons do; Python 3.11's close() would flush it into the text verbatim.
    if _UNFINISHED_TAG.match(parser.rawdata):
        parser.rawdata = ""
    parser.close()
    return clean_text("".join(parser.parts), single_line=single_line)


_TRACKING = ("utm_",)
_BAD_HOST = re.compile(r"[\x00-\x20#%/:<>?@\[\\\]^|\x7f]")  # WHATWG forbidden host code points
_USERINFO_SAFE = "!$&'()*+,;=-._~%"  # RFC 3986 userinfo, minus ':' (passwords are dropped)
_TRACKING_EXACT = frozenset({"fbclid", "gclid", "mc_cid", "mc_eid"})


def canonical_url(link: str | None, base: str | None = None) -> str | None:
    """Absolute http(s) URL without fragment or tracking parameters; None if unusable."""
    if not link or not isinstance(link, str):
        return None
    link = _CONTROL.sub("", link).strip()
    if not link:  # urljoin would turn a blank link into the base itself
        return None
    try:
        parts = urlsplit(urljoin(base or "", link))
        if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
            return None
        host = parts.hostname.lower()
        if ":" in host:  # an IPv6 literal, which urlsplit does not always check ("http://x@[:")
            ipaddress.IPv6Address(host.split("%")[0])
            host = f"[{host}]"
        elif _BAD_HOST.search(host):  # urlsplit lets "http://[::]@]" through with host "]"
            return None
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    netloc = host if port is None or (scheme, port) in (("http", 80), ("https", 443)) else f"{host}:{port}"
    if parts.username:  # encoded: a raw '[', '@' or '/' here makes the result unparsable
        netloc = f"{quote(parts.username, safe=_USERINFO_SAFE)}@{netloc}"
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
             if not k.lower().startswith(_TRACKING) and k.lower() not in _TRACKING_EXACT]
    # White space left in the path (a space, a no-break space) would make the result end in
    # white space that the next call strips: encode it, as browsers do, so that
    # canonical_url(canonical_url(x)) == canonical_url(x).
    path = re.sub(r"\s", lambda m: quote(m.group()), parts.path) or "/"
    return urlunsplit((scheme, netloc, path, urlencode(query), ""))


def content_hash(title: str, summary: str, content: str) -> str:
    return hashlib.sha256(f"{title}\x1f{summary}\x1f{content}".encode("utf-8", "replace")).hexdigest()


# --- feedparser -> drafts ---------------------------------------------------------

def _detail_text(entry: Mapping[str, Any], key: str, *, single_line: bool = False) -> str:
    value = entry.get(key) or ""
    detail = entry.get(f"{key}_detail") or {}
    if detail.get("type", "text/html") == "text/plain":
        return clean_text(value, single_line=single_line)
    return html_to_text(value, single_line=single_line)


def _content_text(entry: Mapping[str, Any]) -> str:
    texts = []
    for part in entry.get("content") or ():
        value = part.get("value") or ""
        texts.append(clean_text(value) if part.get("type") == "text/plain" else html_to_text(value))
    return max(texts, key=len, default="")


def _published(entry: Mapping[str, Any], fetched_at: datetime) -> tuple[datetime, str | None, str | None]:
    # dict.get, not entry.get: FeedParserDict maps "updated" onto "published" with a
    # DeprecationWarning on every access.
    raw = dict.get(entry, "published") or dict.get(entry, "updated") or dict.get(entry, "created")
    parsed = (dict.get(entry, "published_parsed") or dict.get(entry, "updated_parsed")
              or dict.get(entry, "created_parsed"))
    raw = clean_text(raw, single_line=True)[:200] if isinstance(raw, str) else None
    if not raw:
        return fetched_at, None, "missing"
    if not parsed:
        return fetched_at, raw, "unparsed"
    try:
        when = datetime.utcfromtimestamp(calendar.timegm(parsed))
    except (OverflowError, ValueError, OSError, TypeError):
        return fetched_at, raw, "unparsed"
    if not plausible_date(when, fetched_at):
        return fetched_at, raw, "absurd"
    return when, raw, None


def _guid(entry: Mapping[str, Any]) -> str:
    """The guid as stored. Sharing is judged on this form: "a  b" and "a b" are one key."""
    return clean_text(entry.get("id") or "", single_line=True)[:1000]


def _fallback_key(url: str | None, title: str, summary: str) -> str:
    if url:
        return "url:" + url
    return "hash:" + hashlib.sha256(f"{title}\x1f{summary}".encode("utf-8", "replace")).hexdigest()[:40]


_CHARREF = re.compile(rb"&#(?:[xX]([0-9a-fA-F]{1,8})|([0-9]{1,10}));")


def _defuse_charrefs(body: bytes) -> bytes:
    """Replace references to surrogates and non-characters with U+FFFD.

    feedparser raises on e.g. ``&#xD800;`` and would lose the whole feed for one title.
    """
    def repl(match: re.Match[bytes]) -> bytes:
        code = int(match.group(1), 16) if match.group(1) else int(match.group(2))
        bad = 0xD800 <= code <= 0xDFFF or code > 0x10FFFF or (code < 0x20 and code not in (9, 10, 13))
        return b"&#xFFFD;" if bad else match.group(0)

    return _CHARREF.sub(repl, body) if b"&#" in body else body


_DOCTYPE = re.compile(rb"<!DOCTYPE[^>\[]*(?:\[[^\]]*\])?\s*>", re.IGNORECASE)


def _drop_doctype(body: bytes) -> bytes:
    """Remove a DOCTYPE. With the old Netscape RSS 0.91 one, feedparser silently drops
    HTML entities (caf&eacute; -> caf); without it they decode. Entity declarations were
    already refused by check_document, so nothing a DOCTYPE could define is lost."""
    head = body[:4096]
    match = _DOCTYPE.search(head)
    return body[:match.start()] + body[match.end():] if match else body


def parse_feed(body: bytes, headers: Mapping[str, str], url: str, fetched_at: datetime) -> ParsedFeed:
    """Parse one feed document. ``url`` is the final URL (after redirects), used as base."""
    if not isinstance(body, bytes):
        raise TypeError("parse_feed takes bytes; a str makes feedparser open files or URLs")
    check_document(body)
    response_headers = {k.lower(): v for k, v in headers.items()
                        if k.lower() in ("content-type", "content-language")}
    # No content-location: feedparser would resolve every guid against it, turning the
    # opaque guid "ew-1" into "https://host/ew-1". Links are resolved below instead.
    try:
        # We keep plain text only (html_to_text drops every tag and script/style bodies),
        # so feedparser's HTML sanitiser and its rewriting of links inside content would
        # be spent on markup we discard: about 30% of parse time.
        doc = feedparser.parse(_drop_doctype(_defuse_charrefs(body)), response_headers=response_headers,
                               sanitize_html=False, resolve_relative_uris=False)
    except Exception as exc:  # noqa: BLE001 — feedparser raises on odd input: one bad feed, not a crash
        raise ParseError(f"parse: feedparser failed: {type(exc).__name__}: {exc}") from None
    entries = doc.get("entries") or []
    if not entries and not doc.get("version"):
        why = doc.get("bozo_exception")
        raise ParseError("parse: not an RSS/Atom feed" + (f" ({why})" if why else ""))
    warnings = []
    if doc.get("bozo") and doc.get("bozo_exception") is not None:
        warnings.append(f"feed is not well-formed, parsed leniently: {doc['bozo_exception']}"[:300])
    feed_language = (doc.get("feed") or {}).get("language")
    guids = Counter(_guid(e) for e in entries)
    shared = {g for g, n in guids.items() if g and n > 1}
    if shared:
        warnings.append(f"{sum(guids[g] for g in shared)} items share {len(shared)} guid(s); "
                        "keyed by link or text instead")
    items: dict[str, ArticleDraft] = {}
    for entry in entries:
        guid = _guid(entry) or None
        link = entry.get("link")
        if (entry.get("guidislink") and guid and link == entry.get("id")
                and not guid.lower().startswith(("http://", "https://"))):
            link = None  # feedparser copied a non-URL guid into link
        link = canonical_url(link, url)
        if link is not None and link == canonical_url(url):
            # "#" or "https://" resolve to the feed itself: not an article's address, and
            # as a key it would merge every such item into one.
            link = None
        title = _detail_text(entry, "title", single_line=True)[:2000]
        summary = _detail_text(entry, "summary")
        content = _content_text(entry)
        if not (title or summary or content or link):
            continue  # an item with nothing in it carries no article
        key = "guid:" + guid if guid and guid not in shared else _fallback_key(link, title, summary)
        if key in items:
            continue  # listed twice in one document: one article
        published_at, raw, flag = _published(entry, fetched_at)
        author = clean_text(entry.get("author") or "", single_line=True)[:500] or None
        language = (entry.get("content") or [{}])[0].get("language") or entry.get("language") or feed_language
        items[key] = ArticleDraft(
            item_key=key, guid=guid, url=link, title=title, summary=summary, content=content,
            author=author, language=(clean_text(language, single_line=True)[:35] or None) if language else None,
            published_at=published_at, published_raw=raw, date_flag=flag,
            content_hash=content_hash(title, summary, content))
    title = clean_text((doc.get("feed") or {}).get("title") or "", single_line=True)[:500]
    return ParsedFeed(title=title, items=tuple(items.values()), warnings=tuple(warnings))


def parse_outcome(body: bytes, headers: Mapping[str, str], url: str, fetched_at: datetime) -> tuple:
    """Process-pool entry point: never raises, always returns something picklable.

    ``("ok", ParsedFeed)`` or ``("error", stage, message)``.
    """
    try:
        return ("ok", parse_feed(body, headers, url, fetched_at))
    except ParseError as exc:
        return ("error", exc.stage, str(exc))
    except Exception as exc:  # noqa: BLE001 — hostile input must not take the run down
        return ("error", "parse", f"parse: {type(exc).__name__}: {exc}"[:1000])


def ignore_sigint() -> None:
    """Parse workers leave Ctrl-C to the parent, which stops the pass cleanly."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)


def init_worker() -> None:
    """Parse-worker set-up: leave Ctrl-C to the parent, and exit when the parent dies.

    A collect killed with SIGKILL (the OOM killer, ``kill -9``) cannot shut its pool
    down, and idle workers would otherwise wait on their task queue forever, one set
    per killed run.
    """
    import multiprocessing
    import os
    import threading
    from multiprocessing.connection import wait

    ignore_sigint()
    parent = multiprocessing.parent_process()
    if parent is not None:
        def watch() -> None:
            wait([parent.sentinel])  # readable once the parent's end of the pipe is closed
            os._exit(1)

        threading.Thread(target=watch, name="narratives-parent-watch", daemon=True).start()
