"""benchmarks/bench_research.py must keep running: a tiny store, one run per command, no timing targets."""

import json
import re
import sqlite3
import subprocess
import sys

import pytest
from conftest import REPO


def _bench():
    sys.path.insert(0, str(REPO / "benchmarks"))
    try:
        import bench_research
    finally:
        sys.path.remove(str(REPO / "benchmarks"))
    return bench_research


def test_fact_sentences_carry_their_facts_as_the_catalogue_reads_them():
    """Each planted sentence gives its fact the state the generator means (attributed / agentless)."""
    from narratives.facts import FactMatcher, load_facts

    bench = _bench()
    matcher = FactMatcher(load_facts(REPO / "facts.yaml"))
    for theatre, facts in bench.FACT_SENTENCES.items():
        where = {"P": "Velkorband", "T": bench.THEATRE_PLACES[theatre][0], "n": 7}
        for fact_id, attributed, agentless in facts:
            for template, state in ((attributed, "attributed"), (agentless, "agentless")):
                if template is None:
                    continue
                sentence = template.format(**where)
                found = {(m.fact_id, m.state) for m in matcher.mentions(["Sample headline", sentence])}
                assert (fact_id, state) in found, (sentence, found)


@pytest.mark.slow
def test_bench_research_tiny_run_reports_every_command(tmp_path):
    store, out = tmp_path / "store.db", tmp_path / "result.json"
    cmd = [sys.executable, str(REPO / "benchmarks" / "bench_research.py"), "--articles", "800", "--days", "4",
           "--compare-days", "2", "--chunk", "400", "--repeat", "1", "--store", str(store), "--json", str(out)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600, cwd=REPO)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    result = json.loads(out.read_text())

    s = result["store"]
    assert s["articles"] == s["counts"]["articles"] == s["counts"]["event_articles"] == 800
    assert 0 < s["compared_events"] == s["counts"]["event_comparisons"] <= s["counts"]["events"] < 800
    assert s["counts"]["fetches"] == 40 * 4 * 48 and s["counts"]["omissions"] > 0
    assert s["verdicts"].get("omitted", 0) > 0  # the planted fact sentences are found and compared
    assert s["build_s"] > 0 and s["store_mb"] > 0 and s["fts"] in (True, False)
    assert (tmp_path / "store.db.json").exists() and (tmp_path / "store.db.facts.yaml").exists()

    names = [r["name"] for r in result["results"]]
    assert [n for n in names if n.startswith("search")] == [
        "search common word", "search rare word", "search phrase", "search prefix", "search boolean",
        "search common word --outlet", "search common word --since 7d"]
    assert any(n.startswith("compare EVENT (typical") for n in names)
    assert any(n.startswith("report --since") for n in names)
    for r in result["results"]:
        assert r["target_s"] == {"search": 0.5, "compare": 1.0, "report": 30.0}[r["group"]]
        assert r["command"].startswith("narratives " + r["group"])
        if "runs" not in r:  # a command not written yet (or compare on a stale store): said why
            assert r["state"] == "missing" or "not timed" in r["note"], r
            continue
        (run,) = r["runs"]
        assert run["exit"] == 0 and run["ok"] and r["ok"], r
        assert run["wall_s"] > 0 and r["median"]["wall_s"] == run["wall_s"]
        assert r["in_process"]["median_s"] > 0 and isinstance(r["met"], bool)
        if r["group"] == "search":
            assert r["hits"] > 0
    assert result["startup_s"]["python -c pass"] > 0 and result["startup_s"]["narratives --help"] > 0
    assert len(result["loadavg_start"]) == 3 and result["machine"]

    # The printed report: one table row per command, and the start-up line.
    for name in names:
        assert re.search(rf"^\| {re.escape(name)} \| [\d.]+ \| ", proc.stdout, re.M), name
    assert "Start-up: `python -c pass`" in proc.stdout

    # A second run reuses the cached store instead of building it again.
    again = subprocess.run(cmd[:-2] + ["--commands", "compare"], capture_output=True, text=True, timeout=300,
                           cwd=REPO)
    assert again.returncode == 0, again.stdout[-3000:] + again.stderr[-3000:]
    assert "reusing the store built" in again.stdout and "building the store" not in again.stdout
    with sqlite3.connect(store) as conn:
        assert conn.execute("SELECT COUNT(*) FROM runs WHERE kind = 'cluster' AND status = 'done'").fetchone()[0] == 1
    conn.close()


def test_refuses_a_store_inside_the_repository():
    proc = subprocess.run([sys.executable, str(REPO / "benchmarks" / "bench_research.py"), "--store",
                           str(REPO / "storage" / "bench.db")], capture_output=True, text=True, timeout=60, cwd=REPO)
    assert proc.returncode == 2 and "inside the repository" in proc.stderr
