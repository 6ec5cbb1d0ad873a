"""Benchmark: `search`, `compare EVENT` and `report` on a 1,000,000-article store (issue 5).

Usage::

    .venv/bin/python benchmarks/bench_research.py                    # 1M articles; builds the store once (~40 min)
    .venv/bin/python benchmarks/bench_research.py --json result.json # the same, results as JSON too
    .venv/bin/python benchmarks/bench_research.py --articles 3000 --days 9 --repeat 1 --store /tmp/s.db  # smoke

The store (built once, never timed, cached at ``--store``; default
``/tmp/narratives-bench-research/store-<N>-s<seed>.db``, outside the repository; a
sidecar ``.json`` records how it was built and a re-run reuses it, ``--rebuild`` builds
it again). Building it:

1. Articles: the synthetic corpus of ``benchmarks/bench_cluster.py`` (imported, not
   copied: ~230-word articles in 8-15 sentences, Zipf vocabulary, 40 outlets with
   sign-offs and datelines, planted events of lognormal size up to 400 articles, wire
   copy), generated in time slices of ``--chunk`` articles (one ``Generator``, so the
   outlets and vocabulary are shared; events do not cross a slice) over ``--days`` days
   ending at the hour the build starts, so ``--since 7d`` means the corpus's last week.
   About 40 % of the planted events are placed in a theatre of war (Syria, Ukraine, Gaza)
   and get 2-4 facts of the catalogue; each of their articles carries a fact-bearing
   sentence per fact in the catalogue's own wording ("Russian warplanes carried out air
   strikes on ... near Idlib", agentless "Air strikes hit ... near Idlib"), attributed,
   agentless or left out with probabilities that differ between state-controlled and other
   outlets, so the comparison finds omitted and agentless verdicts. Stored through
   ``importer.store_rows`` (the path of ``narratives import``).
2. Feeds: one per outlet, its articles attached to it, and a fetch every 30 minutes over
   the span (~173,000 ``fetches`` rows), with two outages: one outlet's feed failing for
   the last two days (its articles then go to another outlet: a real gap) and another's
   for two days three weeks back. So feed health in the report and the comparison's
   ``unknown`` verdicts see realistic data.
3. Events: the generator's planted events written directly into ``events`` and
   ``event_articles`` with one finished ``runs`` row of kind ``cluster``, instead of
   running ``narratives cluster``: clustering 1M articles takes ~15 min of both cores on
   this shared machine and none of the timed commands depends on how events were found,
   only on their number and sizes. Consequence: no clusterer state (``model_state``,
   ``cluster_articles``) exists, so the comparison strips no learned boilerplate and
   links no absent outlet's article by similarity (both read that state).
4. Comparison: the real comparison code (``omissions.run_compare``, what ``narratives
   compare`` runs, in-process so it can be limited to a list of events) over every event
   with two or more outlets still reported in the last ``--compare-days`` days (8: the
   report's 7 days plus a margin). The store then passes ``compare``'s staleness checks
   (``compare_stale.py``) for every event whose window had closed when it was compared, so
   ``compare EVENT`` only shows it.

Before timing, the store is opened once with ``store.open_store`` (untimed), so a schema
upgrade, e.g. the FTS5 index back-fill of ``search``, happens there and its time is
reported separately.

Timed, each as the real command in a subprocess (console script, ``cwd`` = the repository
so ``facts.yaml`` is the one the store was compared with), ``--repeat`` times, medians:
``narratives search`` (a common word, a rare word, a phrase, a prefix, a boolean query,
the common word with ``--outlet`` and with ``--since``), ``narratives compare EVENT`` (an
up-to-date event of median size with three or more outlets, and the largest up-to-date
one), ``narratives report --since 7d -o report.html``; targets 0.5 s, 1 s and 30 s. The
same commands are also run in this process through click's ``CliRunner`` after a warm-up
(imports done), which separates the interpreter and import start-up (also measured:
``python -c pass`` and ``narratives --help``) from the work. Per run: wall, CPU of the
command, CPU others used meanwhile (the machine is shared: wall times rise with load),
load average. A command that fails or finds nothing makes the script exit 1; timings never
do. ``search`` and ``report`` are timed when the package has them (``narratives/cli_search.py``,
``narratives/cli_report.py``); a module that exists but is not yet registered in
``cli.py`` is loaded explicitly (and said so); a missing one is reported as not available.
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib.util
import json
import os
import random
import shutil
import sqlite3
import statistics
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

import bench_cluster as bc  # the script's own folder is on sys.path
from bench_collect import system_busy

REPO = Path(__file__).resolve().parent.parent
MB = 1024 * 1024
BUILD_VERSION = 1  # bump when the store's content changes: cached stores of other versions are rebuilt
TARGETS = {"search": 0.5, "compare": 1.0, "report": 30.0}
FETCH_EVERY = timedelta(minutes=30)
DEFAULT_DIR = Path("/tmp/narratives-bench-research")

# Facts per theatre: (fact id, attributed sentence, agentless sentence or None). {P}: the event's
# invented place, {T}: a real place of the theatre (facts with topics need one), {n}: a count.
# Checked against facts.yaml by the smoke test (each sentence gives its fact the state it says).
FACT_SENTENCES: dict[str, list[tuple[str, str, str | None]]] = {
    "syria": [
        ("russian_airstrikes", "Russian warplanes carried out air strikes on {P} near {T} overnight.",
         "Air strikes hit {P} near {T} overnight."),
        ("syrian_government_airstrikes", "Syrian government helicopters dropped bombs on {P} near {T}.",
         "Bombs were dropped on {P} near {T}."),
        ("hospital_strike", "Russian jets struck the hospital in {P} near {T}.",
         "The hospital in {P} near {T} was struck."),
        ("civilian_casualties", "At least {n} civilians were killed in {P} near {T}, rescuers said.", None),
        ("displacement", "Hundreds of families fled {P} near {T} towards the border.", None),
    ],
    "ukraine": [
        ("russian_missile_strikes", "Russian missiles struck energy facilities in {T} near {P}.",
         "Missiles struck energy facilities in {T} near {P}."),
        ("russian_shelling", "Russian artillery shelled villages near {T} and {P}.",
         "Artillery shelled villages near {T} and {P}."),
        ("civilian_casualties", "At least {n} people were killed in {T}, officials said.", None),
        ("prisoners_of_war", "Both sides carried out a prisoner exchange near {T}.", None),
    ],
    "gaza": [
        ("israeli_airstrikes", "Israeli air strikes hit {P} in {T}.", "Air strikes hit {P} in {T}."),
        ("aid_blocked", "Israel blocked aid trucks at the {T} crossing.", "Aid trucks were blocked at the {T} crossing."),
        ("hostages", "Talks on the release of hostages held in {T} continued.", None),
        ("famine_starvation", "Aid agencies warned of famine in {T}.", None),
    ],
}
THEATRE_PLACES = {"syria": ("Idlib", "Aleppo", "Hama", "Homs", "Daraa"),
                  "ukraine": ("Kharkiv", "Sumy", "Kherson", "Zaporizhzhia", "Dnipro"),
                  "gaza": ("Gaza", "Rafah", "Khan Younis", "Jabalia")}
CONFLICT_SHARE = 0.4
# (omit, agentless) probabilities of a fact sentence per article; else attributed.
STYLE = {"state-controlled": (0.35, 0.35), "other": (0.15, 0.07)}
PHRASE = '"air strikes hit"'


def sql_time(t: datetime) -> str:
    """A naive UTC time as SQLAlchemy writes it into SQLite."""
    return t.strftime("%Y-%m-%d %H:%M:%S.%f")


# --------------------------------------------------------------------------- building the store


class FactPlanter:
    """Decides per planted event whether it is a war story and which facts its articles carry."""

    def __init__(self, seed: int):
        self.rng = random.Random(seed)
        self.plans: dict[int, tuple | None] = {}

    def plan(self, event: int, place: str) -> tuple | None:
        if event not in self.plans:
            rng = self.rng
            if rng.random() >= CONFLICT_SHARE:
                self.plans[event] = None
            else:
                theatre = rng.choice(sorted(FACT_SENTENCES))
                facts = rng.sample(FACT_SENTENCES[theatre], rng.randint(2, min(4, len(FACT_SENTENCES[theatre]))))
                where = {"P": place, "T": rng.choice(THEATRE_PLACES[theatre]), "n": rng.randint(2, 40)}
                self.plans[event] = (theatre, facts, where)
        return self.plans[event]

    def sentences(self, event: int, place: str, affiliation: str | None) -> list[str]:
        plan = self.plan(event, place)
        if plan is None:
            return []
        _theatre, facts, where = plan
        omit, agentless = STYLE["state-controlled" if affiliation == "state-controlled" else "other"]
        out = []
        for _fact, attributed, bare in facts:
            r = self.rng.random()
            if r < omit:
                continue
            template = bare if (bare is not None and r < omit + agentless) else attributed
            out.append(template.format(**where))
        return out


def _chunk_rows(corpus: bc.Corpus, shift: timedelta, first_index: int, event_base: int, planter: FactPlanter,
                outages: list[tuple[str, datetime, datetime, bc.Outlet]], meta: dict[int, tuple[str, str]]) -> tuple[list, list]:
    """The corpus's rows moved in time, renumbered, with fact sentences; and (outlet, item_key, event)."""
    rows, planted = [], []
    rng = planter.rng
    for k, (row, gold) in enumerate(zip(corpus.rows, corpus.gold, strict=True)):
        d = row.draft
        when = d.published_at + shift
        index = first_index + k
        outlet, name, affiliation = row.outlet, row.outlet_name, row.affiliation
        for gone, start, end, instead in outages:  # its feed failed: another outlet's article instead
            if outlet == gone and start <= when <= end:
                outlet, name, affiliation = instead.id, instead.name, instead.affiliation
        event = event_base + gold
        ev = corpus.events[gold]
        content = d.content
        facts = planter.sentences(event, str(ev.names[3]), affiliation)
        if facts:
            paragraphs = content.split("\n\n")
            paragraphs.insert(rng.randint(1, max(1, len(paragraphs) - 1)), " ".join(facts))
            content = "\n\n".join(paragraphs)
        guid = f"{outlet}-{index:07d}"
        draft = dataclasses.replace(
            d, item_key="guid:" + guid, guid=guid,
            url=bc.canonical_url(f"https://www.{outlet}.example/news/{when:%Y/%m/%d}/{index}"),
            content=content, published_at=when, published_raw=when.isoformat() + "Z",
            content_hash=bc.content_hash(d.title, d.summary, content))
        rows.append(dataclasses.replace(row, line=index + 1, outlet=outlet, outlet_name=name,
                                        affiliation=affiliation, draft=draft))
        planted.append((outlet, draft.item_key, event + 1))
        if event + 1 not in meta:  # rows are in time order: the event's first article
            meta[event + 1] = (d.title, ", ".join(str(w) for w in list(ev.words[:3]) + list(ev.names[2:4])))
    return rows, planted


