"""The comparison stage end to end on real SQLite stores: import or collect, cluster, compare.

The corpus is invented here (fictional outlets, places and a fictional state, "Kestria"),
and so is the small fact catalogue the store tests use, so they do not move when the
shipped facts.yaml is edited; the demo test uses the shipped catalogue and sample. The
stage is driven through the functions the command calls (``run_compare`` on a real
store); the commands themselves through click's CliRunner (same code, in process), and
once through the real entry point.
"""

from __future__ import annotations

import io
import json
import sqlite3
from datetime import datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from click.testing import CliRunner
from conftest import REPO, Store, collect_once, item, outlet, rss_doc, run_cli
from rich.console import Console
from sqlalchemy import select, text, update
from sqlalchemy.orm import Session

import narratives.facts
from narratives.cli import cli
from narratives.compare_queries import OmissionFilter, event_comparison, list_omissions
from narratives.config import Config
from narratives.demo import run_demo
from narratives.events import ClusterSettings, run_clustering
from narratives.facts import parse_facts_yaml
from narratives.fetch import utcnow
from narratives.importer import read_rows, store_rows
from narratives.lock import collect_lock, lock_path_for
from narratives.loopback import send, static
from narratives.models import SCHEMA_VERSION, ArticleRow, EventArticleRow, EventRow
from narratives.omissions import CompareSettings, run_compare
from narratives.store import open_store, sync_config

BASE = datetime(2026, 3, 2, 6, 0)
LATER = BASE + timedelta(days=30)  # every event's window has closed by then

CATALOGUE = """
facts:
  - id: kestrian_airstrikes
    label: Kestrian airstrikes
    description: Kestrian aircraft bomb a place (invented for the tests).
    actor: [Kestria, Kestrian]
    action: [air strike, warplane, jet, bomb, aerial bombardment]
  - id: civilian_deaths
    label: Civilians killed
    description: People killed.
    action: [kill, dead, died]
  - id: displacement
    label: People displaced
    description: People flee.
    action: [fled, flee, displaced]
"""

MARKET = "the grain market in Velmora"
ARTICLES = [  # (outlet, affiliation, id, hours after BASE, title, text)
    ("tidewater", "independent", "tw-1", 2, "Kestrian jets bomb Velmora grain market",
     f"Kestrian warplanes bombed {MARKET} on Monday morning, when farmers were unloading sacks of wheat "
     "and barley. At least eleven people were killed and dozens were wounded, according to the Velmora "
     "civil defence, which pulled survivors from the collapsed stalls for most of the day. Hundreds of "
     "families fled towards the hills north of Velmora after the strike. Traders said the grain market had "
     "never been used by fighters and that the nearest front line was forty kilometres away."),
    ("harbor", "public-service", "hb-1", 5, "Strike on Velmora grain market kills eleven",
     f"An air strike hit {MARKET} on Monday, killing at least eleven people, the Velmora civil defence "
     "said. Witnesses told Harbor Radio that two Kestrian jets circled over the town before the bombs fell "
     "on the grain market. Many families fled the town in the afternoon, carrying what they could. The "
     "Kestrian defence ministry did not respond to questions about the strike on the Velmora grain market, "
     "and aid groups asked for the market to be treated as a civilian site."),
    ("crown", "state-controlled", "cr-1", 7, "Air strikes hit militant depots at Velmora grain market",
     f"Air strikes hit depots of militant groups at {MARKET} on Monday, destroying stores of weapons and "
     "ammunition, a military source told Crown News. The source said the grain market had been turned "
     "into a logistics hub by the militants and that the strikes on Velmora were precise. Reports of "
     "victims among traders at the Velmora grain market were described by the source as invented by "
     "sponsors of the militants, who have used the market for months."),
    ("echo", "state-controlled", "ec-1", 8, "Velmora grain market strikes",
     "Strikes reported at the Velmora grain market on Monday."),  # a teaser: thin
    ("meridian", "private", "md-1", 6, "Harbour cranes arrive for Port Salvan expansion",
     "Four new container cranes arrived at Port Salvan on a heavy-lift ship, the port authority said, "
     "completing the first phase of an expansion that will double the terminal's capacity by next year. "
     "Dock workers welcomed the investment but asked for training on the automated systems. The cranes "
     "were built in Norvassa and travelled for three weeks. Shipping lines said the extra capacity would "
     "cut waiting times for vessels that now anchor offshore for days before they can unload cargo."),
]
FOLLOW_UP = ("crown", "state-controlled", "cr-2", 20, "Ministry confirms Kestrian jets struck Velmora grain market",
             f"Kestrian jets carried out the strikes on {MARKET}, the Kestrian defence ministry confirmed on "
             "Monday evening, saying the grain market at Velmora held depots of militant groups. The ministry "
             "said the Velmora grain market strikes destroyed weapons stores and that the militants had used the "
             "market as a logistics hub. It did not comment on reports from Velmora about traders at the "
             "grain market, and said further strikes on militant positions near Velmora were possible.")


