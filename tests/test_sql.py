"""`narratives sql` and the v_event_coverage view, on real SQLite stores.

The store is the demo's: the fictional sample outlets served on a loopback HTTP server,
collected through the real fetch/parse/store path, clustered and compared (built once
per session, copied for each test). The commands run in process through click's
CliRunner, and once through the real entry point.
"""

from __future__ import annotations

import json
import sqlite3
import time
from datetime import datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import fingerprint, pipeline_copy, run_cli

from narratives.cli import cli
from narratives.fetch import utcnow
from narratives.sqlquery import first_keyword, open_readonly, run_query, unique_names
from narratives.store import open_store


@pytest.fixture
def db(tmp_path) -> Path:
    return pipeline_copy(tmp_path)


def invoke(*args: str, input: str | None = None):
    return CliRunner().invoke(cli, list(args), input=input)


def rows(path: Path, sql: str, *params) -> list[tuple]:
    with sqlite3.connect(path) as conn:
        return conn.execute(sql, params).fetchall()


# --- the query command --------------------------------------------------------------

def test_select_in_every_format(db):
    q = "SELECT outlet, COUNT(*) AS n FROM v_articles GROUP BY outlet ORDER BY outlet"
    expected = rows(db, q)
    assert len(expected) == 6
    as_json = invoke("sql", "--db", str(db), q, "--format", "json")
    assert as_json.exit_code == 0, as_json.stderr
    assert [(r["outlet"], r["n"]) for r in json.loads(as_json.stdout)] == expected
    as_csv = invoke("sql", "--db", str(db), q, "--format", "csv")
    assert as_csv.stdout.splitlines() == ["outlet,n"] + [f"{o},{n}" for o, n in expected]
    as_md = invoke("sql", "--db", str(db), q, "--format", "md")
    assert as_md.stdout.splitlines()[0] == "| outlet | n |" and f"| {expected[0][0]} | {expected[0][1]} |" in as_md.stdout
    table = invoke("sql", "--db", str(db), q)
    assert table.exit_code == 0 and expected[0][0] in table.stdout and "6 rows" in table.stderr


def test_values_as_sqlite_holds_them_and_blobs_shown_like_datasette(db):
    q = "SELECT a.article_id, a.published_at, c.terms FROM v_articles a JOIN cluster_articles c ON c.article_id = a.article_id ORDER BY 1 LIMIT 1"
    ((article_id, published, terms),) = rows(db, q)
    out = json.loads(invoke("sql", "--db", str(db), q, "--format", "json").stdout)
    assert out == [{"article_id": article_id, "published_at": published,
                    "terms": {"$base64": True, "encoded": __import__("base64").b64encode(terms).decode()}}]
    assert published[10] == " "  # stored text, which is what WHERE clauses compare against
    table = invoke("sql", "--db", str(db), q)
    assert "binary" in table.stdout and str(len(terms)) in table.stdout


def test_repeated_column_names_stay_apart(db):
    out = invoke("sql", "--db", str(db), "SELECT 1 AS id, 2 AS id, 3 AS id_2", "--format", "json")
    assert json.loads(out.stdout) == [{"id": 1, "id_2": 2, "id_2_2": 3}]
    assert unique_names(["a", "b", "a", "a"]) == ["a", "b", "a_2", "a_3"]


def test_row_limit_with_a_note_and_the_flag_to_lift_it(db):
    total = rows(db, "SELECT COUNT(*) FROM v_articles")[0][0]
    assert total > 100
    cut = invoke("sql", "--db", str(db), "SELECT article_id FROM v_articles", "--limit", "5", "--format", "csv")
    assert cut.exit_code == 0 and len(cut.stdout.splitlines()) == 1 + 5
    assert "first 5 rows" in cut.stderr and "--no-limit" in cut.stderr
    exact = invoke("sql", "--db", str(db), "SELECT article_id FROM v_articles LIMIT 5", "--limit", "5", "--format", "csv")
    assert len(exact.stdout.splitlines()) == 6 and exact.stderr == ""
    default = invoke("sql", "--db", str(db), "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c "
                     "LIMIT 1500) SELECT x FROM c", "--format", "json")
    assert len(json.loads(default.stdout)) == 1000 and "first 1000 rows" in default.stderr
    everything = invoke("sql", "--db", str(db), "SELECT article_id FROM v_articles", "--no-limit", "--format", "json")
    assert len(json.loads(everything.stdout)) == total and everything.stderr == ""


