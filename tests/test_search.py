"""Full-text search (narratives/search.py, `narratives search`) against real SQLite files.

The index must follow every way text enters or leaves the store: the collect path
(loopback feeds), the importer, direct updates and deletes, and the full-text stage's
``article_texts`` rows. After each step ``assert_in_sync`` compares the live index word
by word with an index built afresh from the articles, and runs FTS5's own check against
the content. All outlets, headlines and texts here are sample data invented for these
tests (the Veldhaven Courier, the Olmen Herald, Северный вестник are fictional).
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
import re
import sqlite3
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from conftest import FAST, Store, collect_once, config_for, feeds_yaml, item, outlet, rss_doc, run_cli
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text
from sqlalchemy.orm import Session

from narratives import search as search_module
from narratives.config import Config
from narratives.errors import StoreError
from narratives.fulltext import FulltextOptions, fulltext_pass
from narratives.importer import read_rows, store_rows
from narratives.loopback import send, static
from narratives.models import SCHEMA_VERSION, EventArticleRow, EventRow, RunRow
from narratives.search import (
    FTS_TABLE,
    RESULT_COLUMNS,
    SOURCE_VIEW,
    TRIGGERS,
    SearchQuery,
    SearchQueryError,
    cap_sql,
    ensure_fts,
    fts_query,
    search,
    search_sql,
)
from narratives.store import PageJob, PageUpdate, open_store, record_page

NOW = datetime(2026, 11, 26, 12, 0)

# --- sample articles (fictional) ------------------------------------------------------

ARTICLES = [
    dict(id="c1", outlet="courier", affiliation="independent", published="2026-11-24T08:00:00Z",
         title="Harbour strike enters its third day",
         text="Dock workers in the port of Veldhaven stayed away from the cranes for a third day. "
              "The union's spokesman said the authority had offered a one-off payment.",
         url="https://courier.example/port/strike-day-three"),
    dict(id="c2", outlet="courier", affiliation="independent", published="2026-11-25T09:30:00Z",
         title="Night ferry to Korsholm cancelled",
         text="The overnight ferry was cancelled after engineers found a crack in a cooling pipe. "
              "Passengers from the strike-hit harbour were put up in hotels.",
         url="https://courier.example/ferry"),
    dict(id="h1", outlet="herald", affiliation="state-controlled", published="2026-11-24T11:00:00Z",
         title="Port operations continue normally",
         text="The state-run port authority said operations continued normally. Officials said "
              "a small group of agitators had tried to disrupt the harbour.",
         url="https://herald.example/port-normal"),
    dict(id="h2", outlet="herald", affiliation="state-controlled", published="2026-11-20T10:00:00Z",
         title="Café on the quay reopens",
         text="The café on Veldhaven's quay reopened after a renovation; the strikers' favourite "
              "breakfast is back.",
         url="https://herald.example/cafe"),
    dict(id="v1", outlet="vestnik", affiliation="state-controlled", published="2026-11-25T07:00:00Z",
         title="Забастовка в порту Вельдхафена",
         text="Докеры порта третий день не выходят на работу. Власти называют забастовку незаконной.",
         url="https://vestnik.example/zabastovka"),
]


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


def import_articles(store, rows: list[dict], tmp_path: Path, name: str = "a.jsonl") -> None:
    """Through the importer's real functions (read_rows -> store_rows)."""
    parsed, problems = read_rows(write_jsonl(tmp_path / name, rows), NOW)
    assert not problems, problems
    with Session(store.engine) as s, s.begin():
        store_rows(s, parsed, NOW)


def ids(store) -> dict[str, int]:
    """guid -> article id."""
    return {g: i for g, i in store.rows("SELECT guid, id FROM articles")}


def find(store, query: str, **filters) -> list[dict]:
    with Session(store.engine) as s:
        return search(s, SearchQuery(query, **filters)).rows


def guids(store, query: str, **filters) -> list[str]:
    by_id = {i: g for g, i in ids(store).items()}
    return [by_id[r["article_id"]] for r in find(store, query, **filters)]