def catalogue(extra: str = ""):
    return parse_facts_yaml(CATALOGUE + extra, "test-facts.yaml")


def import_articles(store: Store, tmp_path: Path, articles, name: str = "rows.jsonl") -> None:
    path = tmp_path / name
    path.write_text("".join(json.dumps({
        "id": i, "outlet": o, "outlet_name": o.title(), "affiliation": aff, "title": title, "text": body,
        "url": f"https://{o}.example/{i}", "published": (BASE + timedelta(hours=h)).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }) + "\n" for o, aff, i, h, title, body in articles), "utf-8")
    rows, problems = read_rows(path, BASE)
    assert not problems
    with Session(store.engine) as s, s.begin():
        store_rows(s, rows, BASE)


def cluster(store: Store, now: datetime = LATER):
    return run_clustering(store.engine, ClusterSettings(workers=0), now=now)


def compare(store: Store, now: datetime = LATER, facts=None, **kw):
    return run_compare(store.engine, facts or catalogue(), CompareSettings(**kw), now=now)


def verdicts(store: Store, verdicts: tuple[str, ...] = (), **filters) -> set[tuple]:
    with Session(store.engine) as s:
        rows, _ = list_omissions(s, OmissionFilter(verdicts=verdicts, limit=0, **filters))
    return {(r["outlet"], r["kind"], r["fact_id"], r["verdict"]) for r in rows}


def event_of(store: Store, guid: str) -> int:
    return store.scalar("SELECT event_id FROM v_articles WHERE guid = :g", g=guid)


def snapshot(store: Store) -> dict:
    tables = ("omissions", "fact_mentions", "article_facts", "claims", "claim_sentences", "event_comparisons")
    return {t: store.rows(f"SELECT * FROM {t} ORDER BY 1") for t in tables}


@pytest.fixture
def velmora(store, tmp_path):
    import_articles(store, tmp_path, ARTICLES)
    cluster(store)
    report = compare(store)
    return store, report


# --------------------------------------------------------------------------- verdicts in the store


def test_compare_writes_verdicts_with_evidence(velmora):
    store, report = velmora
    market = event_of(store, "tw-1")
    assert {event_of(store, g) for g in ("hb-1", "cr-1", "ec-1")} == {market}, "the corpus must cluster"
    assert event_of(store, "md-1") != market
    assert (report.events, report.articles, report.full) == (1, 4, False)
    found = verdicts(store, events=(market,))
    assert ("crown", "fact", "kestrian_airstrikes", "agentless") in found
    assert ("crown", "fact", "civilian_deaths", "omitted") in found
    assert ("crown", "fact", "displacement", "omitted") in found
    assert ("echo", "fact", "civilian_deaths", "thin") in found
    assert ("meridian", "event", None, "not_covered") in found
    assert not any(o in ("tidewater", "harbor") and k == "fact" for o, k, _f, _v in found)
    with Session(store.engine) as s:
        (row,), _ = list_omissions(s, OmissionFilter(outlets=("crown",), facts=("kestrian_airstrikes",)))
    assert (row["confidence"], row["outlet_state"], row["supporting_outlets"]) == ("high", "agentless",
                                                                                   ["harbor", "tidewater"])
    assert {e["outlet"] for e in row["evidence"]} == {"harbor", "tidewater"}
    assert all("Kestrian" in e["sentence"] and e["state"] == "attributed" for e in row["evidence"])
    # the view researchers query, with labels and the quote
    (v,) = store.rows("SELECT outlet_name, affiliation, fact_label, verdict, quote, quote_outlet, event_headline "
                      "FROM v_omissions WHERE outlet = 'crown' AND fact_id = 'kestrian_airstrikes'")
    assert v[:4] == ("Crown", "state-controlled", "Kestrian airstrikes", "agentless")
    assert "Kestrian" in v[4] and v[5] in ("harbor", "tidewater") and "Velmora" in v[6]
    mentions = store.rows("SELECT outlet, fact_id, state, sentence_index, sentence, thin FROM v_fact_mentions "
                          "WHERE outlet = 'crown' AND fact_id = 'kestrian_airstrikes'")
    assert mentions and all(m[2] == "agentless" and not m[5] for m in mentions)
    assert any(m[3] == 0 and m[4].startswith("Air strikes hit militant depots") for m in mentions)  # the title
    assert store.scalar("SELECT thin FROM article_facts JOIN articles a ON a.id = article_id "
                        "WHERE a.guid = 'ec-1'") == 1
    run = store.rows("SELECT kind, status, code_version, params FROM runs WHERE id = :r", r=report.run_id)[0]
    params = json.loads(run[3])
    assert run[:2] == ("compare", "done") and run[2].startswith("0.")
    assert params["min_support"] == 2 and params["scope"] == "stale" and len(params["facts_digest"]) == 16
    assert store.rows("SELECT id, label FROM facts ORDER BY id") == [
        ("civilian_deaths", "Civilians killed"), ("displacement", "People displaced"),
        ("kestrian_airstrikes", "Kestrian airstrikes")]
    assert store.scalar("SELECT COUNT(*) FROM event_comparisons") == 1  # single-outlet events are not compared


