"""Full-text search over the articles with SQLite FTS5: the index, its upkeep, the query.

Usage::

    ensure_fts(conn)                       # from store.ensure_schema: create/back-fill the index
    found = search(session, SearchQuery("harbour strike", outlets=("courier",), limit=20))
    found.rows, found.more, found.capped
    con = open_index(Path("storage/narratives.db"))   # or a read-only sqlite3 connection (no SQLAlchemy)
    search(con, SearchQuery("harbour"))

The index ``articles_fts`` (rowid = ``articles.id``) covers each article's title and its
best text, chosen as ``v_articles.full_text`` chooses it: the extracted page text when
``article_texts.status = 'extracted'``, else the feed's content, else its summary. It is an
FTS5 *external content* index over the view ``articles_fts_source``: the words are
indexed, the text is not stored twice, and snippets are cut from the live rows. Triggers
on ``articles`` and ``article_texts`` keep it in step on insert, update and delete; a
store that predates the index (or an index whose definition changed) is rebuilt from the
view when the store is opened. SQLite only: other backends have no index and ``search``
says so.

Queries use a friendly subset of the FTS5 syntax, translated by :func:`fts_query`:
words (all must match), ``"exact phrases"``, ``prefix*``, ``AND``/``OR``/``NOT``
(upper case), parentheses, ``NEAR(a b, 10)``, and ``title:`` / ``text:`` to look in one
column. Words with punctuation (``state-run``, ``O'Neil``) are searched as phrases
instead of being read as FTS5 syntax. A query that cannot be read raises
:class:`SearchQueryError` with what is wrong and how to write it.

Ranking is FTS5's bm25 with the title weighted :data:`TITLE_WEIGHT` times the text.
Staying fast on a million articles: the outlet is an indexed column, so ``--outlet`` is
part of the MATCH (a doclist intersection); ``--since``/``--until``/``--event`` become an
article-id range read from an index, which FTS5 applies while walking its doclists;
when more than :data:`RANK_CAP` articles still match, only the most recently stored
:data:`RANK_CAP` are ranked (found newest-first without ranking), so bm25 never runs over
the whole store; FTS5 sorts by rank itself and the LIMIT stops the walk, so the articles
are looked up and snippets cut only for the rows shown.
"""

from __future__ import annotations

import hashlib
import re
import sqlite3
import sys
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from .errors import StoreError
from .search_query import QUERY_HELP, TOKENIZER, SearchQueryError, fts_query
from .storefile import SCHEMA_VERSION

if TYPE_CHECKING:  # SQLAlchemy only for store.ensure_schema's call and callers with a Session
    from sqlalchemy import Connection
    from sqlalchemy.orm import Session

FTS_TABLE = "articles_fts"
SOURCE_VIEW = "articles_fts_source"
TITLE_WEIGHT = 5.0
#: More matches than this (after the filters): only the most recently stored this many
#: are ranked, unless SearchQuery.rank_all. bm25 costs a few microseconds per match; a
#: word in every article of a 1,000,000-article store would take seconds.
RANK_CAP = 25_000
#: Rebuilding the index for at least this many articles is announced on stderr.
ANNOUNCE_REBUILD = 20_000
#: Snippet markers around each matched word, and the snippet's length in words.
MARK_OPEN, MARK_CLOSE, ELLIPSIS, SNIPPET_WORDS = "**", "**", "…", 24

# --- the index ----------------------------------------------------------------------

# The article's best text, exactly as v_articles.full_text chooses it.
_BEST = ("CASE WHEN t.status = 'extracted' THEN t.text WHEN a.content != '' THEN a.content "
         "ELSE a.summary END")
# The same choice inside a trigger on articles, for the row ``old`` (article_texts unchanged).
_BEST_OF_OLD_ARTICLE = (
    "CASE WHEN (SELECT status FROM article_texts WHERE article_id = old.id) = 'extracted' "
    "THEN (SELECT text FROM article_texts WHERE article_id = old.id) "
    "WHEN old.content != '' THEN old.content ELSE old.summary END")
# ... and inside a trigger on article_texts, for its row ``old`` (the article unchanged).
_BEST_OF_OLD_TEXT = (
    "CASE WHEN old.status = 'extracted' THEN old.text ELSE "
    "(SELECT CASE WHEN a.content != '' THEN a.content ELSE a.summary END "
    "FROM articles a WHERE a.id = old.article_id) END")