def assert_in_sync(store) -> None:
    """The live index holds exactly the words an index built afresh from the source would."""
    con = sqlite3.connect(store.path)
    try:
        con.execute(f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rank) VALUES ('integrity-check', 1)")
        ddl = con.execute("SELECT sql FROM sqlite_master WHERE name = ?", (FTS_TABLE,)).fetchone()[0]
        tokenize = ddl[ddl.index("tokenize="):].rstrip(")")
        con.executescript(f"""
            CREATE VIRTUAL TABLE temp.fresh USING fts5(title, text, outlet, {tokenize});
            INSERT INTO temp.fresh(rowid, title, text, outlet) SELECT id, title, text, outlet FROM {SOURCE_VIEW};
            CREATE VIRTUAL TABLE temp.live_v USING fts5vocab(main, {FTS_TABLE}, 'instance');
            CREATE VIRTUAL TABLE temp.fresh_v USING fts5vocab(temp, fresh, 'instance');""")
        live = con.execute("SELECT * FROM temp.live_v ORDER BY 1, 2, 3, 4").fetchall()
        fresh = con.execute("SELECT * FROM temp.fresh_v ORDER BY 1, 2, 3, 4").fetchall()
        assert live == fresh, f"index out of step: {sorted(set(live) ^ set(fresh))[:10]}"
    finally:
        con.close()


@pytest.fixture
def sample(store, tmp_path):
    import_articles(store, ARTICLES, tmp_path)
    return store


# --- the query language -----------------------------------------------------------------

@pytest.mark.parametrize("query, fts", [
    ("harbour strike", "harbour AND strike"),
    ('"harbour strike"', '"harbour strike"'),
    ("strik*", "strik*"),
    ('"harbour stri"*', '"harbour stri" *'),
    ("harbour stri *", "harbour AND stri*"),
    ("harbour st *", None),
    ("strike OR walkout", "strike OR walkout"),
    ("strike NOT ferry", "strike NOT ferry"),
    ("port (strike OR walkout)", "port AND ( strike OR walkout )"),
    ("title:strike", "title : strike"),
    ('TITLE:"third day"', 'title : "third day"'),
    ("text:(crane OR cranes)", "text : ( crane OR cranes )"),
    ("NEAR(strike harbour, 5)", "NEAR(strike harbour, 5)"),
    ("state-run media", '"state-run" AND media'),
    ("Veldhaven's", '"Veldhaven\'s"'),
    ("Putin: war", '"Putin:" AND war'),
    ("war & peace", "war AND peace"),
    ("and or not", "and AND or AND not"),
    ('"say ""no"""', '"say ""no"""'),
    ("забастовка порт*", "забастовка AND порт*"),
    ("\x1b[31mred\x00", '"[31mred"'),
])
def test_query_translation(query, fts):
    if fts is None:
        with pytest.raises(SearchQueryError, match="too short"):
            fts_query(query)
    else:
        assert fts_query(query) == fts


@pytest.mark.parametrize("query, words", [
    ('"harbour strike', ["unbalanced quote", "never closed", "Fix:"]),
    ("strike NOT", ["NOT at the end", "nothing on its right", "Fix:"]),
    ("NOT strike", ["NOT at the start", '"not"']),
    ("OR", ["OR at the start"]),
    ("strike AND OR port", ["OR right after AND"]),
    ("(strike OR)", ["OR right before )"]),
    ("()", ["empty parentheses"]),
    ("(strike", ["unbalanced parentheses", "add the missing )"]),
    ("strike)", ["unbalanced parentheses", "closes nothing"]),
    ("-ferry", ["leading minus", "strike NOT ferry", '"-ferry"']),
    ("st*", ["too short", "at least 3 letters"]),
    ("*", ["no words to look for"]),
    ("&& --", ["no words to look for"]),
    ("", ["no words to look for"]),
    ("title:", ["title: at the end"]),
    ("title: OR x", ["title: at character 1", "not followed by a word"]),
    ("NEAR(strike)", ["NEAR(word word, N)"]),
    ("NEAR(strike port, far)", ["NEAR(word word, N)"]),
])
def test_unreadable_queries_say_what_and_how(query, words):
    with pytest.raises(SearchQueryError) as info:
        fts_query(query)
    for w in words:
        assert w in str(info.value), (w, str(info.value))


# --- matching and ranking ----------------------------------------------------------------

def test_words_phrases_prefixes_and_operators(sample):
    assert set(guids(sample, "harbour")) == {"c1", "c2", "h1"}
    assert guids(sample, '"harbour strike"') == ["c1"]  # the title, not "strike-hit harbour"
    assert set(guids(sample, "harbour strike")) == {"c1", "c2"}
    assert set(guids(sample, "strike*")) == {"c1", "c2", "h2"}  # strike, strike-hit, strikers'
    assert set(guids(sample, "strike OR agitators")) == {"c1", "c2", "h1"}
    assert set(guids(sample, "harbour NOT ferry")) == {"c1", "h1"}
    assert set(guids(sample, "harbour AND (ferry OR agitators)")) == {"c2", "h1"}
    assert guids(sample, "title:strike") == ["c1"]
    assert set(guids(sample, "text:strike*")) == {"c2", "h2"}
    assert guids(sample, "NEAR(union spokesman, 2)") == ["c1"]
    assert guids(sample, "NEAR(union payment, 2)") == []
    assert guids(sample, "state-run") == ["h1"]  # punctuation: a phrase, not FTS5 syntax
    assert guids(sample, "cafe") == ["h2"]  # accents folded
    assert guids(sample, "CAFÉ") == ["h2"]
    assert guids(sample, "ЗАБАСТОВКА") == ["v1"]  # case folding beyond ASCII
    assert guids(sample, "забастов*") == ["v1"]
    assert guids(sample, "walkout") == []


