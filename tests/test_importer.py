"""Import of JSON Lines / CSV archives: idempotence, error paths with line numbers."""

from __future__ import annotations

import json
from datetime import datetime

import pytest
from conftest import run_cli
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from narratives.errors import ConfigError
from narratives.evaluate import score_clusters
from narratives.importer import read_rows

NOW = datetime(2026, 11, 25, 12, 0)


def jsonl(path, rows):
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows), "utf-8")
    return path


GOOD = {"id": "a1", "outlet": "tass", "title": "Talks end", "text": "Talks ended today.",
        "url": "https://tass.example/a1?utm_source=x", "published": "2026-11-20T08:30:00+03:00"}


def test_rows_are_normalised(tmp_path):
    rows, problems = read_rows(jsonl(tmp_path / "a.jsonl", [GOOD]), NOW)
    assert problems == []
    (row,) = rows
    assert row.outlet == "tass" and row.draft.guid == "a1" and row.draft.item_key == "guid:a1"
    assert row.draft.url == "https://tass.example/a1"
    assert row.draft.published_at == datetime(2026, 11, 20, 5, 30)  # to naive UTC
    assert row.draft.content == "Talks ended today."


@pytest.mark.parametrize("bad, message", [
    ("{not json", "not valid JSON"),
    ("[1, 2]", "expected a JSON object"),
    ({**GOOD, "id": ""}, "missing id"),
    ({k: v for k, v in GOOD.items() if k != "outlet"}, "missing outlet"),
    ({**GOOD, "text": ""}, "missing text"),
    ({**GOOD, "published": "25/11/2026"}, "published"),
    ({**GOOD, "published": "1850-01-01"}, "before 1991"),
    ({**GOOD, "colour": "red"}, "unknown field(s) colour"),
    ({**GOOD, "affiliation": "state"}, "affiliation 'state'"),
    ({**GOOD, "outlet": "Not A Slug"}, "not a slug"),
    ({**GOOD, "url": "javascript:alert(1)"}, "not an absolute http(s) URL"),
    ({**GOOD, "title": {"x": 1}}, "must be a string"),
])
def test_bad_rows_are_reported_with_line_and_skipped(tmp_path, bad, message):
    path = jsonl(tmp_path / "a.jsonl", [GOOD, bad, {**GOOD, "id": "a3"}])
    rows, problems = read_rows(path, NOW)
    assert [r.draft.guid for r in rows] == ["a1", "a3"]
    assert len(problems) == 1 and problems[0].startswith(f"{path}:2: ") and message in problems[0]


def test_duplicate_ids_in_one_file_are_reported(tmp_path):
    rows, problems = read_rows(jsonl(tmp_path / "a.jsonl", [GOOD, GOOD]), NOW)
    assert len(rows) == 1 and "duplicate id 'a1'" in problems[0] and "line 1" in problems[0]


def test_csv_unknown_column_stops_the_file(tmp_path):
    path = tmp_path / "a.csv"
    path.write_text("id,outlet,title,text,colour\n1,x,t,body,red\n", "utf-8")
    with pytest.raises(ConfigError, match=r"a\.csv:1: .*unknown column\(s\) colour"):
        read_rows(path, NOW)


def test_csv_rows_and_line_numbers(tmp_path):
    path = tmp_path / "a.csv"
    path.write_text('id,outlet,title,text,published\n1,x,"Title, with comma","multi\nline body",\n'
                    "2,x,t,,2026-01-01\n3,x,t,body,2026-01-01T00:00:00Z\n", "utf-8")
    rows, problems = read_rows(path, NOW)
    assert [r.draft.guid for r in rows] == ["1", "3"]
    assert rows[0].draft.title == "Title, with comma" and rows[0].draft.date_flag == "missing"
    assert problems == [f"{path}:4: missing text (or summary); row skipped"]


def test_csv_row_with_more_cells_than_header_is_skipped(tmp_path):
    path = tmp_path / "a.csv"
    path.write_text("id,outlet,title,text\n1,x,t,body\n2,x,t,body,extra\n3,x,t,body\n", "utf-8")
    rows, problems = read_rows(path, NOW)
    assert [r.draft.guid for r in rows] == ["1", "3"]
    assert problems == [f"{path}:3: more cells than header columns; row skipped"]


