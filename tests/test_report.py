"""narratives report: content on the demo scenario, filters, formats, the empty store, escaping.

The demo store (the bundled sample through loopback → cluster → compare, as `narratives
demo` runs it) is built once for the module. Hostile content in a real browser:
test_report_browser.py.
"""

from __future__ import annotations

import io
import json
import re
import sqlite3
from datetime import datetime
from html.parser import HTMLParser
from pathlib import Path

import pytest
from conftest import run_cli
from markupsafe import escape
from rich.console import Console

from narratives.demo import FINDING_OUTLET, report_path, run_demo
from narratives.report_data import (
    EventDetail,
    Heatmap,
    RankedEvent,
    ReportData,
    ReportQuery,
    Timeline,
    divergence,
    rank,
    verdict_weight,
)
from narratives.report_render import md_escape, md_url, render_html, render_markdown, safe_url


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """The demo's store and what it printed."""
    folder = tmp_path_factory.mktemp("demo")
    db = folder / "demo.db"
    out = io.StringIO()
    assert run_demo(f"sqlite:///{db}", console=Console(file=out, width=300)) == 0
    return db, out.getvalue()


def esc(value: str) -> str:
    """As the HTML environment autoescapes (markupsafe)."""
    return str(escape(value))


def query(db: Path, sql: str, *params) -> list:
    with sqlite3.connect(db) as c:
        return c.execute(sql, params).fetchall()


def the_finding(db: Path) -> tuple[int, list[dict]]:
    """The demo's finding: eastwire reported the Russian airstrikes without naming who did it."""
    rows = query(db, "SELECT event_id, evidence FROM omissions WHERE outlet_id = ? AND kind = 'fact' "
                     "AND fact_id = 'russian_airstrikes' AND verdict = 'agentless'", FINDING_OUTLET)
    assert len(rows) == 1, rows
    return rows[0][0], json.loads(rows[0][1])


def section(page: str, event_id: int) -> str:
    start = page.index(f'<section class="event" id="event-{event_id}">')
    return page[start:page.index("</section>", start)]


def report(db: Path, tmp: Path, *args: str, name: str = "report.html") -> tuple[str, str]:
    out = tmp / name
    r = run_cli("report", "--db", str(db), "--since", "all", *args, "-o", str(out))
    assert r.returncode == 0, r.stdout + r.stderr
    return out.read_text("utf-8"), r.stdout


# --------------------------------------------------------------------------- the demo scenario


def test_demo_writes_the_report_beside_the_store_and_says_where(demo):
    db, printed = demo
    target = report_path(f"sqlite:///{db}")
    assert target == db.parent / "demo-report.html"
    assert target.is_file()
    assert f"Report: {target}" in printed
    assert "Finding" in printed and "eastwire" in printed  # the printed finding stays
    assert report_path("sqlite:///storage/demo.db") == Path("storage/demo-report.html")


def test_demo_report_shows_the_state_outlets_missing_attribution_with_its_evidence(demo):
    db, _printed = demo
    page = report_path(f"sqlite:///{db}").read_text("utf-8")
    event_id, evidence = the_finding(db)
    assert evidence, "the verdict carries no evidence"
    block = section(page, event_id)
    card = block[block.index("<h4><b>Russian airstrikes</b></h4>"):]
    card = card[:card.index('<div class="card', 1) if '<div class="card' in card[1:] else len(card)]
    assert re.search(r"reported without naming who carried them out by <span class=\"outlet state\">"
                     r"Eastern Wire Agency</span>", card), card[:500]
    block = card
    urls = dict(query(db, "SELECT id, url FROM articles"))
    for e in evidence:
        assert esc(e["sentence"]) in block, e["sentence"]
        assert f'href="{esc(urls[e["article_id"]])}"' in block  # a link to the original
    # eastwire's own wording, the sentence without the actor
    own = query(db, "SELECT m.sentence FROM fact_mentions m JOIN articles a ON a.id = m.article_id "
                    "WHERE a.outlet_id = ? AND m.fact_id = 'russian_airstrikes' AND m.state = 'agentless'",
                FINDING_OUTLET)
    assert own and any(esc(s) in block for (s,) in own)
    # ...and it is among the main findings of the state outlets, linking to the event
    findings = page[page.index('id="findings"'):page.index('id="events"')]
    assert f'href="#event-{event_id}"' in findings and "Russian airstrikes" in findings


