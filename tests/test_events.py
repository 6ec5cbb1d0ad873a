"""The events stage end to end: `narratives import`, `cluster`, `events`, `event` and
`eval-clusters` on real SQLite stores, with corpora invented here (fictional outlets,
places and people; see `corpus`).

The commands run through the real entry point in subprocesses (`run_cli`), several at
once where they are independent. Properties of the clustering over many imports (exact
agreement with the in-memory clusterer, batch splits, back-fills, awkward texts) call the
functions the commands call — `read_rows` + `store_rows` for import, `run_clustering` for
cluster — on a real store, because each subprocess spends ~2 s importing its libraries.
A few extra output variants use click's CliRunner (same command code, in process).
"""

from __future__ import annotations

import csv
import io
import json
import random
import sqlite3
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from conftest import (
    REPO,
    Store,
    collect_once,
    config_for,
    feeds_yaml,
    item,
    require_ecbplus,
    rss_doc,
    run_cli,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.orm import Session

from narratives.cli import cli
from narratives.cluster import EventClusterer
from narratives.evaluate import score_clusters
from narratives.event_queries import ARTICLE_COLUMNS, EVENT_COLUMNS
from narratives.events import ClusterSettings, code_version, run_clustering
from narratives.fetch import utcnow
from narratives.importer import read_rows, store_rows
from narratives.lock import collect_lock, lock_path_for
from narratives.loopback import static
from narratives.models import ArticleRow
from narratives.text import stop_words

# --------------------------------------------------------------------------- invented corpora

SYLLABLES = tuple("ka lo mir vet sa dru bel ost qua rin tho zel mun pra vik dor lys gha tem nov "
                  "bra esk ul tar fen gro imb jas kel nor".split())
KINDS = ("flood", "strike", "summit", "wildfire", "election", "bridge collapse", "trial",
         "festival", "protest", "landslide", "merger", "blackout")
VERBS = ("warns", "responds", "speaks", "visits", "promises aid", "calls for calm")
OUTLETS = {"north-ledger": "state-controlled", "river-herald": "private", "state-wire": "state-controlled",
           "coastal-times": "public-service", "daily-lantern": "private", "metro-bulletin": "public-service",
           "hill-gazette": "private", "civic-post": "public-service"}
BASE = datetime(2026, 3, 2, 6, 0)


def invented(rng: random.Random, syllables: int = 3) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(syllables)).capitalize()


def iso(when: datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def article(outlet: str, doc_id: str, title: str, text: str, when: datetime, event: str) -> dict:
    return {"id": doc_id, "outlet": outlet, "outlet_name": outlet.replace("-", " ").title(),
            "affiliation": OUTLETS.get(outlet, "private"), "title": title, "text": text,
            "url": f"https://{outlet}.example/{doc_id}", "published": iso(when), "event": event}


def corpus(events: int, noise: int, *, days: float, seed: int, start: datetime = BASE,
           tag: str = "", places: dict | None = None, running: int = 0) -> list[dict]:
    """Planted events, each reported by 3-6 outlets within 1.5 days, plus unrelated briefs.

    An event has its own invented place, official and council; its articles mix two to four
    fact sentences about them and end with the outlet's sign-off (boilerplate). A brief is
    made of invented words found nowhere else. ``running`` stories are covered every ten
    hours or so for the whole span, each article by one outlet. Gold labels: ``event``
    (<tag>ev-N / <tag>noise-N / <tag>run-N); ``places``, if given, receives each event's place.
    """
    rng = random.Random(seed)
    drafts = []
    for e in range(events):
        place, first, last, org = invented(rng), invented(rng, 2), invented(rng), invented(rng)
        kind, count, begin = rng.choice(KINDS), rng.randint(3, 900), rng.uniform(0, days)
        if places is not None:
            places[f"{tag}ev-{e}"] = place
        for outlet in rng.sample(sorted(OUTLETS), rng.randint(3, 6)):
            for _ in range(rng.choice((1, 1, 2))):
                when = start + timedelta(days=begin + rng.uniform(0, 1.5))
                facts = [f"A {kind} hit {place} on {when:%A}, and {first} {last} of the {org} council "
                         f"said {count} people were affected.",
                         f"Residents of {place} gathered near the {org} offices as {last} promised help.",
                         f"The {org} council in {place} counted {count} cases after the {kind}.",
                         f"{first} {last} told reporters that {place} would recover from the {kind}.",
                         f"Emergency crews from {org} reached the outskirts of {place}."]
                rng.shuffle(facts)
                sign_off = f"Follow {outlet.replace('-', ' ').title()} for more updates."
                title = rng.choice([f"{kind.capitalize()} in {place}: {last} {rng.choice(VERBS)}",
                                    f"{place} {kind}: {count} affected",
                                    f"{org} council meets after {place} {kind}"])
                drafts.append((outlet, title, " ".join(facts[: rng.randint(2, 4)]) + " " + sign_off,
                               when, f"{tag}ev-{e}"))
    for n in range(noise):
        words = [invented(rng) for _ in range(7)]
        when = start + timedelta(days=rng.uniform(0, days + 1.5))
        drafts.append((rng.choice(sorted(OUTLETS)), f"{words[0]} {words[1]} {words[2]}",
                       f"{words[3]} {words[4]} and {words[5]} near {words[6]}.", when, f"{tag}noise-{n}"))
    for n in range(running):
        place, envoy, kind = invented(rng), invented(rng), rng.choice(KINDS)
        for step in range(int(days / 0.4)):
            when = start + timedelta(days=step * 0.4 + rng.uniform(0, 0.2))
            drafts.append((rng.choice(sorted(OUTLETS)), f"{place} {kind}, day {step + 1}: envoy {envoy} returns",
                           f"Envoy {envoy} spent another day in {place} as the {kind} went on. "
                           f"Talks in {place} resumed at {rng.randint(7, 11)} in the morning.", when, f"{tag}run-{n}"))
    rng.shuffle(drafts)
    prefix = f"{tag}{seed}-"
    return [article(o, f"{prefix}{i}", t, x, w, ev) for i, (o, t, x, w, ev) in enumerate(drafts)]


def write_jsonl(path: Path, rows: list) -> Path:
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r, ensure_ascii=False)) + "\n"
                            for r in rows), "utf-8")
    return path