@pytest.mark.parametrize("name, content, message", [
    ("a.jsonl", "Caf\u00e9 news".encode("latin-1"), "not UTF-8"),
    ("a.txt", b'{"id": "1"}\n', "unknown file type '.txt'"),
])
def test_unreadable_files_stop_the_import_with_a_fix(tmp_path, name, content, message):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(ConfigError) as caught:
        read_rows(path, NOW)
    (problem,) = caught.value.problems
    assert problem.startswith(f"{path}:1: (file): ") and message in problem and "Fix:" in problem


def test_cli_import_is_idempotent_and_exit_1_on_bad_rows(tmp_path):
    db = tmp_path / "s.db"
    good = jsonl(tmp_path / "good.jsonl", [GOOD, {**GOOD, "id": "a2", "outlet": "bbc",
                                                  "affiliation": "public-service"}])
    first = run_cli("import", "--db", str(db), str(good), cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert "2 new, 0 already stored" in first.stdout
    again = run_cli("import", "--db", str(db), str(good), cwd=tmp_path)
    assert again.returncode == 0 and "0 new, 2 already stored" in again.stdout
    bad = jsonl(tmp_path / "bad.jsonl", [{**GOOD, "id": "a9"}, "{oops"])
    r = run_cli("import", "--db", str(db), str(bad), cwd=tmp_path)
    assert r.returncode == 1 and f"{bad}:2: not valid JSON" in r.stderr
    import sqlite3
    con = sqlite3.connect(db)
    assert con.execute("SELECT COUNT(*) FROM articles").fetchone() == (3,)
    assert dict(con.execute("SELECT id, affiliation FROM outlets")) == {
        "tass": "unknown", "bbc": "public-service"}


def test_cli_import_missing_file_exits_2(tmp_path):
    r = run_cli("import", "--db", str(tmp_path / "s.db"), str(tmp_path / "nope.jsonl"), cwd=tmp_path)
    assert r.returncode == 2 and "not found" in r.stderr


# --- metrics ---------------------------------------------------------------------

def brute_force(pred, gold):
    n = len(gold)
    pairs = [(i, j) for i in range(n) for j in range(i + 1, n)]
    same_p = {p for p in pairs if pred[p[0]] == pred[p[1]]}
    same_g = {p for p in pairs if gold[p[0]] == gold[p[1]]}
    tp = len(same_p & same_g)
    pw = (tp / len(same_p) if same_p else 1.0, tp / len(same_g) if same_g else 1.0)
    bp = sum(sum(1 for j in range(n) if pred[j] == pred[i] and gold[j] == gold[i])
             / sum(1 for j in range(n) if pred[j] == pred[i]) for i in range(n)) / n
    br = sum(sum(1 for j in range(n) if pred[j] == pred[i] and gold[j] == gold[i])
             / sum(1 for j in range(n) if gold[j] == gold[i]) for i in range(n)) / n
    return pw, (bp, br)


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.integers(0, 4), st.integers(0, 4)), min_size=1, max_size=30))
def test_scores_match_brute_force(labels):
    pred, gold = [p for p, _ in labels], [g for _, g in labels]
    scores = score_clusters(pred, gold)
    (pp, pr), (bp, br) = brute_force(pred, gold)
    assert scores["pairwise"].precision == pytest.approx(pp)
    assert scores["pairwise"].recall == pytest.approx(pr)
    assert scores["bcubed"].precision == pytest.approx(bp)
    assert scores["bcubed"].recall == pytest.approx(br)


def test_perfect_and_all_in_one():
    gold = ["a", "a", "b", "b", "c"]
    assert score_clusters(gold, gold)["bcubed"].f1 == 1.0
    one = score_clusters(["x"] * 5, gold)
    assert one["bcubed"].recall == 1.0 and one["bcubed"].precision == pytest.approx((2 * 2 / 5 * 2 + 1 / 5) / 5)
