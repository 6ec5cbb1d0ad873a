"""Repository functions of narratives.store against a real SQLite file.

Each test drives the functions the collector uses (sync_config, due_feeds, store_articles,
record_attempt) inside ``Session(...).begin()`` and then reads the rows back with SQL.
"""

from __future__ import annotations

import threading
import time
from dataclasses import replace
from datetime import datetime, timedelta

import pytest
from conftest import Store, config_for, item, outlet, rss_doc
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from narratives.config import Config, FeedSpec
from narratives.errors import StoreError
from narratives.models import SCHEMA_VERSION, ArticleRow
from narratives.parse import ArticleDraft, content_hash, parse_feed
from narratives.store import (
    Counts,
    FeedJob,
    FeedUpdate,
    create_store_engine,
    due_feeds,
    ensure_schema,
    open_store,
    record_attempt,
    store_articles,
    sync_config,
)

T0 = datetime(2026, 11, 24, 10, 0, 0)
A1, A2, B1 = "https://a.example/rss/1.xml", "https://a.example/rss/2.xml", "https://b.example/rss.xml"


def draft(key: str, title: str = "Title", summary: str = "Summary", content: str = "",
          url: str | None = None, published_at: datetime = T0) -> ArticleDraft:
    return ArticleDraft(item_key=key, guid=key.removeprefix("guid:"), url=url, title=title,
                        summary=summary, content=content, author=None, language=None,
                        published_at=published_at, published_raw=None, date_flag=None,
                        content_hash=content_hash(title, summary, content))


def sync(store: Store, config: Config, now: datetime = T0) -> None:
    with Session(store.engine) as s, s.begin():
        sync_config(s, config, now)


def jobs(store: Store, now: datetime = T0, **kw) -> dict[str, FeedJob]:
    with Session(store.engine) as s, s.begin():
        return {j.url: j for j in due_feeds(s, now, **kw)}


def save(store: Store, job: FeedJob, drafts, fetched_at: datetime = T0) -> Counts:
    with Session(store.engine) as s, s.begin():
        return store_articles(s, job, drafts, fetched_at)


def attempt(store: Store, job: FeedJob, outcome: str, *, at: datetime = T0, counts: Counts = Counts(),
            **kw) -> None:
    upd = FeedUpdate(started_at=at, finished_at=at + timedelta(seconds=1), outcome=outcome,
                     next_fetch_at=kw.pop("next_fetch_at", at + timedelta(minutes=15)), **kw)
    with Session(store.engine) as s, s.begin():
        record_attempt(s, job, upd, counts)


def feed_row(store: Store, url: str):
    return store.rows("SELECT * FROM feeds WHERE url = :u", u=url)[0]


def dump(store: Store, table: str) -> list:
    return store.rows(f"SELECT * FROM {table} ORDER BY id")


# --- schema -----------------------------------------------------------------------

def test_schema_tables_views_and_pragmas(store):
    names = {(r.type, r.name) for r in store.rows(
        "SELECT type, name FROM sqlite_master WHERE type IN ('table', 'view')")}
    for table in ("meta", "outlets", "feeds", "fetches", "articles", "article_versions"):
        assert ("table", table) in names
    assert ("view", "v_articles") in names and ("view", "v_feed_health") in names
    assert store.scalar("PRAGMA journal_mode") == "wal"
    assert store.scalar("PRAGMA busy_timeout") >= 5000
    assert store.scalar("PRAGMA foreign_keys") == 1
    assert store.scalar("SELECT value FROM meta WHERE key = 'schema_version'") == str(SCHEMA_VERSION)
    assert store.path.exists() and store.path.stat().st_size > 0


def test_view_columns(store):
    cols = [r[1] for r in store.rows("PRAGMA table_info(v_articles)")]
    for col in ("article_id", "outlet", "outlet_name", "affiliation", "guid", "title", "url",
                "published_at", "fetched_at"):
        assert col in cols
    health = [r[1] for r in store.rows("PRAGMA table_info(v_feed_health)")]
    for col in ("outlet", "url", "status", "failure_count", "next_fetch_at", "articles"):
        assert col in health


