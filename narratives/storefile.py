"""What a store is, without importing SQLAlchemy: its URL, its SQLite file, its schema version.

Usage::

    url = db_url(None)                 # --db, else $NARRATIVES_DB, else the default
    backend_name(url)                  # "sqlite", "postgresql", ...
    sqlite_database(url)               # "storage/narratives.db" (None: not a file)

Commands that only read (``search``, ``sql``, ``export``) open the file with sqlite3
directly; importing SQLAlchemy alone costs about 0.2 s of every such command's start-up.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime

DEFAULT_DB = "sqlite:///storage/narratives.db"
#: The layout of the tables and views this version writes (``meta.schema_version``).
SCHEMA_VERSION = 6


def db_url(value: str | None) -> str:
    """--db value, else $NARRATIVES_DB, else the default. A bare path means SQLite."""
    value = value or os.environ.get("NARRATIVES_DB") or DEFAULT_DB
    return value if "://" in value else f"sqlite:///{value}"


def backend_name(url: str) -> str:
    """The database kind of a URL: "sqlite" for sqlite:///x.db and sqlite+pysqlite:///x.db."""
    scheme = url.split("://", 1)[0] if "://" in url else ""
    return scheme.split("+", 1)[0].lower()


def sqlite_database(url: str) -> str | None:
    """The file of a SQLite URL as SQLAlchemy reads it (sqlite:///rel.db -> "rel.db",
    sqlite:////abs.db -> "/abs.db"); None for in-memory and other databases."""
    if backend_name(url) != "sqlite":
        return None
    rest = url.split("://", 1)[1].split("?", 1)[0]
    database = rest[1:] if rest.startswith("/") else ""  # "sqlite://host/x" has no file
    return None if database in ("", ":memory:") else database


def utcnow() -> datetime:
    """Now, as the store keeps times: naive UTC."""
    return datetime.now(UTC).replace(tzinfo=None)
