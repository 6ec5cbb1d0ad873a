"""Engine set-up and repository functions. Functions take a session and never commit.

Usage::

    engine = open_store("sqlite:///storage/narratives.db")   # creates the schema if needed
    with Session(engine) as s, s.begin():                      # BEGIN IMMEDIATE on SQLite
        sync_config(s, config, now)

SQLite writers open with ``BEGIN IMMEDIATE``: a deferred BEGIN that reads and then
writes fails with "database is locked" under a second writer whatever the busy timeout,
because SQLite cannot upgrade a read lock that another writer is waiting behind.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import (
    Engine,
    and_,
    case,
    create_engine,
    event,
    func,
    insert,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DatabaseError
from sqlalchemy.orm import Session

from .errors import StoreError
from .models import (
    SCHEMA_VERSION,
    VIEWS,
    ArticleRow,
    ArticleTextRow,
    ArticleVersionRow,
    ArticleVersionSourceRow,
    Base,
    FeedRow,
    FetchRow,
    Meta,
    OutletRow,
)
from .search import ensure_fts
from .storefile import DEFAULT_DB, db_url  # noqa: F401  (re-exported: callers import them from here)

if TYPE_CHECKING:  # annotations only: the read-only commands need not import feedparser or PyYAML
    from .config import Config
    from .parse import ArticleDraft

BUSY_TIMEOUT_MS = 30_000


def sqlite_path(url: str) -> Path | None:
    """The file behind a SQLite URL, or None for other databases and :memory:."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database)


def create_store_engine(url: str, *, write: bool = True) -> Engine:
    """An engine with SQLite set for a long-lived multi-process store (WAL, busy timeout)."""
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise StoreError(f"store: {url!r} is not a database URL ({exc}). Fix: pass --db "
                         "sqlite:///path/to/file.db or a path") from None
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url)
    path = sqlite_path(url)
    if path is not None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:  # e.g. a file where the folder should be
            raise StoreError(f"store: cannot create the folder for {path}: {exc}. Fix: check "
                             "--db") from None
    engine = create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000,
                                            "check_same_thread": False})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):  # type: ignore[no-untyped-def]
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves, below
        cur = dbapi_conn.cursor()
        cur.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        if path is not None:
            cur.execute("PRAGMA journal_mode = WAL")
            cur.execute("PRAGMA synchronous = NORMAL")  # WAL + NORMAL: durable at checkpoints
        cur.execute("PRAGMA foreign_keys = ON")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):  # type: ignore[no-untyped-def]
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

    return engine


def _views_hash() -> str:
    return hashlib.sha256(repr(sorted(VIEWS.items())).encode()).hexdigest()


def schema_is_current(engine: Engine) -> bool:
    """Whether the SQLite store already has every table, view, index and trigger of this
    version: read without a transaction, so opening a current store takes no write lock
    and costs a few small reads (every command opens the store)."""
    if engine.dialect.name != "sqlite":
        return False
    from .search import index_is_current

    try:
        raw = engine.raw_connection()
        try:
            con = raw.driver_connection
            names = {r[0] for r in con.execute("SELECT name FROM sqlite_master")}
            if "meta" not in names:
                return False
            meta = dict(con.execute("SELECT key, value FROM meta WHERE key IN "
                                    "('schema_version', 'views_hash')").fetchall())
            index = index_is_current(con)
        finally:
            raw.close()
    except (sqlite3.Error, DatabaseError):  # not a store, or unreadable: the full path says why
        return False
    return ({*Base.metadata.tables, *VIEWS} <= names and meta.get("schema_version") == str(SCHEMA_VERSION)
            and meta.get("views_hash") == _views_hash() and index)