def test_v_articles_joins_outlet_facts(store):
    sync(store, Config(outlets=(outlet("tass", [A1], affiliation="state-controlled"),)))
    job = jobs(store)[A1]
    save(store, job, [draft("guid:g1", title="Headline", url="https://a.example/n/1")])
    (row,) = store.rows("SELECT * FROM v_articles")
    assert row.outlet == "tass" and row.outlet_name == "TASS" and row.affiliation == "state-controlled"
    assert row.guid == "g1" and row.title == "Headline" and row.url == "https://a.example/n/1"
    assert row.language == "en"  # the outlet's language when the item has none
    assert row.versions == 0 and row.feed_id == job.feed_id


def test_ensure_schema_is_idempotent(store):
    before = {t: dump(store, t) if t != "meta" else store.rows("SELECT * FROM meta ORDER BY key")
              for t in ("meta",)}
    sql_before = store.rows("SELECT type, name, sql FROM sqlite_master ORDER BY name")
    ensure_schema(store.engine, T0 + timedelta(days=30))
    ensure_schema(store.engine, T0 + timedelta(days=31))
    engine = open_store(store.url, T0 + timedelta(days=32))
    engine.dispose()
    assert store.rows("SELECT * FROM meta ORDER BY key") == before["meta"]  # created_at kept
    assert store.rows("SELECT type, name, sql FROM sqlite_master ORDER BY name") == sql_before


def test_ensure_schema_keeps_data(store):
    sync(store, config_for({"a": [A1]}))
    save(store, jobs(store)[A1], [draft("guid:1")])
    ensure_schema(store.engine, T0)
    assert store.scalar("SELECT COUNT(*) FROM articles") == 1


def test_newer_schema_is_refused(store):
    with store.engine.begin() as c:
        c.execute(text("UPDATE meta SET value = :v WHERE key = 'schema_version'"),
                  {"v": str(SCHEMA_VERSION + 1)})
    with pytest.raises(StoreError, match="newer"):
        ensure_schema(store.engine, T0)
    with pytest.raises(StoreError, match="upgrade narratives"):
        open_store(store.url, T0)


def test_unusable_store_paths_raise_store_error(tmp_path):
    not_a_db = tmp_path / "notes.db"
    not_a_db.write_text("this is a text file, not SQLite " * 20)
    with pytest.raises(StoreError, match="not a database"):
        open_store(f"sqlite:///{not_a_db}", T0)
    a_file = tmp_path / "file"
    a_file.write_text("x")
    with pytest.raises(StoreError, match="Fix:"):
        open_store(f"sqlite:///{a_file}/store.db", T0)
    with pytest.raises(StoreError, match="not a database URL"):
        open_store("::not a url::", T0)


# --- sync_config ------------------------------------------------------------------

def test_sync_config_adds_outlets_and_feeds(store):
    sync(store, config_for({"a": [A1, A2], "b": [B1]}))
    outlets = store.rows("SELECT id, name, affiliation, in_config, created_at, updated_at FROM outlets ORDER BY id")
    assert [(o.id, o.name, o.in_config) for o in outlets] == [("a", "A", 1), ("b", "B", 1)]
    feeds = store.rows("SELECT outlet_id, url, name, status, in_config, failure_count, next_fetch_at FROM feeds ORDER BY id")
    assert [(f.outlet_id, f.url, f.name) for f in feeds] == [("a", A1, "f0"), ("a", A2, "f1"), ("b", B1, "f0")]
    assert all(f.status == "active" and f.in_config == 1 and f.failure_count == 0 and f.next_fetch_at is None
               for f in feeds)


def test_sync_config_updates_changed_outlets_only(store):
    sync(store, config_for({"a": [A1], "b": [B1]}), T0)
    later = T0 + timedelta(hours=1)
    changed = Config(outlets=(replace(outlet("a", [A1]), name="A renamed", affiliation="public-service",
                                      homepage="https://a2.example"), outlet("b", [B1])))
    sync(store, changed, later)
    a, b = store.rows("SELECT * FROM outlets ORDER BY id")
    assert (a.name, a.affiliation, a.homepage) == ("A renamed", "public-service", "https://a2.example")
    assert a.updated_at.startswith("2026-11-24 11:00")
    assert b.updated_at.startswith("2026-11-24 10:00")  # untouched
    assert a.created_at.startswith("2026-11-24 10:00")


def test_sync_config_updates_feed_fields(store):
    sync(store, config_for({"a": [A1]}))
    spec = FeedSpec(url=A1, name="renamed", enabled=False)
    sync(store, Config(outlets=(replace(outlet("a", []), feeds=(spec,)),)))
    row = feed_row(store, A1)
    assert (row.name, row.enabled) == ("renamed", 0)
    assert jobs(store, force=True) == {}  # disabled


