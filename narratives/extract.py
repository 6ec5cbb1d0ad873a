"""An article page's bytes -> its main text, with trafilatura. Pure: no network, no clock.

Usage::

    result = extract(body, {"content-type": "text/html; charset=windows-1251"}, url,
                     feed_text="the feed's teaser", title="the feed's headline")
    result.status, result.text     # "extracted", "…"  (or "fallback" with a reason)

The page is decoded here (BOM, HTTP charset, ``<meta charset>``, then detection) and
trafilatura gets a ``str``, so the charset rules are ours and the same everywhere.
``fulltext.py`` is the stage around it (fetching, robots.txt, schedule, store).

trafilatura, lxml and charset_normalizer are imported on first use: the stage's main
process only hands pages to extractor processes and never needs them (~0.2 s of
start-up saved there, and ~0.5 s in each worker, which imports this module alone).
"""

from __future__ import annotations

import codecs
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .parse import clean_text

if TYPE_CHECKING:
    import lxml.html

MAX_TEXT_CHARS = 200_000  # a long read is ~60,000; more is a page that is not one article


def extractor_name() -> str:
    """The extractor and its version, as ``article_texts.extractor`` records it."""
    import trafilatura

    return f"trafilatura {trafilatura.__version__}"


def load_extractor() -> None:
    """Import trafilatura and quiet its logger (a pool initializer may call it early).

    trafilatura logs every odd page at WARNING; with no handler configured, Python would
    print them all to stderr. Our outcomes are recorded per article instead.
    """
    import trafilatura  # noqa: F401 — the import is the point

    log = logging.getLogger("trafilatura")
    if not log.handlers:
        log.addHandler(logging.NullHandler())
        log.propagate = False


# --- decoding ---------------------------------------------------------------------