def ensure_schema(engine: Engine, now: datetime) -> None:
    """Create missing tables and views; refuse a store written by a newer version."""
    try:
        if schema_is_current(engine):
            return
        with Session(engine) as s, s.begin():
            conn = s.connection()
            Base.metadata.create_all(conn)
            version = s.get(Meta, "schema_version")
            if version is None:
                s.add(Meta(key="schema_version", value=str(SCHEMA_VERSION)))
                s.add(Meta(key="created_at", value=now.isoformat(timespec="seconds")))
            elif int(version.value) > SCHEMA_VERSION:
                raise StoreError(f"store: schema version {version.value} is newer than this "
                                 f"narratives understands ({SCHEMA_VERSION}). Fix: upgrade narratives")
            elif int(version.value) < SCHEMA_VERSION:
                # Every upgrade so far only adds tables (created above) and view columns.
                version.value = str(SCHEMA_VERSION)
            # Views are rebuilt only when their definitions change, so readers that hold
            # the store open (Datasette, notebooks) are not disturbed on every run.
            views_hash = _views_hash()
            stored = s.get(Meta, "views_hash")
            if stored is None or stored.value != views_hash:
                for name, body in VIEWS.items():
                    conn.execute(text(f"DROP VIEW IF EXISTS {name}"))
                    conn.execute(text(f"CREATE VIEW {name} AS {body}"))
                s.merge(Meta(key="views_hash", value=views_hash))
            ensure_fts(conn)  # the full-text index: created and back-filled when missing
    except DatabaseError as exc:  # OperationalError, and "file is not a database"
        raise StoreError(f"store: cannot open {engine.url!r}: {exc.orig}. Fix: check --db "
                         "and that the folder is writable") from None


def open_store(url: str, now: datetime, *, write: bool = True) -> Engine:
    engine = create_store_engine(url, write=write)
    ensure_schema(engine, now)
    return engine


# --- configuration -> rows --------------------------------------------------------

def sync_config(session: Session, config: Config, now: datetime) -> None:
    """Make outlets/feeds match feeds.yaml. Removed feeds are kept (history) but disabled."""
    outlets = {o.id: o for o in session.scalars(select(OutletRow))}
    feeds = {f.url: f for f in session.scalars(select(FeedRow))}
    configured_urls = set()
    for outlet in config.outlets:
        row = outlets.get(outlet.id)
        values = dict(name=outlet.name, country=outlet.country, language=outlet.language,
                      affiliation=outlet.affiliation, owner=outlet.owner,
                      homepage=outlet.homepage, enabled=outlet.enabled, in_config=True)
        if row is None:
            session.add(OutletRow(id=outlet.id, created_at=now, updated_at=now, **values))
        elif any(getattr(row, k) != v for k, v in values.items()):
            for k, v in values.items():
                setattr(row, k, v)
            row.updated_at = now
    session.flush()  # outlets before the feeds that reference them
    for outlet in config.outlets:
        for spec in outlet.feeds:
            configured_urls.add(spec.url)
            feed = feeds.get(spec.url)
            if feed is None:
                session.add(FeedRow(outlet_id=outlet.id, url=spec.url, name=spec.name,
                                    enabled=spec.enabled, in_config=True, status="active",
                                    failure_count=0, created_at=now))
            else:
                feed.outlet_id, feed.name, feed.enabled, feed.in_config = (
                    outlet.id, spec.name, spec.enabled, True)
    for url, feed in feeds.items():
        if url not in configured_urls and feed.in_config:
            feed.in_config = False
    configured = {o.id for o in config.outlets}
    for oid, row in outlets.items():
        if oid not in configured and row.in_config:
            row.in_config = False


@dataclass(frozen=True)
class FeedJob:
    """What the fetch stage needs to know about one feed; a snapshot, not a live row."""

    feed_id: int | None  # None for imported archives
    outlet_id: str
    url: str
    name: str
    etag: str | None
    last_modified: str | None
    body_hash: str | None
    failure_count: int
    language: str | None