def test_sync_config_removed_feed_keeps_history(store):
    sync(store, config_for({"a": [A1, A2]}))
    job = jobs(store)[A2]
    save(store, job, [draft("guid:1"), draft("guid:2")])
    attempt(store, job, "ok", counts=Counts(seen=2, new=2))
    sync(store, config_for({"a": [A1]}), T0 + timedelta(hours=1))
    assert feed_row(store, A2).in_config == 0
    assert feed_row(store, A1).in_config == 1
    assert store.scalar("SELECT COUNT(*) FROM articles WHERE feed_id = :f", f=job.feed_id) == 2
    assert store.scalar("SELECT COUNT(*) FROM fetches WHERE feed_id = :f", f=job.feed_id) == 1
    assert set(jobs(store, force=True)) == {A1}
    assert [r.url for r in store.rows("SELECT url FROM v_feed_health")] == [A1, A2]  # the view keeps all
    # listed again: back in, same row, history attached
    sync(store, config_for({"a": [A1, A2]}), T0 + timedelta(hours=2))
    assert feed_row(store, A2).in_config == 1 and feed_row(store, A2).id == job.feed_id


def test_sync_config_removed_outlet(store):
    sync(store, config_for({"a": [A1], "b": [B1]}))
    sync(store, config_for({"a": [A1]}))
    assert store.scalar("SELECT in_config FROM outlets WHERE id = 'b'") == 0
    assert store.scalar("SELECT COUNT(*) FROM outlets") == 2
    assert set(jobs(store, force=True)) == {A1}


def test_sync_config_moves_a_feed_to_another_outlet(store):
    sync(store, config_for({"a": [A1], "b": [B1]}))
    sync(store, config_for({"a": [], "b": [B1, A1]}))
    assert feed_row(store, A1).outlet_id == "b"
    assert store.scalar("SELECT COUNT(*) FROM feeds") == 2


# --- due_feeds --------------------------------------------------------------------

def test_due_feeds_schedule_force_and_filters(store):
    sync(store, config_for({"a": [A1, A2], "b": [B1]}))
    assert set(jobs(store)) == {A1, A2, B1}  # never fetched: due
    all_jobs = jobs(store)
    attempt(store, all_jobs[A1], "ok", next_fetch_at=T0 + timedelta(minutes=15))
    attempt(store, all_jobs[A2], "gone", http_status=410, next_fetch_at=None)
    attempt(store, all_jobs[B1], "error", next_fetch_at=T0 + timedelta(hours=1), error_message="boom")

    assert set(jobs(store, T0 + timedelta(minutes=14))) == set()
    assert set(jobs(store, T0 + timedelta(minutes=15))) == {A1}
    assert set(jobs(store, T0 + timedelta(hours=1))) == {A1, B1}
    assert set(jobs(store, T0 + timedelta(days=30))) == {A1, B1}  # gone stays out
    assert set(jobs(store, T0, force=True)) == {A1, A2, B1}  # force: gone and not-yet-due too
    assert set(jobs(store, T0, force=True, outlets=["b"])) == {B1}
    assert set(jobs(store, T0 + timedelta(hours=1), outlets=["a"])) == {A1}

    job = jobs(store, T0 + timedelta(hours=1))[B1]
    assert job.failure_count == 1 and job.outlet_id == "b" and job.language == "en"


def test_due_feeds_skips_disabled_outlets(store):
    cfg = Config(outlets=(outlet("a", [A1], enabled=False), outlet("b", [B1])))
    sync(store, cfg)
    assert set(jobs(store, force=True)) == {B1}


def test_due_feeds_carries_validators(store):
    sync(store, config_for({"a": [A1]}))
    attempt(store, jobs(store)[A1], "ok", etag='"v1"', last_modified="Tue, 24 Nov 2026 09:00:00 GMT",
            body_hash="ab" * 32, next_fetch_at=T0)
    job = jobs(store)[A1]
    assert (job.etag, job.last_modified, job.body_hash) == ('"v1"', "Tue, 24 Nov 2026 09:00:00 GMT", "ab" * 32)


# --- store_articles ---------------------------------------------------------------