def test_an_article_is_in_the_war_its_event_names(velmora):
    # Only the independent reports name the Velmora civil defence, this catalogue's theatre:
    # the state outlet's agent-deleted strike is still in that war, because its event is.
    store, _ = velmora
    facts = parse_facts_yaml(CATALOGUE.replace(
        "action: [air strike, warplane, jet, bomb, aerial bombardment]",
        "action: [air strike, warplane, jet, bomb, aerial bombardment]\n    topics: [kestria]",
    ) + "theatres:\n  kestria: [civil defence]\n", "theatre-facts.yaml")
    assert "civil defence" not in store.scalar("SELECT lower(title || ' ' || summary) FROM v_articles WHERE guid = 'cr-1'")
    compare(store, facts=facts)
    market = event_of(store, "tw-1")
    assert ("crown", "fact", "kestrian_airstrikes", "agentless") in verdicts(store, events=(market,))


def test_rerun_on_unchanged_data_changes_nothing(velmora):
    store, _report = velmora
    before = snapshot(store)
    runs = store.scalar("SELECT COUNT(*) FROM runs")
    again = compare(store)
    assert again.run_id is None and again.events == 0 and again.events_total == 1
    assert snapshot(store) == before and store.scalar("SELECT COUNT(*) FROM runs") == runs


def test_attribution_arriving_later_removes_the_omission(velmora, tmp_path):
    store, _report = velmora
    market = event_of(store, "tw-1")
    assert ("crown", "fact", "kestrian_airstrikes", "agentless") in verdicts(store)
    import_articles(store, tmp_path, [FOLLOW_UP], "later.jsonl")
    cluster(store)
    assert event_of(store, "cr-2") == market
    report = compare(store)
    assert report.events == 1 and not report.full
    found = verdicts(store, events=(market,))
    assert not any(o == "crown" and f == "kestrian_airstrikes" for o, _k, f, _v in found)
    assert ("crown", "fact", "civilian_deaths", "omitted") in found  # still nobody killed, per crown
    assert store.scalar("SELECT run_id FROM event_comparisons WHERE event_id = :e", e=market) == report.run_id


def test_an_outlet_seen_publishing_in_the_window_later_becomes_not_covered(velmora, tmp_path):
    store, _report = velmora
    market = event_of(store, "tw-1")
    assert not any(o == "gazette" for o, *_r in verdicts(store))
    import_articles(store, tmp_path, [("gazette", "private", "gz-1", 9, "Velmora council approves new school budget",
                                       "The Velmora town council approved a budget for two new primary schools.")],
                    "gazette.jsonl")
    cluster(store)
    assert event_of(store, "gz-1") != market
    assert compare(store).events == 1  # the market event, because gazette published inside its window
    assert ("gazette", "event", None, "not_covered") in verdicts(store, events=(market,))


def test_compare_one_event_brings_only_it_up_to_date(velmora, tmp_path):
    store, _report = velmora
    market = event_of(store, "tw-1")
    import_articles(store, tmp_path, [FOLLOW_UP], "later.jsonl")
    cluster(store)
    report = run_compare(store.engine, catalogue(), CompareSettings(), now=LATER, events=[market])
    assert report.events == 1
    assert json.loads(store.scalar("SELECT params FROM runs WHERE id = :r", r=report.run_id))["scope"] == "event"
    assert run_compare(store.engine, catalogue(), CompareSettings(), now=LATER, events=[market]).run_id is None
    assert compare(store).run_id is None  # the pass finds nothing left to do