def test_time_limit_interrupts_and_can_be_lifted(db):
    endless = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT COUNT(*) FROM c"
    started = time.monotonic()
    out = invoke("sql", "--db", str(db), endless, "--timeout", "0.3")
    assert out.exit_code == 2 and "stopped after 0.3 s" in out.stderr and "--timeout" in out.stderr
    assert time.monotonic() - started < 10
    bounded = ("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c LIMIT 300000) "
               "SELECT COUNT(*) AS n FROM c")
    conn = open_readonly(f"sqlite:///{db}")
    try:
        assert run_query(conn, bounded, timeout=0).rows == [{"n": 300000}]
        # the limit covers fetching too, not only the first step
        with pytest.raises(Exception, match="time limit"):
            run_query(conn, "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT x FROM c",
                      limit=None, timeout=0.3)
        assert run_query(conn, "SELECT 1 AS one").rows == [{"one": 1}]  # the timer was removed
    finally:
        conn.close()


WRITES = [
    "INSERT INTO meta VALUES ('k', 'v')",
    "UPDATE articles SET title = 'x'",
    "DELETE FROM omissions",
    "REPLACE INTO meta VALUES ('schema_version', '99')",
    "WITH x AS (SELECT 1) DELETE FROM articles",
    "WITH x AS (SELECT 1) UPDATE sqlite_master SET sql = 'x'",
    "CREATE TABLE t (x)",
    "CREATE TEMP TABLE t (x)",
    "CREATE VIEW v AS SELECT 1",
    "CREATE INDEX ix ON articles (title)",
    "DROP VIEW v_articles",
    "DROP TABLE articles",
    "ALTER TABLE articles ADD COLUMN x",
    "ATTACH DATABASE '{folder}/attached.db' AS other",
    "DETACH DATABASE main",
    "VACUUM",
    "VACUUM INTO '{folder}/copy.db'",
    "REINDEX",
    "ANALYZE",
    "BEGIN IMMEDIATE",
    "SAVEPOINT s",
    "PRAGMA user_version = 7",
    "PRAGMA query_only = OFF",
    "PRAGMA journal_mode = DELETE",
    "PRAGMA writable_schema = ON",
    "PRAGMA wal_checkpoint(TRUNCATE)",
    "PRAGMA optimize",
    "EXPLAIN DELETE FROM articles",
    "  /* a comment first */ -- and another\n DELETE FROM articles",
    "SELECT 1; DELETE FROM articles",
]


@pytest.mark.parametrize("statement", WRITES)
def test_every_kind_of_write_is_refused_and_the_file_is_unchanged(db, tmp_path, statement):
    statement = statement.format(folder=tmp_path)
    before = fingerprint(db)
    out = invoke("sql", "--db", str(db), statement)
    assert out.exit_code == 2, (statement, out.stdout, out.stderr)
    assert "Traceback" not in out.stderr
    if statement.startswith("SELECT 1;"):
        assert "several statements" in out.stderr
    else:
        assert "refused" in out.stderr and "Nothing was written" in out.stderr
    assert fingerprint(db) == before
    assert not (tmp_path / "attached.db").exists() and not (tmp_path / "copy.db").exists()
    assert rows(db, "SELECT COUNT(*) FROM articles")[0][0] > 0


@pytest.mark.parametrize("statement", [
    "PRAGMA table_info(v_event_coverage)",
    "SELECT name, type FROM pragma_table_info('events')",
    "PRAGMA index_list(articles)",
    "PRAGMA user_version",
    "PRAGMA journal_mode",
    "EXPLAIN QUERY PLAN SELECT * FROM v_event_coverage WHERE event_id = 1",
    "VALUES (1, 'a')",
    "WITH n AS (SELECT COUNT(*) AS c FROM events) SELECT c FROM n",
    "select 1;  -- a trailing comment",
])
def test_reads_that_look_like_other_things_are_allowed(db, statement):
    before = fingerprint(db)
    out = invoke("sql", "--db", str(db), statement, "--format", "json")
    assert out.exit_code == 0, out.stderr
    assert json.loads(out.stdout)
    assert fingerprint(db) == before