def test_demo_report_ranks_the_idlib_offensive_first(demo):
    db, _printed = demo
    page = report_path(f"sqlite:///{db}").read_text("utf-8")
    event_id, _evidence = the_finding(db)
    table = page[page.index('id="events"'):]
    first_link = re.search(r'<a href="#event-(\d+)">', table)
    assert first_link and int(first_link.group(1)) == event_id


def test_demo_report_has_every_part(demo):
    db, _printed = demo
    page = report_path(f"sqlite:///{db}").read_text("utf-8")
    for anchor in ("findings", "events", "rates", "timeline", "outlets", "methods", "score"):
        assert f'id="{anchor}"' in page, anchor
    assert page.count('src="data:image/png;base64,') == 2  # heatmap and timeline
    runs = query(db, "SELECT id, kind, code_version FROM runs WHERE status = 'done'")
    for run_id, kind, code in runs:
        assert f"Run {run_id}: {kind} (done)" in page and esc(code) in page
    assert "min_support = 2" in page and "threshold = 0.6" in page  # compare and clustering parameters
    for (name,) in query(db, "SELECT name FROM outlets"):
        assert esc(name) in page
    for (url,) in query(db, "SELECT url FROM feeds"):
        assert esc(url) in page  # feed health lists every feed


class Resources(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.src: list[str] = []
        self.href: list[str] = []
        self.styles = ""
        self._style = False

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self._style = tag == "style"
        for k, v in attrs:
            (self.src if k == "src" else self.href if k == "href" else []).append(v or "")

    def handle_data(self, data):
        if self._style:
            self.styles += data


def test_html_report_needs_no_network_and_no_javascript(demo):
    db, _printed = demo
    page = report_path(f"sqlite:///{db}").read_text("utf-8")
    res = Resources()
    res.feed(page)
    assert not {"script", "link", "iframe", "object", "embed", "base", "form"} & set(res.tags)
    assert res.src and all(s.startswith("data:image/png;base64,") for s in res.src)
    assert all(h.startswith(("#", "http://", "https://")) for h in res.href)
    assert "url(" not in res.styles and "@import" not in res.styles
    assert "default-src 'none'" in page  # the Content-Security-Policy
    assert "on" not in {a[:2] for a in re.findall(r"<[a-z]+\s+([a-z-]+)=", page)}


# --------------------------------------------------------------------------- CLI, formats, filters


def test_markdown_report_shows_the_finding_with_its_evidence(demo, tmp_path):
    db, _printed = demo
    text, printed = report(db, tmp_path, name="report.md")
    assert "Report written to" in printed and "(md)" in printed
    assert text.startswith("# How the outlets covered the news")
    event_id, evidence = the_finding(db)
    part = text[text.index(f"(event {event_id},"):]
    part = part[part.index("- **Russian airstrikes**"):]
    part = part[:part.index("\n- **") if "\n- **" in part else len(part)]
    assert "*agentless*: reported without naming who carried them out by Eastern Wire Agency (state-controlled" in part
    for e in evidence:
        assert md_escape(e["sentence"]) in part
    assert "## Omission rates" in text and "## Coverage timeline" in text and "## Methods" in text
    assert "data:image" not in text  # charts as tables


def test_stdout_prints_markdown(demo):
    db, _printed = demo
    r = run_cli("report", "--db", str(db), "--since", "all", "--top", "2", "-o", "-")
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("# How the outlets covered the news")
    assert r.stdout.count("\n### ") == 2 + 2  # two events, and the two findings headings


def test_format_option_overrides_the_suffix(demo, tmp_path):
    db, _printed = demo
    page, _out = report(db, tmp_path, "--format", "html", name="report.txt")
    assert page.startswith("<!DOCTYPE html>")


def test_outlet_filter_limits_findings_to_that_outlet(demo, tmp_path):
    db, _printed = demo
    text, _out = report(db, tmp_path, "--outlet", FINDING_OUTLET, name="eastwire.md")
    findings = text[text.index("## Main findings"):text.index("## Events ranked")]
    names = re.findall(r"^- \*\*(.+?)\*\*", findings, flags=re.M)
    assert names and set(names) == {"Eastern Wire Agency"}
    ranking = text[text.index("| # | event"):text.index("\n\n", text.index("| # | event"))]
    for row in ranking.splitlines()[2:]:
        diverges = row.split(" | ")[7]
        assert diverges.startswith("eastwire ") or diverges == "", row
    assert "| eastwire (state-controlled) |" in text and "| ledger (independent) |" not in text
    event_id, _evidence = the_finding(db)
    assert f"(event {event_id}," in text


def test_fact_filter_limits_to_that_fact(demo, tmp_path):
    db, _printed = demo
    text, _out = report(db, tmp_path, "--fact", "russian_airstrikes", name="fact.md")
    findings = text[text.index("## Main findings"):text.index("## Events ranked")]
    bullets = re.findall(r"^- \*\*.+$", findings, flags=re.M)
    assert bullets and all("Russian airstrikes" in b for b in bullets)
    assert "Discovered claims" not in text
    rates = text[text.index("## Omission rates"):text.index("## Coverage timeline")]
    assert "| outlet | Russian airstrikes |" in rates
    assert "Civilian casualties" not in text[text.index("## Events ranked"):text.index("## Omission rates")]


def test_since_narrows_the_period(demo, tmp_path):
    db, _printed = demo
    wide, _out = report(db, tmp_path, name="all.md")
    out = tmp_path / "week.md"
    r = run_cli("report", "--db", str(db), "--since", "3d", "-o", str(out))
    assert r.returncode == 0, r.stderr
    narrow = out.read_text("utf-8")
    count = lambda t: int(re.search(r"^(\d+) articles? from", t, flags=re.M).group(1))  # noqa: E731
    assert 0 < count(narrow) < count(wide)


@pytest.mark.parametrize(("args", "code", "message"), [
    (("--outlet", "nope"), 2, "unknown outlet(s) nope. Fix: use one of daily-horizon"),
    (("--fact", "nope"), 2, "unknown fact(s) nope. Fix: use one of"),
    (("--since", "2026-11-20", "--until", "2026-11-10"), 2, "--since is after --until"),
    (("--since", "yesterday"), 2, "neither an ISO 8601 date/time"),
])
def test_bad_options_exit_2_with_the_fix(demo, tmp_path, args, code, message):
    db, _printed = demo
    out = tmp_path / "x.html"
    r = run_cli("report", "--db", str(db), *args, "-o", str(out))
    assert r.returncode == code, r.stdout + r.stderr
    assert message in r.stderr
    assert not out.exists()


def test_unknown_suffix_exits_2(demo, tmp_path):
    db, _printed = demo
    r = run_cli("report", "--db", str(db), "-o", str(tmp_path / "x.pdf"))
    assert r.returncode == 2 and "name it .html or .md" in r.stderr


def test_missing_store_exits_1_and_creates_nothing(tmp_path):
    db = tmp_path / "sub" / "none.db"
    r = run_cli("report", "--db", str(db), "-o", str(tmp_path / "x.html"))
    assert r.returncode == 1 and "no store at" in r.stderr
    assert not db.exists() and not db.parent.exists()


def test_empty_store_reports_that_there_is_nothing(store, tmp_path):
    for name in ("empty.html", "empty.md"):
        out = tmp_path / name
        r = run_cli("report", "--db", str(store.path), "-o", str(out))
        assert r.returncode == 0, r.stdout + r.stderr
        text = out.read_text("utf-8")
        assert "Nothing to report" in text
        assert "data:image" not in text
    r = run_cli("report", "--db", str(store.path), "--since", "all", "-o", "-")
    assert r.returncode == 0 and "Nothing to report" in r.stdout


def test_report_is_written_whole_and_readable(demo, tmp_path):
    db, _printed = demo
    report(db, tmp_path)
    assert [p.name for p in tmp_path.iterdir()] == ["report.html"]  # no temporary file left
    assert (tmp_path / "report.html").stat().st_mode & 0o044  # not private like a mkstemp file


# --------------------------------------------------------------------------- pure parts


@pytest.mark.parametrize("url", [
    "https://example.org/a?b=1&c=2#x", "http://example.org", "HTTPS://EXAMPLE.ORG/x",
    "https://пример.рф/статья", "http://127.0.0.1:8080/path",
])
def test_safe_url_lets_http_and_https_through(url):
    assert safe_url(url) == url


@pytest.mark.parametrize("url", [
    "javascript:alert(1)", "JavaScript:alert(1)", " javascript:alert(1)", "java\tscript:alert(1)",
    "\x01javascript:alert(1)", "vbscript:msgbox(1)", "data:text/html,<script>alert(1)</script>",
    "file:///etc/passwd", "//evil.example/x", "/relative/path", "relative", "https:evil.example",
    "http://", "https://exa mple.org/", "https://example.org/\x00", "https://example.org/\n",
    "", None, 42, "mailto:a@example.org", "http://[::1", "https://example.org/\u0085",
])
def test_safe_url_refuses_everything_else(url):
    assert safe_url(url) is None


def test_markdown_escaping_makes_feed_text_inert():
    hostile = "<img src=x onerror=alert(1)> [click](javascript:alert(1)) **bold** `code` | cell\nnext # not"
    out = md_escape(hostile)
    assert "<" not in out and ">" not in out
    assert "\\[click\\](javascript:alert(1))" in out and "\\*\\*bold\\*\\*" in out and "\\`code\\`" in out
    assert "\\|" in out and "\n" not in out
    assert md_url("https://example.org/a(b)<c>") == "https://example.org/a%28b%29%3Cc%3E"
    assert md_url("https://example.org/a b") is None
    assert md_url("javascript:alert(1)") is None


def test_divergence_weights_verdicts_by_kind_confidence_and_support():
    assert verdict_weight("fact", "omitted", "high") == 1.0
    assert verdict_weight("fact", "agentless", "low") == 0.5
    assert verdict_weight("claim", "omitted", "low") == 0.25
    assert verdict_weight("event", "not_covered", "high") == 0.25
    for kind, verdict in (("fact", "thin"), ("claim", "thin"), ("event", "unknown"), ("fact", "not_covered")):
        assert verdict_weight(kind, verdict, "high") == 0.0
    t = datetime(2026, 11, 20)
    e = divergence(RankedEvent(1, "h", t, t, 5, 4, 1), [
        ("a", "fact", "omitted", "high", 2, 6),  # two facts, three supporting outlets each
        ("b", "fact", "agentless", "low", 1, 4),
        ("b", "claim", "omitted", "low", 2, 4),
        ("c", "event", "not_covered", "high", 1, 4),
        ("d", "fact", "thin", "low", 3, 9),
    ])
    assert e.score == 6 + 2 + 1 + 1
    assert (e.fact_findings, e.fact_findings_high, e.claim_leads, e.not_covered) == (3, 2, 2, 1)
    assert e.diverging == {"a": 2, "b": 3} and e.silent == ["c"]


def test_rank_breaks_ties_by_findings_outlets_and_recency():
    t1, t2 = datetime(2026, 11, 20), datetime(2026, 11, 21)
    a = RankedEvent(1, "a", t1, t1, 3, 3, 1, score=5.0, fact_findings_high=1)
    b = RankedEvent(2, "b", t1, t1, 3, 3, 1, score=5.0, fact_findings_high=2)
    c = RankedEvent(3, "c", t1, t2, 3, 3, 1, score=5.0, fact_findings_high=1)
    d = RankedEvent(4, "d", t1, t1, 3, 3, 1, score=9.0)
    assert [e.event_id for e in rank([a, b, c, d])] == [4, 2, 3, 1]


# --------------------------------------------------------------------------- escaping in both formats

HOSTILE = "<script>alert('x')</script><img src=x onerror=alert(1)>\"'><svg onload=alert(2)>[a](javascript:x)"


def tiny_data(url: str) -> ReportData:
    """A report of one event whose every feed-derived string is hostile."""
    t = datetime(2026, 11, 20, 8)
    ranked = RankedEvent(7, HOSTILE, t, t, 2, 2, 1, score=2.0, fact_findings=1, fact_findings_high=1,
                         diverging={"x": 1})
    article = {"article_id": 1, "published_at": t, "title": HOSTILE, "url": url, "thin": False, "linked": None}
    evidence = [{"article_id": 2, "outlet": "y", "sentence": HOSTILE, "state": "attributed"}]
    view = {
        "event": {"id": 7, "headline": HOSTILE, "top_terms": HOSTILE, "articles": 2, "outlets": 2,
                  "first_published": t, "last_published": t},
        "comparison": None, "facts": [{"fact_id": "f", "label": HOSTILE}], "claims": [], "verdicts": [],
        "outlets": [
            {"outlet": "x", "outlet_name": HOSTILE, "affiliation": "state-controlled", "covered": True,
             "linked": False, "verdict": None, "thin": False, "articles": [article], "missing_claims": [],
             "facts": {"f": {"state": "absent", "sentence": None, "article_id": None, "cues": "",
                             "verdict": "omitted", "confidence": "high", "evidence": evidence}}},
            {"outlet": "y", "outlet_name": HOSTILE, "affiliation": "independent", "covered": True,
             "linked": False, "verdict": None, "thin": False, "missing_claims": [],
             "articles": [{**article, "article_id": 2}],
             "facts": {"f": {"state": "attributed", "sentence": HOSTILE, "article_id": 2, "cues": "",
                             "verdict": None, "confidence": None, "evidence": []}}}]}
    names = {"x": HOSTILE, "y": HOSTILE}
    return ReportData(
        query=ReportQuery(since=t, top=5), generated_at=t, period_start=t, period_end=t, outlets=[],
        affiliations={"x": "state-controlled", "y": "independent"}, outlet_names=names, ranked=[ranked],
        details=[EventDetail(ranked, view, {1: url, 2: url}, names)], state_findings=[], state_findings_total=0,
        other_findings=[], other_findings_total=0, heatmap=Heatmap((), (), {}, {}, ()),
        timeline=Timeline((), (), {}), runs=[], facts=[{"id": "f", "label": HOSTILE, "description": HOSTILE}],
        uncompared=0, articles=2)


def test_html_escapes_every_feed_string_and_links_only_http():
    page = render_html(tiny_data("javascript:alert(1)"))
    assert "<script>alert" not in page and "<img src=x" not in page and "<svg" not in page
    assert esc(HOSTILE) in page
    assert "javascript:alert(1)" not in page  # the link is left out, the title shown
    page = render_html(tiny_data('https://example.org/"><svg onload=alert(3)>'))
    assert 'href="https://example.org/&#34;&gt;&lt;svg' not in page  # whitespace: not a URL we link
    page = render_html(tiny_data('https://example.org/"><b>x'))
    assert 'href="https://example.org/&#34;&gt;&lt;b&gt;x"' in page  # linked, with its quote escaped


def test_markdown_escapes_every_feed_string():
    text = render_markdown(tiny_data("javascript:alert(1)"))
    assert "<script>" not in text and "<img" not in text and "<svg" not in text
    assert not re.search(r"(?<!\\)\]\(javascript:", text)  # only as escaped, inert text
    assert md_escape(HOSTILE) in text
    text = render_markdown(tiny_data("https://example.org/a b)"))
    assert "(https://example.org/a b)" not in text
