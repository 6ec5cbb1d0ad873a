"""One SQL text, two connections: read the store through a Session or a read-only sqlite3 connection.

Usage::

    con = open_current(Path("storage/narratives.db"))   # None: an older schema, busy, not a store
    fetch(con, "SELECT id, headline FROM events WHERE id = :id", id=25)   # [(25, '...')]
    with Session(engine) as s:
        fetch(s, "SELECT id, headline FROM events WHERE id = :id", id=25)  # the same rows
    records(con, "SELECT id, first_published FROM events")             # [namespace(id=..., ...)]

The read side of ``narratives compare EVENT`` (``compare_current``, ``compare_view``,
``event_view``) is written once, in SQL with ``:name`` parameters, which both sqlite3 and
SQLAlchemy's ``text()`` read. The ordinary path runs it through the command's Session (any
backend SQLAlchemy speaks, inside its transaction); the fast path through a read-only sqlite3
connection, and so imports no SQLAlchemy (about 0.4 s of start-up). Values come back as the
driver gives them (on SQLite, times are text): ``timestamp`` turns a stored time into the
datetime SQLAlchemy's ``DateTime`` gives, so both paths build the same dicts.
"""

from __future__ import annotations

import sqlite3
from datetime import datetime
from pathlib import Path
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from .storefile import SCHEMA_VERSION

if TYPE_CHECKING:  # annotations only: the fast path never imports SQLAlchemy
    from sqlalchemy.orm import Session

    Reader = Session | sqlite3.Connection

#: How long the fast path waits on a busy store before leaving it to the ordinary path,
#: which waits its full busy timeout as it always has. WAL readers are rarely kept waiting.
FAST_BUSY_TIMEOUT = 1.0


def open_current(path: Path, timeout: float = FAST_BUSY_TIMEOUT) -> sqlite3.Connection | None:
    """A read-only (``mode=ro``) sqlite3 connection to the store at ``path`` when its schema
    is this version's; None for anything the ordinary open must handle first (an older or
    newer schema, a file that is not a store, one that cannot be read now)."""
    try:
        con = sqlite3.connect(f"file:{quote(str(path.resolve()))}?mode=ro", uri=True, timeout=timeout,
                              isolation_level=None)
    except sqlite3.Error:
        return None
    try:
        version = con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    except sqlite3.Error:
        version = None
    if version == (str(SCHEMA_VERSION),):
        return con
    con.close()
    return None


def fetch(db: Reader, sql: str, **params: Any) -> list[tuple]:
    """The rows ``sql`` selects, as tuples."""
    return _run(db, sql, params)[1]


def first(db: Reader, sql: str, **params: Any) -> tuple | None:
    """The first row ``sql`` selects, or None."""
    rows = _run(db, sql, params)[1]
    return rows[0] if rows else None


def records(db: Reader, sql: str, **params: Any) -> list[SimpleNamespace]:
    """The rows ``sql`` selects, each with its columns as attributes (like ORM rows)."""
    names, rows = _run(db, sql, params)
    return [SimpleNamespace(**dict(zip(names, row, strict=True))) for row in rows]


def in_list(name: str, values: Any) -> tuple[str, dict[str, Any]]:
    """``IN`` parameters: ``("(:name_0, :name_1)", {"name_0": a, "name_1": b})``; values not empty."""
    params = {f"{name}_{i}": v for i, v in enumerate(values)}
    return "(" + ", ".join(f":{k}" for k in params) + ")", params


def timestamp(value: Any) -> datetime | None:
    """A stored time as SQLAlchemy's ``DateTime`` returns it (SQLite keeps ISO text)."""
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(value)


def _run(db: Reader, sql: str, params: dict[str, Any]) -> tuple[list[str], list[tuple]]:
    if isinstance(db, sqlite3.Connection):
        cursor = db.execute(sql, {k: _sqlite_value(v) for k, v in params.items()})
        return [d[0] for d in cursor.description or ()], cursor.fetchall()
    from sqlalchemy import text

    if db.get_bind().dialect.name == "sqlite":
        params = {k: _sqlite_value(v) for k, v in params.items()}
    result = db.execute(text(sql), params)
    return list(result.keys()), [tuple(row) for row in result]


def _sqlite_value(value: Any) -> Any:
    # As SQLAlchemy's DateTime stores it on SQLite, so text comparisons in SQL agree.
    if isinstance(value, datetime):
        return (f"{value.year:04d}-{value.month:02d}-{value.day:02d} {value.hour:02d}:{value.minute:02d}:"
                f"{value.second:02d}.{value.microsecond:06d}")
    return value