def build_store(path: Path, args: argparse.Namespace) -> dict:
    """Build the store at ``path`` (through a temporary name, so a half-built one is never reused)."""
    from sqlalchemy.orm import Session

    from narratives.events import code_version as cluster_code_version
    from narratives.fetch import utcnow
    from narratives.importer import store_rows
    from narratives.store import open_store

    started = time.perf_counter()
    busy0 = system_busy()
    building = path.with_name(path.name + ".building")
    for suffix in ("", "-wal", "-shm"):
        Path(str(building) + suffix).unlink(missing_ok=True)
    building.parent.mkdir(parents=True, exist_ok=True)
    end = datetime.utcnow().replace(minute=0, second=0, microsecond=0)
    first_day = end - timedelta(days=args.days)
    gen = bc.Generator(args.seed, args.outlets)
    outlets = gen.outlets
    outages = [(outlets[3 % len(outlets)].id, end - timedelta(days=2), end, outlets[4 % len(outlets)]),
               (outlets[7 % len(outlets)].id, end - timedelta(days=21), end - timedelta(days=19),
                outlets[8 % len(outlets)])]
    planter = FactPlanter(args.seed)
    meta: dict[int, tuple[str, str]] = {}
    n, chunk = args.articles, args.chunk
    url = bc.db_url(building)
    engine = open_store(url, utcnow())
    planted: list[tuple[str, str, int]] = []
    done, event_base, gen_s, insert_s = 0, 0, 0.0, 0.0
    words_sample: list[int] = []
    try:
        while done < n:
            size = min(chunk, n - done)
            span = args.days * size / n
            t0 = time.perf_counter()
            corpus = gen.corpus(size, span)
            chunk_end = first_day + timedelta(days=args.days * (done + size) / n)
            rows, marks = _chunk_rows(corpus, chunk_end - bc.END, done, event_base, planter, outages, meta)
            t1 = time.perf_counter()
            with Session(engine) as s, s.begin():
                store_rows(s, rows, utcnow())
            t2 = time.perf_counter()
            gen_s, insert_s = gen_s + t1 - t0, insert_s + t2 - t1
            planted += marks
            if not words_sample:
                words_sample = [len((r.draft.title + " " + r.draft.content).split()) for r in rows[:2000]]
            done += size
            event_base += corpus.n_events
            print(f"  build: {done:,}/{n:,} articles stored ({gen_s:.0f} s generating, {insert_s:.0f} s "
                  f"storing, load {os.getloadavg()[0]:.1f})", flush=True)
            del corpus, rows, marks
    finally:
        engine.dispose()

    t0 = time.perf_counter()
    now = utcnow()
    conn = sqlite3.connect(building)
    try:
        with conn:
            _write_feeds(conn, outlets, first_day, end, outages, now)
            _write_events(conn, planted, meta, now, cluster_code_version(), n)
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.execute("ANALYZE")
        recent = [r[0] for r in conn.execute(
            "SELECT id FROM events WHERE last_published >= ? AND outlet_count >= 2 ORDER BY id",
            (sql_time(end - timedelta(days=args.compare_days)),))]
    finally:
        conn.close()
    del planted
    events_s = time.perf_counter() - t0
    print(f"  build: feeds, fetches and {event_base:,} planted events written in {events_s:.0f} s; comparing "
          f"{len(recent):,} events of the last {args.compare_days:g} days ...", flush=True)

    shutil.copyfile(REPO / "facts.yaml", facts_copy(path))
    report, compare_s = compare_recent(building, recent, facts_copy(path))
    with sqlite3.connect(building) as conn:
        counts = {t: conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]
                  for t in ("articles", "events", "event_articles", "fetches", "event_comparisons", "omissions",
                            "fact_mentions", "claims")}
        verdicts = dict(conn.execute("SELECT verdict, COUNT(*) FROM omissions GROUP BY verdict"))
    conn.close()
    for suffix in ("", "-wal", "-shm"):
        Path(str(path) + suffix).unlink(missing_ok=True)
    building.rename(path)
    info = {"build_version": BUILD_VERSION, "articles": n, "days": args.days, "outlets": args.outlets,
            "seed": args.seed, "chunk": chunk, "compare_days": args.compare_days, "end": end.isoformat(),
            "built_at": datetime.utcnow().isoformat(timespec="seconds"), "planted_events": event_base,
            "mean_words": round(statistics.mean(words_sample), 1), "counts": counts, "verdicts": verdicts,
            "compared_events": report.events, "compare_run": report.run_id,
            "generate_s": round(gen_s, 1), "insert_s": round(insert_s, 1), "events_s": round(events_s, 1),
            "compare_s": round(compare_s, 1), "build_s": round(time.perf_counter() - started, 1),
            "build_other_cpu_s": None, "store_mb": round(path.stat().st_size / MB, 1)}
    info["build_other_cpu_s"] = round(max(0.0, system_busy() - busy0 - _own_cpu()), 1)
    sidecar(path).write_text(json.dumps(info, indent=2))
    print(f"built {path}: {n:,} articles, {event_base:,} events, {report.events:,} compared "
          f"({json.dumps(verdicts, sort_keys=True)}), {info['store_mb']:,.0f} MB in {info['build_s']:.0f} s "
          f"(generate {gen_s:.0f}, store {insert_s:.0f}, events {events_s:.0f}, compare {compare_s:.0f})", flush=True)
    return info