def due_feeds(session: Session, now: datetime, *, force: bool = False,
              outlets: Sequence[str] = ()) -> list[FeedJob]:
    """Enabled feeds in feeds.yaml whose next fetch is due (all of them with force)."""
    q = (select(FeedRow, OutletRow.language)
         .join(OutletRow, OutletRow.id == FeedRow.outlet_id)
         .where(FeedRow.enabled.is_(True), FeedRow.in_config.is_(True),
                OutletRow.enabled.is_(True), OutletRow.in_config.is_(True))
         .order_by(FeedRow.id))
    if outlets:
        q = q.where(FeedRow.outlet_id.in_(list(outlets)))
    if not force:
        q = q.where(FeedRow.status != "gone",
                    (FeedRow.next_fetch_at.is_(None)) | (FeedRow.next_fetch_at <= now))
    return [FeedJob(f.id, f.outlet_id, f.url, f.name, f.etag, f.last_modified, f.body_hash,
                    f.failure_count, lang) for f, lang in session.execute(q)]


# --- fetch results -> rows --------------------------------------------------------

@dataclass(frozen=True)
class Counts:
    seen: int = 0
    new: int = 0
    changed: int = 0


def batches(items: Sequence, size: int = 500) -> list[Sequence]:
    """``items`` in slices of ``size``: SQLite allows 32,766 bound parameters per statement."""
    return [items[i : i + size] for i in range(0, len(items), size)]


def store_articles(session: Session, job: FeedJob, drafts: Sequence[ArticleDraft],
                   fetched_at: datetime) -> Counts:
    """Insert new items, version and update changed ones. One item per (outlet, item_key).

    An item met again in *another* feed of the same outlet counts as seen, not changed:
    two feeds often carry one story with different teasers, and that is not an edit.
    """
    keys = [d.item_key for d in drafts]
    existing = {}
    for chunk in batches(keys):
        for row in session.execute(
                select(ArticleRow.id, ArticleRow.item_key, ArticleRow.feed_id,
                       ArticleRow.content_hash, ArticleRow.title, ArticleRow.summary,
                       ArticleRow.content, ArticleRow.url, ArticleRow.updated_at)
                .where(ArticleRow.outlet_id == job.outlet_id, ArticleRow.item_key.in_(chunk))):
            existing[row.item_key] = row
    new_rows, versions, changed = [], [], 0
    for d in drafts:
        row = existing.get(d.item_key)
        if row is None:
            new_rows.append(dict(
                outlet_id=job.outlet_id, feed_id=job.feed_id, item_key=d.item_key, guid=d.guid,
                url=d.url, title=d.title, summary=d.summary, content=d.content, author=d.author,
                language=d.language or job.language, published_at=d.published_at,
                published_raw=d.published_raw, date_flag=d.date_flag, fetched_at=fetched_at,
                updated_at=fetched_at, content_hash=d.content_hash))
        elif row.content_hash != d.content_hash and row.feed_id == job.feed_id:
            changed += 1
            versions.append(dict(article_id=row.id, title=row.title, summary=row.summary,
                                 content=row.content, url=row.url, content_hash=row.content_hash,
                                 seen_from=row.updated_at, replaced_at=fetched_at))
            session.execute(update(ArticleRow).where(ArticleRow.id == row.id).values(
                title=d.title, summary=d.summary, content=d.content, url=d.url or row.url,
                author=d.author, content_hash=d.content_hash, updated_at=fetched_at))
    if new_rows:
        session.execute(insert(ArticleRow), new_rows)
    if versions:
        session.execute(insert(ArticleVersionRow), versions)
    return Counts(seen=len(drafts), new=len(new_rows), changed=changed)


@dataclass(frozen=True)
class FeedUpdate:
    """The outcome of one attempt, as the feeds and fetches tables record it."""

    started_at: datetime
    finished_at: datetime
    outcome: str  # ok | not_modified | unchanged | error | gone
    next_fetch_at: datetime | None
    http_status: int | None = None
    final_url: str | None = None
    nbytes: int = 0
    etag: str | None = None
    last_modified: str | None = None
    body_hash: str | None = None
    feed_title: str | None = None
    error_class: str | None = None
    error_message: str | None = None
    warnings: str | None = None