def test_edited_text_recompares_its_event(velmora):
    store, _report = velmora
    market = event_of(store, "tw-1")
    with Session(store.engine) as s, s.begin():
        s.execute(update(ArticleRow).where(ArticleRow.guid == "cr-1").values(
            content=FOLLOW_UP[5], updated_at=LATER + timedelta(hours=1)))
    report = compare(store, now=LATER + timedelta(hours=2))
    assert report.events == 1
    assert ("crown", "fact", "kestrian_airstrikes", "agentless") not in verdicts(store, events=(market,))
    assert compare(store, now=LATER + timedelta(hours=3)).run_id is None


def test_changed_catalogue_or_parameters_recompare_everything(velmora):
    store, _report = velmora
    more = catalogue("""
  - id: market_hit
    label: Market hit
    description: A market is hit.
    action: [strike, struck]
    context: [[market]]
""")
    report = compare(store, facts=more)
    assert report.full and report.reason == "the fact catalogue changed" and report.events == 1
    assert store.scalar("SELECT COUNT(*) FROM facts") == 4
    assert ("meridian", "event", None, "not_covered") in verdicts(store)
    report = compare(store, facts=more, min_support=3)
    assert report.full and "min_support=3" in report.reason
    assert ("crown", "fact", "civilian_deaths", "omitted") not in verdicts(store)  # only two carried it
    assert compare(store, facts=more, min_support=3).run_id is None


def test_an_interrupted_full_run_is_redone(velmora):
    store, _report = velmora

    class Broken:
        def event_mentions(self, articles):
            raise RuntimeError("matcher broke")

    with pytest.raises(RuntimeError):
        run_compare(store.engine, catalogue(), CompareSettings(rebuild=True), now=LATER, matcher=Broken())
    assert store.rows("SELECT status, note FROM runs ORDER BY id DESC LIMIT 1") == [
        ("failed", "RuntimeError: matcher broke")]
    assert store.scalar("SELECT COUNT(*) FROM omissions") == 0  # wiped before it broke
    report = compare(store)
    assert report.full and "did not finish" in report.reason and report.events == 1
    assert ("crown", "fact", "kestrian_airstrikes", "agentless") in verdicts(store)


def test_reclustering_drops_verdicts_of_events_that_vanished(velmora):
    store, _report = velmora
    run_clustering(store.engine, ClusterSettings(workers=0, rebuild=True), now=LATER)
    report = compare(store)
    assert report.events == 1
    assert store.scalar("SELECT COUNT(*) FROM omissions WHERE event_id NOT IN (SELECT id FROM events)") == 0
    assert store.scalar("SELECT COUNT(*) FROM event_comparisons") == 1
    with Session(store.engine) as s:  # an event merged away: its comparison goes at the next run
        market = event_of(store, "tw-1")
        s.execute(text("DELETE FROM event_articles WHERE event_id = :e"), {"e": market})
        s.execute(text("DELETE FROM events WHERE id = :e"), {"e": market})
        s.commit()
    report = compare(store)
    assert report.removed == 1 and store.scalar("SELECT COUNT(*) FROM omissions") == 0
    assert store.scalar("SELECT COUNT(*) FROM fact_mentions") == 0


def test_empty_store_and_one_outlet_events(store, tmp_path):
    assert compare(store).run_id is None
    import_articles(store, tmp_path, [ARTICLES[0]])
    cluster(store)
    assert compare(store).run_id is None  # a single-outlet event has nothing to compare
    report = run_compare(store.engine, catalogue(), CompareSettings(), now=LATER, events=[event_of(store, "tw-1")])
    assert report.events == 1 and store.scalar("SELECT COUNT(*) FROM omissions") == 0
    assert store.scalar("SELECT COUNT(*) FROM fact_mentions") > 0  # shown by `compare EVENT`


# --------------------------------------------------------------------------- feed health, collected


def rfc822(when: datetime) -> str:
    return format_datetime(when.replace(tzinfo=__import__("datetime").timezone.utc), usegmt=True)


