"""``narratives demo``: the real pipeline on bundled sample feeds, served on loopback.

Usage::

    exit_code = run_demo("sqlite:///storage/demo.db", console=Console())

The sample (``sample/articles.yaml``) is fiction written for this project: six invented
outlets covering the same events differently. It is rendered to RSS and Atom, served
by a ``LoopbackServer`` and collected through the same fetch/parse/store path as real
feeds, so the demo exercises what production runs. The articles are then clustered into
events and compared against the fact catalogue (``facts.yaml`` in the working directory,
else the one shipped beside the package), and the demo prints what the state outlet
``eastwire`` left out of the Syrian strikes, with the other outlets' evidence sentences.
Last it writes the HTML report of the whole sample (``narratives report --since all``)
beside the store: ``storage/demo-report.html`` for the default ``storage/demo.db``.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import yaml
from rich.console import Console
from rich.markup import escape as markup_escape
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from .collect import CollectOptions, run_collect
from .compare_queries import OmissionFilter, list_omissions
from .config import Config, FeedSpec, Outlet
from .evaluate import score_clusters
from .event_queries import EventFilter, list_events
from .events import ClusterSettings, run_clustering
from .fetch import utcnow
from .loopback import LoopbackServer, static
from .models import ArticleRow, EventArticleRow, OutletRow
from .report import emit
from .store import open_store, sqlite_path

SAMPLE_NOTE = "SAMPLE DATA: fictional outlet and articles written for the narratives demo"
#: The demo's finding: the state outlet, the fact, and the sample events (gold labels) it is about.
FINDING_OUTLET = "eastwire"
FINDING_FACTS = ("russian_airstrikes",)
FINDING_EVENTS = ("idlib-offensive", "ariha-market-strike", "atarib-bakery-strike")


@dataclass(frozen=True)
class SampleArticle:
    outlet: str
    event: str
    feeds: tuple[str, ...]
    guid: str
    published: datetime
    title: str
    summary: str
    content: str
    author: str | None


def load_sample(now: datetime) -> tuple[list[dict[str, Any]], list[SampleArticle]]:
    """The sample outlets and articles, with dates made absolute relative to ``now``."""
    data = yaml.safe_load(resources.files("narratives.sample").joinpath("articles.yaml").read_text("utf-8"))
    outlets = data["outlets"]
    first_feed = {o["id"]: o["feeds"][0] for o in outlets}
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    stamps = []
    for a in data["articles"]:
        hh, mm = (int(x) for x in str(a["time"]).split(":"))
        stamps.append(midnight + timedelta(days=int(a["day"]), hours=hh, minutes=mm))
    shift = timedelta(days=1) if stamps and max(stamps) > now else timedelta(0)  # never future
    articles = [SampleArticle(
        outlet=a["outlet"], event=a["event"], feeds=tuple(a.get("feeds") or [first_feed[a["outlet"]]]),
        guid=str(a["guid"]), published=stamp - shift, title=a["title"], summary=a.get("summary") or "",
        content=a.get("content") or "", author=a.get("author")) for a, stamp in zip(data["articles"], stamps, strict=True)]
    return outlets, articles


def _paragraphs(text: str) -> str:
    # Sample text may carry a little inline markup on purpose (to exercise HTML-to-text).
    return "".join(f"<p>{p.strip()}</p>" for p in text.split("\n\n") if p.strip())


def render_rss(outlet: dict[str, Any], feed: str, items: list[SampleArticle]) -> bytes:
    rfc822 = "%a, %d %b %Y %H:%M:%S +0000"
    parts = ['<?xml version="1.0" encoding="utf-8"?>',
             '<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/">',
             f"<channel><title>{escape(outlet['name'])} — {escape(feed)}</title>",
             f"<link>{escape(outlet['homepage'])}</link>",
             f"<description>{escape(SAMPLE_NOTE)}</description><language>{outlet['language']}</language>"]
    for a in items:
        parts.append(
            f"<item><title>{escape(a.title)}</title>"
            f"<link>{escape(outlet['homepage'])}/{feed}/{escape(a.guid)}?utm_source=rss</link>"
            f'<guid isPermaLink="false">{escape(a.guid)}</guid>'
            f"<pubDate>{a.published.strftime(rfc822)}</pubDate>"
            + (f"<author>{escape(a.author)}</author>" if a.author else "")
            + f"<description>{escape(html.escape(a.summary, quote=False))}</description>"
            + (f"<content:encoded>{escape(_paragraphs(a.content))}</content:encoded>" if a.content else "")
            + "</item>")
    parts.append("</channel></rss>")
    return "\n".join(parts).encode("utf-8")


def render_atom(outlet: dict[str, Any], feed: str, items: list[SampleArticle]) -> bytes:
    iso = "%Y-%m-%dT%H:%M:%SZ"
    updated = max((a.published for a in items), default=datetime(2000, 1, 1))
    parts = ['<?xml version="1.0" encoding="utf-8"?>',
             # a relative link, resolved against xml:base: the outlet's (fictional, .example) site,
             # not the loopback server, which is gone once the demo ends
             f'<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="{outlet["language"]}" '
             f'xml:base="{escape(outlet["homepage"])}/">',
             f"<title>{escape(outlet['name'])} — {escape(feed)}</title>",
             f"<subtitle>{escape(SAMPLE_NOTE)}</subtitle>",
             f"<id>{escape(outlet['homepage'])}/{feed}</id><updated>{updated.strftime(iso)}</updated>"]
    for a in items:
        parts.append(
            f"<entry><id>{escape(outlet['homepage'])}/id/{escape(a.guid)}</id>"
            f"<title>{escape(a.title)}</title>"
            f'<link rel="alternate" href="/{feed}/{escape(a.guid)}"/>'
            f"<published>{a.published.strftime(iso)}</published><updated>{a.published.strftime(iso)}</updated>"
            + (f"<author><name>{escape(a.author)}</name></author>" if a.author else "")
            + f'<summary type="text">{escape(a.summary)}</summary>'
            + (f'<content type="html">{escape(_paragraphs(a.content))}</content>' if a.content else "")
            + "</entry>")
    parts.append("</feed>")
    return "\n".join(parts).encode("utf-8")


def serve_sample(server: LoopbackServer, now: datetime) -> Config:
    """Put every sample feed on ``server``; return the matching configuration."""
    outlets, articles = load_sample(now)
    configured = []
    for i, o in enumerate(outlets):
        specs = []
        for feed in o["feeds"]:
            items = sorted((a for a in articles if a.outlet == o["id"] and feed in a.feeds),
                           key=lambda a: a.published, reverse=True)
            render = render_atom if o.get("format") == "atom" else render_rss
            ctype = "application/atom+xml" if o.get("format") == "atom" else "application/rss+xml"
            url = server.add(f"/{o['id']}/{feed}.xml", static(render(o, feed, items), ctype, gzip=i % 2 == 0))
            specs.append(FeedSpec(url=url, name=feed))
        configured.append(Outlet(id=o["id"], name=o["name"], country=o["country"],
                                 language=o["language"], affiliation=o["affiliation"],
                                 owner=o["owner"], homepage=o["homepage"], feeds=tuple(specs)))
    return Config(outlets=tuple(configured), path="<sample>")


def articles_by_key(now: datetime) -> dict[tuple[str, str], SampleArticle]:
    """Sample articles by (outlet, title): how the demo finds each stored article's gold event."""
    return {(a.outlet, a.title): a for a in load_sample(now)[1]}