def test_title_weighs_more_and_results_carry_everything(sample):
    rows = find(sample, "strike")
    assert [r["rank"] for r in rows] == [1, 2]
    # The word once in each: the title match (c1) ranks above the text match (c2).
    top, second = rows
    assert top["title"] == "Harbour strike enters its third day" and top["score"] > second["score"]
    assert set(top) == set(RESULT_COLUMNS)
    assert top["outlet"] == "courier" and top["affiliation"] == "independent"
    assert top["url"] == "https://courier.example/port/strike-day-three"
    assert top["published_at"] == datetime(2026, 11, 24, 8, 0)
    assert top["event_id"] is None
    assert "**" not in top["snippet"]  # the word is in the title only: the text's start
    assert second["snippet"].count("**strike**") == 1


def test_snippet_marks_every_matched_word_of_the_text(sample):
    (row,) = find(sample, '"port authority" normally')
    assert "**port authority**" in row["snippet"] and "**normally**" in row["snippet"]


# --- filters, limit ------------------------------------------------------------------------

def add_event(store, guid_list: list[str]) -> int:
    """An event holding these articles, as a finished clustering run writes it."""
    by_guid = ids(store)
    with Session(store.engine) as s, s.begin():
        run = RunRow(kind="cluster", started_at=NOW, finished_at=NOW, status="done", code_version="test",
                     params="{}", articles_in=len(guid_list), events_created=1, events_changed=0)
        s.add(run)
        s.flush()
        event = EventRow(label="strike", headline="strike", top_terms="strike", first_published=NOW,
                         last_published=NOW, article_count=len(guid_list), outlet_count=2,
                         created_run_id=run.id, updated_run_id=run.id)
        s.add(event)
        s.flush()
        s.add_all(EventArticleRow(article_id=by_guid[g], event_id=event.id, similarity=0.9, run_id=run.id)
                  for g in guid_list)
        return event.id


def test_filters_outlet_time_event(sample):
    assert set(guids(sample, "harbour", outlets=("herald",))) == {"h1"}
    assert set(guids(sample, "harbour OR café", outlets=("herald", "courier"))) == {"c1", "c2", "h1", "h2"}
    assert guids(sample, "harbour", outlets=("nobody",)) == []
    assert set(guids(sample, "harbour", since=datetime(2026, 11, 24, 10))) == {"c2", "h1"}
    assert set(guids(sample, "harbour", until=datetime(2026, 11, 24, 11))) == {"c1", "h1"}  # inclusive
    assert guids(sample, "harbour", since=datetime(2026, 11, 24, 9), until=datetime(2026, 11, 24, 12),
                 outlets=("herald",)) == ["h1"]
    assert guids(sample, "harbour", since=datetime(2027, 1, 1)) == []
    event = add_event(sample, ["c1", "h1", "v1"])
    assert set(guids(sample, "harbour", event_id=event)) == {"c1", "h1"}
    assert guids(sample, "harbour", event_id=event, outlets=("herald",)) == ["h1"]
    assert {r["event_id"] for r in find(sample, "harbour")} == {event, None}
    assert guids(sample, "harbour", event_id=event + 1) == []


def test_limit_and_more(sample):
    with Session(sample.engine) as s:
        found = search(s, SearchQuery("harbour OR strike*", limit=2))
        assert len(found.rows) == 2 and found.more and not found.capped
        found = search(s, SearchQuery("harbour OR strike*", limit=4))
        assert len(found.rows) == 4 and not found.more
        found = search(s, SearchQuery("harbour OR strike*", limit=0))
        assert len(found.rows) == 4 and not found.more