def key(row: dict) -> tuple[str, str]:
    return row["outlet"], row["id"]


def gold_of(rows: list[dict]) -> dict[tuple[str, str], str]:
    return {key(r): r["event"] for r in rows}


def split(rows: list[dict], parts: int, order: str, seed: int) -> list[list[dict]]:
    """``parts`` batches of uneven size, in time order or in a random order."""
    rng = random.Random(seed)
    ordered = sorted(rows, key=lambda r: (r["published"], r["id"])) if order == "time" else rng.sample(rows, len(rows))
    cuts = sorted(rng.sample(range(1, len(rows)), parts - 1))
    return [ordered[a:b] for a, b in zip([0, *cuts], [*cuts, len(rows)], strict=True)]


# --------------------------------------------------------------------------- reading stores


def sql(db: Path, query: str, *params) -> list[tuple]:
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return con.execute(query, params).fetchall()
    finally:
        con.close()


CLUSTER_TABLES = ("events", "event_articles", "cluster_articles", "model_state")


def dump(db: Path) -> dict[str, list[tuple]]:
    """Everything clustering writes; runs without their wall-clock times."""
    tables = {t: sql(db, f"SELECT * FROM {t} ORDER BY 1") for t in CLUSTER_TABLES}
    tables["runs"] = sql(db, "SELECT id, kind, status, code_version, params, articles_in, events_created, "
                             "events_changed, note FROM runs ORDER BY id")
    return tables


def events_by_key(db: Path) -> dict[tuple[str, str], int]:
    return {(o, g): e for o, g, e in sql(
        db, "SELECT a.outlet_id, a.guid, ea.event_id FROM event_articles ea JOIN articles a ON a.id = ea.article_id")}


def partition(labels: dict) -> set[frozenset]:
    groups: dict = {}
    for k, label in labels.items():
        groups.setdefault(label, set()).add(k)
    return {frozenset(g) for g in groups.values()}


def bcubed_f1(predicted: dict, reference: dict) -> float:
    keys = sorted(reference)
    return score_clusters([predicted[k] for k in keys], [reference[k] for k in keys])["bcubed"].f1


def copy_store(src: Path, dst: Path) -> Path:
    """A consistent copy of a WAL store (the sqlite3 backup API)."""
    source, target = sqlite3.connect(src), sqlite3.connect(dst)
    try:
        source.backup(target)
    finally:
        source.close()
        target.close()
    return dst


# --------------------------------------------------------------------------- running things


def cli_in(cwd: Path, *args: str, **kw) -> subprocess.CompletedProcess:
    """run_cli from ``cwd``, so a command can never write into the repository."""
    return run_cli(*args, cwd=cwd, **kw)


def cli_many(cwd: Path, *calls: tuple[str, ...]) -> list[subprocess.CompletedProcess]:
    """Independent commands at once: each subprocess spends ~2 s importing."""
    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(lambda args: cli_in(cwd, *args), calls))


def ok(r: subprocess.CompletedProcess) -> subprocess.CompletedProcess:
    assert r.returncode == 0, f"exit {r.returncode}\n{r.stdout}\n{r.stderr}"
    return r


def import_rows(store: Store, rows: list[dict], name: str = "batch") -> None:
    """What `narratives import` does, in process: read_rows on a JSONL file, then store_rows."""
    path = write_jsonl(store.path.with_name(f"{name}.jsonl"), rows)
    now = utcnow()
    parsed, problems = read_rows(path, now)
    assert problems == [] and len(parsed) == len(rows)
    with Session(store.engine) as s, s.begin():
        store_rows(s, parsed, now)


def cluster(store: Store, **settings):
    return run_clustering(store.engine, ClusterSettings(workers=0, **settings), now=utcnow())


