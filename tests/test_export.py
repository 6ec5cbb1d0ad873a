"""`narratives export`: every table and view round-trips through csv, jsonl and parquet.

The store is the demo pipeline's (loopback collect -> cluster -> compare; see
test_sql.pipeline_store); the streaming and property tests use plain SQLite files of
their own. Expected values are ``SELECT *`` with the documented mapping: DATETIME
columns as ISO 8601 UTC text, BLOBs as base64.
"""

from __future__ import annotations

import base64
import io
import json
import sqlite3
import sys
import tracemalloc
from datetime import UTC, datetime
from pathlib import Path

import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner
from conftest import fingerprint, pipeline_copy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from narratives.cli import cli
from narratives.errors import QueryError
from narratives.export import csv_line, export_relation, iso_time, json_line, relations
from narratives.sqlquery import open_readonly


@pytest.fixture(scope="module")
def db(tmp_path_factory) -> Path:
    return pipeline_copy(tmp_path_factory.mktemp("export"))


def invoke(*args: str):
    return CliRunner().invoke(cli, list(args))


def select_all(path: Path, name: str) -> tuple[list[str], list[str], list[tuple]]:
    """Columns, declared types and rows of SELECT * (the export's reference)."""
    with sqlite3.connect(path) as conn:
        cur = conn.execute(f'SELECT * FROM "{name}"')
        columns = [d[0] for d in cur.description]
        found = cur.fetchall()
        types = {r[1]: (r[2] or "").upper() for r in conn.execute(f'PRAGMA table_xinfo("{name}")')}
    return columns, [types.get(c, "") for c in columns], found


def expected_text(value, decl: str, fmt: str):
    if "DATETIME" in decl:
        return iso_time(value)
    if isinstance(value, bytes):
        encoded = base64.b64encode(value).decode()
        return {"$base64": True, "encoded": encoded} if fmt == "jsonl" else encoded
    return value


def read_csv(path_or_bytes) -> list[dict]:
    """CSV read by pyarrow, keeping NULL (empty, unquoted) apart from '' (quoted)."""
    data = path_or_bytes.read_bytes() if isinstance(path_or_bytes, Path) else path_or_bytes
    header = data.split(b"\n", 1)[0].decode().split(",")
    table = pacsv.read_csv(io.BytesIO(data),
                           parse_options=pacsv.ParseOptions(newlines_in_values=True),
                           convert_options=pacsv.ConvertOptions(
                               column_types={h.strip('"'): "string" for h in header},
                               strings_can_be_null=True, quoted_strings_can_be_null=False))
    return table.to_pylist()


def names(path: Path) -> list[str]:
    with sqlite3.connect(path) as conn:
        return list(relations(conn))


def test_the_store_has_the_five_documented_views(db):
    views = [n for n, k in sqlite3.connect(db).execute(
        "SELECT name, type FROM sqlite_master WHERE type = 'view'")]
    assert {"v_articles", "v_event_coverage", "v_fact_mentions", "v_omissions", "v_feed_health"} <= set(views)


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "parquet"])
def test_every_table_and_view_round_trips(db, tmp_path, fmt):
    before = fingerprint(db)
    for name in names(db):
        out = tmp_path / f"{name}.{fmt}"
        result = invoke("export", "--db", str(db), name, "-o", str(out))
        assert result.exit_code == 0, (name, result.stderr)
        columns, decls, want = select_all(db, name)
        assert f"Exported {len(want)} rows" in result.stdout
        if fmt == "jsonl":
            got = [json.loads(line) for line in out.read_text("utf-8").splitlines()]
            assert got == [{c: expected_text(v, d, fmt) for c, d, v in zip(columns, decls, row, strict=True)}
                           for row in want], name
        elif fmt == "csv":
            got = read_csv(out)
            assert [list(r) for r in got[:1]] in ([], [columns])
            assert got == [{c: None if v is None else str(expected_text(v, d, fmt)) if not isinstance(v, float)
                            else repr(v) for c, d, v in zip(columns, decls, row, strict=True)} for row in want], name
        else:
            table = pq.read_table(out)
            assert table.column_names == columns and table.num_rows == len(want)
            for c, d in zip(columns, decls, strict=True):
                if "DATETIME" in d:
                    assert str(table.schema.field(c).type) == "timestamp[us, tz=UTC]"
            got = table.to_pylist()
            for row, record in zip(want, got, strict=True):
                for c, d, v in zip(columns, decls, row, strict=True):
                    g = record[c]
                    if v is None:
                        assert g is None
                    elif "DATETIME" in d:
                        assert g == datetime.fromisoformat(v).replace(tzinfo=UTC), (name, c)
                    elif "BOOL" in d:
                        assert g is bool(v)
                    elif not d and str(table.schema.field(c).type) == "string":
                        assert g == str(v), (name, c)  # an untyped column of mixed values: text
                    else:
                        assert g == v, (name, c)
    assert fingerprint(db) == before  # exports only read