def test_bad_sql_and_empty_input_are_explained(db):
    for statement, message in [("SELECT * FROM nowhere", "no such table: nowhere"),
                               ("SELEC 1", "SELEC is not a query"),
                               ("SELECT (", "SQLite error"),
                               ("", "no SQL given"), ("  -- only a comment", "no SQL given")]:
        out = invoke("sql", "--db", str(db), statement)
        assert out.exit_code == 2 and message in out.stderr and "Traceback" not in out.stderr, (statement, out.stderr)
    assert first_keyword("/* x */ -- y\n  with a as (select 1) select * from a") == "WITH"


def test_query_from_stdin(db):
    out = invoke("sql", "--db", str(db), "-", "--format", "csv", input="SELECT COUNT(*) AS n\nFROM events\n")
    assert out.exit_code == 0 and out.stdout.splitlines() == ["n", str(rows(db, "SELECT COUNT(*) FROM events")[0][0])]


def test_a_missing_store_is_not_created(tmp_path, monkeypatch):
    missing = tmp_path / "no" / "such" / "store.db"
    out = invoke("sql", "--db", str(missing), "SELECT 1")
    assert out.exit_code == 1 and "no store at" in out.stderr and "nothing was created" in out.stderr
    assert not (tmp_path / "no").exists()
    monkeypatch.chdir(tmp_path)  # the default store, ./storage/narratives.db
    out = CliRunner().invoke(cli, ["sql", "SELECT 1"], env={"NARRATIVES_DB": None})
    assert out.exit_code == 1 and "storage/narratives.db" in out.stderr
    assert not (tmp_path / "storage").exists()
    junk = tmp_path / "junk.db"
    junk.write_text("not a database at all " * 100)
    out = invoke("sql", "--db", str(junk), "SELECT 1")
    assert out.exit_code == 1 and "cannot read" in out.stderr
    out = invoke("sql", "--db", "postgresql://localhost/x", "SELECT 1")
    assert out.exit_code == 2 and "SQLite stores only" in out.stderr


def test_reads_while_a_writer_holds_the_store(db):
    open_store(f"sqlite:///{db}", utcnow()).dispose()  # back in WAL mode, as a live store is
    writer = sqlite3.connect(db, isolation_level=None)
    try:
        writer.execute("BEGIN IMMEDIATE")
        writer.execute("DELETE FROM fact_mentions")
        out = invoke("sql", "--db", str(db), "SELECT COUNT(*) AS n FROM fact_mentions", "--format", "json")
        assert out.exit_code == 0 and json.loads(out.stdout)[0]["n"] > 0  # the committed state
    finally:
        writer.execute("ROLLBACK")
        writer.close()


def test_through_the_entry_point(db):
    out = run_cli("sql", "--db", str(db), "SELECT COUNT(*) AS n FROM v_event_coverage", "--format", "json")
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)[0]["n"] == rows(db, "SELECT COUNT(*) FROM v_event_coverage")[0][0]
    refused = run_cli("sql", "--db", str(db), "DROP TABLE articles")
    assert refused.returncode == 2 and "refused" in refused.stderr


# --- v_event_coverage -----------------------------------------------------------------

def coverage(db: Path) -> list[dict]:
    with sqlite3.connect(db) as conn:
        conn.row_factory = sqlite3.Row
        return [dict(r) for r in conn.execute("SELECT * FROM v_event_coverage")]


