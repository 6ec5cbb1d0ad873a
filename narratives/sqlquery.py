"""Read-only access to the store for researchers: one SELECT, a time limit, a row limit.

Usage::

    conn = open_readonly("sqlite:///storage/narratives.db")
    result = run_query(conn, "SELECT outlet, COUNT(*) FROM v_articles GROUP BY 1", limit=1000, timeout=10)
    result.columns, result.rows, result.truncated

Four locks keep the store unchanged, each enough on its own for the writes it covers:
the file is opened read-only (``file:…?mode=ro``, so not even a missing file is created),
``PRAGMA query_only`` is set, an authorizer refuses every action that is not a read
(writes, schema changes, ATTACH, transactions, pragmas other than a list of read-only
ones) while the statement is compiled, and only statements that start with SELECT,
WITH, VALUES, EXPLAIN or PRAGMA are compiled at all (which keeps out VACUUM INTO, the one
write that needs no authorization). Values are returned as SQLite holds them: times
are text ``YYYY-MM-DD HH:MM:SS.ffffff`` (UTC), which is also what WHERE clauses compare.
"""

from __future__ import annotations

import re
import sqlite3
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from .errors import QueryError, QueryTimeout, StoreError, WriteRefused
from .storefile import backend_name, sqlite_database

#: Statements compiled at all (the authorizer then judges what they do).
READ_KEYWORDS = ("SELECT", "WITH", "VALUES", "EXPLAIN", "PRAGMA")
#: Pragmas that only read, whatever their argument (a table or index name).
READ_PRAGMAS = frozenset({
    "table_info", "table_xinfo", "table_list", "index_list", "index_info", "index_xinfo",
    "foreign_key_list", "foreign_key_check", "collation_list", "database_list", "function_list",
    "module_list", "pragma_list", "compile_options", "integrity_check", "quick_check",
})
#: Pragmas that read without an argument and write with one (PRAGMA user_version = 3).
READ_BARE_PRAGMAS = frozenset({
    "user_version", "schema_version", "application_id", "page_count", "page_size", "freelist_count",
    "encoding", "journal_mode", "data_version", "query_only", "foreign_keys", "busy_timeout",
    "auto_vacuum", "max_page_count", "cache_size", "synchronous",
})
_ALLOWED = {sqlite3.SQLITE_SELECT, sqlite3.SQLITE_READ, sqlite3.SQLITE_FUNCTION,
            getattr(sqlite3, "SQLITE_RECURSIVE", 33)}
_ACTION_NAMES = {getattr(sqlite3, n): n.removeprefix("SQLITE_").lower().replace("_", " ")
                 for n in dir(sqlite3) if n.startswith("SQLITE_") and n not in ("SQLITE_OK", "SQLITE_DENY",
                                                                               "SQLITE_IGNORE")
                 and isinstance(getattr(sqlite3, n), int)}
_LEADING = re.compile(r"(?:\s+|--[^\n]*(?:\n|$)|/\*.*?(?:\*/|$))*", re.S)
_WORD = re.compile(r"[A-Za-z_]+")


@dataclass
class QueryResult:
    columns: list[str]
    rows: list[dict[str, Any]]
    truncated: bool  # more rows existed than the limit let through
    seconds: float


def store_file(url: str, what: str = "sql") -> Path:
    """The SQLite file behind ``url``; it must exist (this never creates a store)."""
    backend = backend_name(url)
    if not backend:
        raise QueryError(f"{what}: {url!r} is not a database URL. Fix: pass --db path/to/store.db")
    if backend != "sqlite":
        raise QueryError(f"{what}: works on SQLite stores only, not {backend}. Fix: "
                         "query that database with its own client and a read-only role")
    database = sqlite_database(url)
    if database is None:
        raise QueryError(f"{what}: an in-memory database holds no store. Fix: pass --db path/to/store.db")
    path = Path(database)
    if not path.is_file():
        raise StoreError(f"{what}: no store at {path} (nothing was created). Fix: pass --db with the "
                         "store's path, or create one with `narratives collect` or `narratives demo`")
    return path


class ReadOnlyConnection(sqlite3.Connection):
    """An sqlite3 connection that remembers what its authorizer last refused (for messages)."""

    refused: str | None = None

    def authorize(self, action: int, arg1: str | None, arg2: str | None, _db: str | None,
                  _trigger: str | None) -> int:
        if action in _ALLOWED:
            return sqlite3.SQLITE_OK
        if action == sqlite3.SQLITE_UPDATE and arg1 == "sqlite_master":
            # SQLite asks this itself the first time a statement uses a table-valued pragma
            # (pragma_table_info(...)). A user's UPDATE of the schema table stays impossible:
            # it never passes the keyword check, needs writable_schema (a refused pragma),
            # and query_only and mode=ro refuse it again.
            return sqlite3.SQLITE_OK
        if action == sqlite3.SQLITE_PRAGMA and arg1 is not None:
            name = arg1.lower()
            if name in READ_PRAGMAS or (name in READ_BARE_PRAGMAS and arg2 is None):
                return sqlite3.SQLITE_OK
        what = _ACTION_NAMES.get(action, f"action {action}")
        self.refused = " ".join(x for x in (what, arg1, arg2) if x)
        return sqlite3.SQLITE_DENY


