"""The HTML report opened in a real headless browser: hostile feed content must not run.

A store is built from hostile feeds served on loopback (SAMPLE DATA: fictional outlets and
texts written for this test), collected, clustered and compared through the real
pipeline; what the collector itself refuses (``javascript:`` links, HTML in feed error
messages) is then written into the store directly, as a broken or older collector might
have. The report is rendered by the real CLI and opened with Debian's chromium
(``--dump-dom``). Every payload tries to set a marker (``document.title`` or a
``data-xss`` attribute on ``<body>``); the test asserts the page rendered, no marker is
set, no element carries an event handler or a ``javascript:`` URL. The control test shows
the detection catches a page where a script does run. chromium missing fails the test
(CI installs it in .ci/run): a skip would pass unseen.
"""

from __future__ import annotations

import dataclasses
import html
import json
import shutil
import subprocess
from datetime import datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path

import pytest
from conftest import Store, collect_once, outlet, run_cli
from sqlalchemy import text

from narratives.config import Config
from narratives.events import ClusterSettings, run_clustering
from narratives.facts import load_facts
from narratives.facts_config import default_facts_path
from narratives.fetch import utcnow
from narratives.loopback import LoopbackServer, static
from narratives.omissions import CompareSettings, run_compare

TITLE = "narratives coverage report"  # what the report's <title> starts with
MARK = "data-xss"

# Each payload tries to mark the page if it ever runs.
SCRIPT = "<script>document.title='XSS-script';document.body.setAttribute('data-xss','script')</script>"
IMG = "<img src=x onerror=\"document.body.setAttribute('data-xss','img')\">"
SVG = "\"><svg onload=\"document.body.setAttribute('data-xss','svg')\">"
ATTR = "' onmouseover='document.body.setAttribute(\"data-xss\",\"attr\")' x='"
JS_URL = "javascript:document.body.setAttribute('data-xss','href')"
STYLE = "</style><script>document.body.setAttribute('data-xss','style')</script>"
PAYLOADS = (SCRIPT, IMG, SVG, ATTR, STYLE)

# SAMPLE DATA: fictional outlets and an invented strike, written for this test.
STORIES = {
    "harbour-wire": ("state-controlled", [
        (f"Airstrikes hit market in Velmora {SCRIPT}",
         f"Airstrikes hit the central market of Velmora in Idlib province, Syria, on Tuesday morning, officials said. {IMG} "
         "Rescue teams searched the rubble of the market stalls in Velmora. "
         f"The town council asked residents to stay indoors {SVG} after the strikes on the market."),
    ]),
    "valley-courier": ("independent", [
        (f"Russian jets bomb Velmora market, killing twelve civilians {SVG}",
         f"Russian warplanes bombed the central market of Velmora in Idlib province, Syria, on Tuesday morning, killing twelve civilians. {ATTR} "
         "Rescue teams searched the rubble of the market stalls in Velmora for survivors. "
         f"Witnesses said two Russian jets made three passes over the market. {STYLE}"),
    ]),
    "coastline-post": ("independent", [
        (f"Russian air strike on Velmora market kills twelve {IMG}",
         "A Russian air strike hit the central market of Velmora in Idlib province, Syria, on Tuesday morning, killing twelve civilians, "
         f"local officials said. {SCRIPT} Rescue teams searched the rubble of the market stalls in Velmora. "
         "Monitors said the aircraft that bombed the market were Russian."),
    ]),
    "ridge-radio": ("public-service", [
        (f"Twelve civilians killed as Russian bombs hit Velmora market {ATTR}",
         "Russian bombs hit the central market of Velmora in Idlib province, Syria, on Tuesday morning, killing twelve civilians, "
         "medics said. Rescue teams searched the rubble of the market stalls in Velmora. "
         f"The town council asked residents to stay indoors after the Russian strikes on the market. {IMG}"),
    ]),
}


FILLER = ("Shopkeepers said the market had reopened only a week earlier after months of closures. "
          "Aid groups said food prices in the town had doubled since the spring and that families were "
          "running out of savings. Officials said the market would stay closed until further notice, and "
          "traders were told to move their stalls to a car park near the bus station for the winter.")