def test_store_articles_new_changed_seen(store):
    sync(store, config_for({"a": [A1]}))
    job = jobs(store)[A1]
    first = [draft("guid:1", "One", "first text", url="https://a.example/1"), draft("guid:2", "Two")]
    assert save(store, job, first, T0) == Counts(seen=2, new=2, changed=0)

    t1 = T0 + timedelta(minutes=15)
    assert save(store, job, first, t1) == Counts(seen=2, new=0, changed=0)

    t2 = T0 + timedelta(minutes=30)
    edited = [draft("guid:1", "One (corrected)", "second text", url=None), draft("guid:2", "Two"),
              draft("guid:3", "Three")]
    assert save(store, job, edited, t2) == Counts(seen=3, new=1, changed=1)

    row = store.rows("SELECT * FROM articles WHERE item_key = 'guid:1'")[0]
    assert (row.title, row.summary) == ("One (corrected)", "second text")
    assert row.url == "https://a.example/1"  # a draft without link keeps the known URL
    assert row.content_hash == content_hash("One (corrected)", "second text", "")
    assert row.fetched_at.startswith("2026-11-24 10:00")  # first seen
    assert row.updated_at.startswith("2026-11-24 10:30")
    (v,) = store.rows("SELECT * FROM article_versions")
    assert v.article_id == row.id
    assert (v.title, v.summary, v.url) == ("One", "first text", "https://a.example/1")
    assert v.content_hash == content_hash("One", "first text", "")
    assert v.seen_from.startswith("2026-11-24 10:00") and v.replaced_at.startswith("2026-11-24 10:30")

    t3 = T0 + timedelta(minutes=45)
    again = [draft("guid:1", "One (corrected twice)", "third text")]
    assert save(store, job, again, t3) == Counts(seen=1, new=0, changed=1)
    versions = store.rows("SELECT * FROM article_versions ORDER BY id")
    assert [v.title for v in versions] == ["One", "One (corrected)"]
    assert versions[1].seen_from.startswith("2026-11-24 10:30")  # the previous replacement time
    assert versions[1].replaced_at.startswith("2026-11-24 10:45")
    assert store.scalar("SELECT versions FROM v_articles WHERE guid = '1'") == 2
    assert store.scalar("SELECT COUNT(*) FROM articles") == 3


def test_same_item_in_another_feed_of_the_outlet_is_seen_not_changed(store):
    sync(store, config_for({"a": [A1, A2]}))
    j = jobs(store)
    assert save(store, j[A1], [draft("guid:x", "Story", "long teaser")]) == Counts(1, 1, 0)
    other = [draft("guid:x", "Story", "short teaser")]
    assert save(store, j[A2], other, T0 + timedelta(minutes=1)) == Counts(seen=1, new=0, changed=0)
    (row,) = store.rows("SELECT * FROM articles")
    assert row.summary == "long teaser" and row.feed_id == j[A1].feed_id
    assert store.scalar("SELECT COUNT(*) FROM article_versions") == 0


def test_same_item_key_in_two_outlets_is_two_articles(store):
    sync(store, config_for({"a": [A1], "b": [B1]}))
    j = jobs(store)
    assert save(store, j[A1], [draft("guid:x")]).new == 1
    assert save(store, j[B1], [draft("guid:x")]).new == 1
    assert sorted(r.outlet_id for r in store.rows("SELECT outlet_id FROM articles")) == ["a", "b"]


def test_store_articles_from_a_parsed_feed(store):
    sync(store, config_for({"a": [A1]}))
    job = jobs(store)[A1]
    feed = parse_feed(rss_doc([item(i) for i in range(3)] + [item(9, guid=None, pub="garbage")]),
                      {}, A1, T0)
    assert save(store, job, feed.items) == Counts(seen=4, new=4, changed=0)
    rows = store.rows("SELECT item_key, date_flag, published_raw, language FROM articles ORDER BY id")
    assert [r.item_key for r in rows] == ["guid:g-0", "guid:g-1", "guid:g-2", "url:https://news.example/a/9"]
    assert rows[3].date_flag == "unparsed" and rows[3].published_raw == "garbage"
    assert all(r.language == "en" for r in rows)  # from the outlet via the job