def compare_recent(path: Path, events: list[int], facts: Path) -> tuple[object, float]:
    """The real comparison code over these events, in this process: (its report, seconds)."""
    from narratives.facts import FactMatcher, load_facts
    from narratives.fetch import utcnow
    from narratives.omissions import CompareSettings, run_compare
    from narratives.store import open_store

    t0 = time.perf_counter()
    catalogue = load_facts(facts)
    engine = open_store(bc.db_url(path), utcnow())
    last = [t0]

    def progress(k: int, total: int) -> None:
        if time.perf_counter() - last[0] > 60:
            last[0] = time.perf_counter()
            print(f"  compare: {k:,}/{total:,} events, {last[0] - t0:.0f} s", flush=True)

    try:
        report = run_compare(engine, catalogue, CompareSettings(), now=utcnow(), events=events,
                             matcher=FactMatcher(catalogue), progress=progress)
    finally:
        engine.dispose()
    bc.checkpoint(path)
    return report, time.perf_counter() - t0


def recompare(path: Path, info: dict) -> dict:
    """Drop every comparison and compare the build's events again with the current code and facts.yaml.

    For a cached store after the comparison code or the catalogue changed (``compare EVENT``
    would otherwise compare every event of the store again inside the timed command).
    """
    conn = sqlite3.connect(path)
    try:
        with conn:
            for t in ("omissions", "claim_sentences", "claims", "fact_mentions", "article_facts", "event_links",
                      "event_comparisons"):
                conn.execute(f"DELETE FROM {t}")
            conn.execute("DELETE FROM runs WHERE kind = 'compare'")
        end = datetime.fromisoformat(info["end"])
        recent = [r[0] for r in conn.execute(
            "SELECT id FROM events WHERE last_published >= ? AND outlet_count >= 2 ORDER BY id",
            (sql_time(end - timedelta(days=info["compare_days"])),))]
    finally:
        conn.close()
    shutil.copyfile(REPO / "facts.yaml", facts_copy(path))
    print(f"comparing {len(recent):,} events again (untimed) ...", flush=True)
    report, seconds = compare_recent(path, recent, facts_copy(path))
    info = {**info, "compared_events": report.events, "compare_run": report.run_id,
            "recompare_s": round(seconds, 1), "recompared_at": datetime.utcnow().isoformat(timespec="seconds")}
    with sqlite3.connect(path) as conn:
        info["counts"] = {**info["counts"], **{t: conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]
                                               for t in ("event_comparisons", "omissions", "fact_mentions", "claims")}}
        info["verdicts"] = dict(conn.execute("SELECT verdict, COUNT(*) FROM omissions GROUP BY verdict"))
    conn.close()
    sidecar(path).write_text(json.dumps(info, indent=2))
    print(f"compared {report.events:,} events in {seconds:.0f} s", flush=True)
    return info