def _rss(outlet_id: str, stories: list[tuple[str, str]], now: datetime) -> bytes:
    items = []
    for i, (title, body) in enumerate(stories):
        pub = (now - timedelta(hours=5 - i)).strftime("%a, %d %b %Y %H:%M:%S +0000")
        # Outlet-provided HTML in the description, and the title as text holding markup.
        items.append(
            f"<item><title>{html.escape(title)}</title>"
            f"<link>https://{outlet_id}.example/{i}?q=\"&gt;&lt;svg onload=alert(1)&gt;</link>"
            f"<guid isPermaLink=\"false\">{outlet_id}-{i}</guid><pubDate>{pub}</pubDate>"
            f"<author>{html.escape(SVG)}</author>"
            f"<description>{html.escape('<p>' + html.escape(body) + '</p><p>' + FILLER + '</p>' + IMG)}</description>"
            "</item>")
    doc = (f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>{html.escape(SCRIPT)}</title>'
           f"<link>https://{outlet_id}.example/</link>" + "".join(items) + "</channel></rss>")
    return doc.encode("utf-8")


def chromium() -> str:
    found = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
    if found is None:
        pytest.fail("chromium is missing: the XSS test needs Debian's chromium (apt-get install chromium; "
                    ".ci/run installs it)")
    return found