def in_memory(store: Store, batches: list[list[dict]]) -> tuple[EventClusterer, dict]:
    """EventClusterer.partial_fit over the same batches, fed what the store holds.

    Ids are the store's article ids (ties in time are ordered by id in both), texts and
    titles as stored (after the importer's clean-up), times as the stored datetimes.
    """
    with Session(store.engine) as s:
        stored = {(r.outlet_id, r.guid): r for r in s.execute(
            select(ArticleRow.id, ArticleRow.outlet_id, ArticleRow.guid, ArticleRow.title,
                   ArticleRow.summary, ArticleRow.content, ArticleRow.published_at))}
    clusterer = EventClusterer()
    for batch in batches:
        arts = [stored[key(r)] for r in batch]
        clusterer.partial_fit([a.id for a in arts], [a.outlet_id for a in arts], [a.title for a in arts],
                              [a.content or a.summary for a in arts], [a.published_at for a in arts])
    return clusterer, {k: int(clusterer.event_of([a.id])[0]) for k, a in stored.items()}


# --------------------------------------------------------------------------- shared stores


@pytest.fixture(scope="module")
def big(tmp_path_factory):
    """>= 2,500 articles imported once, then clustered from scratch in two copies of that
    store at the same time: with the default workers (a process pool where there are two
    or more CPUs) and with --workers 0."""
    tmp = tmp_path_factory.mktemp("big")
    rows = corpus(300, 760, days=20, seed=8)
    assert len(rows) >= 2500
    pool_db, inline_db = tmp / "pool.db", tmp / "inline.db"
    r = ok(cli_in(tmp, "import", "--db", str(pool_db), str(write_jsonl(tmp / "big.jsonl", rows))))
    assert f"{len(rows)} rows from 8 outlets: {len(rows)} new, 0 already stored" in r.stdout, r.stdout
    copy_store(pool_db, inline_db)
    runs = cli_many(tmp, ("cluster", "--db", str(pool_db), "--format", "json"),
                    ("cluster", "--db", str(inline_db), "--format", "json", "--workers", "0"))
    reports = [json.loads(ok(r).stdout)[0] for r in runs]
    return {"tmp": tmp, "rows": rows, "db": pool_db, "inline_db": inline_db, "reports": reports}


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("small")
    places: dict[str, str] = {}
    rows = corpus(12, 10, days=6, seed=1, places=places)
    db = tmp / "small.db"
    store = Store(db)
    import_rows(store, rows, "small")
    store.engine.dispose()
    (report,) = json.loads(ok(cli_in(tmp, "cluster", "--db", str(db), "--format", "json", "--workers", "0")).stdout)
    return {"tmp": tmp, "rows": rows, "db": db, "report": report, "places": places}


# --------------------------------------------------------------------------- 1, 2: determinism, idempotence


def test_fresh_stores_cluster_identically_with_and_without_worker_processes(big):
    pool, inline = big["reports"]
    n = len(big["rows"])
    assert pool["articles"] == inline["articles"] == n
    assert pool == inline, "the two runs report different outcomes"
    first, second = dump(big["db"]), dump(big["inline_db"])
    for table in (*CLUSTER_TABLES, "runs"):
        assert first[table] == second[table], f"table {table} differs between two identical runs"
    assert len(first["event_articles"]) == len(first["cluster_articles"]) == n
    # Identical but useless output would pass the above: the events must also be the planted ones.
    assert bcubed_f1(events_by_key(big["db"]), gold_of(big["rows"])) >= 0.95


def test_cluster_again_without_new_articles_changes_nothing(big, tmp_path):
    db = copy_store(big["db"], tmp_path / "again.db")
    before = dump(db)
    r = ok(cli_in(tmp_path, "cluster", "--db", str(db), "--workers", "0"))
    assert "Clustered 0 new articles: 0 events created, 0 changed, 0 merged away" in r.stdout, r.stdout
    after = dump(db)
    for table in CLUSTER_TABLES:
        assert after[table] == before[table], f"a second run changed {table}"
    assert after["runs"][:-1] == before["runs"]
    run_id, kind, status, _version, _params, articles_in, created, changed, _note = after["runs"][-1]
    assert (run_id, kind, status, articles_in, created, changed) == (2, "cluster", "done", 0, 0, 0)


# --------------------------------------------------------------------------- 3: incremental


def saved_state(db: Path, k: int) -> dict[int, tuple]:
    """cluster_articles decoded (layout documented on ClusterArticleRow): article id ->
    (day, {feature: count}, neighbour ids (-1 = empty), neighbour weights)."""
    state = {}
    for article_id, day, terms, neighbours in sql(db, "SELECT article_id, day, terms, neighbours FROM cluster_articles"):
        n = len(terms) // 6
        counts = dict(zip(np.frombuffer(terms, "<i4", n).tolist(),
                          np.frombuffer(terms, "<u2", n, offset=4 * n).tolist(), strict=True))
        state[article_id] = (day, counts, np.frombuffer(neighbours, "<i8", k).tolist(),
                             np.frombuffer(neighbours, "<f4", k, offset=8 * k).tolist())
    return state


def memory_state(clusterer: EventClusterer) -> dict[int, tuple]:
    state = {}
    for row, article_id in enumerate(clusterer.ids_):
        counts = clusterer.counts_[row]
        neighbours = [-1 if n is None else n for n in clusterer.neighbour_ids(np.array([row]))[0]]
        state[article_id] = (float(clusterer.times_[row]), dict(zip(counts.indices.tolist(),
                             counts.data.astype(int).tolist(), strict=True)),
                             neighbours, clusterer.neighbour_weights_[row].tolist())
    return state


