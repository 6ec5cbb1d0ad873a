"""The command line through its real entry point (`python -m narratives`), against loopback
feeds and a SQLite file in tmp_path: exit codes, output formats, and that bad configuration
writes nothing."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import feeds_yaml, item, items, rss_doc, run_cli

from narratives.cli import COMMANDS, all_commands, cli
from narratives.loopback import send, static
from narratives.models import SCHEMA_VERSION

SUMMARY_KEYS = {"outlet", "feed", "url", "outcome", "http_status", "new", "changed", "seen",
                "seconds", "next_fetch_at", "error"}
HEALTH_KEYS = {"outlet", "feed", "status", "last_success_at", "last_error_at", "failure_count",
               "articles", "next_fetch_at", "last_error", "url"}


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def query(db: Path, sql: str, *params) -> list[tuple]:
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return con.execute(sql, params).fetchall()
    finally:
        con.close()


def dump(db: Path) -> list[str]:
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return list(con.iterdump())
    finally:
        con.close()


def cli_run(tmp_path: Path, *args: str, **kw):
    """run_cli from tmp_path, so a missing --db can never write into the repository."""
    return run_cli(*args, cwd=tmp_path, **kw)


def failing_route(status: int = 500):
    def route(req):
        send(req, status, b"server trouble", {"Content-Type": "text/plain"})
    return route


# --- help -------------------------------------------------------------------------

def test_top_level_help_through_entry_point():
    r = run_cli("--help")
    assert r.returncode == 0, r.stderr
    assert "Example:" in r.stdout
    for name in all_commands():
        assert name in r.stdout


def test_every_command_help_has_an_example():
    commands = all_commands()
    assert set(COMMANDS) == set(commands), "a command is defined outside cli.COMMANDS"
    assert {"init", "collect", "feeds", "demo", "search", "sql", "export", "report"} <= set(commands)
    runner = CliRunner()
    for name in commands:
        result = runner.invoke(cli, [name, "--help"])
        assert result.exit_code == 0, (name, result.output)
        assert "Example:" in result.output, f"`narratives {name} --help` has no Example: section"
        example = result.output.split("Example:", 1)[1]
        assert f"narratives {name}" in example, f"the example of {name} does not show {name}"


# --- init -------------------------------------------------------------------------

def test_init_creates_store_and_registers_feeds(tmp_path):
    cfg = write(tmp_path / "feeds.yaml", feeds_yaml(
        {"alpha": ["http://127.0.0.1:9/a.xml", "http://127.0.0.1:9/b.xml"],
         "beta": ["http://127.0.0.1:9/c.xml"]}, affiliation="public-service"))
    db = tmp_path / "sub" / "store.db"  # a bare path (SQLite) in a folder that does not exist yet
    r = cli_run(tmp_path, "init", "--db", str(db), "--feeds", str(cfg))
    assert r.returncode == 0, r.stderr
    assert "2 outlets, 3 feeds" in r.stdout
    assert f"sqlite:///{db}" in r.stdout
    assert query(db, "SELECT id, name, affiliation FROM outlets ORDER BY id") == [
        ("alpha", "Outlet ALPHA", "public-service"), ("beta", "Outlet BETA", "public-service")]
    assert query(db, "SELECT outlet_id, url, name, status FROM feeds ORDER BY url") == [
        ("alpha", "http://127.0.0.1:9/a.xml", "f0", "active"),
        ("alpha", "http://127.0.0.1:9/b.xml", "f1", "active"),
        ("beta", "http://127.0.0.1:9/c.xml", "f0", "active")]
    assert query(db, "SELECT value FROM meta WHERE key = 'schema_version'") == [(str(SCHEMA_VERSION),)]
    # Running it again is harmless: same rows, nothing duplicated.
    r = cli_run(tmp_path, "init", "--db", str(db), "--feeds", str(cfg))
    assert r.returncode == 0, r.stderr
    assert query(db, "SELECT COUNT(*) FROM feeds") == [(3,)]


def test_init_reads_db_from_environment_and_url(tmp_path):
    cfg = write(tmp_path / "feeds.yaml", feeds_yaml({"alpha": ["http://127.0.0.1:9/a.xml"]}))
    env_db = tmp_path / "env.db"
    r = cli_run(tmp_path, "init", "--feeds", str(cfg), env={"NARRATIVES_DB": str(env_db)})
    assert r.returncode == 0, r.stderr
    assert query(env_db, "SELECT id FROM outlets") == [("alpha",)]
    assert not (tmp_path / "storage").exists(), "NARRATIVES_DB was ignored: default store used"

    url_db = tmp_path / "url.db"
    r = cli_run(tmp_path, "init", "--db", f"sqlite:///{url_db}", "--feeds", str(cfg),
                env={"NARRATIVES_DB": str(tmp_path / "other.db")})
    assert r.returncode == 0, r.stderr
    assert query(url_db, "SELECT id FROM outlets") == [("alpha",)]
    assert not (tmp_path / "other.db").exists(), "--db must win over NARRATIVES_DB"


# --- collect ----------------------------------------------------------------------

def test_collect_exit_codes_schedule_and_force(tmp_path, server):
    urls = [server.add(f"/f{i}.xml", static(rss_doc(items(4, start=10 * i)))) for i in range(3)]
    cfg = write(tmp_path / "feeds.yaml", feeds_yaml({"alpha": urls[:2], "beta": urls[2:]}))
    db = tmp_path / "store.db"
    base = ("collect", "--db", str(db), "--feeds", str(cfg), "--workers", "0", "--timeout", "5")

    r = cli_run(tmp_path, *base)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "3 of 3 due feeds fetched" in r.stdout
    assert "12 new articles" in r.stdout and "0 feeds failed" in r.stdout
    summary_rows = [line for line in r.stdout.splitlines() if line.startswith("│ ") and
                    line.split("│")[1].strip() in ("alpha", "beta")]  # per-feed table rows
    assert sorted(line.split("│")[1].strip() for line in summary_rows) == ["alpha", "alpha", "beta"]
    assert all(line.split("│")[3].strip() == "ok" for line in summary_rows), r.stdout
    assert query(db, "SELECT COUNT(*) FROM articles") == [(12,)]

    r = cli_run(tmp_path, *base)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "No feeds are due" in r.stdout
    assert sum(server.hits.values()) == 3
    assert query(db, "SELECT COUNT(*) FROM fetches") == [(3,)]

    r = cli_run(tmp_path, *base, "--force", "--format", "json")
    assert r.returncode == 0, r.stdout + r.stderr
    rows = json.loads(r.stdout)
    assert sorted(row["outcome"] for row in rows) == ["not_modified"] * 3
    assert all(row["http_status"] == 304 and row["new"] == 0 for row in rows)
    assert sum(server.hits.values()) == 6
    assert query(db, "SELECT COUNT(*) FROM fetches") == [(6,)]
    assert query(db, "SELECT COUNT(*) FROM articles") == [(12,)]

    r = cli_run(tmp_path, "feeds", "--db", str(db), "--failing")
    assert r.returncode == 0 and "No failing feeds" in r.stdout, r.stdout + r.stderr


def test_collect_one_failing_feed_exits_1_and_stores_the_rest(tmp_path, server):
    good = [server.add(f"/ok{i}.xml", static(rss_doc(items(3, start=10 * i)))) for i in range(2)]
    bad = server.add("/broken.xml", failing_route(500))
    cfg = write(tmp_path / "feeds.yaml", feeds_yaml({"alpha": good, "beta": [bad]}))
    db = tmp_path / "store.db"
    r = cli_run(tmp_path, "collect", "--db", str(db), "--feeds", str(cfg), "--workers", "0",
                "--timeout", "5")
    assert r.returncode == 1, r.stdout + r.stderr
    assert "1 feeds failed" in r.stdout and "6 new articles" in r.stdout
    assert "500" in r.stdout
    assert query(db, "SELECT outlet_id, COUNT(*) FROM articles GROUP BY outlet_id") == [("alpha", 6)]
    status = dict(query(db, "SELECT url, status FROM feeds"))
    assert status == {good[0]: "active", good[1]: "active", bad: "failing"}
    (error_class, message), = query(
        db, "SELECT error_class, error_message FROM fetches f JOIN feeds d ON d.id = f.feed_id "
            "WHERE d.url = ?", bad)
    assert error_class == "http_status" and "500" in message


def test_collect_json_has_documented_keys(tmp_path, server):
    ok = server.add("/ok.xml", static(rss_doc(items(5))))
    bad = server.add("/gone.xml", failing_route(404))
    cfg = write(tmp_path / "feeds.yaml", feeds_yaml({"alpha": [ok], "beta": [bad]}))
    db = tmp_path / "store.db"
    r = cli_run(tmp_path, "collect", "--db", str(db), "--feeds", str(cfg), "--workers", "0",
                "--timeout", "5", "--format", "json")
    assert r.returncode == 1, r.stderr
    rows = json.loads(r.stdout)
    assert len(rows) == 2
    for row in rows:
        assert set(row) == SUMMARY_KEYS
    by_outlet = {row["outlet"]: row for row in rows}
    good, failed = by_outlet["alpha"], by_outlet["beta"]
    assert (good["feed"], good["url"], good["outcome"], good["http_status"]) == ("f0", ok, "ok", 200)
    assert (good["new"], good["changed"], good["seen"], good["error"]) == (5, 0, 5, None)
    assert isinstance(good["seconds"], float | int) and 0 <= good["seconds"] < 5
    assert good["next_fetch_at"].endswith("Z") and good["next_fetch_at"][:2] == "20"
    assert (failed["outcome"], failed["http_status"], failed["new"]) == ("error", 404, 0)
    assert "404" in failed["error"] and "beta" in failed["error"]
    assert failed["next_fetch_at"].endswith("Z")


def test_collect_outlet_filter_and_unknown_outlet(tmp_path, server):
    a = server.add("/a.xml", static(rss_doc(items(2))))
    b = server.add("/b.xml", static(rss_doc(items(2, start=5))))
    cfg = write(tmp_path / "feeds.yaml", feeds_yaml({"alpha": [a], "beta": [b]}))
    db = tmp_path / "store.db"
    base = ("collect", "--db", str(db), "--feeds", str(cfg), "--workers", "0", "--timeout", "5")
    r = cli_run(tmp_path, *base, "--outlet", "beta", "--format", "json")
    assert r.returncode == 0, r.stderr
    assert [row["outlet"] for row in json.loads(r.stdout)] == ["beta"]
    assert server.hits["/a.xml"] == 0 and server.hits["/b.xml"] == 1
    assert query(db, "SELECT DISTINCT outlet_id FROM articles") == [("beta",)]

    before = dump(db)
    r = cli_run(tmp_path, *base, "--outlet", "nosuch")
    assert r.returncode == 2, r.stdout + r.stderr
    assert "nosuch" in r.stderr and "Fix:" in r.stderr
    assert server.hits["/a.xml"] == 0
    assert dump(db) == before


# --- bad configuration writes nothing ---------------------------------------------

GOOD = feeds_yaml({"alpha": ["http://127.0.0.1:9/a.xml"], "beta": ["http://127.0.0.1:9/b.xml"]})


def _bad_configs() -> dict[str, tuple[str, str, str]]:
    """name -> (yaml text, marker of the offending line, key the message must name)."""
    unknown = GOOD.replace("    owner: Test owner\n", "    owner: Test owner\n    colour: red\n", 1)
    affiliation = GOOD.replace("affiliation: independent", "affiliation: state-ish", 1)
    duplicate = GOOD.replace("  - id: beta", "  - id: alpha")
    ftp = GOOD.replace("http://127.0.0.1:9/b.xml", "ftp://127.0.0.1/b.xml")
    return {
        "unknown-key": (unknown, "colour: red", "outlets[0].colour"),
        "bad-affiliation": (affiliation, "state-ish", "outlets[0] (alpha).affiliation"),
        "duplicate-id": (duplicate, "  - id: alpha\n    name: Outlet BETA", "outlets[1].id"),
        "non-http-url": (ftp, "ftp://", "outlets[1] (beta).feeds[0].url"),
    }


BAD = _bad_configs()


def _line_of(text: str, marker: str) -> int:
    assert text.count(marker) == 1, marker
    return text[:text.index(marker)].count("\n") + 1


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_config_exits_2_names_line_and_writes_nothing(tmp_path, case):
    text, marker, key = BAD[case]
    cfg = write(tmp_path / "feeds.yaml", text)
    line = _line_of(text, marker)
    # Both commands meet both situations across the four cases (two runs per case keep it fast).
    on_fresh, on_existing = ("init", "collect") if sorted(BAD).index(case) % 2 else ("collect", "init")

    fresh = tmp_path / "fresh.db"
    r = cli_run(tmp_path, on_fresh, "--db", str(fresh), "--feeds", str(cfg))
    assert r.returncode == 2, (r.stdout, r.stderr)
    assert f"{cfg}:{line}:" in r.stderr, r.stderr
    assert key in r.stderr and "Fix:" in r.stderr, r.stderr
    assert not r.stdout.strip(), r.stdout
    leftovers = sorted(p.name for p in tmp_path.iterdir() if p.name != "feeds.yaml")
    assert leftovers == [], f"{on_fresh} with a bad config wrote {leftovers}"

    # A store that already exists is left exactly as it was.
    existing = tmp_path / "existing.db"
    good_cfg = write(tmp_path / "good.yaml", GOOD)
    assert CliRunner().invoke(cli, ["init", "--db", str(existing), "--feeds", str(good_cfg)]).exit_code == 0
    before = dump(existing)
    r = cli_run(tmp_path, on_existing, "--db", str(existing), "--feeds", str(cfg))
    assert r.returncode == 2, (r.stdout, r.stderr)
    assert f"{cfg}:{line}:" in r.stderr and key in r.stderr and "Fix:" in r.stderr, r.stderr
    assert dump(existing) == before, f"{on_existing} changed the store despite a bad config"
    assert not (tmp_path / "existing.db.lock").exists()


# --- feeds ------------------------------------------------------------------------

@pytest.fixture
def collected(tmp_path, server):
    """A store after one collect: alpha has two good feeds, beta one failing feed."""
    good = [server.add("/ok0.xml", static(rss_doc(items(3)))),
            server.add("/ok1.xml", static(rss_doc([item(i) for i in range(2, 6)])))]
    bad = server.add("/broken.xml", failing_route(503))
    cfg = write(tmp_path / "feeds.yaml", feeds_yaml({"alpha": good, "beta": [bad]}))
    db = tmp_path / "store.db"
    r = cli_run(tmp_path, "collect", "--db", str(db), "--feeds", str(cfg), "--workers", "0",
                "--timeout", "5")
    assert r.returncode == 1, r.stdout + r.stderr
    return db, good, bad


def test_feeds_formats_show_health(tmp_path, collected):
    db, good, bad = collected
    r = cli_run(tmp_path, "feeds", "--db", str(db), "--format", "json")
    assert r.returncode == 0, r.stderr
    rows = json.loads(r.stdout)
    assert all(set(row) == HEALTH_KEYS for row in rows)
    by_url = {row["url"]: row for row in rows}
    assert set(by_url) == {*good, bad}
    # ok0 carries items 0-2; ok1 items 2-5. Item 2 is one article, credited to whichever
    # feed committed first: 6 articles in all, split 3/3 or 2/4.
    counts = sorted(by_url[u]["articles"] for u in good)
    assert counts in ([3, 3], [2, 4])
    for u in good:
        row = by_url[u]
        assert (row["status"], row["failure_count"], row["last_error"]) == ("active", 0, None)
        assert row["last_success_at"].endswith("Z") and row["next_fetch_at"].endswith("Z")
    broken = by_url[bad]
    assert (broken["status"], broken["failure_count"], broken["articles"]) == ("failing", 1, 0)
    assert broken["last_success_at"] is None and "503" in broken["last_error"]
    assert broken["last_error_at"].endswith("Z") and broken["next_fetch_at"].endswith("Z")

    r = cli_run(tmp_path, "feeds", "--db", str(db), "--format", "csv")
    assert r.returncode == 0, r.stderr
    records = list(csv.DictReader(io.StringIO(r.stdout)))
    assert set(records[0]) == HEALTH_KEYS
    assert {rec["url"]: (rec["status"], int(rec["articles"]), rec["failure_count"]) for rec in records} == {
        good[0]: ("active", by_url[good[0]]["articles"], "0"),
        good[1]: ("active", by_url[good[1]]["articles"], "0"), bad: ("failing", 0, "1")}
    assert [rec["last_error"] for rec in records if rec["url"] == bad][0] == broken["last_error"]

    r = cli_run(tmp_path, "feeds", "--db", str(db), "--format", "md")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.strip().splitlines()
    header = [c.strip() for c in lines[0].strip("|").split("|")]
    assert set(header) == HEALTH_KEYS and set(lines[1]) <= {"|", "-"}
    table = [dict(zip(header, (c.strip() for c in line.strip().strip("|").split(" | ")), strict=True))
             for line in lines[2:]]
    assert {t["url"]: (t["status"], int(t["articles"])) for t in table} == {
        good[0]: ("active", by_url[good[0]]["articles"]),
        good[1]: ("active", by_url[good[1]]["articles"]), bad: ("failing", 0)}
    assert all(t["next_fetch_at"][:2] == "20" for t in table)

    # At 80 columns rich folds ten columns into slivers ("faili|ng"); read a wide table.
    r = cli_run(tmp_path, "feeds", "--db", str(db), env={"COLUMNS": "200"})
    assert r.returncode == 0, r.stderr
    body = [line for line in r.stdout.splitlines() if any(u in line for u in (*good, bad))]
    assert len(body) == 3, r.stdout
    assert [("failing" in line, "active" in line) for line in body] == [
        (False, True), (False, True), (True, False)]


def test_feeds_failing_filter(tmp_path, collected):
    db, _good, bad = collected
    r = cli_run(tmp_path, "feeds", "--db", str(db), "--failing", "--format", "json")
    assert r.returncode == 0, r.stderr
    rows = json.loads(r.stdout)
    assert [(row["url"], row["status"]) for row in rows] == [(bad, "failing")]
    r = cli_run(tmp_path, "feeds", "--db", str(db), "--failing", env={"COLUMNS": "200"})
    assert r.returncode == 0, r.stderr
    assert bad in r.stdout and "alpha" not in r.stdout


# --- demo -------------------------------------------------------------------------

def test_demo_runs_twice_and_fills_a_store(tmp_path):
    db = tmp_path / "demo.db"
    for _ in range(2):  # the second run replaces the store instead of failing or doubling it
        r = cli_run(tmp_path, "demo", "--db", str(db), timeout=120)
        assert r.returncode == 0, r.stdout + r.stderr
        assert str(db) in "".join(r.stdout.split()), r.stdout  # rich may wrap a long path
        assert query(db, "SELECT COUNT(*) FROM outlets")[0][0] >= 6
        articles = query(db, "SELECT COUNT(*) FROM articles")[0][0]
        assert articles >= 100
        assert query(db, "SELECT COUNT(*) FROM (SELECT outlet_id, item_key FROM articles "
                         "GROUP BY 1, 2 HAVING COUNT(*) > 1)") == [(0,)]
        assert query(db, "SELECT COUNT(*) FROM feeds WHERE status != 'active'") == [(0,)]