def test_unknown_when_feeds_fail_not_covered_when_they_work(server, store):
    now = utcnow()
    feeds = {}
    for i, (o, _aff, guid, _h, title, body) in enumerate(ARTICLES):
        when = now - timedelta(hours=6 - i)
        feeds[o] = server.add(f"/{o}.xml", static(rss_doc([item(i, title=title, guid=guid, description=body,
                                                                     pub=rfc822(when))])))
    server.add("/down.xml", lambda req: send(req, 500, b"trouble", {"Content-Type": "text/plain"}))
    affiliations = {o: aff for o, aff, *_rest in ARTICLES}
    config = Config(outlets=(*(outlet(o, [u], affiliations[o]) for o, u in feeds.items()),
                             outlet("downed", [server.url("/down.xml")])))
    report = collect_once(store, config)
    assert len(report.failed) == 1
    with Session(store.engine) as s, s.begin():  # an outlet added to feeds.yaml but never fetched yet
        sync_config(s, Config(outlets=(*config.outlets, outlet("newcomer", ["http://127.0.0.1:9/n.xml"]))), now)
    cluster(store, now)
    compare(store, now)
    market = event_of(store, "tw-1")
    found = verdicts(store, events=(market,), kinds=("event",))
    assert found == {("meridian", "event", None, "not_covered"), ("downed", "event", None, "unknown"),
                     ("newcomer", "event", None, "unknown")}
    with Session(store.engine) as s:
        rows, _ = list_omissions(s, OmissionFilter(events=(market,), kinds=("event",), verdicts=()))
    assert {r["outlet"]: r["confidence"] for r in rows} == {"meridian": "high", "downed": "low", "newcomer": "low"}
    assert verdicts(store, verdicts=("omitted", "agentless")), "collected articles are compared too"
    # the window is still open: a later run looks again, and finds the same
    before = store.rows("SELECT outlet_id, kind, fact_id, verdict FROM omissions ORDER BY 1, 2, 3, 4")
    again = compare(store, utcnow())
    assert again.events == 1
    assert store.rows("SELECT outlet_id, kind, fact_id, verdict FROM omissions ORDER BY 1, 2, 3, 4") == before


# --------------------------------------------------------------------------- the demo


def test_demo_shows_the_state_outlet_leaving_out_the_attacker(tmp_path):
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    out = io.StringIO()
    assert run_demo(url, console=Console(file=out, width=250)) == 0
    printed = out.getvalue()
    assert "Finding" in printed and "idlib-offensive" in printed
    assert "eastwire: agentless — reported the strikes without naming who carried them out" in printed
    assert "monitors say the jets were Russian" in printed  # an independent outlet's evidence
    engine = open_store(url, utcnow())
    try:
        with Session(engine) as s:
            ids = {t: i for i, t in s.execute(select(ArticleRow.id, ArticleRow.title))}
            # every link, the Atom feeds' relative ones too, is the fictional outlet's own site,
            # not the loopback server that is gone once the demo ends
            hosts = {urlsplit(u).netloc for u in s.scalars(select(ArticleRow.url))}
            assert hosts and all(h.endswith(".example") for h in hosts), hosts
            main = s.scalar(select(EventArticleRow.event_id).where(
                EventArticleRow.article_id == ids["Russian airstrikes pound Maarat al-Numan as Syrian forces advance"]))
            (linked,), _ = list_omissions(s, OmissionFilter(outlets=("eastwire",), facts=("russian_airstrikes",),
                                                            events=(main,)))
            view = event_comparison(s, main)
        # The clusterer left eastwire's two reports in an event of their own; the comparison linked them.
        assert (linked["verdict"], linked["confidence"], linked["linked"]) == ("agentless", "low", True)
        eastwire = next(o for o in view["outlets"] if o["outlet"] == "eastwire")
        assert eastwire["linked"] and {a["title"] for a in eastwire["articles"]} == {
            "Syrian army liberates villages on approach to Maarat al-Numan", "Army tightens ring around Maarat al-Numan"}
        assert all(0.2 <= a["linked"] < 1 for a in eastwire["articles"])
        assert "aerial bombardment" in eastwire["facts"]["russian_airstrikes"]["sentence"]
        with Session(engine) as s:
            # Put the articles in their gold event, as a perfect clusterer would, and compare again.
            for title in ("Syrian army liberates villages on approach to Maarat al-Numan",
                          "Army tightens ring around Maarat al-Numan"):
                s.execute(update(EventArticleRow).where(EventArticleRow.article_id == ids[title]).values(event_id=main))
            s.execute(update(EventRow).where(EventRow.id == main).values(outlet_count=EventRow.outlet_count + 1))
            s.commit()
        from narratives.facts import load_facts
        from narratives.facts_config import default_facts_path

        run_compare(engine, load_facts(default_facts_path()), CompareSettings(rebuild=True), now=utcnow())
        with Session(engine) as s:
            rows, _ = list_omissions(s, OmissionFilter(outlets=("eastwire",), facts=("russian_airstrikes",),
                                                       events=(main,)))
    finally:
        engine.dispose()
    (finding,) = rows
    assert (finding["verdict"], finding["confidence"], finding["linked"]) == ("agentless", "high", False)
    assert {"lakeland-public", "ledger", "frontline-dispatch"} <= set(finding["supporting_outlets"])
    assert all("Russian" in e["sentence"] for e in finding["evidence"])