def test_over_the_cap_only_the_newest_matches_are_ranked(sample, monkeypatch):
    monkeypatch.setattr(search_module, "RANK_CAP", 2)

    def run(q: SearchQuery):
        with Session(sample.engine) as s:
            return search(s, q)

    art = ids(sample)
    newest_two = sorted(art[g] for g in ("c1", "c2", "h1", "h2", "v1"))[-2:]
    found = run(SearchQuery("harbour OR strike* OR забастовку"))
    assert found.capped and sorted(r["article_id"] for r in found.rows) == newest_two
    found = run(SearchQuery("harbour OR strike* OR забастовку", rank_all=True))
    assert not found.capped and len(found.rows) == 5
    # The cap counts matches after the filters: two herald articles match, none is cut.
    found = run(SearchQuery("harbour OR strike*", outlets=("herald",)))
    assert not found.capped and len(found.rows) == 2
    event = add_event(sample, ["c1", "h1", "c2"])
    found = run(SearchQuery("harbour", event_id=event))
    assert found.capped and len(found.rows) == 2  # the event's three all match


def test_outlet_ids_with_punctuation_filter_exactly(store, tmp_path):
    rows = [dict(id=f"n{i}", outlet=o, title="Harbour news", text="Harbour text", published="2026-11-25T00:00:00Z")
            for i, o in enumerate(["ria-novosti", "ria", "novosti", "ria_novosti"])]
    import_articles(store, rows, tmp_path)
    assert_in_sync(store)
    for o in ("ria-novosti", "ria", "novosti", "ria_novosti"):
        assert [r["outlet"] for r in find(store, "harbour", outlets=(o,))] == [o]
    assert find(store, "novosti") == []  # the outlet column is not searched by words


def test_query_plan_lets_fts5_rank_and_the_limit_stop_the_walk(sample):
    """Guard for the 1M-article target: FTS5 drives and orders; no sort of all matches after it."""
    for q, span in [(SearchQuery("harbour"), None),
                    (SearchQuery("harbour", outlets=("herald",), since=datetime(2026, 11, 1)), (1, 5)),
                    (SearchQuery("harbour", event_id=1), (1, 3))]:
        sql, params = search_sql(q, span)
        with sample.engine.connect() as c:
            plan = " | ".join(r[-1] for r in c.execute(text("EXPLAIN QUERY PLAN " + sql), params))
        assert "TEMP B-TREE" not in plan, plan
        assert plan.index(FTS_TABLE) < plan.index("SEARCH a USING INTEGER PRIMARY KEY"), plan
        assert "LIMIT" in sql
        assert ("BETWEEN :lo AND :hi" in sql) == bool(span)
        sql, params = cap_sql(q, span)
        with sample.engine.connect() as c:
            plan = " | ".join(r[-1] for r in c.execute(text("EXPLAIN QUERY PLAN " + sql), params))
        assert "TEMP B-TREE" not in plan, plan  # FTS5 walks its doclists newest first
        assert ("JOIN articles" in sql) == (q.event_id is not None)


# --- keeping the index in step -------------------------------------------------------------

def test_index_follows_the_collect_path(server, store):
    url = server.add("/courier.xml", static(rss_doc([
        item(1, title="Harbour strike enters its third day", description="<p>Dock workers stayed away.</p>"),
        item(2, title="Library reopens", description="<p>Readers queued in the rain.</p>")])))
    config = config_for({"courier": [url]})
    assert collect_once(store, config).results[0].outcome == "ok"
    assert_in_sync(store)
    assert [r["title"] for r in find(store, "dock")] == ["Harbour strike enters its third day"]
    assert len(find(store, "readers queued")) == 1
    # The outlet edits item 1 (a silent edit): the old words go, the new ones come.
    server.add("/courier.xml", static(rss_doc([
        item(1, title="Harbour strike called off", description="<p>Talks resumed at dawn.</p>"),
        item(2, title="Library reopens", description="<p>Readers queued in the rain.</p>")])))
    report = collect_once(store, config, force=True)
    assert report.results[0].counts.changed == 1
    assert_in_sync(store)
    assert find(store, "dock") == [] and find(store, '"third day"') == []
    assert [r["title"] for r in find(store, "talks dawn")] == ["Harbour strike called off"]


def test_index_follows_import_update_and_delete(store, tmp_path):
    import_articles(store, ARTICLES, tmp_path)
    assert_in_sync(store)
    import_articles(store, ARTICLES, tmp_path, "again.jsonl")  # idempotent: nothing doubles
    assert store.scalar(f"SELECT COUNT(*) FROM {FTS_TABLE}_docsize") == len(ARTICLES)
    assert_in_sync(store)
    art = ids(store)
    with store.engine.begin() as c:
        c.execute(text("UPDATE articles SET title = 'Quay café closes again' WHERE id = :i"), {"i": art["h2"]})
        c.execute(text("UPDATE articles SET content = '', summary = 'A teaser about tugboats' WHERE id = :i"),
                  {"i": art["c2"]})
        c.execute(text("UPDATE articles SET author = 'nobody', title = title WHERE id = :i"), {"i": art["c1"]})
    assert_in_sync(store)
    assert guids(store, "closes") == ["h2"] and guids(store, "reopens") == []
    assert guids(store, "tugboats") == ["c2"] and guids(store, "overnight") == []
    with store.engine.begin() as c:
        c.execute(text("DELETE FROM articles WHERE id = :i"), {"i": art["h1"]})
    assert_in_sync(store)
    assert guids(store, "agitators") == []
    assert store.scalar(f"SELECT COUNT(*) FROM {FTS_TABLE}_docsize") == len(ARTICLES) - 1