def dump_dom(page: Path, tmp_path: Path) -> str:
    """The DOM after load, as a real browser built it (scripts, if any, have run)."""
    profile = tmp_path / f"profile-{page.stem}"
    r = subprocess.run(
        [chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={profile}",
         "--virtual-time-budget=3000", "--dump-dom", page.resolve().as_uri()],
        capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr[-2000:]
    assert "<html" in r.stdout, f"chromium printed no DOM: {r.stderr[-2000:]}"
    return r.stdout


class DomScan(HTMLParser):
    """What a page's DOM holds that only a running script or an injection could put there."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.body_attrs: dict[str, str | None] = {}
        self.handlers: list[tuple[str, str]] = []  # (tag, on* attribute)
        self.js_urls: list[tuple[str, str]] = []  # (tag, value)
        self.title = ""
        self.headings: list[str] = []
        self._in: list[str] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self._in.append(tag)
        if tag == "body":
            self.body_attrs = dict(attrs)
        for name, value in attrs:
            if name.startswith("on"):
                self.handlers.append((tag, name))
            if name == "id" and value:
                self.ids.add(value)
            if name in ("href", "src", "action", "formaction", "xlink:href") and value is not None:
                if value.strip().lower().replace("\t", "").replace("\n", "").startswith(("javascript:", "vbscript:")):
                    self.js_urls.append((tag, value))

    def handle_endtag(self, tag: str) -> None:
        if tag in self._in:
            while self._in and self._in.pop() != tag:
                pass

    def handle_data(self, data: str) -> None:
        if self._in and self._in[-1] == "title":
            self.title += data
        if self._in and self._in[-1] == "h1":
            self.headings.append(data)

    def injected(self) -> list[str]:
        problems = []
        if MARK in self.body_attrs:
            problems.append(f"body carries {MARK}={self.body_attrs[MARK]!r}: a payload ran")
        if "XSS" in self.title:
            problems.append(f"document.title was set: {self.title!r}")
        problems += [f"<{t} {a}=...>: an event handler in the DOM" for t, a in self.handlers]
        problems += [f"<{t}> with {v!r}" for t, v in self.js_urls]
        problems += [f"a <{t}> element" for t in self.tags if t in ("script", "svg", "iframe", "object", "embed")]
        return problems


def scan(dom: str) -> DomScan:
    s = DomScan()
    s.feed(dom)
    return s


@pytest.fixture(scope="module")
def hostile_report(tmp_path_factory):
    """A store built from hostile feeds (collect → cluster → compare), its HTML report by the CLI."""
    tmp = tmp_path_factory.mktemp("hostile")
    store = Store(tmp / "hostile.db")
    now = utcnow()
    with LoopbackServer() as server:
        outlets = []
        for oid, (affiliation, stories) in STORIES.items():
            url = server.add(f"/{oid}.xml", static(_rss(oid, stories, now)))
            outlets.append(outlet(oid, [url], affiliation=affiliation))
        # Outlet names from feeds.yaml are printed everywhere too.
        outlets[0] = dataclasses.replace(outlets[0], name=f"Harbour Wire {SVG}")
        report = collect_once(store, Config(outlets=tuple(outlets)))
    assert not report.failed, [r.error for r in report.failed]
    run_clustering(store.engine, ClusterSettings(workers=0), now=utcnow())
    run_compare(store.engine, load_facts(default_facts_path()), CompareSettings(), now=utcnow())
    with store.engine.begin() as c:
        # What the collector refuses to store, as if an older or broken collector had.
        c.execute(text("UPDATE articles SET url = :u WHERE outlet_id = 'valley-courier'"), {"u": JS_URL})
        c.execute(text("UPDATE articles SET url = :u WHERE outlet_id = 'ridge-radio'"),
                  {"u": f"https://ridge-radio.example/a{SVG}"})
        c.execute(text("UPDATE feeds SET status = 'failing', last_error = :e, last_error_at = :t, failure_count = 3 "
                       "WHERE outlet_id = 'ridge-radio'"), {"e": f"fetch: 500 {SCRIPT}{IMG}", "t": utcnow()})
        c.execute(text("UPDATE facts SET label = :l WHERE id = 'russian_airstrikes'"), {"l": f"Russian airstrikes {IMG}"})
    out = tmp / "report.html"
    r = run_cli("report", "--db", str(store.path), "--since", "all", "-o", str(out))
    assert r.returncode == 0, r.stdout + r.stderr
    store.engine.dispose()
    return store.path, out


def test_the_hostile_store_holds_the_payloads(hostile_report):
    """Precondition: the payloads reached the store and the report, as text, or the test proves nothing."""
    path, out = hostile_report
    import sqlite3

    with sqlite3.connect(path) as c:
        titles = " ".join(t for (t,) in c.execute("SELECT title FROM articles"))
        verdicts = c.execute("SELECT verdict, evidence FROM omissions WHERE kind = 'fact' "
                             "AND outlet_id = 'harbour-wire' AND fact_id = 'russian_airstrikes'").fetchall()
    assert "<script>" in titles and "onerror=" in titles and "<svg onload=" in titles
    assert [v for v, _e in verdicts] == ["agentless"], verdicts
    assert any("Russian" in e["sentence"] for e in json.loads(verdicts[0][1]))
    page = out.read_text("utf-8")
    assert "&lt;script&gt;document.title=" in page  # shown, escaped
    assert "<script" not in page.lower()
    assert "javascript:" not in page.lower()  # the tampered link is shown unlinked


def test_hostile_report_renders_and_no_script_runs(hostile_report, tmp_path):
    _path, out = hostile_report
    dom = scan(dump_dom(out, tmp_path))
    assert dom.title.startswith(TITLE), dom.title
    assert dom.headings and dom.headings[0].startswith("How the outlets covered the news")
    assert "findings" in dom.ids and any(i.startswith("event-") for i in dom.ids), "no event rendered"
    assert dom.injected() == []


def test_escaping_alone_holds_without_the_content_security_policy(hostile_report, tmp_path):
    """The CSP forbids scripts; without it the escaping must still keep every payload inert."""
    _path, out = hostile_report
    page = out.read_text("utf-8")
    start = page.index('<meta http-equiv="Content-Security-Policy"')
    bare = tmp_path / "no-csp.html"
    bare.write_text(page[:start] + page[page.index(">", start) + 1:], "utf-8")
    assert "Content-Security-Policy" not in bare.read_text("utf-8")
    dom = scan(dump_dom(bare, tmp_path))
    assert dom.title.startswith(TITLE)
    assert dom.injected() == []


def test_the_agentless_finding_is_in_the_hostile_report(hostile_report, tmp_path):
    _path, out = hostile_report
    dom_text = dump_dom(out, tmp_path)
    assert "Russian airstrikes &lt;img src=x onerror=" in dom_text  # the tampered label, as text
    assert "without naming who carried them out" in dom_text


@pytest.mark.parametrize("payload", [
    "<script>document.body.setAttribute('data-xss','control')</script>",
    "<img src=x onerror=\"document.body.setAttribute('data-xss','control')\">",
    "<svg onload=\"document.title='XSS-control'\"></svg>",
])
def test_control_a_page_whose_script_runs_is_detected(payload, tmp_path):
    page = tmp_path / "control.html"
    page.write_text(f"<!DOCTYPE html><html><head><title>{TITLE}</title></head><body><h1>control</h1>"
                    f"{payload}</body></html>", "utf-8")
    dom = scan(dump_dom(page, tmp_path))
    problems = dom.injected()
    assert problems, "the scan missed a script that ran"
    assert MARK in dom.body_attrs or "XSS" in dom.title  # the payload really ran in the browser


def test_control_a_javascript_link_is_detected(tmp_path):
    page = tmp_path / "control-link.html"
    page.write_text(f"<!DOCTYPE html><html><head><title>{TITLE}</title></head><body>"
                    f"<a href=\"{html.escape(JS_URL)}\">x</a></body></html>", "utf-8")
    assert [t for t, _v in scan(dump_dom(page, tmp_path)).js_urls] == ["a"]