_BOMS = ((b"\xef\xbb\xbf", "utf-8"), (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be"))
_HEADER_CHARSET = re.compile(r"""charset\s*=\s*["']?\s*([^"';\s]+)""", re.IGNORECASE)
_META_CHARSET = re.compile(rb"""<meta\b[^>]{0,512}?charset\s*=\s*["']?\s*([a-zA-Z0-9_.:-]{1,40})""",
                           re.IGNORECASE)
# The WHATWG Encoding Standard, which every browser follows: pages labelled ISO-8859-1 or
# ASCII are decoded as windows-1252 (so 0x92 is a curly apostrophe, not a control), and a
# <meta> claiming UTF-16 in an ASCII-compatible document means UTF-8.
_WHATWG = {"iso8859-1": "cp1252", "ascii": "cp1252"}


def _codec(label: str | None, *, meta: bool = False) -> str | None:
    if not label:
        return None
    try:
        name = codecs.lookup(label.strip().strip("\"'")).name
    except (LookupError, ValueError):  # ValueError: a NUL in the label
        return None
    if meta and name.startswith("utf-16"):
        return "utf-8"
    return _WHATWG.get(name, name)


def decode_html(body: bytes, headers: Mapping[str, str]) -> tuple[str, str]:
    """Page bytes -> (text, "codec (source)"): BOM, HTTP charset, <meta charset>, detection.

    A declared charset the bytes do not fit is passed over for the next source;
    detection (UTF-8, then charset_normalizer) comes last, and if every guess fails
    the first declared charset decodes with replacement characters.
    """
    declared: list[tuple[str, str]] = []
    for bom, codec in _BOMS:
        if body.startswith(bom):
            return body[len(bom):].decode(codec, "replace"), f"{codec} (bom)"
    match = _HEADER_CHARSET.search(headers.get("content-type", ""))
    codec = _codec(match.group(1)) if match else None
    if codec:
        declared.append((codec, "header"))
    match = _META_CHARSET.search(body[:4096])
    codec = _codec(match.group(1).decode("ascii"), meta=True) if match else None
    if codec:
        declared.append((codec, "meta"))
    for codec, source in declared:
        try:
            return body.decode(codec), f"{codec} ({source})"
        except (UnicodeDecodeError, LookupError):  # LookupError: "base64" is no text codec
            continue
    try:
        return body.decode("utf-8"), "utf-8 (detected)"
    except UnicodeDecodeError:
        pass
    import charset_normalizer  # only pages that declare nothing usable need it

    guess = charset_normalizer.from_bytes(body[:65536]).best()
    for codec, source in ([(guess.encoding, "detected")] if guess else []) + declared:
        try:
            return body.decode(codec, "replace"), f"{codec} ({source})"
        except LookupError:
            continue
    return body.decode("utf-8", "replace"), "utf-8 (replaced)"


# --- extraction -------------------------------------------------------------------

@dataclass(frozen=True)
class Extraction:
    """What a page gave. ``status``: extracted | fallback | failed (see ``extract``)."""

    status: str
    text: str = ""
    reason: str | None = None  # fallback: shorter_than_feed | no_text | several_articles
    message: str | None = None
    encoding: str | None = None


_WORD = re.compile(r"\w{3,}")
TITLE_MATCH = 0.6  # share of the title's words an <article>'s headline must carry


def _words(text: str) -> set[str]:
    return {w.lower() for w in _WORD.findall(text)}


def _headline(element: lxml.html.HtmlElement) -> str:
    heads = element.xpath(".//h1|.//h2|.//h3")
    return heads[0].text_content() if heads else element.text_content()[:300]


def _one_article(tree: lxml.html.HtmlElement, title: str) -> lxml.html.HtmlElement | str | None:
    """On a page with several <article>s, the one whose headline carries the title.

    None: extract the whole page (one <article> or none, or the page's own <h1> or
    <title> carries the title: a story whose related teasers are the <article>s);
    "": a listing of several articles, none of them ours.
    """
    articles = tree.xpath("//article[not(ancestor::article)]")
    wanted = _words(title)
    if len(articles) < 2 or not wanted:
        return None
    scores = [len(wanted & _words(_headline(a))) / len(wanted) for a in articles]
    best = max(range(len(articles)), key=scores.__getitem__)
    if scores[best] >= TITLE_MATCH and scores.count(scores[best]) == 1:
        return articles[best]
    page = " ".join(e.text_content() for e in tree.xpath("//h1|//title"))
    return None if len(wanted & _words(page)) / len(wanted) >= TITLE_MATCH else ""


def _cap(text: str) -> str:
    text = clean_text(text)
    if len(text) <= MAX_TEXT_CHARS:
        return text
    cut = text.rfind("\n", 0, MAX_TEXT_CHARS)
    return text[:cut if cut > MAX_TEXT_CHARS // 2 else MAX_TEXT_CHARS].rstrip()


def _is_html(content_type: str) -> bool:
    kind = content_type.split(";", 1)[0].strip().lower()
    return not kind or "html" in kind or "xml" in kind or kind.startswith("text/")


def extract(body: bytes, headers: Mapping[str, str], url: str, feed_text: str = "",
            title: str = "") -> Extraction:
    """An article page -> its main text, or the reason the feed text stays best.

    ``extracted``: the page text is at least as long as ``feed_text``. ``fallback``: the
    page was read but gave less (``shorter_than_feed``: a paywall stub or teaser page;
    ``no_text``: nothing that looks like an article; ``several_articles``: a listing
    page, none of whose articles carries ``title``). ``failed``: not an HTML page.
    """
    import lxml.html
    import trafilatura

    load_extractor()
    content_type = headers.get("content-type", "")
    if not _is_html(content_type):
        return Extraction("failed", reason="not_html",
                          message=f"the page is {content_type.split(';')[0]!r}, not HTML")
    html, encoding = decode_html(body, headers)
    tree = trafilatura.load_html(html)
    if tree is None:
        return Extraction("fallback", reason="no_text", encoding=encoding,
                          message="the page has no HTML document in it")
    ours = _one_article(tree, title)
    if ours == "":
        return Extraction("fallback", reason="several_articles", encoding=encoding,
                          message="the page lists several articles and none has this title")
    if ours is not None:
        # Extract from that article alone: trafilatura would merge all of them.
        body_html = lxml.html.tostring(ours, encoding="unicode")
        tree = trafilatura.load_html(f"<html><body>{body_html}</body></html>")
    text = trafilatura.extract(tree, url=url, include_comments=False) or ""
    text = _cap(text)
    feed_chars = len(feed_text)
    if not text:
        return Extraction("fallback", reason="no_text", encoding=encoding,
                          message="the extractor found no main text on the page")
    if len(text) < feed_chars:
        return Extraction("fallback", text=text, reason="shorter_than_feed", encoding=encoding,
                          message=f"page text {len(text):,} chars < feed text {feed_chars:,} "
                                  "chars (paywall or teaser page?)")
    return Extraction("extracted", text=text, encoding=encoding)


def extract_outcome(body: bytes, headers: Mapping[str, str], url: str, feed_text: str,
                    title: str) -> tuple[str, str, str | None, str | None, str | None, str]:
    """Process-pool entry point: never raises; returns plain values, so the parent need
    not import trafilatura to unpickle them.

    ``(status, text, reason, message, encoding, extractor)``, as in ``Extraction``.
    """
    try:
        r = extract(body, headers, url, feed_text, title)
    except Exception as exc:  # noqa: BLE001 — one hostile page must not take the run down
        r = Extraction("failed", reason="extract", message=f"extract: {type(exc).__name__}: {exc}"[:1000])
    return (r.status, r.text, r.reason, r.message, r.encoding, extractor_name())