@pytest.mark.parametrize("order", ["time", "random"])
def test_store_batches_equal_in_memory_partial_fit(tmp_path, order):
    """Exact: the store loads only the per-article state near each batch (plus global
    state) and must reach what one long-lived clusterer reaches with everything in memory:
    the same events and the same saved per-article state (terms, neighbours)."""
    rows = corpus(25, 15, days=30, seed=4, running=2)  # longer than the reach of one batch
    batches = split(rows, 6, order, seed=40)
    store = Store(tmp_path / "s.db")
    for i, batch in enumerate(batches):
        import_rows(store, batch, f"b{i}")
        assert cluster(store).articles == len(batch)
    stored = events_by_key(store.path)
    clusterer, memory = in_memory(store, batches)
    assert partition(stored) == partition(memory)
    assert all(stored[k] == memory[k] + 1 for k in stored), "event ids are not the clusterer's labels + 1"
    assert len(partition(stored)) >= 40  # 25 planted events, 15 briefs, 2 running stories: no blob
    saved, expected = saved_state(store.path, clusterer.k), memory_state(clusterer)
    assert saved.keys() == expected.keys()
    differ = [a for a in saved if saved[a] != expected[a]]
    assert not differ, f"saved state of {len(differ)} articles differs, e.g. {differ[0]}: {saved[differ[0]]} != {expected[differ[0]]}"
    meta = json.loads(sql(store.path, "SELECT data FROM model_state WHERE name = 'cluster.params'")[0][0])
    assert meta["n_docs"] == clusterer.n_docs_ == len(rows) and meta["n_events"] == clusterer.n_events_
    with np.load(io.BytesIO(sql(store.path, "SELECT data FROM model_state WHERE name = 'cluster.df'")[0][0])) as df:
        assert df["index"].tolist() == np.flatnonzero(clusterer.df_).tolist()
        assert df["count"].tolist() == clusterer.df_[clusterer.df_ > 0].tolist()
    store.engine.dispose()


SMALL_CORPUS = corpus(5, 5, days=8, seed=21, running=1)


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(order=st.permutations(range(len(SMALL_CORPUS))),
       cuts=st.sets(st.integers(1, len(SMALL_CORPUS) - 1), max_size=4))
def test_property_any_batch_split_matches_in_memory_and_a_rerun_is_a_no_op(order, cuts):
    rows = [SMALL_CORPUS[i] for i in order]
    bounds = [0, *sorted(cuts), len(rows)]
    batches = [rows[a:b] for a, b in zip(bounds, bounds[1:], strict=False)]
    with tempfile.TemporaryDirectory(prefix="narratives-prop-") as tmp:
        store = Store(Path(tmp) / "s.db")
        try:
            for i, batch in enumerate(batches):
                import_rows(store, batch, f"b{i}")
                cluster(store)
            before = dump(store.path)
            assert cluster(store).articles == 0
            after = dump(store.path)
            assert {t: after[t] for t in CLUSTER_TABLES} == {t: before[t] for t in CLUSTER_TABLES}
            clusterer, memory = in_memory(store, batches)
            assert partition(events_by_key(store.path)) == partition(memory)
            assert saved_state(store.path, clusterer.k) == memory_state(clusterer)
        finally:
            store.engine.dispose()


@pytest.mark.parametrize("order", ["time", "random"])
def test_five_batches_agree_with_one(tmp_path, order):
    """Stated tolerance: B-cubed F1 >= 0.95 between five imports and one."""
    rows = corpus(30, 20, days=12, seed=5)
    once, five = Store(tmp_path / "once.db"), Store(tmp_path / "five.db")
    import_rows(once, rows, "once")
    cluster(once)
    for i, batch in enumerate(split(rows, 5, order, seed=50)):
        import_rows(five, batch, f"five{i}")
        cluster(five)
    one_run, five_runs = events_by_key(once.path), events_by_key(five.path)
    assert bcubed_f1(one_run, gold_of(rows)) >= 0.95
    assert bcubed_f1(five_runs, one_run) >= 0.95
    for s in (once, five):
        s.engine.dispose()


# --------------------------------------------------------------------------- 4: time


@pytest.mark.parametrize("separate_runs", [False, True])
def test_identical_articles_ten_days_apart_never_merge(store, separate_runs):
    text = ("Divers recovered the Quorvath Belmisk bell from the harbour at Ostrelin, where the ferry "
            "Tharnvale sank; harbour master Idra Vossklen said the hull would stay down.")
    twins = [article(o, f"twin-{o}", "Ferry Tharnvale bell raised at Ostrelin", text,
                     BASE + timedelta(days=d), "twin") for o, d in
             (("north-ledger", 3.0), ("river-herald", 4.0), ("state-wire", 13.0), ("civic-post", 14.0))]
    background = corpus(8, 8, days=16, seed=44)
    if separate_runs:
        import_rows(store, background + twins[:2], "first")
        cluster(store)
        import_rows(store, twins[2:], "second")
    else:
        import_rows(store, background + twins, "all")
    cluster(store)
    found = events_by_key(store.path)
    a, b, c, d = (found[key(t)] for t in twins)
    assert a == b, "identical texts one day apart must be one event"
    assert c == d
    assert a != c, "identical texts ten days apart must never share an event"


# --------------------------------------------------------------------------- 5: awkward texts