def test_views_export_their_times_as_iso_utc(db, tmp_path):
    out = tmp_path / "coverage.csv"
    assert invoke("export", "--db", str(db), "v_event_coverage", "--format", "csv", "-o", str(out)).exit_code == 0
    first = read_csv(out)[0]
    assert first["first_published"].endswith("Z") and first["first_published"][10] == "T"
    assert iso_time("2026-03-02 06:00:00.000000") == "2026-03-02T06:00:00Z"
    assert iso_time("2026-03-02 06:00:00.120000") == "2026-03-02T06:00:00.120000Z"
    assert iso_time("yesterday") == "yesterday" and iso_time(5) == 5


def test_stdout_and_format_from_the_suffix(db, tmp_path):
    as_csv = invoke("export", "--db", str(db), "v_feed_health", "--format", "csv", "-o", "-")
    assert as_csv.exit_code == 0 and as_csv.stdout.startswith('"feed_id","outlet",')
    assert "Exported" in as_csv.stderr and "Exported" not in as_csv.stdout
    assert len(read_csv(as_csv.stdout.encode())) == len(select_all(db, "v_feed_health")[2])
    as_jsonl = invoke("export", "--db", str(db), "V_OMISSIONS", "--format", "jsonl", "-o", "-")
    lines = as_jsonl.stdout.splitlines()
    assert as_jsonl.exit_code == 0 and len(lines) == len(select_all(db, "v_omissions")[2])
    assert {"verdict", "evidence", "quote"} <= set(json.loads(lines[0]))
    default = invoke("export", "--db", str(db), "outlets", "-o", "-")
    assert default.stdout.startswith('"id","name"')  # csv unless told
    for suffix in (".jsonl", ".ndjson", ".parquet", ".csv"):
        out = tmp_path / f"outlets{suffix}"
        assert invoke("export", "--db", str(db), "outlets", "-o", str(out)).exit_code == 0 and out.exists()
    bad = invoke("export", "--db", str(db), "outlets", "-o", str(tmp_path / "outlets.txt"))
    assert bad.exit_code == 2 and "--format" in bad.stderr and not (tmp_path / "outlets.txt").exists()


def test_unknown_names_and_bad_targets_are_refused(db, tmp_path):
    out = invoke("export", "--db", str(db), "v_nothing", "--format", "csv", "-o", str(tmp_path / "x.csv"))
    assert out.exit_code == 2 and "no table or view named 'v_nothing'" in out.stderr
    assert "v_event_coverage" in out.stderr and "articles" in out.stderr
    sneaky = invoke("export", "--db", str(db), 'articles"; DROP TABLE articles; --', "-o", "-")
    assert sneaky.exit_code == 2 and "no table or view" in sneaky.stderr
    to_stdout = invoke("export", "--db", str(db), "articles", "--format", "parquet", "-o", "-")
    assert to_stdout.exit_code == 2 and "-o FILE.parquet" in to_stdout.stderr
    no_folder = invoke("export", "--db", str(db), "articles", "-o", str(tmp_path / "missing" / "a.csv"))
    assert no_folder.exit_code == 2 and "does not exist" in no_folder.stderr
    assert not (tmp_path / "missing").exists() and not list(tmp_path.glob("*.csv"))
    missing = invoke("export", "--db", str(tmp_path / "none.db"), "articles", "-o", str(tmp_path / "a.csv"))
    assert missing.exit_code == 1 and "no store at" in missing.stderr and not (tmp_path / "none.db").exists()


def test_parquet_without_pyarrow_says_how_to_install_it(db, tmp_path, monkeypatch):
    for module in ("pyarrow", "pyarrow.parquet"):
        monkeypatch.setitem(sys.modules, module, None)  # import now raises ImportError
    out = invoke("export", "--db", str(db), "v_articles", "-o", str(tmp_path / "a.parquet"))
    assert out.exit_code == 2 and "pip install 'narratives[parquet]'" in out.stderr
    assert list(tmp_path.iterdir()) == []
    ok = invoke("export", "--db", str(db), "v_articles", "-o", str(tmp_path / "a.csv"))
    assert ok.exit_code == 0  # csv and jsonl need nothing extra


def big_store(path: Path, n: int, text_chars: int = 1000) -> int:
    """A plain SQLite file with one table of ``n`` rows; returns the bytes of text in it."""
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE docs (id INTEGER PRIMARY KEY, seen DATETIME, body TEXT, score FLOAT)")
        conn.executemany("INSERT INTO docs VALUES (?, ?, ?, ?)",
                         ((i, f"2026-03-02 06:{i % 60:02d}:00.000000", f"{i:08d}" + "x" * (text_chars - 8),
                           i / 7) for i in range(n)))
    return n * text_chars


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_export_streams_in_flat_memory(tmp_path, fmt):
    path = tmp_path / "big.db"
    data = big_store(path, 50_000)  # 50 MB of text
    conn = open_readonly(f"sqlite:///{path}", "export")
    try:
        tracemalloc.start()
        result = export_relation(conn, "docs", fmt, tmp_path / f"big.{fmt}")
        _current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    finally:
        conn.close()
    assert result.rows == 50_000 and (tmp_path / f"big.{fmt}").stat().st_size > data
    assert peak < data / 10, f"peak {peak / 1e6:.1f} MB for {data / 1e6:.0f} MB of rows"