def open_readonly(url: str, what: str = "sql") -> ReadOnlyConnection:
    """A connection that cannot change the store; see the module docstring."""
    path = store_file(url, what)
    uri = f"file:{quote(str(path.resolve()))}?mode=ro"
    try:
        conn = sqlite3.connect(uri, uri=True, timeout=30, check_same_thread=False, isolation_level=None,
                               factory=ReadOnlyConnection)
        conn.execute("PRAGMA query_only = ON")
        conn.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()  # is it a database at all?
    except sqlite3.DatabaseError as exc:
        raise StoreError(f"{what}: cannot read {path}: {exc}. Fix: check --db points at a narratives "
                         "store (an SQLite file) you may read") from None
    assert isinstance(conn, ReadOnlyConnection)
    conn.set_authorizer(conn.authorize)
    return conn


def first_keyword(sql: str) -> str:
    """The statement's first word, after comments and whitespace ('' when there is none)."""
    rest = sql[_LEADING.match(sql).end():]  # type: ignore[union-attr]
    word = _WORD.match(rest)
    return word.group(0).upper() if word else ""


def _interrupt_after(conn: sqlite3.Connection, seconds: float) -> Callable[[], None]:
    """Interrupt the running statement after ``seconds`` (0: never); returns the undo."""
    if seconds <= 0:
        return lambda: None
    deadline = time.monotonic() + seconds
    conn.set_progress_handler(lambda: 1 if time.monotonic() > deadline else 0, 1000)
    return lambda: conn.set_progress_handler(None, 0)


def unique_names(names: list[str]) -> list[str]:
    """Result columns with repeats numbered (id, id_2), so each is a key of its row."""
    taken: set[str] = set()
    out = []
    for name in names:
        candidate, n = name, 1
        while candidate in taken:
            n += 1
            candidate = f"{name}_{n}"
        taken.add(candidate)
        out.append(candidate)
    return out


def _explain(exc: sqlite3.Error, conn: sqlite3.Connection, timeout: float, what: str) -> QueryError:
    message = str(exc)
    refused = getattr(conn, "refused", None)
    if isinstance(exc, sqlite3.ProgrammingError) and "one statement at a time" in message:
        return QueryError(f"{what}: several statements given; one is run at a time. Fix: pass one "
                          "SELECT (a trailing ';' is fine)")
    if message == "interrupted":
        return QueryTimeout(f"{what}: stopped after {timeout:g} s (the time limit). Fix: narrow it "
                            "with WHERE/LIMIT, or raise the limit with --timeout SECONDS (0: none)")
    if any(k in message for k in ("not authorized", "readonly", "read-only", "may not be modified")):
        return WriteRefused(f"{what}: refused: the store is opened read-only and this statement would "
                            f"change it or reach outside it ({refused or message}). Nothing was written. Fix: "
                            "use SELECT (write with the narratives commands)")
    return QueryError(f"{what}: SQLite error: {message}. Fix: correct the SQL (tables and views: "
                      "narratives sql \"SELECT name, type FROM sqlite_master\")")


def execute(conn: sqlite3.Connection, sql: str, *, timeout: float = 10.0,
            what: str = "sql") -> tuple[sqlite3.Cursor, Callable[[], None]]:
    """Compile and start one read-only statement; returns its cursor and the timer's undo."""
    keyword = first_keyword(sql)
    if not keyword:
        raise QueryError(f"{what}: no SQL given. Fix: pass a statement, e.g. "
                         f"{what} \"SELECT * FROM v_articles LIMIT 5\"")
    if keyword not in READ_KEYWORDS:
        raise WriteRefused(f"{what}: refused: {keyword} is not a query; the store is opened read-only "
                           f"and only {', '.join(READ_KEYWORDS)} statements are run. Nothing was written. "
                           "Fix: use SELECT (write with the narratives commands)")
    undo = _interrupt_after(conn, timeout)
    try:
        return conn.execute(sql), undo
    except sqlite3.Error as exc:
        undo()
        raise _explain(exc, conn, timeout, what) from None


def iter_batches(cursor: sqlite3.Cursor, size: int, *, timeout: float = 0,
                 what: str = "sql") -> Iterator[list[tuple]]:
    """The cursor's rows, ``size`` at a time (errors while stepping become QueryError)."""
    while True:
        try:
            batch = cursor.fetchmany(size)
        except sqlite3.Error as exc:
            raise _explain(exc, cursor.connection, timeout, what) from None
        if not batch:
            return
        yield batch


def run_query(conn: sqlite3.Connection, sql: str, *, limit: int | None = 1000,
              timeout: float = 10.0, what: str = "sql") -> QueryResult:
    """Run one read-only statement; at most ``limit`` rows (None: all), within ``timeout`` s."""
    started = time.monotonic()
    cursor, undo = execute(conn, sql, timeout=timeout, what=what)
    try:
        columns = unique_names([d[0] for d in cursor.description or ()])
        rows: list[tuple] = []
        want = None if limit is None else limit + 1
        for batch in iter_batches(cursor, 1000 if want is None else min(1000, want),
                                  timeout=timeout, what=what):
            rows.extend(batch)
            if want is not None and len(rows) >= want:
                break
        truncated = limit is not None and len(rows) > limit
        rows = rows[:limit] if limit is not None else rows
    finally:
        cursor.close()
        undo()
    return QueryResult(columns=columns, rows=[dict(zip(columns, r, strict=True)) for r in rows],
                       truncated=truncated, seconds=time.monotonic() - started)