def test_differently_framed_report_is_linked_unless_switched_off(tmp_path, store):
    # Two outlets report the market strike; a third reports it in words the clusterer does not join.
    import_articles(store, tmp_path, [*ARTICLES[:2], ARTICLES[4],
                                      ("crown", "state-controlled", "cr-9", 7,
                                       "Air strikes destroy militant depots at Velmora grain market",
                                       "Air strikes destroyed depots of militant groups at the Velmora grain market on "
                                       "Monday, a military source said. The depots held mortar shells and drones, "
                                       "according to the source. Engineers cleared the area afterwards. The source "
                                       "said the operation followed attacks by the militants on army posts in the "
                                       "hills and that more raids would follow until the area was safe for farmers "
                                       "and traders.")])
    cluster(store)
    market = event_of(store, "tw-1")
    assert event_of(store, "cr-9") != market, "the corpus needs the clusterer to keep crown's report apart"
    compare(store)
    linked = store.rows("SELECT article_id, outlet_id, similarity FROM event_links WHERE event_id = :e", e=market)
    assert [(o, s >= 0.2) for _a, o, s in linked] == [("crown", True)]
    assert ("crown", "fact", "kestrian_airstrikes", "agentless") in verdicts(store, events=(market,))
    assert store.scalar("SELECT COUNT(*) FROM omissions WHERE outlet_id = 'crown' AND linked = 0") == 0
    compare(store, link_threshold=None)
    assert store.scalar("SELECT COUNT(*) FROM event_links") == 0
    assert ("crown", "event", None, "not_covered") in verdicts(store, events=(market,))


# --------------------------------------------------------------------------- the commands


def invoke(*args: str):
    """A command in process; wide, so rich does not wrap the text under test."""
    return CliRunner(env={"COLUMNS": "250"}).invoke(cli, list(args), catch_exceptions=False)


@pytest.fixture
def velmora_db(velmora, tmp_path):
    store, _report = velmora
    facts = tmp_path / "facts.yaml"
    facts.write_text(CATALOGUE, "utf-8")
    return store, str(store.path), str(facts)


def test_compare_event_in_every_format(velmora_db):
    store, db, facts = velmora_db
    market = str(event_of(store, "tw-1"))
    r = invoke("compare", market, "--db", db, "--facts", facts)
    assert r.exit_code == 0, r.output
    for needle in ("Kestrian airstrikes", "AGENTLESS", "crown (state-controlled)", "teasers only", "meridian",
                   "not covered", "two Kestrian jets circled"):
        assert needle in r.output, (needle, r.output)
    as_json = json.loads(invoke("compare", market, "--db", db, "--facts", facts, "--format", "json").stdout)
    crown = next(o for o in as_json["outlets"] if o["outlet"] == "crown")
    assert crown["facts"]["kestrian_airstrikes"]["verdict"] == "agentless"
    assert crown["facts"]["kestrian_airstrikes"]["evidence"]
    assert as_json["comparison"]["run_id"] and as_json["event"]["id"] == int(market)
    csv = invoke("compare", market, "--db", db, "--facts", facts, "--format", "csv").output
    assert csv.startswith("event_id,outlet,affiliation,kind,item,state,verdict") and "crown" in csv
    md = invoke("compare", market, "--db", db, "--facts", facts, "--format", "md").output
    assert md.startswith(f"# Event {market}:") and "## crown (state-controlled)" in md
    assert invoke("compare", "999", "--db", db, "--facts", facts).exit_code == 2


def test_compare_summary_and_errors(velmora_db, tmp_path):
    store, db, facts = velmora_db
    r = invoke("compare", "--db", db, "--facts", facts)
    assert r.exit_code == 0 and "Nothing to compare" in r.output
    r = invoke("compare", "--db", db, "--facts", facts, "--rebuild", "--format", "json")
    assert r.exit_code == 0 and json.loads(r.stdout)[0]["events"] == 1
    assert "Compared every event again: --rebuild" in r.stderr
    bad = tmp_path / "bad.yaml"
    bad.write_text("facts:\n  - id: Bad Id\n    label: x\n", "utf-8")
    r = invoke("compare", "--db", db, "--facts", str(bad))
    assert r.exit_code == 2 and "bad.yaml" in r.output
    with collect_lock(lock_path_for(store.url, ".compare.lock"), what="compare"):
        assert invoke("compare", "--db", db, "--facts", facts).exit_code == 3
        shown = invoke("compare", str(event_of(store, "tw-1")), "--db", db, "--facts", facts)
        assert shown.exit_code == 0 and "AGENTLESS" in shown.output