def test_awkward_articles_neither_crash_nor_merge_everything(server, store):
    when = BASE + timedelta(days=2)
    pub = when.strftime("%a, %d %b %Y %H:%M:%S GMT")
    feed = server.add("/edge.xml", static(rss_doc([
        item(1, title="", description="", pub=pub),           # nothing but a link
        item(2, title="Earthquake", description="", pub=pub),  # one word, no text
        item(3, title="Floods", description="Rain.", pub=pub),
    ])))
    report = collect_once(store, config_for({"edge-wire": [feed]}))
    assert not report.failed
    assert store.scalar("SELECT COUNT(*) FROM articles WHERE outlet_id = 'edge-wire'") == 3

    normal = corpus(10, 8, days=5, seed=55)
    duplicate = ("Harbour crane topples at Velmirsk", "A harbour crane toppled at Velmirsk docks on "
                 "Tuesday; port chief Anrad Tolvecki said nobody was hurt.")
    odd = [
        article("coastal-times", "eclipse-1", "Eclipse", "Sky darkened.", when, "odd-eclipse"),
        article("north-ledger", "ru-1", "Пожар на складе в Тиверске",
                "Пожар на складе в Тиверске тушили всю ночь, сообщил мэр Тиверска Олег Варнавин.",
                when, "odd-ru"),
        article("state-wire", "ru-2", "В Тиверске сгорел склад",
                "Склад в Тиверске сгорел ночью; мэр Тиверска Олег Варнавин обещал помочь.",
                when + timedelta(hours=3), "odd-ru"),
        article("daily-lantern", "ar-1", "افتتاح جسر جديد في مدينة قرطالة",
                "افتتح المحافظ سامر النوري جسرا جديدا فوق نهر قرطالة صباح اليوم.", when, "odd-ar"),
        article("hill-gazette", "zh-1", "青岚港口新码头启用", "青岚港口的新码头今天启用，市长林远航出席了仪式。",
                when, "odd-zh"),
        article("river-herald", "dup-1", *duplicate, when, "odd-dup"),
        article("civic-post", "dup-2", *duplicate, when + timedelta(minutes=5), "odd-dup"),
    ]
    import_rows(store, normal + odd, "mixed")
    cluster(store)

    found = events_by_key(store.path)
    assert len(found) == len(normal) + len(odd) + 3, "every article gets an event"
    gold = {**gold_of(normal + odd), **{("edge-wire", f"g-{i}"): f"edge-{i}" for i in (1, 2, 3)}}
    assert set(found) == set(gold)
    assert found[("river-herald", "dup-1")] == found[("civic-post", "dup-2")]
    assert found[("north-ledger", "ru-1")] == found[("state-wire", "ru-2")], "Cyrillic reports of one fire"
    for event, members in ((e, [k for k in found if found[k] == e]) for e in set(found.values())):
        labels = {gold[k] for k in members}
        assert len(labels) == 1, f"event {event} mixes {sorted(labels)}: {sorted(members)}"
    planted = 10 + 2  # the planted events, the duplicate pair and the Cyrillic pair
    multi = sum(1 for g in partition(found) if len(g) >= 2)
    assert abs(multi - planted) <= 1, f"{multi} events with two or more articles, planted {planted}"


# --------------------------------------------------------------------------- 6: back-fill


def test_backfilling_older_articles_leaves_recent_events_alone(store):
    recent = corpus(10, 6, days=5, seed=61, start=BASE + timedelta(days=30), tag="new")
    older = corpus(10, 6, days=5, seed=62, start=BASE, tag="old")
    import_rows(store, recent, "recent")
    cluster(store)
    events_before = store.rows("SELECT * FROM events ORDER BY id")
    members_before = store.rows("SELECT * FROM event_articles ORDER BY article_id")
    import_rows(store, older, "older")
    report = cluster(store)
    assert report.articles == len(older) and report.events_changed == 0 and report.events_removed == 0
    recent_ids = {e[0] for e in events_before}
    assert [e for e in store.rows("SELECT * FROM events ORDER BY id") if e[0] in recent_ids] == events_before
    assert [m for m in store.rows("SELECT * FROM event_articles ORDER BY article_id")
            if m[1] in recent_ids] == members_before
    found = events_by_key(store.path)
    old_events = {found[key(r)] for r in older}
    assert not old_events & recent_ids
    assert bcubed_f1(found, gold_of(recent + older)) >= 0.95


# --------------------------------------------------------------------------- 7: what the store holds