def _own_cpu() -> float:
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def _write_feeds(conn: sqlite3.Connection, outlets: list, first_day: datetime, end: datetime,
                 outages: list, now: datetime) -> None:
    """One feed per outlet, the articles attached, a fetch every 30 minutes, two outages."""
    failing = {o: (a, b) for o, a, b, _x in outages}
    conn.execute("UPDATE outlets SET in_config = 1, enabled = 1, country = 'XX'")
    fetches, feeds = [], []
    rng = random.Random(len(outlets))
    for i, o in enumerate(outlets, 1):
        feed_url = f"https://www.{o.id}.example/feed.xml"
        t, last_ok, last_err, failures = first_day, None, None, 0
        while t < end:
            down = o.id in failing and failing[o.id][0] <= t <= failing[o.id][1]
            outcome = "error" if down else ("ok" if rng.random() < 0.6 else "not_modified")
            fetches.append((i, sql_time(t), sql_time(t + timedelta(seconds=1.5)), outcome,
                            503 if down else (200 if outcome == "ok" else 304), feed_url,
                            0 if down else 48_000, 0 if down else 50, rng.randint(1, 12) if outcome == "ok" else 0,
                            0, "http" if down else None, "HTTP 503 Service Unavailable" if down else None, None,
                            sql_time(t + FETCH_EVERY)))
            if down:
                last_err, failures = t, failures + 1
            else:
                last_ok, failures = t, 0
            t += FETCH_EVERY
        status = "failing" if failures else "active"
        feeds.append((i, o.id, feed_url, "news", 1, 1, status, failures, sql_time(t), sql_time(t - FETCH_EVERY),
                      sql_time(last_ok) if last_ok else None, sql_time(last_err) if last_err else None,
                      "fetch: HTTP 503 from the feed (sample outage)" if last_err else None,
                      503 if failures else 200, f"{o.name} — news", sql_time(now)))
    conn.executemany("INSERT INTO feeds (id, outlet_id, url, name, enabled, in_config, status, failure_count, "
                     "next_fetch_at, last_fetch_at, last_success_at, last_error_at, last_error, last_status, title, "
                     "created_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", feeds)
    conn.executemany("INSERT INTO fetches (feed_id, started_at, finished_at, outcome, http_status, final_url, bytes, "
                     "items_seen, items_new, items_changed, error_class, error_message, warnings, next_fetch_at) "
                     "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)", fetches)
    conn.execute("UPDATE articles SET feed_id = (SELECT f.id FROM feeds f WHERE f.outlet_id = articles.outlet_id)")