def test_parquet_is_written_in_row_groups(tmp_path):
    path = tmp_path / "big.db"
    big_store(path, 45_000, text_chars=50)
    conn = open_readonly(f"sqlite:///{path}", "export")
    try:
        export_relation(conn, "docs", "parquet", tmp_path / "big.parquet")
    finally:
        conn.close()
    meta = pq.ParquetFile(tmp_path / "big.parquet").metadata
    assert meta.num_rows == 45_000 and meta.num_row_groups == 3  # 20,000 rows a group
    table = pq.read_table(tmp_path / "big.parquet")
    assert table.column("body")[44_999].as_py().startswith("00044999")
    assert str(table.schema.field("score").type) == "double"


def test_a_failed_export_leaves_no_half_file_and_keeps_the_old_one(tmp_path):
    path = tmp_path / "mixed.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, x)")  # x: no declared type
        conn.executemany("INSERT INTO t VALUES (?, ?)", [(1, 1), (2, 2), (3, b"\x00blob")])
        conn.execute("CREATE VIEW v AS SELECT id, x + 0 AS n FROM t")
    target = tmp_path / "out.parquet"
    target.write_bytes(b"the previous export")
    conn = open_readonly(f"sqlite:///{path}", "export")
    try:
        with pytest.raises(QueryError, match="more than one type"):
            export_relation(conn, "t", "parquet", target, batch_rows=2)  # int64 from the first batch
        export_relation(conn, "v", "parquet", tmp_path / "v.parquet")  # computed column: types from values
    finally:
        conn.close()
    assert target.read_bytes() == b"the previous export"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mixed.db", "out.parquet", "v.parquet"]
    assert pq.read_table(tmp_path / "v.parquet").column("n").to_pylist() == [1, 2, 0]


def test_empty_tables_export_their_columns(tmp_path):
    path = tmp_path / "empty.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE t (id INTEGER, at DATETIME, note TEXT)")
    conn = open_readonly(f"sqlite:///{path}", "export")
    try:
        for fmt in ("csv", "jsonl", "parquet"):
            assert export_relation(conn, "t", fmt, tmp_path / f"t.{fmt}").rows == 0
    finally:
        conn.close()
    assert (tmp_path / "t.csv").read_text() == '"id","at","note"\n'
    assert (tmp_path / "t.jsonl").read_text() == ""
    table = pq.read_table(tmp_path / "t.parquet")
    assert table.num_rows == 0 and table.column_names == ["id", "at", "note"]


# --- property: whatever text, NULLs and integers a column holds, they come back -------

cells = st.one_of(st.none(), st.integers(min_value=-(2**63), max_value=2**63 - 1),
                  st.text(st.characters(blacklist_categories=("Cs",)), max_size=40))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(cells, st.one_of(st.none(), st.text(st.characters(blacklist_categories=("Cs",))))),
                max_size=12))
def test_any_values_round_trip_through_csv_and_jsonl(tmp_path_factory, values):
    folder = tmp_path_factory.mktemp("prop")
    path = folder / "p.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE p (id INTEGER PRIMARY KEY, anything, words TEXT)")
        conn.executemany("INSERT INTO p (anything, words) VALUES (?, ?)", values)
    conn = open_readonly(f"sqlite:///{path}", "export")
    try:
        jsonl, csv = io.StringIO(), io.StringIO()
        export_relation(conn, "p", "jsonl", None, stdout=jsonl)
        export_relation(conn, "p", "csv", None, stdout=csv)
    finally:
        conn.close()
    want = [{"id": i + 1, "anything": a, "words": w} for i, (a, w) in enumerate(values)]
    assert [json.loads(line) for line in jsonl.getvalue().splitlines()] == want
    assert read_csv(csv.getvalue().encode("utf-8")) == [{k: None if v is None else str(v) for k, v in r.items()}
                                                        for r in want]


def test_jsonl_escapes_every_line_break_inside_values():
    line = json_line(["a"], ["x\x85y\u2028z\u2029\n\r"])  # found by the property above
    assert line.count("\n") == 1 and len(line.splitlines()) == 1
    assert json.loads(line) == {"a": "x\x85y\u2028z\u2029\n\r"}


def test_csv_keeps_null_and_empty_text_apart():
    assert csv_line([None, "", 0, 1.5, 'say "hi"', b"\x00"]) == ',"",0,1.5,"say ""hi""","AA=="\n'