def test_store_contents_after_cluster(big):
    db, n = big["db"], len(big["rows"])
    assert sql(db, "SELECT COUNT(*), COUNT(event_id) FROM v_articles") == [(n, n)]
    ((run_id, kind, status, version, params, articles_in, finished),) = sql(
        db, "SELECT id, kind, status, code_version, params, articles_in, finished_at FROM runs")
    assert (kind, status, articles_in, version) == ("cluster", "done", n, code_version())
    assert finished is not None
    recorded = json.loads(params)
    assert recorded["threshold"] == 0.6 and recorded["window_days"] == 3.0
    assert set(recorded) >= {"k", "alpha", "horizon_days", "n_features", "boilerplate_memory_days"}

    members: dict[int, list] = {}
    for row in sql(db, "SELECT ea.event_id, ea.similarity, ea.run_id, a.outlet_id, a.title, a.published_at "
                       "FROM event_articles ea JOIN articles a ON a.id = ea.article_id"):
        members.setdefault(row[0], []).append(row[1:])
    events = sql(db, "SELECT id, label, headline, top_terms, first_published, last_published, article_count, "
                     "outlet_count, created_run_id, updated_run_id FROM events")
    assert {e[0] for e in events} == set(members), "events without articles, or articles of no event"
    assert len(events) == big["reports"][0]["events_total"]
    for eid, label, headline, terms, first, last, count, outlets, created, updated in events:
        group = members[eid]
        sims = [m[0] for m in group]
        assert all(0.0 <= s <= 1.0 for s in sims), (eid, sims)
        assert {m[1] for m in group} == {run_id} and created == updated == run_id
        assert (count, outlets) == (len(group), len({m[2] for m in group}))
        assert (first, last) == (min(m[4] for m in group), max(m[4] for m in group))
        # The headline is the title of the article nearest the centroid.
        assert headline in {m[3] for m in group if m[0] == max(sims)}, (eid, headline)
        assert label == (f"{headline} — {terms}" if terms else headline)
        titles = " ".join(m[3] for m in group).lower()
        for term in filter(None, terms.split(", ")):
            assert term in titles and term not in stop_words(), (eid, term)
        assert len(terms.split(", ")) <= 5
    assert any(len(g) >= 3 for g in members.values())


# --------------------------------------------------------------------------- 8: commands


def events_in_store(db: Path) -> list[dict]:
    rows = sql(db, "SELECT id, first_published, last_published, article_count, outlet_count, headline, "
                   "top_terms FROM events")
    outlets: dict[int, set] = {}
    for eid, outlet in sql(db, "SELECT ea.event_id, a.outlet_id FROM event_articles ea "
                               "JOIN articles a ON a.id = ea.article_id"):
        outlets.setdefault(eid, set()).add(outlet)
    stamp = lambda v: datetime.fromisoformat(v).isoformat(timespec="seconds") + "Z"  # noqa: E731
    found = [{"id": i, "first_published": stamp(f), "last_published": stamp(last), "articles": n,
              "outlets": o, "outlet_ids": ", ".join(sorted(outlets[i])), "headline": h, "top_terms": t}
             for i, f, last, n, o, h, t in rows]
    return sorted(found, key=lambda e: (e["last_published"], e["id"]), reverse=True)


def test_events_command_filters_and_formats(small):
    tmp, db = small["tmp"], str(small["db"])
    stored = events_in_store(small["db"])
    place = small["places"]["ev-3"]
    since, until = "2026-03-04T00:00", "2026-03-06T12:00"
    everything, by_outlet, searched, in_time = cli_many(
        tmp, ("events", "--db", db, "--format", "json", "--min-outlets", "1", "--limit", "0"),
        ("events", "--db", db, "--format", "csv", "--outlet", "civic-post", "--outlet", "hill-gazette"),
        ("events", "--db", db, "--format", "md", "--search", place.upper()),
        ("events", "--db", db, "--format", "json", "--since", since, "--until", until, "--min-outlets", "3"))

    assert json.loads(ok(everything).stdout) == stored  # every event, most recent first, all columns
    assert len(stored) == small["report"]["events_total"]

    records = list(csv.DictReader(io.StringIO(ok(by_outlet).stdout)))
    assert list(records[0]) == EVENT_COLUMNS
    expected = [e for e in stored if e["outlets"] >= 2 and {"civic-post", "hill-gazette"} & set(e["outlet_ids"].split(", "))]
    assert [int(r["id"]) for r in records] == [e["id"] for e in expected]
    assert [r["outlet_ids"] for r in records] == [e["outlet_ids"] for e in expected]
    assert 0 < len(expected) < len(stored)

    lines = ok(searched).stdout.strip().splitlines()
    assert [c.strip() for c in lines[0].strip("|").split("|")] == EVENT_COLUMNS
    rows = [[c.strip() for c in line.strip().strip("|").split(" | ")] for line in lines[2:]]
    pattern = f"%{place.lower()}%"
    matching = {e for (e,) in sql(small["db"], "SELECT event_id FROM v_articles WHERE lower(title) LIKE ? UNION "
                                               "SELECT id FROM events WHERE lower(label) LIKE ?", pattern, pattern)}
    assert [int(r[0]) for r in rows] == [e["id"] for e in stored if e["id"] in matching and e["outlets"] >= 2]
    planted = {(r["outlet"], r["id"]) for r in small["rows"] if r["event"] == "ev-3"}
    owners = {e for k, e in events_by_key(small["db"]).items() if k in planted}
    assert [int(r[0]) for r in rows] == list(owners), "the search should find exactly the planted event"

    lo, hi = f"{since}:00Z", f"{until}:00Z"
    expected = [e["id"] for e in stored if e["outlets"] >= 3 and e["last_published"] >= lo and e["first_published"] <= hi]
    assert [e["id"] for e in json.loads(ok(in_time).stdout)] == expected
    assert 0 < len(expected) < len([e for e in stored if e["outlets"] >= 3])

    runner = CliRunner()
    missing = runner.invoke(cli, ["event", "--db", db, "999999"])
    assert missing.exit_code == 2 and "no event 999999" in missing.stderr, missing.output
    limited = runner.invoke(cli, ["events", "--db", db, "--limit", "2"], env={"COLUMNS": "200"})
    assert limited.exit_code == 0, limited.output
    multi = [e for e in stored if e["outlets"] >= 2]
    assert f"Showing 2 of {len(multi)} events; use --limit 0 for all." in limited.stderr
    cells = [line.split("│")[1].strip() for line in limited.stdout.splitlines() if line.startswith("│")]
    assert [int(c) for c in cells if c] == [multi[0]["id"], multi[1]["id"]], limited.stdout
    none = runner.invoke(cli, ["events", "--db", db, "--min-outlets", "99"])
    assert none.exit_code == 0 and "No events match" in none.stdout


