"""`narratives compare EVENT`'s fast path: the same output as the ordinary path, without SQLAlchemy.

On the demo pipeline's store: the side-by-side view read through a read-only sqlite3
connection equals, value for value and type for type, the one read through a Session;
the command prints the same bytes in every format either way; in a real process it
imports no SQLAlchemy, numpy, SciPy or scikit-learn; and whatever the fast path cannot
answer (an older schema, a busy store, a stale comparison) is left to the ordinary path.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import fingerprint, pipeline_copy
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

import narratives.cli_compare
from narratives.cli import cli
from narratives.compare_current import KEY, file_sha256
from narratives.compare_view import event_comparison, stored_comparison
from narratives.dbread import open_current
from narratives.facts_config import default_facts_path
from narratives.storefile import SCHEMA_VERSION

FORMATS = ("table", "md", "json", "csv")
HEAVY = ("sqlalchemy", "numpy", "scipy", "sklearn")
SETTINGS = {"min_support": 2, "min_support_attributed": 1, "claims": True}


def invoke(*args: str):
    """A command in process; wide, so rich does not wrap the text under test."""
    return CliRunner(env={"COLUMNS": "250"}).invoke(cli, list(args), catch_exceptions=False)


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> tuple[Path, Path]:
    """A copy of the demo store, compared once through the command so it records the facts file."""
    folder = tmp_path_factory.mktemp("fast")
    path = pipeline_copy(folder)
    facts = folder / "facts.yaml"
    facts.write_bytes(default_facts_path().read_bytes())
    assert invoke("compare", "--db", str(path), "--facts", str(facts)).exit_code == 0
    return path, facts


def current_events(path: Path) -> dict[str, int]:
    """Events whose stored comparison stays current (window closed), one per kind of content."""
    # read-only: closing the last read-write connection would checkpoint the WAL into the file
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    closed = "SELECT event_id FROM event_comparisons WHERE window_end <= compared_at"
    kinds = {
        "claims": f"SELECT event_id FROM omissions WHERE kind = 'claim' AND event_id IN ({closed})",
        "not covered": f"SELECT event_id FROM omissions WHERE verdict = 'not_covered' AND event_id IN ({closed})",
        "agentless": f"SELECT event_id FROM omissions WHERE verdict = 'agentless' AND event_id IN ({closed})",
        "thin": "SELECT ea.event_id FROM article_facts af JOIN event_articles ea ON ea.article_id = af.article_id "
                f"WHERE af.thin AND ea.event_id IN ({closed})",
        "linked": f"SELECT event_id FROM event_links WHERE event_id IN ({closed})",
        "unresolved": "SELECT ea.event_id FROM fact_mentions m JOIN event_articles ea ON ea.article_id = m.article_id "
                      f"WHERE m.state = 'unresolved' AND ea.event_id IN ({closed})",
        "model": "SELECT ea.event_id FROM fact_mentions m JOIN event_articles ea ON ea.article_id = m.article_id "
                 f"WHERE (m.action_term LIKE '(model %' OR m.actor_term LIKE '(model %') AND ea.event_id IN ({closed})",
    }
    found = {kind: con.execute(sql + " ORDER BY 1 LIMIT 1").fetchone() for kind, sql in kinds.items()}
    con.close()
    assert all(found.values()), found  # the demo has each kind: the comparison below covers them all
    return {kind: row[0] for kind, row in found.items()}


def strict(value):
    """``value`` with every leaf tagged by its type: True == 1 and a datetime != its text."""
    if isinstance(value, dict):
        return {k: strict(v) for k, v in value.items()}
    if isinstance(value, list):
        return [strict(v) for v in value]
    return (type(value).__name__, value)


def test_the_view_is_the_same_through_either_connection(demo):
    path, _facts = demo
    con = open_current(path)
    engine = create_engine(f"sqlite:///{path}")
    try:
        last = con.execute("SELECT max(id) FROM events").fetchone()[0]
        with Session(engine) as s:
            for event_id in range(1, last + 2):
                fast, ordinary = event_comparison(con, event_id), event_comparison(s, event_id)
                assert strict(fast) == strict(ordinary), event_id
                assert json.dumps(fast, default=str) == json.dumps(ordinary, default=str)  # and the key order
        view = event_comparison(con, current_events(path)["linked"])
    finally:
        con.close()
        engine.dispose()
    # The types SQLAlchemy's columns give, which the renderers rely on.
    assert all(isinstance(view["event"][k], datetime) for k in ("first_published", "last_published"))
    assert all(isinstance(view["comparison"][k], datetime) for k in ("compared_at", "window_start", "window_end"))
    articles = [a for o in view["outlets"] for a in o["articles"]]
    assert all(isinstance(a["published_at"], datetime) and isinstance(a["thin"], bool) for a in articles)
    assert any(isinstance(a["linked"], float) for a in articles)
    assert all(isinstance(v["linked"], bool) and isinstance(v["event_last_published"], datetime)
               for v in view["verdicts"])


def test_compare_event_prints_the_same_bytes_on_either_path(demo, monkeypatch):
    path, facts = demo
    events = current_events(path)
    before = fingerprint(path)
    taken = []
    real = narratives.cli_compare.stored_comparison

    def spy(*args):
        result = real(*args)
        taken.append(result[0])
        return result

    monkeypatch.setattr(narratives.cli_compare, "stored_comparison", spy)
    shown = {}
    for kind, event_id in events.items():
        for fmt in FORMATS:
            r = invoke("compare", str(event_id), "--db", str(path), "--facts", str(facts), "--format", fmt)
            assert r.exit_code == 0, (kind, fmt, r.output)
            shown[event_id, fmt] = r.stdout
    assert taken and all(taken)  # every one of them was read on the fast path
    assert fingerprint(path) == before  # which never writes
    monkeypatch.setattr(narratives.cli_compare, "stored_comparison", lambda *a: (False, None))
    for (event_id, fmt), fast in shown.items():
        r = invoke("compare", str(event_id), "--db", str(path), "--facts", str(facts), "--format", fmt)
        assert r.exit_code == 0 and r.stderr == ""  # nothing was compared again
        assert r.stdout == fast, (event_id, fmt)


def probe(path: Path, facts: Path, event_id: int, fmt: str) -> tuple[str, set[str]]:
    """`narratives compare EVENT` in a fresh interpreter: its stdout and the top-level
    packages it imported (``-X importtime`` lists every module imported)."""
    env = {**os.environ, "COLUMNS": "250"}
    env.pop("NARRATIVES_DB", None)
    r = subprocess.run([sys.executable, "-X", "importtime", "-m", "narratives", "compare", str(event_id),
                        "--db", str(path), "--facts", str(facts), "--format", fmt],
                       capture_output=True, text=True, timeout=120, env=env)
    assert r.returncode == 0, r.stderr[-2000:]
    imported = {line.rsplit("|", 1)[1].strip().split(".")[0] for line in r.stderr.splitlines()
                if line.startswith("import time:") and "|" in line}
    assert "narratives" in imported  # the probe reads what it should
    return r.stdout, imported


@pytest.mark.slow
def test_a_current_comparison_is_shown_without_sqlalchemy_numpy_or_sklearn(demo, tmp_path):
    path, facts = demo
    event_id = current_events(path)["claims"]
    for fmt in FORMATS:
        out, imported = probe(path, facts, event_id, fmt)
        assert not imported & set(HEAVY), (fmt, sorted(imported & set(HEAVY)))
        assert out == invoke("compare", str(event_id), "--db", str(path), "--facts", str(facts),
                             "--format", fmt).stdout
    # The same probe on a store that did not record the facts file takes the ordinary path,
    # which imports SQLAlchemy: the probe sees it.
    copy = pipeline_copy(tmp_path)
    out, imported = probe(copy, facts, event_id, "json")
    assert "sqlalchemy" in imported
    assert json.loads(out)["event"]["id"] == event_id


def test_what_the_fast_path_cannot_answer_goes_the_ordinary_way(demo, tmp_path):
    path, facts = demo
    sha = file_sha256(facts)
    event_id = current_events(path)["claims"]
    current, view = stored_comparison(path, sha, SETTINGS, event_id)
    assert current and view["event"]["id"] == event_id
    assert stored_comparison(path, sha, {**SETTINGS, "min_support": 3}, event_id) == (False, None)
    assert stored_comparison(path, "other bytes", SETTINGS, event_id) == (False, None)
    assert stored_comparison(path, sha, SETTINGS, 10_000) == (True, None)  # no such event: said so, fast
    expected = invoke("compare", str(event_id), "--db", str(path), "--facts", str(facts), "--format", "json").stdout

    def changed(name: str, *sql: str) -> Path:
        copy = tmp_path / name
        src, dst = sqlite3.connect(path), sqlite3.connect(copy)
        src.backup(dst)  # with what is still in the WAL
        for statement in sql:
            dst.execute(statement)
        dst.commit()
        src.close()
        dst.close()
        return copy

    assert stored_comparison(changed("same.db"), sha, SETTINGS, event_id)[0]  # a copy reads as the original
    older = changed("older.db", f"UPDATE meta SET value = '{SCHEMA_VERSION - 1}' WHERE key = 'schema_version'")
    assert stored_comparison(older, sha, SETTINGS, event_id) == (False, None)
    r = invoke("compare", str(event_id), "--db", str(older), "--facts", str(facts), "--format", "json")
    assert r.stdout == expected  # the ordinary path upgraded the store, found it current, showed it
    assert stored_comparison(older, sha, SETTINGS, event_id)[0]  # and now it is read fast
    forgotten = changed("forgotten.db", f"DELETE FROM meta WHERE key = '{KEY}'")
    assert stored_comparison(forgotten, sha, SETTINGS, event_id) == (False, None)
    stale = changed("stale.db", "UPDATE articles SET updated_at = '2999-01-01 00:00:00.000000' WHERE id IN "
                                f"(SELECT article_id FROM event_articles WHERE event_id = {event_id})")
    assert stored_comparison(stale, sha, SETTINGS, event_id) == (False, None)
    # A store a writer holds exclusively (rollback journal: readers wait): not waited on for long.
    busy = changed("busy.db")
    holder = sqlite3.connect(busy, isolation_level=None)
    assert holder.execute("PRAGMA journal_mode = DELETE").fetchone() == ("delete",)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        started = time.monotonic()
        assert stored_comparison(busy, sha, SETTINGS, event_id) == (False, None)
        assert time.monotonic() - started < 10
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert stored_comparison(busy, sha, SETTINGS, event_id)[0]