def _outlet_token(outlet_sql: str) -> str:
    # One token per outlet whatever its id's punctuation ("ria-novosti" would be two words).
    return f"'x' || hex({outlet_sql})"


def outlet_token(outlet_id: str) -> str:
    """The token ``articles_fts.outlet`` holds for an outlet (as the view's SQL makes it)."""
    return "x" + outlet_id.encode("utf-8").hex()


def _delete(rowid: str, title: str, body: str, outlet: str) -> str:
    # External content: FTS5 removes a row's words given the values it indexed.
    return (f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, title, text, outlet) "
            f"VALUES ('delete', {rowid}, {title}, {body}, {_outlet_token(outlet)});")


def _insert(rowid: str) -> str:
    return (f"INSERT INTO {FTS_TABLE}(rowid, title, text, outlet) "
            f"SELECT id, title, text, outlet FROM {SOURCE_VIEW} WHERE id = {rowid};")


_OLD_TITLE = "(SELECT title FROM articles WHERE id = old.article_id)"
_OLD_OUTLET = "(SELECT outlet_id FROM articles WHERE id = old.article_id)"
_TEXT_CHANGED = ("(old.status = 'extracted') IS NOT (new.status = 'extracted') OR "
                 "(new.status = 'extracted' AND old.text IS NOT new.text)")

#: Trigger name -> body. Each keeps the index equal to what ``articles_fts_source`` says.
TRIGGERS: dict[str, str] = {
    "articles_fts_ai": f"AFTER INSERT ON articles BEGIN {_insert('new.id')} END",
    "articles_fts_ad": (f"AFTER DELETE ON articles BEGIN "
                        f"{_delete('old.id', 'old.title', _BEST_OF_OLD_ARTICLE, 'old.outlet_id')} END"),
    "articles_fts_au": (
        "AFTER UPDATE OF title, summary, content, outlet_id ON articles "
        "WHEN old.title IS NOT new.title OR old.summary IS NOT new.summary "
        "OR old.content IS NOT new.content OR old.outlet_id IS NOT new.outlet_id BEGIN "
        f"{_delete('old.id', 'old.title', _BEST_OF_OLD_ARTICLE, 'old.outlet_id')} {_insert('new.id')} END"),
    "article_texts_fts_ai": (
        "AFTER INSERT ON article_texts WHEN new.status = 'extracted' BEGIN "
        + _delete("new.article_id", "(SELECT title FROM articles WHERE id = new.article_id)",
                  "(SELECT CASE WHEN a.content != '' THEN a.content ELSE a.summary END "
                  "FROM articles a WHERE a.id = new.article_id)",
                  "(SELECT outlet_id FROM articles WHERE id = new.article_id)")
        + f" {_insert('new.article_id')} END"),
    "article_texts_fts_au": (
        f"AFTER UPDATE OF status, text ON article_texts WHEN {_TEXT_CHANGED} BEGIN "
        f"{_delete('old.article_id', _OLD_TITLE, _BEST_OF_OLD_TEXT, _OLD_OUTLET)} {_insert('new.article_id')} END"),
    "article_texts_fts_ad": (
        "AFTER DELETE ON article_texts WHEN old.status = 'extracted' BEGIN "
        f"{_delete('old.article_id', _OLD_TITLE, _BEST_OF_OLD_TEXT, _OLD_OUTLET)} {_insert('old.article_id')} END"),
}

_DDL = [
    f"CREATE VIEW {SOURCE_VIEW} AS SELECT a.id AS id, a.title AS title, {_BEST} AS text, "
    f"{_outlet_token('a.outlet_id')} AS outlet "
    "FROM articles a LEFT JOIN article_texts t ON t.article_id = a.id",
    # `outlet` is indexed so that --outlet narrows the match inside FTS5 (a doclist
    # intersection) instead of ranking every match and dropping most of them.
    f"CREATE VIRTUAL TABLE {FTS_TABLE} USING fts5(title, text, outlet, content='{SOURCE_VIEW}', "
    f"content_rowid='id', tokenize='{TOKENIZER}')",
    # The default ranking, so `ORDER BY rank` in plain SQL (Datasette, notebooks) agrees;
    # the outlet column weighs nothing.
    f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rank) VALUES ('rank', 'bm25({TITLE_WEIGHT}, 1.0, 0.0)')",
    *(f"CREATE TRIGGER {name} {body}" for name, body in TRIGGERS.items()),
]
#: Changes to any definition above rebuild the index when a store is next opened.
FTS_HASH = hashlib.sha256("\n".join(_DDL).encode()).hexdigest()
_META_KEY = "fts_hash"