def record_attempt(session: Session, job: FeedJob, upd: FeedUpdate, counts: Counts) -> None:
    """Write the fetches row and move the feed's validators, status and schedule."""
    session.add(FetchRow(
        feed_id=job.feed_id, started_at=upd.started_at, finished_at=upd.finished_at,
        outcome=upd.outcome, http_status=upd.http_status, final_url=upd.final_url,
        bytes=upd.nbytes, items_seen=counts.seen, items_new=counts.new,
        items_changed=counts.changed, error_class=upd.error_class,
        error_message=upd.error_message, warnings=upd.warnings, next_fetch_at=upd.next_fetch_at))
    values: dict = dict(last_fetch_at=upd.started_at, last_status=upd.http_status,
                        next_fetch_at=upd.next_fetch_at)
    if upd.outcome in ("ok", "not_modified", "unchanged"):
        values.update(status="active", failure_count=0, last_success_at=upd.finished_at)
        if upd.outcome in ("ok", "unchanged"):
            # Validators advance in the same transaction as the articles they vouch for.
            values.update(etag=upd.etag, last_modified=upd.last_modified, body_hash=upd.body_hash)
            if upd.feed_title:
                values["title"] = upd.feed_title
    else:
        values.update(status="gone" if upd.outcome == "gone" else "failing",
                      failure_count=FeedRow.failure_count + 1, last_error_at=upd.finished_at,
                      last_error=upd.error_message)
    session.execute(update(FeedRow).where(FeedRow.id == job.feed_id).values(**values))


def ensure_outlet(session: Session, outlet_id: str, now: datetime, *, name: str | None = None,
                  affiliation: str | None = None, language: str | None = None) -> OutletRow:
    """The outlet row, created for an import when feeds.yaml does not know it."""
    row = session.get(OutletRow, outlet_id)
    if row is None:
        row = OutletRow(id=outlet_id, name=name or outlet_id, affiliation=affiliation or "unknown",
                        language=language, enabled=True, in_config=False, created_at=now,
                        updated_at=now)
        session.add(row)
        session.flush()
    elif affiliation and row.affiliation == "unknown":
        row.affiliation, row.updated_at = affiliation, now
    return row


# --- reading ----------------------------------------------------------------------

def feed_health(session: Session) -> list[dict]:
    """One dict per configured feed, in the column order of ``v_feed_health``."""
    counts = dict(session.execute(
        select(ArticleRow.feed_id, func.count()).group_by(ArticleRow.feed_id)).all())
    rows = session.execute(
        select(FeedRow, OutletRow.name).join(OutletRow, OutletRow.id == FeedRow.outlet_id)
        .where(FeedRow.in_config.is_(True)).order_by(FeedRow.outlet_id, FeedRow.id))
    return [dict(outlet=f.outlet_id, outlet_name=name, feed=f.name, url=f.url,
                 status=f.status if f.enabled else "disabled",
                 last_success_at=f.last_success_at, last_error_at=f.last_error_at,
                 last_error=f.last_error, failure_count=f.failure_count,
                 articles=counts.get(f.id, 0), next_fetch_at=f.next_fetch_at)
            for f, name in rows]


# --- article pages (the full-text stage) ------------------------------------------

@dataclass(frozen=True)
class PageJob:
    """What the full-text stage needs to know about one article; a snapshot, not a live row."""

    article_id: int
    outlet_id: str
    url: str
    title: str
    feed_text: str  # the feed's best text: content, else summary
    status: str | None  # the article_texts status so far (None: never tried)
    failures: int  # consecutive failed attempts so far