def test_event_command_groups_articles_by_outlet(small):
    tmp, db = small["tmp"], str(small["db"])
    eid, headline, count, outlets, terms = sql(
        small["db"], "SELECT id, headline, article_count, outlet_count, top_terms FROM events "
                     "ORDER BY outlet_count DESC, id LIMIT 1")[0]
    members: dict[str, set] = {}
    for outlet, article_id in sql(small["db"], "SELECT a.outlet_id, a.id FROM event_articles ea JOIN articles a "
                                               "ON a.id = ea.article_id WHERE ea.event_id = ?", eid):
        members.setdefault(outlet, set()).add(article_id)
    affiliation = dict(sql(small["db"], "SELECT id, affiliation FROM outlets"))
    as_json, as_csv = cli_many(tmp, ("event", "--db", db, str(eid), "--format", "json"),
                               ("event", "--db", db, str(eid), "--format", "csv"))
    data = json.loads(ok(as_json).stdout)
    info = data["event"]
    assert (info["id"], info["headline"], info["articles"], info["outlets"], info["top_terms"]) == (
        eid, headline, count, outlets, terms)
    assert info["code_version"] == code_version() and outlets >= 3
    assert [g["outlet"] for g in data["outlets"]] == sorted(members)
    for group in data["outlets"]:
        assert {a["article_id"] for a in group["articles"]} == members[group["outlet"]]
        assert group["affiliation"] == affiliation[group["outlet"]] == OUTLETS[group["outlet"]]
        assert all(set(a) == {"published_at", "title", "similarity", "article_id", "url"} for a in group["articles"])
        assert all(0 <= a["similarity"] <= 1 and a["published_at"].endswith("Z") for a in group["articles"])

    records = list(csv.DictReader(io.StringIO(ok(as_csv).stdout)))
    assert list(records[0]) == ["event_id", *ARTICLE_COLUMNS]
    assert {r["event_id"] for r in records} == {str(eid)}
    assert sorted(int(r["article_id"]) for r in records) == sorted(i for g in members.values() for i in g)

    runner = CliRunner()
    md = runner.invoke(cli, ["event", "--db", db, str(eid), "--format", "md"])
    assert md.exit_code == 0, md.output
    assert md.stdout.startswith(f"# Event {eid}: {headline}\n")
    for outlet, ids in members.items():
        noun = "article" if len(ids) == 1 else "articles"
        assert f"## {outlet} ({affiliation[outlet]}): {len(ids)} {noun}" in md.stdout
    table = runner.invoke(cli, ["event", "--db", db, str(eid)], env={"COLUMNS": "200"})
    assert table.exit_code == 0 and f"Event {eid}: {headline}" in table.stdout
    assert all(outlet in table.stdout for outlet in members)


def test_cluster_parameters_rebuild_and_lock(small, tmp_path):
    locked = copy_store(small["db"], tmp_path / "locked.db")
    other = copy_store(small["db"], tmp_path / "other.db")
    # The rebuild runs on a third identical copy, at the same time as the refused runs
    # (which are shown below to leave their stores exactly as they were).
    rebuilt_db = copy_store(small["db"], tmp_path / "rebuilt.db")
    before_locked, before_other = dump(locked), dump(other)
    with collect_lock(lock_path_for(f"sqlite:///{locked}", ".cluster.lock"), what="cluster"):
        busy, mismatch, rebuild = cli_many(
            tmp_path, ("cluster", "--db", str(locked), "--workers", "0"),
            ("cluster", "--db", str(other), "--threshold", "0.5", "--workers", "0"),
            ("cluster", "--db", str(rebuilt_db), "--threshold", "0.5", "--rebuild", "--workers", "0",
             "--format", "json"))
    assert busy.returncode == 3, busy.stdout + busy.stderr
    assert "another cluster is running" in busy.stderr
    assert mismatch.returncode == 2, mismatch.stdout + mismatch.stderr
    assert "--rebuild" in mismatch.stderr and "threshold=0.6" in mismatch.stderr
    assert dump(locked) == before_locked and dump(other) == before_other, "a refused run wrote to the store"

    (report,) = json.loads(ok(rebuild).stdout)
    n = len(small["rows"])
    assert report["articles"] == n and report["run_id"] == 2
    runs = sql(rebuilt_db, "SELECT id, status, params FROM runs ORDER BY id")
    assert [(i, s, json.loads(p)["threshold"]) for i, s, p in runs] == [(1, "done", 0.6), (2, "done", 0.5)]
    assert sql(rebuilt_db, "SELECT COUNT(*), COUNT(DISTINCT run_id), MIN(run_id) FROM event_articles") == [(n, 1, 2)]
    assert sql(rebuilt_db, "SELECT COUNT(event_id) FROM v_articles") == [(n,)]
    state = json.loads(sql(rebuilt_db, "SELECT data FROM model_state WHERE name = 'cluster.params'")[0][0])
    assert state["params"]["threshold"] == 0.5 and state["n_docs"] == n