def fts5_available(conn: Connection) -> bool:
    from sqlalchemy.exc import DBAPIError

    try:
        return bool(conn.exec_driver_sql("SELECT sqlite_compileoption_used('ENABLE_FTS5')").scalar())
    except DBAPIError:
        return False


def ensure_fts(conn: Connection) -> bool:
    """Create the index, its source view and triggers if missing or changed, and fill it.

    Called by ``store.ensure_schema`` inside its write transaction. Idempotent and cheap
    when the index is current (two small reads). Back-filling a large store reads every
    article once (minutes for a million). Returns whether the store has the index.
    """
    if conn.dialect.name != "sqlite" or not fts5_available(conn):
        return False
    if index_is_current(conn.connection.driver_connection):
        return True
    for name in TRIGGERS:
        conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS {name}")
    conn.exec_driver_sql(f"DROP TABLE IF EXISTS {FTS_TABLE}")
    conn.exec_driver_sql(f"DROP VIEW IF EXISTS {SOURCE_VIEW}")
    for statement in _DDL:
        conn.exec_driver_sql(statement)
    # Minutes for a million articles, once: say so, or the first command after an upgrade
    # or an import looks hung. stderr, so --format json on stdout stays clean.
    articles = conn.exec_driver_sql("SELECT count(*) FROM articles").scalar() or 0
    if articles >= ANNOUNCE_REBUILD:
        print(f"narratives: building the full-text search index for {articles:,} articles (once; "
              "about two minutes per million) ...", file=sys.stderr, flush=True)
    started = time.monotonic()
    conn.exec_driver_sql(f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('rebuild')")
    conn.exec_driver_sql("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (_META_KEY, FTS_HASH))
    if articles >= ANNOUNCE_REBUILD:
        print(f"narratives: search index built in {time.monotonic() - started:.0f} s", file=sys.stderr, flush=True)
    return True


def index_is_current(con: sqlite3.Connection) -> bool:
    """Whether the index, its source view and its triggers are this version's definitions
    (one sqlite3 connection: the store's own opener, ``store.schema_is_current`` and the
    read-only ``open_index`` all ask this)."""
    names = (FTS_TABLE, SOURCE_VIEW, *TRIGGERS)
    try:
        found = {r[0] for r in con.execute(
            f"SELECT name FROM sqlite_master WHERE name IN ({', '.join('?' * len(names))})", names)}
        stored = con.execute("SELECT value FROM meta WHERE key = ?", (_META_KEY,)).fetchone()
    except sqlite3.Error:  # no meta table yet: a new or foreign file
        return False
    return found == set(names) and stored is not None and stored[0] == FTS_HASH


def has_index(con: sqlite3.Connection) -> bool:
    return con.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?",
                       (FTS_TABLE,)).fetchone() is not None


def open_index(path: Path) -> sqlite3.Connection | None:
    """A read-only sqlite3 connection to the store at ``path`` when its schema and index are
    current; None when the store must first be opened for writing (an older schema, an
    index to build). Raises StoreError when the file is not a store we can read."""
    try:
        con = sqlite3.connect(f"file:{quote(str(path.resolve()))}?mode=ro", uri=True, timeout=30,
                              isolation_level=None)
    except sqlite3.Error as exc:
        raise StoreError(f"search: cannot read {path}: {exc}. Fix: check --db") from None
    try:
        version = con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    except sqlite3.Error:
        version = None
    if version == (str(SCHEMA_VERSION),) and index_is_current(con):
        return con
    con.close()
    return None


# --- searching ----------------------------------------------------------------------

@dataclass(frozen=True)
class SearchQuery:
    """One search: the user's query text and the filters (all optional)."""

    text: str
    outlets: tuple[str, ...] = ()
    since: datetime | None = None  # published at or after
    until: datetime | None = None  # published at or before
    event_id: int | None = None
    limit: int = 20  # 0: all
    rank_all: bool = False  # rank every match, even beyond RANK_CAP


@dataclass(frozen=True)
class SearchResult:
    rows: list[dict]  # best first, RESULT_COLUMNS
    more: bool  # more articles matched than the limit
    capped: bool  # over RANK_CAP matched: only the most recently stored RANK_CAP were ranked


RESULT_COLUMNS = ["rank", "article_id", "outlet", "affiliation", "published_at", "title",
                  "snippet", "url", "event_id", "score"]
TABLE_COLUMNS = ["rank", "article_id", "outlet", "published_at", "title", "snippet", "event_id"]

_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]")