def due_pages(session: Session, now: datetime, outlets: Sequence[str], *, limit: int,
              force: bool = False, recheck: bool = False) -> list[PageJob]:
    """Articles of ``outlets`` whose page is due, never-tried ones first, then newest first.

    Due: never tried; a retry whose time has come; or a page read before the feed last
    changed the article (the outlet edited it). ``force`` adds every failed page (given
    up or not), ``recheck`` every page already read (to catch silent edits of the page).
    """
    t = ArticleTextRow
    never = t.article_id.is_(None)
    due = or_(never, t.next_attempt_at <= now,
              and_(t.next_attempt_at.is_(None), ArticleRow.updated_at > t.attempted_at))
    if force:
        due = or_(due, t.status == "failed")
    if recheck:
        due = or_(due, t.status.in_(("extracted", "fallback")))
    q = (select(ArticleRow.id, ArticleRow.outlet_id, ArticleRow.url, ArticleRow.title,
                ArticleRow.summary, ArticleRow.content, t.status, t.failures)
         .outerjoin(t, t.article_id == ArticleRow.id)
         .where(ArticleRow.outlet_id.in_(list(outlets)), ArticleRow.url.is_not(None),
                or_(ArticleRow.url.like("http://%"), ArticleRow.url.like("https://%")), due)
         .order_by(case((never, 0), else_=1), ArticleRow.published_at.desc(), ArticleRow.id.desc())
         .limit(limit))
    return [PageJob(r.id, r.outlet_id, r.url, r.title, r.content or r.summary, r.status,
                    r.failures or 0) for r in session.execute(q)]


@dataclass(frozen=True)
class PageUpdate:
    """The outcome of one page attempt, as ``article_texts`` records it."""

    status: str  # extracted | fallback | failed
    attempted_at: datetime
    url: str
    next_attempt_at: datetime | None = None
    final_url: str | None = None
    http_status: int | None = None
    nbytes: int = 0
    text: str = ""
    extractor: str | None = None
    encoding: str | None = None
    reason: str | None = None
    error_class: str | None = None
    error_message: str | None = None


def record_page(session: Session, job: PageJob, upd: PageUpdate) -> bool:
    """Write one attempt into ``article_texts``. True when an earlier page text was versioned.

    A failure never takes away text already read: an ``extracted`` or ``fallback`` row
    keeps its status and text and records the error and the retry time. When a new read
    replaces an extracted text with a different one, the earlier text goes to
    ``article_versions`` (with the article's title and summary, ``url`` = the page it came
    from) and is marked ``page`` in ``article_version_sources``.
    """
    row = session.get(ArticleTextRow, job.article_id)
    if row is None:
        row = ArticleTextRow(article_id=job.article_id, status="failed", attempts=0, failures=0,
                             chars=0, bytes=0, url=upd.url, attempted_at=upd.attempted_at)
        session.add(row)
    read_from = row.final_url or row.url  # where the text stored so far came from
    row.attempts = (row.attempts or 0) + 1
    row.attempted_at, row.url, row.next_attempt_at = upd.attempted_at, upd.url, upd.next_attempt_at
    if upd.status == "failed":
        row.http_status = upd.http_status
        if row.status == "failed":  # no text yet: nothing else to describe
            row.final_url, row.bytes = upd.final_url, upd.nbytes
        row.failures = (row.failures or 0) + 1
        row.error_class, row.error_message = upd.error_class, upd.error_message
        return False
    digest = hashlib.sha256(upd.text.encode("utf-8", "replace")).hexdigest() if upd.text else None
    versioned = False
    if row.status == "extracted" and row.text and digest != row.content_hash:
        article = session.get(ArticleRow, job.article_id)
        version = ArticleVersionRow(
            article_id=job.article_id, title=article.title if article else "",
            summary=article.summary if article else "", content=row.text, url=read_from,
            content_hash=row.content_hash or "", seen_from=row.fetched_at or row.attempted_at,
            replaced_at=upd.attempted_at)
        session.add(version)
        session.flush()  # for version.id
        session.add(ArticleVersionSourceRow(version_id=version.id, source="page"))
        versioned = True
    if digest != row.content_hash or row.fetched_at is None:
        row.fetched_at = upd.attempted_at  # when this text was first read
    row.final_url, row.http_status, row.bytes = upd.final_url, upd.http_status, upd.nbytes
    row.status, row.text, row.chars, row.content_hash = (upd.status, upd.text or None,
                                                         len(upd.text), digest)
    row.extractor, row.encoding, row.reason = upd.extractor, upd.encoding, upd.reason
    row.failures, row.error_class, row.error_message = 0, None, None
    return versioned