def _write_events(conn: sqlite3.Connection, planted: list, meta: dict, now: datetime, code: str, n: int) -> None:
    """The planted events as a finished clustering run would have left them."""
    conn.execute("CREATE TEMP TABLE planted (outlet TEXT, item_key TEXT, event INTEGER)")
    conn.executemany("INSERT INTO planted VALUES (?,?,?)", planted)
    params = json.dumps({"planted_by": "benchmarks/bench_research.py", "note": "events planted by the "
                         "synthetic corpus, not clustered"}, sort_keys=True)
    run = conn.execute("INSERT INTO runs (kind, started_at, finished_at, status, code_version, params, articles_in, "
                       "events_created, events_changed, note) VALUES ('cluster', ?, ?, 'done', ?, ?, ?, 0, 0, ?)",
                       (sql_time(now), sql_time(now), code, params, n,
                        "benchmark store: planted events")).lastrowid
    conn.execute("INSERT INTO event_articles (article_id, event_id, similarity, run_id) "
                 "SELECT a.id, p.event, 1.0, ? FROM planted p JOIN articles a "
                 "ON a.outlet_id = p.outlet AND a.item_key = p.item_key", (run,))
    conn.execute("INSERT INTO events (id, label, headline, top_terms, first_published, last_published, article_count, "
                 "outlet_count, created_run_id, updated_run_id) "
                 "SELECT ea.event_id, '', '', '', MIN(a.published_at), MAX(a.published_at), COUNT(*), "
                 "COUNT(DISTINCT a.outlet_id), ?, ? FROM event_articles ea JOIN articles a ON a.id = ea.article_id "
                 "GROUP BY ea.event_id", (run, run))
    conn.executemany("UPDATE events SET headline = ?, top_terms = ?, label = ? || ' — ' || ? WHERE id = ?",
                     [(h, t, h, t, e) for e, (h, t) in meta.items()])
    created = conn.execute("SELECT COUNT(*) FROM events").fetchone()[0]
    conn.execute("UPDATE runs SET events_created = ? WHERE id = ?", (created, run))
    conn.execute("DROP TABLE planted")


def facts_copy(path: Path) -> Path:
    return path.with_name(path.name + ".facts.yaml")


def sidecar(path: Path) -> Path:
    return path.with_name(path.name + ".json")


def cached_store(path: Path, args: argparse.Namespace) -> dict | None:
    """The build info of a usable cached store with these parameters, else None."""
    try:
        info = json.loads(sidecar(path).read_text())
    except (OSError, ValueError):
        return None
    same = (info.get("build_version") == BUILD_VERSION and info.get("articles") == args.articles
            and info.get("days") == args.days and info.get("outlets") == args.outlets and info.get("seed") == args.seed
            and info.get("compare_days") == args.compare_days and path.exists())
    return info if same else None


# --------------------------------------------------------------------------- what to time


def prepare(path: Path) -> dict:
    """Open the store once as every command does (untimed): a schema upgrade (FTS back-fill) happens here."""
    from narratives.fetch import utcnow
    from narratives.store import open_store

    t0 = time.perf_counter()
    engine = open_store(bc.db_url(path), utcnow())
    engine.dispose()
    opened = time.perf_counter() - t0
    bc.checkpoint(path)
    with sqlite3.connect(path) as conn:
        fts = conn.execute("SELECT COUNT(*) FROM sqlite_master WHERE name = 'articles_fts'").fetchone()[0] == 1
    conn.close()
    return {"open_s": round(opened, 2), "fts": fts, "store_mb": round(path.stat().st_size / MB, 1)}


def compare_is_current(path: Path) -> str | None:
    """Why ``compare EVENT`` would compare every event again (None: it will not)."""
    from sqlalchemy.orm import Session

    from narratives.compare_current import why_full
    from narratives.facts import load_facts
    from narratives.omissions import CompareSettings, code_version
    from narratives.store import create_store_engine

    engine = create_store_engine(bc.db_url(path), write=False)
    try:
        with Session(engine) as s:
            facts = facts_copy(path) if facts_copy(path).exists() else REPO / "facts.yaml"
            return why_full(s, CompareSettings().params(load_facts(facts)), code_version(), False)
    finally:
        engine.dispose()