# --------------------------------------------------------------------------- 9: eval-clusters


def test_eval_clusters_scores_labels_and_reports_bad_rows(tmp_path):
    rows = corpus(10, 8, days=6, seed=91)
    gold = write_jsonl(tmp_path / "gold.jsonl", rows)
    unlabelled = write_jsonl(tmp_path / "plain.jsonl", [{k: v for k, v in r.items() if k != "event"} for r in rows])
    broken = write_jsonl(tmp_path / "broken.jsonl", [*rows[:5], "{oops", *rows[5:]])
    clean, bad = cli_many(
        tmp_path, ("eval-clusters", str(gold), "--workers", "0", "--format", "json"),
        ("eval-clusters", str(broken), "--workers", "0", "--format", "json"))
    nolabel = CliRunner().invoke(cli, ["eval-clusters", str(unlabelled), "--workers", "0"])

    result = json.loads(ok(clean).stdout)
    assert (result["articles"], result["gold_events"]) == (len(rows), 18)
    for metric in ("pairwise", "bcubed"):
        assert all(0.0 <= result[metric][m] <= 1.0 for m in ("precision", "recall", "f1"))
        assert result[metric]["f1"] > 0.9, result
    assert result["params"]["threshold"] == 0.6
    assert not (tmp_path / "storage").exists(), "eval-clusters wrote a store into the working directory"

    assert nolabel.exit_code == 2 and "no row has an `event` label" in nolabel.stderr, nolabel.output

    assert bad.returncode == 1, bad.stdout + bad.stderr
    assert f"{broken}:6: not valid JSON" in bad.stderr
    scored = json.loads(bad.stdout)
    assert scored["articles"] == len(rows) and scored["bcubed"] == result["bcubed"]


def test_eval_clusters_on_ecbplus_through_the_store(tmp_path):
    require_ecbplus()
    gold = tmp_path / "ecbplus.jsonl"
    convert = subprocess.run([sys.executable, str(REPO / "benchmarks" / "ecbplus_gold.py"), "-o", str(gold)],
                             capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert convert.returncode == 0, convert.stderr
    result = json.loads(ok(cli_in(tmp_path, "eval-clusters", str(gold), "--format", "json")).stdout)
    assert result["articles"] > 900 and result["gold_events"] > 80
    assert result["bcubed"]["f1"] >= 0.90, result  # measured 0.928


# --------------------------------------------------------------------------- 10: collect and cluster at once


def test_collect_and_cluster_run_concurrently(tmp_path, server, store):
    rows = corpus(100, 300, days=8, seed=101)
    import_rows(store, rows, "archive")
    feed_items = [item(i, title=f"Wire brief {i} from Kelvossa", description=f"Kelvossa wire brief number {i}.",
                       pub=(BASE + timedelta(days=i / 10)).strftime("%a, %d %b %Y %H:%M:%S GMT"))
                  for i in range(30)]
    prompt = server.add("/w0.xml", static(rss_doc(feed_items[0::2])))
    late_body = static(rss_doc(feed_items[1::2]))

    def late(req):
        """Answer once the clustering run has started, so the collect writes while it runs."""
        deadline = time.monotonic() + 30
        while not server.stopping.is_set() and time.monotonic() < deadline:
            if sql(store.path, "SELECT COUNT(*) FROM runs")[0][0]:
                break
            time.sleep(0.02)
        late_body(req)

    cfg = tmp_path / "feeds.yaml"
    cfg.write_text(feeds_yaml({"kelvossa-wire": [prompt], "kelvossa-post": [server.add("/w1.xml", late)]}), "utf-8")
    db = str(store.path)
    collected, clustered = cli_many(
        tmp_path, ("collect", "--db", db, "--feeds", str(cfg), "--workers", "0", "--timeout", "40"),
        ("cluster", "--db", db, "--workers", "0"))
    ok(collected)
    ok(clustered)
    assert sql(store.path, "PRAGMA integrity_check") == [("ok",)]
    assert sql(store.path, "SELECT COUNT(*) FROM articles") == [(len(rows) + 30,)]
    ((started, finished, status),) = sql(store.path, "SELECT started_at, finished_at, status FROM runs")
    assert status == "done"
    (written,) = sql(store.path, "SELECT f.finished_at FROM fetches f JOIN feeds d ON d.id = f.feed_id "
                                 "WHERE d.outlet_id = 'kelvossa-post'")
    assert started < written[0] < finished, "the collect did not write while the clustering ran"
    cluster(store)  # whatever the concurrent run did not see yet
    assert sql(store.path, "SELECT COUNT(*) - COUNT(event_id) FROM v_articles") == [(0,)]
    assert bcubed_f1(events_by_key(store.path), gold_of(rows)) >= 0.95
