"""The benchmarks must keep running: tiny rounds, correctness checks only, no timing targets."""

import json
import re
import sqlite3
import subprocess
import sys
from datetime import timedelta

import pytest
from conftest import REPO

FEEDS, ITEMS = 50, 50  # what --quick serves


@pytest.mark.slow
def test_bench_collect_quick_round_verifies_article_counts():
    proc = subprocess.run([sys.executable, str(REPO / "benchmarks" / "bench_collect.py"), "--quick",
                           "--repeat", "1"], capture_output=True, text=True, timeout=120, cwd=REPO)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    total = FEEDS * ITEMS
    # Both skip paths ran: half the feeds answered 304, the other half resent the same body.
    expected = (f"verify round 1: articles after first collect {total}/{total}, after forced "
                f"re-collect {total}/{total}, naive {total}/{total}; re-collect outcomes "
                f"{{'not_modified': {FEEDS // 2}, 'unchanged': {FEEDS // 2}}}: OK")
    assert expected in proc.stdout, proc.stdout
    for target in ("first collect >= 12x faster than naive", "forced re-collect uses >= 5x less CPU",
                   "peak memory <= 300 MB"):
        assert re.search(re.escape(target) + r".*\d+(\.\d)?(x|MB)\s+(met|MISSED)$", proc.stdout, re.M), target
    assert " exited " not in proc.stdout and "Traceback" not in proc.stderr, proc.stdout + proc.stderr


# --- bench_cluster.py -------------------------------------------------------------------


def _bench_cluster():
    sys.path.insert(0, str(REPO / "benchmarks"))
    try:
        import bench_cluster
    finally:
        sys.path.remove(str(REPO / "benchmarks"))
    return bench_cluster


def test_bench_cluster_generator_is_deterministic_and_news_shaped():
    bench = _bench_cluster()
    first = bench.Generator(7, 40).corpus(400, 2.0)
    again = bench.Generator(7, 40).corpus(400, 2.0)
    other = bench.Generator(8, 40).corpus(400, 2.0)
    key = [(r.outlet, r.draft.guid, r.draft.published_at, r.draft.content) for r in first.rows]
    assert key == [(r.outlet, r.draft.guid, r.draft.published_at, r.draft.content) for r in again.rows]
    assert first.gold == again.gold
    assert [r.draft.content for r in other.rows] != [r.draft.content for r in first.rows]

    rows = first.rows
    assert len(rows) == len(first.gold) == 400
    times = [r.draft.published_at for r in rows]
    assert times == sorted(times) and bench.END - timedelta(days=2) <= times[0] and times[-1] <= bench.END
    assert 1 < len(set(first.gold)) == first.n_events < 400  # planted events, some with several articles
    assert len({(r.outlet, r.draft.item_key) for r in rows}) == 400  # unique per outlet, as import needs
    for r in rows:
        assert 6 <= len(r.draft.title.split()) <= 12, r.draft.title
        words = len(r.draft.content.split())
        assert 95 <= words <= 450, words  # 8-15 sentences of 11-23 words, plus sign-offs and attributions
        assert r.draft.summary and r.draft.content.find(r.draft.summary.split(". ")[0][-40:]) >= 0
    # Every outlet signs its articles off with a sentence of its own (the boilerplate to strip).
    by_outlet = {o.id: o for o in first.outlets}
    for r in rows:
        assert any(s.split(" © ")[0] in r.draft.content for s in by_outlet[r.outlet].signoffs), r.draft.content
    # Every article's headline names its planted event; an event's invented person appears in no other
    # event's article (a "Read also:" promo may quote another headline, so the promo is left out).
    for r, g in zip(rows, first.gold, strict=True):
        assert any(name in r.draft.title for name in first.events[g].names), (r.draft.title, first.events[g].names)
    big = max(set(first.gold), key=first.gold.count)
    invented = first.events[big].names[1]
    assert first.gold.count(big) >= 5
    assert not any(invented in (r.draft.title + r.draft.content).split("Read also:")[0]
                   for r, g in zip(rows, first.gold, strict=True) if g != big)