def pick(path: Path, info: dict, args: argparse.Namespace) -> dict:
    """Events and query words to time, chosen from the store."""
    end = datetime.fromisoformat(info["end"])
    week = sql_time(end - timedelta(days=7))
    conn = sqlite3.connect(path)
    try:
        # Up to date: compared, and its window had closed when it was (compare EVENT only shows it).
        fresh = conn.execute(
            "SELECT e.id, e.article_count, e.outlet_count FROM events e JOIN event_comparisons c ON c.event_id = e.id "
            "WHERE c.window_end <= c.compared_at AND e.last_published >= ? AND e.outlet_count >= 3 "
            "ORDER BY e.article_count, e.id", (week,)).fetchall()
        if not fresh:
            fresh = conn.execute(
                "SELECT e.id, e.article_count, e.outlet_count FROM events e JOIN event_comparisons c "
                "ON c.event_id = e.id WHERE c.window_end <= c.compared_at ORDER BY e.article_count, e.id").fetchall()
        typical = fresh[len(fresh) // 2] if fresh else None
        big = fresh[-1] if fresh else None
        outlet = conn.execute("SELECT outlet_id, COUNT(*) c FROM articles GROUP BY outlet_id ORDER BY c DESC "
                              "LIMIT 1 OFFSET 5").fetchone()[0]
        rare_row = conn.execute("SELECT top_terms FROM events WHERE last_published >= ? AND outlet_count >= 2 "
                                "ORDER BY id LIMIT 1", (week,)).fetchone()
    finally:
        conn.close()
    gen = bc.Generator(args.seed, args.outlets)
    common = str(gen.vocab[len(bc.FUNCTION_WORDS) + 20])  # a general word in roughly a third of the articles
    other = str(gen.vocab[len(bc.FUNCTION_WORDS) + 200])
    rare = (rare_row[0].split(", ")[-1].split()[0] if rare_row else common)  # the event's invented place
    return {"typical": typical, "big": big, "outlet": outlet, "common": common, "other": other, "rare": rare,
            "prefix": common[:4] + "*"}


def scenarios(path: Path, info: dict, picks: dict, work: Path) -> list[dict]:
    """(name, group, argv after `narratives`, check) of every timed command."""
    db = str(path)
    end = datetime.fromisoformat(info["end"])
    recent = datetime.utcnow() - end < timedelta(days=1)
    since = "7d" if recent else (end - timedelta(days=7)).strftime("%Y-%m-%dT%H:%M")
    out: list[dict] = []
    search = [
        ("common word", [picks["common"]]),
        ("rare word", [picks["rare"]]),
        ("phrase", [PHRASE]),
        ("prefix", [picks["prefix"]]),
        ("boolean", [f"{picks['common']} AND {picks['other']} NOT {picks['rare']}"]),
        ("common word --outlet", [picks["common"], "--outlet", picks["outlet"]]),
        ("common word --since 7d", [picks["common"], "--since", since]),
    ]
    for name, argv in search:
        out.append({"name": f"search {name}", "group": "search", "argv": ["search", *argv, "--db", db, "--limit", "20"],
                    "check": "rows"})
    for label, event in (("typical", picks["typical"]), ("big", picks["big"])):
        if event is not None:
            event_id, articles, outlets = event
            out.append({"name": f"compare EVENT ({label}: {articles} articles, {outlets} outlets)", "group": "compare",
                        "argv": ["compare", str(event_id), "--db", db, "--facts", str(facts_copy(path))],
                        "check": f"Event {event_id}:"})
    report = work / "report.html"
    out.append({"name": f"report --since {since}", "group": "report",
                "argv": ["report", "--db", db, "--since", since, "-o", str(report)], "check": report})
    return out


MODULES = {"search": "narratives.cli_search", "report": "narratives.cli_report", "compare": "narratives.cli_compare"}


def registered_commands() -> set[str]:
    """The commands the installed CLI has (asked in a fresh interpreter: this one may import more)."""
    proc = subprocess.run([sys.executable, "-c", "from narratives.cli import all_commands; print(' '.join(all_commands()))"],
                          capture_output=True, text=True, cwd=REPO)
    return set(proc.stdout.split())


def command_state(group: str, registered: set[str]) -> tuple[str, str]:
    """('registered' | 'unregistered' | 'missing', module) of the command a group times."""
    module = MODULES[group]
    if importlib.util.find_spec(module) is None:
        return "missing", module
    return ("registered" if group in registered else "unregistered"), module


def base_command(module: str, state: str) -> list[str]:
    script = Path(sys.executable).parent / "narratives"
    if state == "unregistered":  # not yet in cli.py's import line: load the module, then run the group
        return [sys.executable, "-c", f"import {module}; from narratives.cli import main; main()"]
    return [str(script)] if script.exists() else [sys.executable, "-m", "narratives"]


def checked(result_ok: bool, output: str, check: object) -> bool:
    if isinstance(check, Path):
        return result_ok and check.exists() and check.stat().st_size > 0
    if check == "rows":  # search: exit 0 and not the "No articles match" line
        return result_ok and "No articles match" not in output and len(output.strip().splitlines()) >= 2
    return result_ok and str(check) in output


def time_subprocess(cmd: list[str], work: Path, repeat: int, check: object) -> list[dict]:
    runs = []
    for _ in range(repeat):
        if isinstance(check, Path):
            check.unlink(missing_ok=True)
        load = os.getloadavg()[0]
        cwd = os.getcwd()
        os.chdir(REPO)  # facts.yaml as the store was compared with
        try:
            r = bc.measure(cmd, work / "command.log")
        finally:
            os.chdir(cwd)
        r["load1"] = round(load, 2)
        r["ok"] = checked(r["exit"] == 0, (work / "command.log").read_text(errors="replace"), check)
        runs.append(r)
    return runs


def time_in_process(argv: list[str], repeat: int, check: object, module: str) -> dict:
    """The same command through click's CliRunner in this process: imports already done."""
    from click.testing import CliRunner

    importlib.import_module(module)
    from narratives.cli import cli

    cwd = os.getcwd()
    os.chdir(REPO)
    walls, ok = [], True
    try:
        for i in range(repeat + 1):  # the first is the warm-up (lazy imports, page cache)
            if isinstance(check, Path):
                check.unlink(missing_ok=True)
            t0 = time.perf_counter()
            res = CliRunner().invoke(cli, argv, catch_exceptions=True)
            wall = time.perf_counter() - t0
            if i:
                walls.append(wall)
            ok = ok and checked(res.exit_code == 0, res.output, check)
    finally:
        os.chdir(cwd)
    return {"median_s": round(statistics.median(walls), 3), "walls": [round(w, 3) for w in walls], "ok": ok}


def startup(repeat: int, work: Path) -> dict:
    out = {}
    for name, cmd in (("python -c pass", [sys.executable, "-c", "pass"]),
                      ("narratives --help", base_command("", "registered") + ["--help"])):
        runs = [bc.measure(cmd, work / "startup.log")["wall_s"] for _ in range(max(3, repeat))]
        out[name] = round(statistics.median(runs), 3)
    return out


# --------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--articles", type=int, default=1_000_000, help="articles in the store")
    p.add_argument("--days", type=float, default=90.0, help="span of the corpus in days (ends when the build starts)")
    p.add_argument("--outlets", type=int, default=40, help="outlets")
    p.add_argument("--seed", type=int, default=2026, help="seed of the synthetic corpus")
    p.add_argument("--chunk", type=int, default=50_000, help="articles generated and stored per time slice")
    p.add_argument("--compare-days", type=float, default=8.0,
                   help="compare the events still reported in the last this many days")
    p.add_argument("--store", type=Path, help=f"the cached store [{DEFAULT_DIR}/store-<N>-s<seed>.db]")
    p.add_argument("--rebuild", action="store_true", help="build the store again even if a cached one fits")
    p.add_argument("--build-only", action="store_true", help="build (or find) the store, time nothing")
    p.add_argument("--recompare", action="store_true",
                   help="compare the store's recent events again first (after the comparison code or facts.yaml "
                        "changed; untimed)")
    p.add_argument("--profile", action="store_true", help="cProfile every command that misses its target")
    p.add_argument("--commands", default="search,compare,report",
                   help="comma-separated groups of commands to time (search, compare, report)")
    p.add_argument("--repeat", type=int, default=5, help="runs per command; medians are reported")
    p.add_argument("--json", type=Path, metavar="PATH", help="write the results as JSON here")
    args = p.parse_args(argv)
    if args.articles < 100 or args.repeat < 1 or args.days <= 0 or args.chunk < 100 or args.outlets < 10:
        p.error("--articles >= 100, --repeat >= 1, --days > 0, --chunk >= 100, --outlets >= 10")
    groups = {g.strip() for g in args.commands.split(",") if g.strip()}
    if not groups or groups - set(TARGETS):
        p.error("--commands takes a comma-separated subset of search,compare,report")
    if sys.platform != "linux":
        p.error("the CPU and memory figures read /proc: Linux only")
    path = args.store or DEFAULT_DIR / f"store-{args.articles}-s{args.seed}.db"
    if REPO in path.resolve().parents:
        p.error(f"--store {path} is inside the repository; put the store elsewhere (it is large)")
    command = " ".join([Path(sys.executable).name, "benchmarks/bench_research.py", *(argv or sys.argv[1:])])
    started = time.perf_counter()
    load_start = [round(x, 2) for x in os.getloadavg()]
    print(f"bench: {args.articles:,} articles, {args.repeat} run(s) per command; {os.cpu_count()} CPUs, load "
          f"{os.getloadavg()[0]:.2f}; store {path}", flush=True)

    info = None if args.rebuild else cached_store(path, args)
    if info is None:
        print("building the store (untimed) ...", flush=True)
        info = build_store(path, args)
    else:
        print(f"reusing the store built {info['built_at']} in {info['build_s']:.0f} s", flush=True)
    if args.build_only:
        return 0

    if args.recompare:
        info = recompare(path, info)
    work = path.with_name(path.name + ".work")
    work.mkdir(exist_ok=True)
    prep = prepare(path)
    print(f"opened once (schema upgrade, untimed): {prep['open_s']:.1f} s; FTS5 index present: {prep['fts']}",
          flush=True)
    registered = registered_commands()
    picks = pick(path, info, args)
    results, notes = [], []
    for sc in [x for x in scenarios(path, info, picks, work) if x["group"] in groups]:
        state, module = command_state(sc["group"], registered)
        entry: dict = {"name": sc["name"], "group": sc["group"], "target_s": TARGETS[sc["group"]], "state": state,
                       "command": "narratives " + " ".join(sc["argv"])}
        results.append(entry)
        if state == "missing":
            entry["note"] = f"not available: {module.replace('.', '/')}.py does not exist yet"
            print(f"  {sc['name']}: {entry['note']}", flush=True)
            continue
        if sc["group"] == "compare":
            stale = compare_is_current(path)  # checked before every command: the code may change meanwhile
            if stale:
                entry["note"] = (f"not timed: compare EVENT would compare every event of the store again "
                                 f"({stale}); run with --recompare")
                notes.append(entry["note"])
                print(f"  {sc['name']}: {entry['note']}", flush=True)
                continue
        if state == "unregistered":
            entry["note"] = f"{module} is not registered in cli.py yet: loaded explicitly"
        runs = time_subprocess(base_command(module, state) + sc["argv"], work, args.repeat, sc["check"])
        inproc = time_in_process(sc["argv"], args.repeat, sc["check"], module)
        med = {k: round(statistics.median(r[k] for r in runs), 3) for k in ("wall_s", "cpu_s", "other_cpu_s")}
        entry.update(runs=[{k: r[k] for k in ("wall_s", "cpu_s", "other_cpu_s", "exit", "load1", "max_rss_single_mb",
                                              "ok")} for r in runs],
                     median=med, in_process=inproc, ok=all(r["ok"] for r in runs) and inproc["ok"],
                     met=med["wall_s"] <= TARGETS[sc["group"]], output=runs[-1]["output"][-600:])
        if sc["group"] == "search":
            entry["hits"] = search_hits(sc["argv"], module)
            entry["ok"] = entry["ok"] and entry["hits"] > 0
        elif isinstance(sc["check"], Path) and sc["check"].exists():
            entry["output_bytes"] = sc["check"].stat().st_size
        if args.profile and not entry["met"]:
            entry["profile"] = profile(sc["argv"], module)
        walls = ", ".join(f"{r['wall_s']:.2f}" for r in runs)
        print(f"  {sc['name']}: {med['wall_s']:.3f} s wall ({walls}), {inproc['median_s']:.3f} s in-process; "
              f"CPU {med['cpu_s']:.2f} s, others {med['other_cpu_s']:.2f} s, load {runs[-1]['load1']:.1f}"
              + ("" if entry["ok"] else f"  FAILED CHECK: {runs[-1]['output'][-400:]!r}"), flush=True)
        if entry.get("profile"):
            print(entry["profile"], flush=True)
    result = {"command": command, "date": datetime.now().strftime("%Y-%m-%d %H:%M"), "machine": bc.machine(),
              "loadavg_start": load_start, "loadavg_end": [round(x, 2) for x in os.getloadavg()],
              "store": {**info, "path": str(path), **prep}, "picks": picks, "startup_s": startup(args.repeat, work),
              "results": results, "notes": notes, "took_s": round(time.perf_counter() - started, 1)}
    print_report(result)
    if args.json:
        args.json.write_text(json.dumps(result, indent=2, default=str))
    shutil.rmtree(work, ignore_errors=True)
    failed = [r["name"] for r in results if r.get("runs") and not r["ok"]]
    if failed:
        print("CHECK FAILED: " + "; ".join(failed) + " (a command failed or found nothing; see the output above)")
    return 1 if failed else 0


def search_hits(argv: list[str], module: str) -> int:
    """How many results the search returned (its JSON output, in this process, untimed)."""
    from click.testing import CliRunner

    importlib.import_module(module)
    from narratives.cli import cli

    res = CliRunner().invoke(cli, [*argv, "--format", "json"])
    try:  # stdout only: the "more articles match" note goes to stderr
        return len(json.loads(getattr(res, "stdout", res.output)))
    except ValueError:
        return 0


def profile(argv: list[str], module: str, top: int = 25) -> str:
    """cProfile of one in-process run: where the time of a missed target goes (cumulative)."""
    import cProfile
    import io
    import pstats

    from click.testing import CliRunner

    importlib.import_module(module)
    from narratives.cli import cli

    prof = cProfile.Profile()
    cwd = os.getcwd()
    os.chdir(REPO)
    try:
        prof.runcall(CliRunner().invoke, cli, argv)
    finally:
        os.chdir(cwd)
    out = io.StringIO()
    pstats.Stats(prof, stream=out).sort_stats("cumulative").print_stats(top)
    text = out.getvalue()
    return text[text.find("   ncalls"):].rstrip() if "   ncalls" in text else text


def print_report(result: dict) -> None:
    s = result["store"]
    print(f"\n### Research commands on a {s['articles']:,}-article store (medians of the runs)\n")
    print(f"Store: {s['articles']:,} articles from {s['outlets']} outlets over {s['days']:g} days ending {s['end']}, "
          f"{s['counts']['events']:,} events, {s['compared_events']:,} compared ({s['counts']['omissions']:,} verdicts), "
          f"{s['counts']['fetches']:,} fetches; {s['store_mb']:,.0f} MB; built in {s['build_s']:.0f} s; opened "
          f"(schema upgrade) in {s['open_s']:.1f} s.\n")
    print("| command | target s | wall s (runs) | in-process s | CPU s | others' CPU s | load | result |")
    print("|---|---|---|---|---|---|---|---|")
    for r in result["results"]:
        if "median" not in r:
            print(f"| {r['name']} | {r['target_s']:g} | — | — | — | — | — | {r.get('note', 'not run')} |")
            continue
        m = r["median"]
        walls = ", ".join(f"{x['wall_s']:.2f}" for x in r["runs"])
        load = max(x["load1"] for x in r["runs"])
        verdict = ("met" if r["met"] else "MISSED") + ("" if r["ok"] else ", FAILED CHECK")
        print(f"| {r['name']} | {r['target_s']:g} | {m['wall_s']:.3f} ({walls}) | {r['in_process']['median_s']:.3f} | "
              f"{m['cpu_s']:.2f} | {m['other_cpu_s']:.2f} | {load:.1f} | {verdict} |")
    st = result["startup_s"]
    print(f"\nStart-up: `python -c pass` {st['python -c pass']:.3f} s, `narratives --help` {st['narratives --help']:.3f} s "
          "(interpreter + imports of the CLI; the in-process column leaves them out).")
    for note in result["notes"]:
        print(f"note: {note}")
    print(f"\nmachine: {result['machine']}; load average at start {result['loadavg_start']}, at end {result['loadavg_end']}\ncommand: {result['command']}; "
          f"took {result['took_s']:.0f} s")


if __name__ == "__main__":
    sys.exit(main())
