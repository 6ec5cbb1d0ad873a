"""The research commands: read-only SQL over the store, and exports of its tables and views.

Registered on the ``narratives`` group by ``cli.py``; same conventions (thin commands,
``--db`` everywhere, ``--format`` on what lists rows). Both open the store read-only and
never create it. Exit codes: 0 done, 1 the store cannot be read (missing, not a
database), 2 the request was refused or failed (a write, bad SQL, the time limit, an
unknown table, a missing optional package).
"""

from __future__ import annotations

import base64
import os
import sys
from pathlib import Path
from typing import Any

import click
from rich.console import Console

from .cli import EXIT_CONFIG, EXIT_FAILED, cli, db_option, fail, format_option
from .errors import QueryError, StoreError
from .export import FORMATS as EXPORT_FORMATS
from .export import export_relation
from .report import emit
from .sqlquery import open_readonly, run_query
from .storefile import db_url

SUFFIXES = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".parquet": "parquet"}


def _shown(value: Any, fmt: str) -> Any:
    """BLOBs as Datasette shows them: base64 in json/csv, their size in tables."""
    if not isinstance(value, bytes):
        return value
    if fmt == "json":
        return {"$base64": True, "encoded": base64.b64encode(value).decode("ascii")}
    if fmt == "csv":
        return base64.b64encode(value).decode("ascii")
    return f"<binary: {len(value)} bytes>"


def _stdout_closed() -> None:
    """`… | head` closed the pipe: stop quietly, as other Unix tools do."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    sys.exit(0)


def _open(db: str | None, what: str) -> Any:
    """The store, read-only; exits 1 when there is none, 2 when --db is not a SQLite store."""
    try:
        return open_readonly(db_url(db), what)
    except StoreError as exc:
        fail(str(exc), EXIT_FAILED)
    except QueryError as exc:
        fail(str(exc), EXIT_CONFIG)


@cli.command()
@db_option
@click.argument("query", metavar="SQL")
@format_option
@click.option("--limit", default=1000, show_default=True, type=click.IntRange(1), metavar="N",
              help="Rows shown at most; a note on stderr says when more were left out.")
@click.option("--no-limit", is_flag=True, help="Show every row (for large results, see `narratives export`).")
@click.option("--timeout", default=10.0, show_default=True, type=click.FloatRange(0), metavar="SECONDS",
              help="Interrupt the statement after this long (0: no limit).")
def sql(db: str | None, query: str, fmt: str, limit: int, no_limit: bool, timeout: float) -> None:
    """Run one read-only SQL query against the store (SQL "-" reads it from stdin).

    The store is opened read-only: INSERT, UPDATE, DELETE, CREATE, DROP, ATTACH,
    pragmas that set something and every other write are refused (exit 2) and the file is
    left unchanged. One statement at a time. Times are stored as text, UTC,
    'YYYY-MM-DD HH:MM:SS.ffffff', and compare as text. The views v_articles,
    v_event_coverage, v_fact_mentions, v_omissions and v_feed_health are the stable
    interface (README: "The store"). Exit codes: 0 done, 1 no readable store, 2 refused,
    bad SQL or over the time limit.

    \b
    Example:
        narratives sql "SELECT outlet, COUNT(*) AS n FROM v_articles GROUP BY outlet"
        narratives sql "SELECT * FROM v_event_coverage WHERE event_id = 12" --format md
        narratives sql --format csv --no-limit "SELECT * FROM v_omissions" > omissions.csv
        narratives sql - < query.sql
    """
    if query == "-":
        query = sys.stdin.read()
    conn = _open(db, "sql")
    try:
        result = run_query(conn, query, limit=None if no_limit else limit, timeout=timeout)
    except QueryError as exc:
        fail(str(exc), EXIT_CONFIG)
    finally:
        conn.close()
    rows = [{k: _shown(v, fmt) for k, v in r.items()} for r in result.rows]
    try:
        emit(rows, result.columns, fmt, Console())
    except BrokenPipeError:
        _stdout_closed()
    if result.truncated:
        click.echo(f"sql: showing the first {limit} rows; the query returned more. Use --limit N, "
                   "--no-limit, or `narratives export` for whole tables.", err=True)
    elif fmt == "table":
        click.echo(f"{len(rows)} row{'s' if len(rows) != 1 else ''} ({result.seconds:.2f} s)", err=True)


@cli.command("export")
@db_option
@click.argument("name", metavar="TABLE_OR_VIEW")
@click.option("--format", "fmt", type=click.Choice(EXPORT_FORMATS), default=None,
              help="File format [default: from the suffix of -o: .csv, .jsonl/.ndjson, .parquet].")
@click.option("-o", "--output", required=True, metavar="FILE",
              help="The file to write (replaced when complete); - writes csv or jsonl to stdout.")
def export_cmd(db: str | None, name: str, fmt: str | None, output: str) -> None:
    """Write a whole table or view to CSV, JSON Lines or Parquet, streaming.

    Rows go out in batches, so exporting a million articles needs no more memory than a
    few thousand. Times become ISO 8601 UTC ('2026-03-02T06:00:00Z'); in CSV, text is
    quoted and NULL is an empty unquoted field; BLOBs are base64. Parquet needs
    pyarrow: pip install 'narratives[parquet]'. The store is opened read-only; a file
    is written under a temporary name and renamed when complete. Exit codes: 0 done,
    1 no readable store, 2 unknown table or view, bad format, pyarrow missing.

    \b
    Example:
        narratives export v_articles -o articles.parquet
        narratives export v_event_coverage --format csv -o coverage.csv
        narratives export v_omissions --format jsonl -o - | jq .verdict
    """
    path = None if output == "-" else Path(output)
    if fmt is None:
        fmt = "csv" if path is None else SUFFIXES.get(path.suffix.lower(), "")
        if not fmt:
            fail(f"export: cannot tell the format from {output!r}. Fix: pass --format "
                 f"{'|'.join(EXPORT_FORMATS)} or a file ending in {', '.join(SUFFIXES)}", EXIT_CONFIG)
    conn = _open(db, "export")
    try:
        result = export_relation(conn, name, fmt, path, stdout=sys.stdout)
    except QueryError as exc:
        fail(str(exc), EXIT_CONFIG)
    except BrokenPipeError:
        _stdout_closed()
    finally:
        conn.close()
    where = "stdout" if result.path is None else str(result.path)
    click.echo(f"Exported {result.rows} rows of {result.kind} {result.name} to {where} ({fmt}).",
               err=result.path is None)