def page_job(store, guid: str) -> PageJob:
    (row,) = store.rows("SELECT id, outlet_id, url, title, content, summary FROM articles WHERE guid = :g", g=guid)
    return PageJob(row.id, row.outlet_id, row.url, row.title, row.content or row.summary, None, 0)


def record(store, guid: str, status: str, page_text: str = "", **kw) -> None:
    """One attempt of the full-text stage, written by the store's real record_page."""
    with Session(store.engine) as s, s.begin():
        record_page(s, page_job(store, guid), PageUpdate(status=status, attempted_at=NOW,
                                                          url="https://x.example", text=page_text, **kw))


def test_index_follows_full_text_rows(sample):
    record(sample, "c1", "failed", error_class="timeout", next_attempt_at=NOW + timedelta(hours=1))
    assert_in_sync(sample)
    assert guids(sample, "cranes") == ["c1"]
    record(sample, "c1", "extracted", "The whole page: pickets lit braziers against the wind.")
    assert_in_sync(sample)
    assert guids(sample, "braziers") == ["c1"] and guids(sample, "cranes") == []  # the page is best now
    record(sample, "c1", "failed", error_class="http_status")  # a failed re-read keeps the page text
    assert_in_sync(sample)
    assert guids(sample, "braziers") == ["c1"]
    record(sample, "c1", "extracted", "A corrected page: pickets went home at dusk.")
    assert_in_sync(sample)
    assert guids(sample, "dusk") == ["c1"] and guids(sample, "braziers") == []
    record(sample, "c2", "fallback", "Subscribe to read", reason="shorter_than_feed")
    assert_in_sync(sample)
    assert guids(sample, "subscribe") == [] and guids(sample, "overnight") == ["c2"]
    c1 = ids(sample)["c1"]
    with sample.engine.begin() as c:
        c.execute(text("UPDATE article_texts SET status = 'fallback' WHERE article_id = :i"), {"i": c1})
    assert_in_sync(sample)
    assert guids(sample, "dusk") == [] and guids(sample, "cranes") == ["c1"]
    with sample.engine.begin() as c:
        c.execute(text("UPDATE article_texts SET status = 'extracted' WHERE article_id = :i"), {"i": c1})
        c.execute(text("UPDATE articles SET content = 'Feed text changed under a page text' WHERE id = :i"),
                  {"i": c1})
    assert_in_sync(sample)
    assert guids(sample, "dusk") == ["c1"] and guids(sample, "under") == []
    with sample.engine.begin() as c:
        c.execute(text("DELETE FROM article_texts"))
    assert_in_sync(sample)
    assert guids(sample, "dusk") == [] and guids(sample, "under") == ["c1"]
    # The index's source chooses the text exactly as v_articles.full_text does.
    record(sample, "h1", "extracted", "Officials page text")
    assert sample.rows(f"SELECT id, text FROM {SOURCE_VIEW} ORDER BY id") == sample.rows(
        "SELECT article_id, full_text FROM v_articles ORDER BY article_id")


PAGE = """<!DOCTYPE html><html lang="en"><head><title>{title} | Veldhaven Courier</title></head><body>
<nav><a href="/">Home</a> <a href="/port">Port</a></nav>
<main><article><h1>{title}</h1>
<p>Dock workers in the port of Veldhaven stayed away from the cranes for a third day on Wednesday,
after talks between the dockers' union and the port authority broke down over pensions.</p>
<p>Pickets lit braziers against the wind outside the container terminal, where the union's
spokesman said the authority had offered a one-off payment instead of the rise agreed in March.</p>
<p>Shipping agents estimate that more than sixty vessels are waiting in the roads outside the
harbour, and retailers warn of empty shelves before the winter holidays.</p>
</article></main><footer>Veldhaven Courier, 12 Quay Street</footer></body></html>"""