@pytest.mark.slow
def test_bench_cluster_tiny_run_reports_every_scenario(tmp_path):
    out, work = tmp_path / "result.json", tmp_path / "work"
    proc = subprocess.run([sys.executable, str(REPO / "benchmarks" / "bench_cluster.py"), "--sizes", "600,1200",
                           "--add", "50", "--days", "3", "--repeat", "1", "--keep", str(work), "--json", str(out)],
                          capture_output=True, text=True, timeout=180, cwd=REPO)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    result = json.loads(out.read_text())
    scenarios = {s["name"]: s for s in result["scenarios"]}
    assert list(scenarios) == ["cluster 600", "+50 on clustered 600", "cluster 1,200"]
    for name, total, new in (("cluster 600", 600, 600), ("+50 on clustered 600", 650, 50),
                             ("cluster 1,200", 1200, 1200)):
        s = scenarios[name]
        (run,) = s["runs"]
        assert s["ok"] and run["ok"] and run["exit"] == 0, run
        assert s["articles"] == new
        assert run["counts"]["articles"] == run["counts"]["cluster_articles"] == run["counts"]["event_articles"] == total
        assert 0 < run["counts"]["events"] < total
        assert run["wall_s"] > 0 and run["cpu_s"] > 0
        # A Python process with numpy, scipy and sklearn loaded is far above 50 MB; the tree at least that.
        assert run["max_rss_single_mb"] > 50 and run["max_rss_tree_mb"] > 50 and run["processes"] >= 1
        assert s["median"]["wall_s"] == run["wall_s"]
        assert re.fullmatch(r"\d+\.\d+\.\d+\+[0-9a-f]{10}", run["code_version"]), run["code_version"]
    assert scenarios["cluster 1,200"]["days"] == 6  # same publishing rate: twice the articles, twice the days

    quality = result["quality"]
    assert quality["articles"] == 600 and quality["gold_events"] > 50
    assert 0.5 < quality["bcubed"]["f1"] <= 1.0 and 0 < quality["pairwise"]["f1"] <= 1.0

    targets = {t["target"]: t for t in result["targets"]}
    assert list(targets) == ["600 articles: full cluster <= 120 s",
                             "600 articles: peak memory (process tree) <= 2048 MB",
                             "1,200 articles <= 2.3x the 600 time",
                             "+50 new articles on the clustered 600 <= 5 s"]
    assert all(isinstance(t["met"], bool) and t["measured"] > 0 for t in targets.values())

    # The printed report: the Markdown tables with every scenario and target.
    assert "| scenario | articles | days | wall s (runs) |" in proc.stdout
    for name in scenarios:
        assert re.search(rf"^\| {re.escape(name)} \| [\d,]+ \| [\d.]+ \| \d+\.\d\d \(", proc.stdout, re.M), name
    for target in targets:
        assert re.search(rf"^\| {re.escape(target)} \| \d+\.\d+ ?(s|MB|x) \| (met|MISSED) \|$", proc.stdout, re.M), target
    assert "B-cubed" in proc.stdout and "synthetic" in proc.stdout.lower()

    # The stores are what `narratives import` writes: 40 outlets, guid item keys, no feed.
    with sqlite3.connect(work / "n600-clustered.db") as conn:
        assert conn.execute("SELECT COUNT(*) FROM outlets").fetchone()[0] == 40
        assert conn.execute("SELECT COUNT(*) FROM articles WHERE item_key LIKE 'guid:%' AND feed_id IS NULL "
                            "AND language = 'en'").fetchone()[0] == 600
        assert conn.execute("SELECT status, articles_in FROM runs").fetchall() == [("done", 600)]


# --- bench_fulltext.py ------------------------------------------------------------------


@pytest.mark.slow
def test_bench_fulltext_quick_round_checks_every_page():
    proc = subprocess.run([sys.executable, str(REPO / "benchmarks" / "bench_fulltext.py"), "--quick",
                           "--repeat", "1"], capture_output=True, text=True, timeout=180, cwd=REPO)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    # Both runs extracted every page, each text exactly what trafilatura gives on its own.
    for run in ("default workers", "--workers 1"):
        assert (f"verify round 1 ({run}): 40/40 extracted, 40/40 identical to trafilatura's own "
                "text, exit 0: OK") in proc.stdout, proc.stdout
    for label in ("trafilatura.extract, in memory, one process", "fulltext (extraction in a thread): command",
                  "fulltext --workers 1 (extraction in a thread): stage only"):
        assert re.search(re.escape(label) + r"\s+\d+\.\d\d\s+[\d.]+\s+\d\.\d\dx", proc.stdout), label
    assert re.search(r"fulltext command end to end >= 0\.8x raw trafilatura \(pages/s\)\s+\d+\.\d\dx\s+"
                     r"(met|MISSED)$", proc.stdout, re.M), proc.stdout
    assert "Traceback" not in proc.stderr, proc.stderr


# --- bench_second_opinion.py ------------------------------------------------------------


def test_bench_second_opinion_times_both_matchers_on_the_same_events():
    proc = subprocess.run([sys.executable, str(REPO / "benchmarks" / "bench_second_opinion.py"), "--rounds", "2",
                           "--sets", "0"], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "37 events, 174 articles" in out, out
    assert out.count(" / ") == 2 and "rules + model" in out and "ratio " in out, out