def test_omissions_in_every_format(velmora_db):
    _store, db, _facts = velmora_db
    r = invoke("omissions", "--db", db, "--outlet", "crown")
    assert r.exit_code == 0 and "agentless" in r.output and "omitted" in r.output
    rows = json.loads(invoke("omissions", "--db", db, "--verdict", "all", "--format", "json").stdout)
    assert {r["verdict"] for r in rows} == {"agentless", "omitted", "thin", "not_covered"}
    assert all(isinstance(r["evidence"], list) for r in rows)
    only = json.loads(invoke("omissions", "--db", db, "--fact", "civilian_deaths", "--verdict", "thin",
                             "--format", "json").stdout)
    assert [(r["outlet"], r["verdict"]) for r in only] == [("echo", "thin")]
    csv = invoke("omissions", "--db", db, "--format", "csv").output.splitlines()
    assert csv[0].startswith("event_id,event_last_published,event,outlet") and len(csv) >= 4
    assert '[{""article_id""' in invoke("omissions", "--db", db, "--format", "csv").output  # evidence as JSON text
    assert invoke("omissions", "--db", db, "--format", "md").output.startswith("| event_id |")
    assert "No verdicts match" in invoke("omissions", "--db", db, "--outlet", "nobody").output
    assert invoke("omissions", "--db", db, "--since", "2026-05-01", "--format", "json").output.strip() == "[]"


def test_outlet_profiles_and_groups(velmora_db):
    _store, db, _facts = velmora_db
    rows = json.loads(invoke("outlets", "--db", db, "--format", "json").stdout)
    crown = {r["fact_id"]: r for r in rows if r["outlet"] == "crown"}
    assert (crown["civilian_deaths"]["events"], crown["civilian_deaths"]["omitted"]) == (1, 1)
    assert crown["civilian_deaths"]["rate"] == 1.0 and crown["civilian_deaths"]["ci_low"] == 0.207
    assert crown["kestrian_airstrikes"]["agentless"] == 1
    assert {r["outlet"] for r in rows} >= {"crown", "echo"}
    groups = json.loads(invoke("outlets", "--db", db, "--groups", "--format", "json").stdout)
    deaths = next(g for g in groups if g["fact_id"] == "civilian_deaths")
    assert (deaths["state_events"], deaths["state_omitted"]) == (1, 1)
    assert invoke("outlets", "--db", db, "--fact", "displacement", "--format", "csv").output.startswith(
        "outlet,affiliation,fact_id")
    assert "outlet profiles" in invoke("outlets", "--db", db).output
    assert invoke("outlets", "--db", db, "--groups", "--format", "md").output.startswith("| fact_id |")
    assert "No profiles yet" in invoke("outlets", "--db", db, "--outlet", "nobody").output