def test_index_follows_a_real_fulltext_run(server, store):
    title = "Harbour strike enters its third day"

    def page(req):
        send(req, 200, PAGE.format(title=title).encode(), {"Content-Type": "text/html; charset=utf-8"})

    page_url = server.add("/port/strike", page)
    feed = server.add("/courier.xml", static(rss_doc([
        item(1, title=title, link=page_url, description="Dock workers stayed away.")])))
    config = Config(outlets=(outlet("courier", [feed], full_text=True),))
    collect_once(store, config)
    assert find(store, "braziers") == []
    report = asyncio.run(fulltext_pass(store.engine, config, FulltextOptions(workers=0, fetch=FAST)))
    assert store.scalar("SELECT status FROM article_texts") == "extracted", report
    assert_in_sync(store)
    (row,) = find(store, "braziers")
    assert "**braziers**" in row["snippet"]


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.text(min_size=1, max_size=60), min_size=1, max_size=4), st.text(max_size=40))
def test_any_text_stored_is_found_by_its_words(tmp_path_factory, bodies, title):
    """Whatever the text (any unicode), each word indexed finds its article, and the index is in step."""
    folder = tmp_path_factory.mktemp("prop")
    store = Store(folder / "store.db")
    try:
        rows = [dict(id=f"p{i}", outlet="prop", title=title or "untitled", text=body,
                     published="2026-11-25T00:00:00Z") for i, body in enumerate(bodies)]
        parsed, _problems = read_rows(write_jsonl(folder / "p.jsonl", rows), NOW)
        with Session(store.engine) as s, s.begin():
            store_rows(s, parsed, NOW)
        assert_in_sync(store)
        con = sqlite3.connect(store.path)
        con.execute(f"CREATE VIRTUAL TABLE temp.v USING fts5vocab(main, {FTS_TABLE}, 'instance')")
        indexed = con.execute("SELECT term, doc FROM temp.v WHERE col IN ('title', 'text')").fetchall()
        con.close()
        for term, doc in indexed[:30]:
            found = {r["article_id"] for r in find(store, '"' + term.replace('"', '""') + '"', limit=0)}
            assert doc in found, (term, doc)
    finally:
        store.engine.dispose()


QUERY_PARTS = ['"', "(", ")", "AND", "OR", "NOT", "NEAR", "NEAR(", ",", "*", "title:", "text:", "x:", "-",
               "^", "+", "strike", "harbour", "5", "'", ":", "{", "}", "\x00", "é", "]"]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(max_size=40) | st.lists(st.sampled_from(QUERY_PARTS), max_size=8).map(" ".join)
       | st.lists(st.sampled_from(QUERY_PARTS), max_size=8).map("".join))
def test_search_never_raises_anything_but_a_clear_error(sample, query):
    try:
        rows = find(sample, query)
    except SearchQueryError as exc:
        assert "Fix:" in str(exc), str(exc)
    else:
        assert isinstance(rows, list)


# --- schema upgrade, other backends -----------------------------------------------------------

def drop_index(path: Path, version: str = "5") -> None:
    """Make the store look like one written before the index existed."""
    con = sqlite3.connect(path)
    for name in TRIGGERS:
        con.execute(f"DROP TRIGGER {name}")
    con.execute(f"DROP TABLE {FTS_TABLE}")
    con.execute(f"DROP VIEW {SOURCE_VIEW}")
    con.execute("DELETE FROM meta WHERE key = 'fts_hash'")
    con.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", (version,))
    con.commit()
    con.close()


def test_store_without_the_index_is_upgraded_and_back_filled(sample, tmp_path):
    sample.engine.dispose()
    drop_index(sample.path)
    con = sqlite3.connect(sample.path)  # an article that arrives while there is no index
    con.execute("INSERT INTO articles (outlet_id, item_key, title, summary, content, published_at, "
                "fetched_at, updated_at, content_hash) VALUES ('courier', 'guid:late', 'Tugboat crews vote', "
                "'', 'Crews vote on an overtime ban.', '2026-11-25 10:00:00', '2026-11-25 10:00:00', "
                "'2026-11-25 10:00:00', 'x')")
    con.commit()
    con.close()
    open_store(sample.url, NOW).dispose()
    assert_in_sync(sample)
    assert sample.scalar("SELECT value FROM meta WHERE key = 'schema_version'") == str(SCHEMA_VERSION)
    names = {r[0] for r in sample.rows("SELECT name FROM sqlite_master")}
    assert {FTS_TABLE, SOURCE_VIEW, *TRIGGERS} <= names
    assert [r["title"] for r in find(sample, "overtime")] == ["Tugboat crews vote"]
    assert set(guids(sample, "harbour")) == {"c1", "c2", "h1"}
    # The triggers are back too.
    import_articles(sample, [dict(id="c9", outlet="courier", title="Cranes idle", text="Idle cranes everywhere.",
                                  published="2026-11-25T12:00:00Z")], tmp_path, "late.jsonl")
    assert guids(sample, "idle") == ["c9"]
    assert_in_sync(sample)