def test_store_articles_many_items_in_chunks(store):
    sync(store, config_for({"a": [A1]}))
    job = jobs(store)[A1]
    many = [draft(f"guid:{i}", f"T{i}") for i in range(1234)]
    assert save(store, job, many) == Counts(seen=1234, new=1234)
    assert save(store, job, many) == Counts(seen=1234)
    changed = [draft(f"guid:{i}", f"T{i}!" if i % 100 == 0 else f"T{i}") for i in range(1234)]
    assert save(store, job, changed, T0 + timedelta(hours=1)).changed == 13
    assert store.scalar("SELECT COUNT(*) FROM article_versions") == 13


# --- record_attempt ---------------------------------------------------------------

def test_record_attempt_validators_and_status(store):
    sync(store, config_for({"a": [A1]}))
    job = jobs(store)[A1]
    attempt(store, job, "ok", http_status=200, etag='"e1"', last_modified="LM1", body_hash="h1",
            feed_title="A wire", counts=Counts(seen=3, new=3))
    row = feed_row(store, A1)
    assert (row.etag, row.last_modified, row.body_hash, row.title) == ('"e1"', "LM1", "h1", "A wire")
    assert (row.status, row.failure_count, row.last_status) == ("active", 0, 200)
    assert row.last_success_at.startswith("2026-11-24 10:00:01")

    t = T0 + timedelta(minutes=15)
    attempt(store, job, "error", at=t, http_status=503, etag='"e2"', body_hash="h2",
            error_class="http_status", error_message="fetch: HTTP 503")
    row = feed_row(store, A1)
    assert (row.etag, row.body_hash) == ('"e1"', "h1")  # a failure never moves validators
    assert (row.status, row.failure_count, row.last_error) == ("failing", 1, "fetch: HTTP 503")
    attempt(store, job, "error", at=t + timedelta(minutes=30), error_message="again")
    assert feed_row(store, A1).failure_count == 2

    attempt(store, job, "not_modified", at=t + timedelta(hours=1), http_status=304, etag='"e3"',
            body_hash="h3")
    row = feed_row(store, A1)
    assert (row.etag, row.body_hash) == ('"e1"', "h1")  # 304 carries nothing to vouch for
    assert (row.status, row.failure_count) == ("active", 0)

    attempt(store, job, "unchanged", at=t + timedelta(hours=2), http_status=200, etag='"e4"',
            last_modified="LM4", body_hash="h1")
    row = feed_row(store, A1)
    assert (row.etag, row.last_modified) == ('"e4"', "LM4")

    attempt(store, job, "gone", at=t + timedelta(hours=3), http_status=410, next_fetch_at=None,
            error_class="http_status", error_message="gone")
    row = feed_row(store, A1)
    assert (row.status, row.failure_count, row.next_fetch_at, row.last_status) == ("gone", 1, None, 410)
    assert row.etag == '"e4"'

    fetches = store.rows("SELECT * FROM fetches ORDER BY id")
    assert [f.outcome for f in fetches] == ["ok", "error", "error", "not_modified", "unchanged", "gone"]
    assert (fetches[0].items_seen, fetches[0].items_new) == (3, 3)
    assert fetches[1].error_class == "http_status" and fetches[1].http_status == 503
    health = store.rows("SELECT status, failure_count FROM v_feed_health")
    assert [(h.status, h.failure_count) for h in health] == [("gone", 1)]


def test_record_attempt_failure_count_uses_the_row_not_the_snapshot(store):
    # two failures recorded with the same stale job snapshot still count twice
    sync(store, config_for({"a": [A1]}))
    job = jobs(store)[A1]
    attempt(store, job, "error", error_message="1")
    attempt(store, job, "error", error_message="2")
    assert feed_row(store, A1).failure_count == 2


# --- concurrency ------------------------------------------------------------------

def _writer(url: str, outlet_id: str, feed_url: str, started: threading.Event, wait_for: threading.Event | None,
            results: dict, *, write: bool = True) -> None:
    engine = create_store_engine(url, write=write)
    try:
        if wait_for is not None:
            wait_for.wait(5)
        with Session(engine) as s, s.begin():
            job = next(j for j in due_feeds(s, T0, force=True) if j.url == feed_url)  # read...
            before = s.scalar(select(ArticleRow.id).order_by(ArticleRow.id.desc()).limit(1))
            started.set()
            time.sleep(0.3)  # ... hold the transaction while the other thread starts its own
            counts = store_articles(s, job, [draft(f"guid:{outlet_id}-{i}") for i in range(50)], T0)
            record_attempt(s, job, FeedUpdate(T0, T0, "ok", T0), counts)  # ... then write
        results[outlet_id] = (counts, before)
    except Exception as exc:  # noqa: BLE001 — reported to the test thread
        results[outlet_id] = exc
    finally:
        engine.dispose()