@pytest.mark.slow
def test_compare_through_the_entry_point(velmora_db, tmp_path):
    store, db, facts = velmora_db
    with Session(store.engine) as s, s.begin():
        s.execute(text("DELETE FROM event_comparisons"))
    r = run_cli("compare", "--db", db, "--facts", facts, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "Compared 1 events (4 articles)" in r.stdout and "1 agentless" in r.stdout
    # Without --facts, away from the repository: the catalogue installed with the package.
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    r = run_cli("compare", "--db", db, cwd=elsewhere)
    assert r.returncode == 0, r.stderr
    assert "Compared 1 events (4 articles)" in r.stdout


def test_schema_4_store_is_upgraded(tmp_path):
    db = tmp_path / "old.db"
    open_store(f"sqlite:///{db}", utcnow()).dispose()
    con = sqlite3.connect(db)
    con.executescript("DROP VIEW v_omissions; DROP VIEW v_fact_mentions; DROP TABLE omissions;"
                      "DROP TABLE claim_sentences; DROP TABLE claims; DROP TABLE fact_mentions;"
                      "DROP TABLE article_facts; DROP TABLE event_comparisons; DROP TABLE facts;"
                      "DROP TABLE event_links;"
                      "UPDATE meta SET value = '4' WHERE key = 'schema_version';"
                      "UPDATE meta SET value = 'old' WHERE key = 'views_hash';")
    con.close()
    open_store(f"sqlite:///{db}", utcnow()).dispose()
    con = sqlite3.connect(db)
    names = {r[0] for r in con.execute("SELECT name FROM sqlite_master")}
    assert {"omissions", "claims", "claim_sentences", "fact_mentions", "article_facts", "facts", "event_links",
            "event_comparisons", "v_omissions", "v_fact_mentions"} <= names
    assert con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone() == (str(SCHEMA_VERSION),)
    con.close()


def test_readme_documents_the_comparison_tables():
    readme = (REPO / "README.md").read_text("utf-8")
    for name in ("omissions", "fact_mentions", "claims", "claim_sentences", "article_facts", "event_comparisons",
                 "event_links", "v_omissions", "v_fact_mentions"):
        assert f"`{name}`" in readme, name





def test_the_recorded_aligner_parameters_are_the_aligners_own():
    from narratives.claims import ClaimAligner
    from narratives.omissions import ALIGNER_DEFAULTS

    assert ALIGNER_DEFAULTS == ClaimAligner().get_params()
    for settings in (CompareSettings(), CompareSettings(claim_threshold=0.3)):
        assert settings.aligner().get_params() == settings.aligner_params()


def test_compare_event_shows_a_current_comparison_without_parsing_the_catalogue(velmora_db, monkeypatch):
    store, db, facts = velmora_db
    market = str(event_of(store, "tw-1"))
    assert invoke("compare", "--db", db, "--facts", facts).exit_code == 0  # records the file's parameters
    calls = []
    real = narratives.facts.load_facts
    monkeypatch.setattr(narratives.facts, "load_facts", lambda path: calls.append(path) or real(path))
    r = invoke("compare", market, "--db", db, "--facts", facts)
    assert r.exit_code == 0 and "AGENTLESS" in r.output and calls == []  # current: nothing parsed
    # Other bytes (a comment), other settings or --rebuild take the ordinary path, which parses.
    with open(facts, "a", encoding="utf-8") as f:
        f.write("\n# a note\n")
    r = invoke("compare", market, "--db", db, "--facts", facts)
    assert r.exit_code == 0 and "AGENTLESS" in r.output and len(calls) == 1
    assert invoke("compare", market, "--db", db, "--facts", facts).exit_code == 0 and len(calls) == 1
    assert invoke("compare", market, "--db", db, "--facts", facts, "--min-support", "3").exit_code == 0
    assert len(calls) == 2
    assert invoke("compare", market, "--db", db, "--facts", facts, "--rebuild").exit_code == 0 and len(calls) == 3


def test_min_attributed_keeps_only_agentless_findings_enough_outlets_contradict(velmora_db):
    store, db, facts = velmora_db
    market = str(event_of(store, "tw-1"))

    def crown_verdict(*options: str) -> tuple[str | None, int, str]:
        r = invoke("compare", market, "--db", db, "--facts", facts, "--format", "json", *options)
        assert r.exit_code == 0, r.output
        fact = next(o for o in json.loads(r.stdout)["outlets"] if o["outlet"] == "crown")["facts"]["kestrian_airstrikes"]
        return fact["verdict"], len({e["outlet"] for e in fact["evidence"]}), r.stderr

    verdict, naming, _ = crown_verdict()
    assert verdict == "agentless" and naming >= 1  # the evidence: the sentences of the outlets naming the actor
    assert crown_verdict("--min-attributed", str(naming))[0] == "agentless"
    verdict, _, said = crown_verdict("--min-attributed", str(naming + 1))  # more than name the actor: no finding
    assert verdict is None
    assert f"parameters changed: min_support_attributed={naming + 1}" in said
    assert crown_verdict()[0] == "agentless"  # and back
    assert invoke("compare", market, "--db", db, "--facts", facts, "--min-attributed", "0").exit_code == 2


def test_compare_event_recompares_when_its_coverage_changed(velmora_db, monkeypatch):
    store, db, facts = velmora_db
    assert invoke("compare", "--db", db, "--facts", facts).exit_code == 0
    market = event_of(store, "tw-1")
    before = snapshot(store)
    with Session(store.engine) as s, s.begin():  # the state outlet's article is edited
        s.execute(update(ArticleRow).where(ArticleRow.guid == "cr-1").values(
            content=FOLLOW_UP[5], updated_at=LATER + timedelta(hours=1)))
    calls = []
    real = narratives.facts.load_facts
    monkeypatch.setattr(narratives.facts, "load_facts", lambda path: calls.append(path) or real(path))
    assert invoke("compare", str(market), "--db", db, "--facts", facts).exit_code == 0
    assert calls, "a stale event must be compared again"
    assert snapshot(store) != before


def test_compare_event_with_a_bad_catalogue_creates_no_store(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("facts:\n  - id: Bad Id\n    label: x\n", "utf-8")
    db = tmp_path / "none" / "store.db"
    r = invoke("compare", "3", "--db", str(db), "--facts", str(bad))
    assert r.exit_code == 2 and "bad.yaml" in r.output
    assert not db.exists() and not db.parent.exists()