def test_changed_index_definition_is_rebuilt_and_a_current_one_left_alone(sample):
    sql_before = sample.rows("SELECT type, name, sql FROM sqlite_master ORDER BY name")
    open_store(sample.url, NOW).dispose()
    assert sample.rows("SELECT type, name, sql FROM sqlite_master ORDER BY name") == sql_before
    with sample.engine.begin() as c:
        c.execute(text("UPDATE meta SET value = 'old' WHERE key = 'fts_hash'"))
        c.execute(text(f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('delete-all')"))  # an index that lost its rows
    assert find(sample, "harbour") == []
    open_store(sample.url, NOW).dispose()
    assert_in_sync(sample)
    assert set(guids(sample, "harbour")) == {"c1", "c2", "h1"}


def test_a_large_rebuild_is_announced_on_stderr_and_a_small_or_current_one_is_not(sample, capfd, monkeypatch):
    n = sample.scalar("SELECT count(*) FROM articles")

    def rebuild() -> str:
        with sample.engine.begin() as c:
            c.execute(text("UPDATE meta SET value = 'old' WHERE key = 'fts_hash'"))
        capfd.readouterr()
        open_store(sample.url, NOW).dispose()
        out, err = capfd.readouterr()
        assert out == ""  # stdout stays clean for --format json
        return err

    monkeypatch.setattr(search_module, "ANNOUNCE_REBUILD", n + 1)
    assert rebuild() == ""  # below the threshold: a second, nothing to say
    monkeypatch.setattr(search_module, "ANNOUNCE_REBUILD", n)
    err = rebuild()
    assert f"building the full-text search index for {n:,} articles" in err
    assert re.search(r"search index built in \d+ s", err), err
    assert_in_sync(sample)
    capfd.readouterr()
    open_store(sample.url, NOW).dispose()  # current: no rebuild, no message
    assert capfd.readouterr().err == ""


class _FakeDialect:
    name = "postgresql"


class _FakeConnection:
    dialect = _FakeDialect()

    def exec_driver_sql(self, *_a, **_k):
        raise AssertionError("ensure_fts ran SQL on a non-SQLite connection")


class _FakeSession:
    def get_bind(self):
        return _FakeConnection()


def test_other_backends_have_no_index_and_search_says_so():
    assert ensure_fts(_FakeConnection()) is False  # type: ignore[arg-type]
    with pytest.raises(StoreError, match="needs a SQLite store"):
        search(_FakeSession(), SearchQuery("strike"))  # type: ignore[arg-type]


def test_sqlite_without_the_index_gets_a_clear_message(sample):
    with sample.engine.begin() as c:
        for name in TRIGGERS:
            c.execute(text(f"DROP TRIGGER {name}"))
        c.execute(text(f"DROP TABLE {FTS_TABLE}"))
    with pytest.raises(StoreError, match="no full-text index"):
        find(sample, "harbour")


# --- the command --------------------------------------------------------------------------

def cli(tmp_path: Path, *args: str):
    return run_cli("search", *args, cwd=tmp_path, env={"COLUMNS": "250"})  # wide: cells unwrapped


@pytest.fixture
def collected(tmp_path, server):
    """A store filled by the real `narratives collect` from loopback feeds."""
    hostile = item(3, title="[bold red]Breaking[/] <script>alert(1)</script> strike",
                   description="<p>Strike news</p><img src=x onerror=alert(1)> [link](javascript:alert(1))")
    a = server.add("/courier.xml", static(rss_doc([
        item(1, title="Harbour strike enters its third day", description="<p>Dock workers stayed away.</p>",
             link="https://courier.example/strike"),
        item(2, title="Ferry cancelled", description="<p>The strike-hit harbour is quiet.</p>",
             pub="Wed, 25 Nov 2026 10:00:00 GMT"), hostile])))
    b = server.add("/herald.xml", static(rss_doc([
        item(1, title="Port operations continue normally", guid="h-1",
             description="<p>The state-run port authority denied any strike.</p>")])))
    feeds = tmp_path / "feeds.yaml"
    feeds.write_text(feeds_yaml({"courier": [a], "herald": [b]}), encoding="utf-8")
    db = tmp_path / "store.db"
    r = run_cli("collect", "--feeds", str(feeds), "--db", str(db), "--workers", "0", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    return db


def test_cli_formats(tmp_path, collected):
    db = str(collected)
    r = cli(tmp_path, "strike", "--db", db, "--format", "json")
    assert r.returncode == 0, r.stderr
    rows = json.loads(r.stdout)
    assert len(rows) == 4 and all(list(row) == RESULT_COLUMNS for row in rows)
    assert [row["rank"] for row in rows] == [1, 2, 3, 4]
    assert rows[0]["published_at"].endswith("Z")
    r = cli(tmp_path, "strike", "--db", db, "--format", "csv", "--outlet", "herald")
    assert r.returncode == 0, r.stderr
    (row,) = list(csv.DictReader(io.StringIO(r.stdout)))
    assert list(row) == RESULT_COLUMNS and row["outlet"] == "herald" and "**strike**" in row["snippet"]
    r = cli(tmp_path, '"harbour strike"', "--db", db, "--format", "md")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0].startswith("| rank | article_id |") and len(lines) == 3
    r = cli(tmp_path, "strike", "--db", db, "--until", "2026-11-24T23:59", "--limit", "1")
    assert r.returncode == 0, r.stderr
    assert "search: strike" in r.stdout and "Harbour" in r.stdout
    assert "more articles match" in r.stderr
    r = cli(tmp_path, "walkout", "--db", db)
    assert r.returncode == 0 and "No articles match" in r.stdout
    r = cli(tmp_path, "walkout", "--db", db, "--format", "json")
    assert r.returncode == 0 and json.loads(r.stdout) == []


def test_cli_hostile_text_does_not_break_the_table(tmp_path, collected):
    # Feed text is cleaned on the way in; a row written by other means may still carry
    # terminal escapes, bidi overrides and zero-width characters.
    con = sqlite3.connect(collected)
    con.execute("INSERT INTO articles (outlet_id, item_key, title, summary, content, published_at, fetched_at, "
                "updated_at, content_hash) VALUES ('herald', 'guid:evil', ?, '', ?, '2026-11-25 10:00:00', "
                "'2026-11-25 10:00:00', '2026-11-25 10:00:00', 'x')",
                ("\x1b[2J\x1b[31mRigged\u202e vote[/]\x07", "Rigged\r\nvote \u200bcount [blink]x[/blink]\x00"))
    con.commit()
    con.close()
    for query, shown in (("breaking", "[bold red]Breaking[/]"), ("rigged", "count [blink]x[/blink]")):
        r = cli(tmp_path, query, "--db", str(collected))
        assert r.returncode == 0, r.stderr
        for bad in ("\x1b", "\u202e", "\u200b", "\x07", "\x00", "\r"):
            assert bad not in r.stdout, (query, bad)
        assert shown in r.stdout  # markup shown as text, not applied
    r = cli(tmp_path, "breaking", "--db", str(collected), "--format", "json")
    (row,) = json.loads(r.stdout)
    assert row["title"].startswith("[bold red]Breaking[/]") and "<script>" in row["title"]
    r = cli(tmp_path, "rigged", "--db", str(collected), "--format", "json")
    (row,) = json.loads(r.stdout)
    assert row["title"] == "[2J [31mRigged vote[/]"
    assert row["snippet"] == "**Rigged** vote count [blink]x[/blink]"


@pytest.mark.parametrize("query, words", [
    ('"harbour strike', "unbalanced quote"),
    ("strike NOT", "NOT at the end"),
    ("AND", "AND at the start"),
    ("-ferry", "leading minus"),
])
def test_cli_bad_query_exits_2_with_the_fix(tmp_path, collected, query, words):
    r = cli(tmp_path, "--db", str(collected), "--", query)  # -- : a query may start with "-"
    assert r.returncode == 2, (r.stdout, r.stderr)
    assert words in r.stderr and "Fix:" in r.stderr and "Traceback" not in r.stderr
    assert r.stdout == ""


def test_cli_bad_options_event_and_help(tmp_path, collected):
    r = cli(tmp_path, "strike", "--db", str(collected), "--since", "last tuesday")
    assert r.returncode == 2 and "ISO 8601" in r.stderr
    r = cli(tmp_path, "strike", "--db", str(collected), "--event", "12345", "--format", "json")
    assert r.returncode == 0 and json.loads(r.stdout) == []
    r = cli(tmp_path, "strike", "--db", "postgresql://reader@127.0.0.1:9/news")
    assert r.returncode == 1 and "needs a SQLite store" in r.stderr and "Traceback" not in r.stderr
    r = cli(tmp_path, "--help")
    assert r.returncode == 0 and "Example:" in r.stdout and "narratives search" in r.stdout