def test_event_coverage_counts_first_reports_and_lags(db):
    cov = coverage(db)
    assert cov and len({(r["event_id"], r["outlet"]) for r in cov}) == len(cov)  # one row per pair
    clustered = [r for r in cov if r["coverage"] == "clustered"]
    # articles: every clustered article counted once, under its outlet
    by_pair = {(e, o): n for e, o, n in rows(db, "SELECT event_id, outlet, COUNT(*) FROM v_articles "
                                                 "WHERE event_id IS NOT NULL GROUP BY 1, 2")}
    assert {(r["event_id"], r["outlet"]): r["articles"] for r in clustered} == by_pair
    firsts = {(e, o): (t, i) for e, o, t, i in rows(
        db, "SELECT event_id, outlet, published_at, article_id FROM v_articles a WHERE event_id IS NOT NULL "
            "AND NOT EXISTS (SELECT 1 FROM v_articles b WHERE b.event_id = a.event_id AND b.outlet = a.outlet "
            "AND (b.published_at < a.published_at OR (b.published_at = a.published_at AND b.article_id < a.article_id)))")}
    events = {i: (h, f, n, o) for i, h, f, n, o in rows(db, "SELECT id, headline, first_published, article_count, "
                                                           "outlet_count FROM events")}
    for r in clustered:
        assert (r["first_published"], r["first_article_id"]) == firsts[(r["event_id"], r["outlet"])]
        headline, first, n_articles, n_outlets = events[r["event_id"]]
        assert (r["event_headline"], r["event_first_published"], r["event_articles"], r["event_outlets"]) == (
            headline, first, n_articles, n_outlets)
        lag = (datetime.fromisoformat(r["first_published"]) - datetime.fromisoformat(first)).total_seconds() / 3600
        assert r["lag_hours"] == pytest.approx(round(lag, 2)) and r["lag_hours"] >= 0
        assert r["linked_articles"] == 0
    # the first outlet of every event has lag 0, and each event's rows add up to its size
    for event_id, (_h, _f, n_articles, n_outlets) in events.items():
        mine = [r for r in clustered if r["event_id"] == event_id]
        assert min(r["lag_hours"] for r in mine) == 0
        assert sum(r["articles"] for r in mine) == n_articles and len(mine) == n_outlets
    affiliations = dict(rows(db, "SELECT id, affiliation FROM outlets"))
    assert all(r["affiliation"] == affiliations[r["outlet"]] for r in cov)


def test_event_coverage_counts_linked_reports_separately(db):
    # The demo's clusterer leaves the state outlet's two reports on the Idlib offensive in an
    # event of their own; the comparison links them to the main event (see test_omissions).
    (main,) = rows(db, "SELECT event_id FROM v_articles WHERE title = "
                       "'Russian airstrikes pound Maarat al-Numan as Syrian forces advance'")[0]
    links = rows(db, "SELECT article_id FROM event_links WHERE event_id = ? AND outlet_id = 'eastwire'", main)
    assert len(links) == 2
    (row,) = [r for r in coverage(db) if r["event_id"] == main and r["outlet"] == "eastwire"]
    assert (row["coverage"], row["articles"], row["linked_articles"]) == ("linked", 0, 2)
    earliest = rows(db, "SELECT a.id, a.published_at FROM event_links l JOIN articles a ON a.id = l.article_id "
                        "WHERE l.event_id = ? AND l.outlet_id = 'eastwire' ORDER BY a.published_at, a.id LIMIT 1", main)[0]
    assert (row["first_article_id"], row["first_published"]) == earliest
    assert all(r["coverage"] in ("clustered", "linked") for r in coverage(db))


def test_event_coverage_columns_types_and_plan(db):
    with sqlite3.connect(db) as conn:
        info = {r[1]: r[2] for r in conn.execute("PRAGMA table_info(v_event_coverage)")}
        plan = " ".join(r[3] for r in conn.execute(
            "EXPLAIN QUERY PLAN SELECT * FROM v_event_coverage WHERE event_id = 1"))
    assert list(info)[:12] == ["event_id", "event_headline", "outlet", "outlet_name", "affiliation", "country",
                               "articles", "linked_articles", "coverage", "first_published",
                               "event_first_published", "lag_hours"]
    assert {"first_article_id", "first_title", "first_url", "event_last_published", "event_articles",
            "event_outlets"} <= set(info)
    assert info["first_published"] == info["event_first_published"] == "DATETIME"  # exports as times
    # one event's coverage is read through the event_id index, not by scanning every event
    assert "SEARCH ea USING COVERING INDEX ix_event_articles_event_id (event_id=?)" in plan
