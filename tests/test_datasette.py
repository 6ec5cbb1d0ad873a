"""The store opens cleanly in Datasette: every table and view serves its rows.

The store is the demo pipeline's (the fictional sample outlets collected from a loopback
HTTP server, clustered and compared; see test_sql.pipeline_store). Datasette runs in
process (``Datasette([path]).client``), as its own test suite drives it: no port, no
network. It opens the file read-only, as a researcher's instance would while
``narratives collect`` keeps writing.
"""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest
from conftest import fingerprint, pipeline_copy
from datasette.app import Datasette  # in the test extra: a missing Datasette fails, never skips

VIEWS = ("v_articles", "v_event_coverage", "v_fact_mentions", "v_omissions", "v_feed_health")
#: Tables the demo pipeline fills (the rest, e.g. article_texts, stay empty without fulltext).
FILLED = ("outlets", "feeds", "fetches", "articles", "events", "event_articles", "runs", "facts",
          "fact_mentions", "omissions", "claims", "claim_sentences", "event_links", "cluster_articles")


def counts(path: Path) -> dict[str, int]:
    with sqlite3.connect(path) as conn:
        names = [n for (n,) in conn.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'view')")]
        return {n: conn.execute(f'SELECT COUNT(*) FROM "{n}"').fetchone()[0] for n in names}


async def fetch_all(path: Path, names: list[str]) -> dict[str, tuple[int, dict]]:
    ds = Datasette([str(path)], settings={"max_returned_rows": 5000})
    await ds.invoke_startup()
    db = path.stem
    out = {"/": (0, {})}
    response = await ds.client.get(f"/{db}.json")
    out["/"] = (response.status_code, response.json())
    for name in names:
        response = await ds.client.get(f"/{db}/{name}.json?_size=max&_shape=objects")
        out[name] = (response.status_code, response.json() if response.status_code == 200 else {"text": response.text})
    query = await ds.client.get(f"/{db}.json", params={
        "sql": "SELECT outlet, affiliation, COUNT(*) AS events, ROUND(AVG(lag_hours), 2) AS mean_lag "
               "FROM v_event_coverage WHERE coverage = 'clustered' GROUP BY outlet ORDER BY mean_lag",
        "_shape": "objects"})
    out["?sql"] = (query.status_code, query.json())
    write = await ds.client.get(f"/{db}.json", params={"sql": "DELETE FROM articles"})
    out["?write"] = (write.status_code, write.json())
    return out


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> Path:
    return pipeline_copy(tmp_path_factory.mktemp("datasette"))


def test_every_table_and_view_opens_in_datasette_with_its_rows(store):
    expected = counts(store)
    assert set(VIEWS) <= set(expected) and all(expected[t] > 0 for t in (*VIEWS, *FILLED))
    assert max(expected.values()) < 5000  # so each page holds the whole table
    before = fingerprint(store)
    pages = asyncio.run(fetch_all(store, sorted(expected)))
    status, index = pages["/"]
    assert status == 200
    listed = {t["name"] for t in index["tables"]} | {v["name"] for v in index["views"]}
    assert set(expected) <= listed | {t["name"] for t in index.get("hidden_tables", [])}
    for name, n in expected.items():
        status, page = pages[name]
        assert status == 200, (name, page)
        assert len(page["rows"]) == n, name
        with sqlite3.connect(store) as conn:
            columns = [r[1] for r in conn.execute(f'PRAGMA table_info("{name}")')]
        if n:
            assert set(columns) <= set(page["rows"][0]), name
    status, result = pages["?sql"]
    assert status == 200 and result["ok"] and {r["outlet"] for r in result["rows"]} >= {"eastwire", "ledger"}
    status, refused = pages["?write"]
    assert status == 400 and not refused["ok"]  # Datasette's own read-only guard
    assert fingerprint(store) == before


def test_omission_evidence_reads_the_same_through_datasette(store):
    async def one() -> dict:
        ds = Datasette([str(store)])
        await ds.invoke_startup()
        response = await ds.client.get(f"/{store.stem}/v_omissions.json", params={
            "outlet": "eastwire", "verdict": "agentless", "_shape": "objects"})
        return response.json()

    page = asyncio.run(one())
    with sqlite3.connect(store) as conn:
        want = conn.execute("SELECT omission_id, quote FROM v_omissions WHERE outlet = 'eastwire' "
                            "AND verdict = 'agentless' ORDER BY omission_id").fetchall()
    assert want and sorted((r["omission_id"], r["quote"]) for r in page["rows"]) == want