def _demo_events(engine: Engine, sample: dict[tuple[str, str], SampleArticle], console: Console) -> None:
    report = run_clustering(engine, ClusterSettings(workers=0), now=utcnow())
    with Session(engine) as s:
        pairs = s.execute(select(ArticleRow.outlet_id, ArticleRow.title, EventArticleRow.event_id)
                          .join(EventArticleRow, EventArticleRow.article_id == ArticleRow.id)).all()
        rows, total = list_events(s, EventFilter(min_outlets=2, limit=10))
    scored = [(e, sample[(o, t)].event) for o, t, e in pairs if (o, t) in sample]
    scores = score_clusters([p for p, _g in scored], [g for _p, g in scored])
    console.print(f"\nClustered {report.articles} articles into {report.events_total} events "
                  f"({total} covered by two or more outlets). Against the sample's own event labels: "
                  f"B-cubed F1 {scores['bcubed'].f1:.3f}, pairwise F1 {scores['pairwise'].f1:.3f}.")
    emit(rows, ["id", "last_published", "outlets", "articles", "headline"], "table", console,
         title="latest events (narratives events)")


def _demo_compare(engine: Engine, sample: dict[tuple[str, str], SampleArticle], console: Console) -> None:
    """Compare the clustered events and print the state outlet's finding with its evidence."""
    from .facts import load_facts
    from .facts_config import default_facts_path
    from .omissions import CompareSettings, run_compare

    path = default_facts_path()
    report = run_compare(engine, load_facts(path), CompareSettings(), now=utcnow())
    counts = ", ".join(f"{report.verdicts.get(v, 0)} {v.replace('_', ' ')}"
                       for v in ("omitted", "agentless", "not_covered", "unknown", "thin"))
    console.print(f"\nCompared {report.events} events against {path.name} ({counts}).", highlight=False)
    with Session(engine) as s:
        pairs = s.execute(select(ArticleRow.outlet_id, ArticleRow.title, EventArticleRow.event_id)
                          .join(EventArticleRow, EventArticleRow.article_id == ArticleRow.id)).all()
        # The store event holding most of each gold event's articles (the demo knows the gold).
        events: dict[str, dict[int, int]] = {}
        outlet_events: dict[str, set[int]] = {}
        for outlet, title, event_id in pairs:
            gold = sample.get((outlet, title))
            if gold is not None and gold.event in FINDING_EVENTS:
                events.setdefault(gold.event, {}).setdefault(event_id, 0)
                events[gold.event][event_id] += 1
                if outlet == FINDING_OUTLET:
                    outlet_events.setdefault(gold.event, set()).add(event_id)
        main = {g: max(c.items(), key=lambda kv: (kv[1], -kv[0]))[0] for g, c in events.items()}
        rows, _total = list_omissions(s, OmissionFilter(outlets=(FINDING_OUTLET,), verdicts=(),
                                                        events=tuple(sorted(set(main.values()))), limit=0))
    console.print(f"\n[bold]Finding[/] (narratives omissions --outlet {FINDING_OUTLET} --fact "
                  f"{FINDING_FACTS[0]} --verdict all): what the state outlet {FINDING_OUTLET} left out of the "
                  "Syrian strikes", highlight=False)
    for gold in FINDING_EVENTS:
        event_id = main.get(gold)
        if event_id is None:
            continue
        own = [r for r in rows if r["event_id"] == event_id and (r["fact_id"] in FINDING_FACTS or r["kind"] == "event")]
        head = rows and next((r["event"] for r in rows if r["event_id"] == event_id), None)
        console.print(f"  event {event_id} ({gold}{': ' + head if head else ''}):", highlight=False, markup=False)
        if not own:
            console.print(f"    {FINDING_OUTLET}: no verdict (named the actor, or did not cover it)", markup=False)
        for r in own:
            what = {"agentless": "reported the strikes without naming who carried them out",
                    "omitted": "left the strikes out", "not_covered": "published nothing on this event",
                    "unknown": "its feeds were failing then", "thin": "only a teaser: low confidence"}[r["verdict"]]
            if r["linked"]:
                what += (" (low confidence: the clusterer left its articles in an event of their own; they "
                         "were linked to this one by similarity)")
            console.print(f"    {FINDING_OUTLET}: [bold]{r['verdict']}[/] — {markup_escape(what)}; "
                          f"{markup_escape(', '.join(r['supporting_outlets']))} "
                          + {"agentless": "named the actor", "omitted": "reported them"}.get(r["verdict"], "covered it")
                          + ":", highlight=False)
            for e in r["evidence"][:4]:
                console.print(f'      {e["outlet"]} #{e["article_id"]}: "{e["sentence"]}"', highlight=False, markup=False)
            if r["kind"] == "event":
                elsewhere = sorted(outlet_events.get(gold, set()) - {event_id})
                if elsewhere:
                    console.print(f"      (the clusterer put {FINDING_OUTLET}'s own articles on it into event "
                                  f"{', '.join(map(str, elsewhere))}: a clustering miss, not a blindspot)",
                                  highlight=False, markup=False)