def _race(store: Store, *, write: bool) -> dict:
    sync(store, config_for({"a": [A1], "b": [B1]}))
    results: dict = {}
    a_started, b_started = threading.Event(), threading.Event()
    ta = threading.Thread(target=_writer, args=(store.url, "a", A1, a_started, None, results), kwargs={"write": write})
    tb = threading.Thread(target=_writer, args=(store.url, "b", B1, b_started, a_started, results), kwargs={"write": write})
    ta.start()
    tb.start()
    ta.join(20)
    tb.join(20)
    return results


def test_two_engines_writing_concurrently_both_succeed(store):
    results = _race(store, write=True)
    assert not [r for r in results.values() if isinstance(r, Exception)], results
    assert results["a"][0] == Counts(seen=50, new=50) and results["b"][0] == Counts(seen=50, new=50)
    # BEGIN IMMEDIATE serialised them: b's transaction began after a's commit and saw its rows
    assert results["a"][1] is None and results["b"][1] is not None
    assert store.scalar("SELECT COUNT(*) FROM articles") == 100
    assert store.scalar("SELECT COUNT(*) FROM fetches") == 2


def test_deferred_transactions_would_fail(store):
    # The same race with plain BEGIN shows what BEGIN IMMEDIATE prevents.
    results = _race(store, write=False)
    errors = [r for r in results.values() if isinstance(r, Exception)]
    assert len(errors) == 1, results
    assert isinstance(errors[0], OperationalError) and "locked" in str(errors[0])


# --- hypothesis: storing is idempotent --------------------------------------------

SAFE_TEXT = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=20)
DRAFTS = st.lists(
    st.builds(draft, key=st.one_of(st.integers(0, 30).map(lambda i: f"guid:{i}"),
                                   st.integers(0, 30).map(lambda i: f"url:https://a.example/{i}"),
                                   st.text(min_size=1, max_size=10).map(lambda t: f"hash:{t}")),
              title=SAFE_TEXT, summary=st.one_of(st.just(""), SAFE_TEXT), content=SAFE_TEXT,
              url=st.one_of(st.none(), st.just("https://a.example/x")),
              published_at=st.datetimes(min_value=datetime(1991, 1, 1), max_value=datetime(2030, 1, 1))),
    max_size=25, unique_by=lambda d: d.item_key)


@pytest.fixture(scope="module")
def shared_store(tmp_path_factory):
    s = Store(tmp_path_factory.mktemp("prop") / "p.db")
    yield s
    s.engine.dispose()


_example = iter(range(10**9))


def outlet_dump(s: Store, oid: str) -> dict:
    return {"articles": s.rows("SELECT * FROM articles WHERE outlet_id = :o ORDER BY id", o=oid),
            "versions": s.rows("SELECT v.* FROM article_versions v JOIN articles a ON a.id = v.article_id "
                               "WHERE a.outlet_id = :o ORDER BY v.id", o=oid)}


@settings(max_examples=80, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(DRAFTS, DRAFTS)
def test_storing_twice_changes_nothing(shared_store, first, second):
    s, n = shared_store, next(_example)
    oid, f1, f2 = f"p{n}", f"https://p{n}.example/1.xml", f"https://p{n}.example/2.xml"
    sync(s, config_for({oid: [f1, f2]}))
    j = jobs(s, force=True, outlets=[oid])
    save(s, j[f1], first, T0)
    # a later batch, partly overlapping, possibly edited; then the first from the other feed
    save(s, j[f1], second, T0 + timedelta(minutes=15))
    save(s, j[f2], first, T0 + timedelta(minutes=20))
    before = outlet_dump(s, oid)
    for feed, batch in ((f1, second), (f2, first), (f1, second), (f2, second)):
        counts = save(s, j[feed], batch, T0 + timedelta(hours=1))
        assert (counts.new, counts.changed, counts.seen) == (0, 0, len(batch))
        assert outlet_dump(s, oid) == before
    keys = {d.item_key for d in first} | {d.item_key for d in second}
    assert len(before["articles"]) == len(keys)
    edited = sum(1 for a in first for b in second if a.item_key == b.item_key and a.content_hash != b.content_hash)
    assert len(before["versions"]) == edited