def clean(value: str | None) -> str:
    """One line of displayable text: control, bidi and zero-width characters become spaces."""
    return re.sub(r"\s+", " ", _CONTROL.sub(" ", value or "")).strip()


def match_expression(q: SearchQuery) -> str:
    """The full MATCH: the user's query on title and text, and the outlets (exact tokens)."""
    expr = f"{{title text}} : ( {fts_query(q.text)} )"
    if q.outlets:
        expr += " AND outlet : ( " + " OR ".join(outlet_token(o) for o in q.outlets) + " )"
    return expr


def _bound(params: dict[str, Any]) -> dict[str, Any]:
    """The parameters with times written as the store writes them (SQLite keeps them as text
    that sorts as time: "2026-11-25 09:00:00.000000")."""
    return {k: v.strftime("%Y-%m-%d %H:%M:%S.%f") if isinstance(v, datetime) else v for k, v in params.items()}


def _rows(con: sqlite3.Connection, sql: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    cur = con.execute(sql, _bound(params))
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def _article_filters(q: SearchQuery, alias: str = "a.") -> tuple[list[str], dict[str, Any]]:
    where: list[str] = []
    params: dict[str, Any] = {}
    if q.outlets:
        names = [f"o{i}" for i in range(len(q.outlets))]
        where.append(f"{alias}outlet_id IN ({', '.join(':' + n for n in names)})")
        params.update(zip(names, q.outlets, strict=True))
    if q.since is not None:
        where.append(f"{alias}published_at >= :since")
        params["since"] = q.since
    if q.until is not None:
        where.append(f"{alias}published_at <= :until")
        params["until"] = q.until
    return where, params


def _rowid_range(con: sqlite3.Connection, q: SearchQuery) -> tuple[int, int] | None | bool:
    """The smallest and largest article id that pass the filters, read from an index.

    The FTS5 cursor takes a rowid range natively, so a narrow filter (one event, a
    recent window) limits the doclists it walks and the rows it ranks. False: no article
    passes. None: no event or time filter.
    """
    if q.event_id is not None:
        sql, params = "SELECT min(article_id), max(article_id) FROM event_articles WHERE event_id = :e", {
            "e": q.event_id}
    elif q.since is not None or q.until is not None:
        # ix_articles_published / ix_articles_outlet_published cover (published_at, id):
        # this reads only the index entries of the window.
        where, params = _article_filters(q, alias="")
        sql = f"SELECT min(id), max(id) FROM articles WHERE {' AND '.join(where)}"
    else:
        return None
    row = con.execute(sql, _bound(params)).fetchone()
    return False if row[0] is None else (row[0], row[1])


def _from_where(q: SearchQuery, span: tuple[int, int] | None, *, join: bool) -> tuple[str, dict[str, Any]]:
    params: dict[str, Any] = {"match": match_expression(q)}
    where = [f"{FTS_TABLE} MATCH :match"]
    if span is not None:
        where.append(f"{FTS_TABLE}.rowid BETWEEN :lo AND :hi")
        params["lo"], params["hi"] = span
    sql = f"FROM {FTS_TABLE}"
    if join:
        filters, fparams = _article_filters(q)
        where += filters
        params.update(fparams)
        # CROSS JOIN keeps FTS5 the outer loop: it yields rows in its own (rank or rowid)
        # order and each article is a primary-key lookup.
        sql += (f" CROSS JOIN articles a ON a.id = {FTS_TABLE}.rowid JOIN outlets o ON o.id = a.outlet_id"
                " LEFT JOIN event_articles ea ON ea.article_id = a.id")
        if q.event_id is not None:
            where.append("ea.event_id = :event")
            params["event"] = q.event_id
    return f"{sql} WHERE {' AND '.join(where)}", params


def cap_sql(q: SearchQuery, span: tuple[int, int] | None) -> tuple[str, dict[str, Any]]:
    """The id of the (RANK_CAP+1)-th newest match, or no row when fewer match.

    FTS5 walks its doclists newest first without ranking (cheap); outlets are in the
    MATCH and times in the id range, so the articles are joined only for an event.
    """
    body, params = _from_where(q, span, join=q.event_id is not None)
    params["cap"] = RANK_CAP
    return f"SELECT {FTS_TABLE}.rowid {body} ORDER BY {FTS_TABLE}.rowid DESC LIMIT 1 OFFSET :cap", params


def search_sql(q: SearchQuery, span: tuple[int, int] | None) -> tuple[str, dict[str, Any]]:
    """The statement and its parameters (public for the benchmark and EXPLAIN QUERY PLAN).

    FTS5 drives: it ranks the matches in ``span`` by bm25 in its own sorter, the filters
    are checked on each article (a primary-key lookup) in rank order, and the LIMIT stops
    the walk once enough rows passed; snippets are cut only for those rows.
    """
    body, params = _from_where(q, span, join=True)
    sql = (f"SELECT {FTS_TABLE}.rowid AS article_id, {FTS_TABLE}.rank AS bm25, "
           f"snippet({FTS_TABLE}, 1, :mo, :mc, :el, :words) AS snippet, a.outlet_id AS outlet, "
           "o.affiliation AS affiliation, a.published_at AS published_at, a.title AS title, "
           f"a.url AS url, ea.event_id AS event_id {body} ORDER BY {FTS_TABLE}.rank")
    params.update(mo=MARK_OPEN, mc=MARK_CLOSE, el=ELLIPSIS, words=SNIPPET_WORDS)
    if q.limit:
        sql += " LIMIT :limit"
        params["limit"] = q.limit + 1  # one more tells whether there are more
    return sql, params


def _is_query_error(exc: BaseException | None) -> bool:
    message = str(exc)
    return isinstance(exc, sqlite3.OperationalError) and (
        message.startswith(("fts5:", "no such column", "unknown special query", "unterminated string")))


def _dbapi(db: Session | sqlite3.Connection) -> sqlite3.Connection:
    """The sqlite3 connection behind a Session (or the connection itself)."""
    if isinstance(db, sqlite3.Connection):
        return db
    bind = db.get_bind()
    if bind.dialect.name != "sqlite":
        raise StoreError(f"search: full-text search needs a SQLite store (FTS5); this store is "
                         f"{bind.dialect.name}. Fix: search a SQLite copy (narratives export), or use "
                         "your database's own full-text search")
    return db.connection().connection.driver_connection  # type: ignore[return-value]


def search(db: Session | sqlite3.Connection, q: SearchQuery) -> SearchResult:
    """The best ``q.limit`` matches, best first, through a Session or a sqlite3 connection.

    Raises SearchQueryError for an unreadable query, StoreError when the store has no
    index (another backend, or SQLite without FTS5).
    """
    con = _dbapi(db)
    if not has_index(con):
        raise StoreError("search: this store has no full-text index: its SQLite lacks FTS5. "
                         "Fix: use a Python whose sqlite3 has FTS5 (most do), then open the store "
                         "again to build the index")
    match_expression(q)  # an unreadable query fails before any work
    try:
        span = _rowid_range(con, q)
        if span is False:
            return SearchResult([], False, False)
        span = span if isinstance(span, tuple) else None
        capped = False
        if not q.rank_all:
            sql, params = cap_sql(q, span)
            boundary = con.execute(sql, _bound(params)).fetchone()
            if boundary is not None:
                capped = True
                span = (boundary[0] + 1, span[1] if span else 2**63 - 1)
        sql, params = search_sql(q, span)
        rows = _rows(con, sql, params)
    except sqlite3.Error as exc:
        if _is_query_error(exc):
            raise SearchQueryError(f"search: SQLite could not read the query {q.text!r} "
                                   f"({exc}). {QUERY_HELP}") from None
        raise StoreError(f"search: {exc}") from None
    out = []
    for i, r in enumerate(rows[: q.limit or None], 1):
        published = r["published_at"]
        out.append(dict(rank=i, article_id=r["article_id"], outlet=r["outlet"],
                        affiliation=r["affiliation"],
                        published_at=datetime.fromisoformat(published) if isinstance(published, str)
                        else published,
                        title=clean(r["title"]), snippet=clean(r["snippet"]), url=r["url"],
                        event_id=r["event_id"], score=round(-float(r["bm25"]), 4)))
    return SearchResult(out, bool(q.limit) and len(rows) > q.limit, capped)