def report_path(url: str) -> Path:
    """Where the demo's report goes: beside the demo store (storage/demo-report.html by default)."""
    path = sqlite_path(url)
    folder = path.parent if path is not None else Path("storage")
    stem = path.stem if path is not None else "demo"
    return folder / f"{stem}-report.html"


def _demo_report(engine: Engine, url: str, console: Console) -> Path:
    """The report of the whole sample, as `narratives report --since all` writes it."""
    from .report_data import ReportQuery
    from .report_render import make_report, write_atomically

    target = report_path(url)
    with Session(engine) as s:
        text, data = make_report(s, ReportQuery(since=None, top=25), "html", now=utcnow())
    write_atomically(target, text)
    console.print(f"\nReport: {target} (open it in a browser): the findings with the other outlets' "
                  f"sentences, {len(data.ranked)} events ranked by how much their coverage diverges, omission "
                  "rates and the coverage timeline.", highlight=False, markup=False)
    return target


def run_demo(url: str, *, keep: bool = False, console: Console) -> int:
    now = utcnow()
    path = sqlite_path(url)
    if path is not None and not keep:
        for suffix in ("", "-wal", "-shm"):
            path.with_name(path.name + suffix).unlink(missing_ok=True)
    engine = open_store(url, now)
    console.print("[bold]narratives demo[/] — fictional sample outlets served on loopback "
                  "(sample data, not real reporting)\n")
    with LoopbackServer() as server:
        config = serve_sample(server, now)
        options = CollectOptions(workers=2)
        first = run_collect(engine, url, config, options)
        second = run_collect(engine, url, config, CollectOptions(force=True, workers=2))
    new = sum(r.counts.new for r in first.results)
    console.print(f"Collected {len(first.results)} feeds from {server.url('/')}: {new} articles, "
                  f"{len(first.failed)} feeds failed.")
    not_modified = sum(r.outcome == "not_modified" for r in second.results)
    console.print(f"Forced second pass: {not_modified} of {len(second.results)} feeds answered "
                  f"304 Not Modified; {sum(r.counts.new for r in second.results)} new articles "
                  "(every article is stored once).\n")
    with Session(engine) as s:
        rows = s.execute(
            select(OutletRow.id, OutletRow.name, OutletRow.affiliation, func.count(ArticleRow.id),
                   func.min(ArticleRow.published_at), func.max(ArticleRow.published_at))
            .join(ArticleRow, ArticleRow.outlet_id == OutletRow.id, isouter=True)
            .group_by(OutletRow.id).order_by(OutletRow.affiliation, OutletRow.id)).all()
    emit([dict(outlet=r[0], name=r[1], affiliation=r[2], articles=r[3], first=r[4], last=r[5])
          for r in rows], ["outlet", "name", "affiliation", "articles", "first", "last"],
         "table", console, title="sample outlets")
    sample = articles_by_key(now)
    _demo_events(engine, sample, console)
    _demo_compare(engine, sample, console)
    report = _demo_report(engine, url, console)
    console.print(f"\nStore: {url}\nTry:  narratives feeds --db {url}\n"
                  f"      narratives events --db {url} --search idlib\n"
                  f"      narratives event --db {url} ID\n"
                  f"      narratives compare --db {url} ID\n"
                  f"      narratives omissions --db {url} --outlet {FINDING_OUTLET}\n"
                  f"      narratives outlets --db {url} --groups\n"
                  f"      narratives report --db {url} --since all --outlet {FINDING_OUTLET} -o {report.with_suffix('.md')}\n"
                  f"      sqlite3 {path or url} \"SELECT outlet, published_at, title, event_id FROM v_articles "
                  "WHERE title LIKE '%offensive%' ORDER BY published_at\"", highlight=False)
    return 1 if first.failed or second.failed else 0
