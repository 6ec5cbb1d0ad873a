"""Tables and views of the store. The README's "Schema" section documents them for researchers.

Usage::

    from narratives.models import Base, ArticleRow
    select(ArticleRow.title).where(ArticleRow.outlet_id == "tass")

All times are naive UTC. Queries stay portable SQLAlchemy so PostgreSQL can follow.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

SCHEMA_VERSION = 3


class Base(DeclarativeBase):
    pass


class Meta(Base):
    """Key/value facts about the store itself (schema_version, created_at)."""

    __tablename__ = "meta"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class OutletRow(Base):
    __tablename__ = "outlets"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    country: Mapped[str | None] = mapped_column(String(64))
    language: Mapped[str | None] = mapped_column(String(35))
    affiliation: Mapped[str] = mapped_column(String(32), default="unknown")
    owner: Mapped[str | None] = mapped_column(Text)
    homepage: Mapped[str | None] = mapped_column(Text)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    in_config: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(DateTime)


class FeedRow(Base):
    __tablename__ = "feeds"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    outlet_id: Mapped[str] = mapped_column(ForeignKey("outlets.id"), index=True)
    url: Mapped[str] = mapped_column(Text, unique=True)
    name: Mapped[str] = mapped_column(Text, default="")
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    in_config: Mapped[bool] = mapped_column(Boolean, default=True)
    # active: fetched on schedule; failing: last attempt failed, retrying with backoff;
    # gone: the server answered 410, fetched again only with --force.
    status: Mapped[str] = mapped_column(String(16), default="active")
    etag: Mapped[str | None] = mapped_column(Text)
    last_modified: Mapped[str | None] = mapped_column(Text)
    body_hash: Mapped[str | None] = mapped_column(String(64))
    failure_count: Mapped[int] = mapped_column(Integer, default=0)
    next_fetch_at: Mapped[datetime | None] = mapped_column(DateTime, index=True)
    last_fetch_at: Mapped[datetime | None] = mapped_column(DateTime)
    last_success_at: Mapped[datetime | None] = mapped_column(DateTime)
    last_error_at: Mapped[datetime | None] = mapped_column(DateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    last_status: Mapped[int | None] = mapped_column(Integer)
    title: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime)


class FetchRow(Base):
    """One row per attempt, successful or not: the collector's audit trail."""

    __tablename__ = "fetches"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    feed_id: Mapped[int] = mapped_column(ForeignKey("feeds.id"), index=True)
    started_at: Mapped[datetime] = mapped_column(DateTime, index=True)
    finished_at: Mapped[datetime] = mapped_column(DateTime)
    # ok | not_modified (304) | unchanged (same body hash) | error | gone (410)
    outcome: Mapped[str] = mapped_column(String(16))
    http_status: Mapped[int | None] = mapped_column(Integer)
    final_url: Mapped[str | None] = mapped_column(Text)
    bytes: Mapped[int] = mapped_column(BigInteger, default=0)
    items_seen: Mapped[int] = mapped_column(Integer, default=0)
    items_new: Mapped[int] = mapped_column(Integer, default=0)
    items_changed: Mapped[int] = mapped_column(Integer, default=0)
    error_class: Mapped[str | None] = mapped_column(String(32))
    error_message: Mapped[str | None] = mapped_column(Text)
    warnings: Mapped[str | None] = mapped_column(Text)
    next_fetch_at: Mapped[datetime | None] = mapped_column(DateTime)


class ArticleRow(Base):
    __tablename__ = "articles"
    __table_args__ = (
        UniqueConstraint("outlet_id", "item_key", name="uq_articles_outlet_item"),
        Index("ix_articles_published", "published_at"),
        Index("ix_articles_outlet_published", "outlet_id", "published_at"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    outlet_id: Mapped[str] = mapped_column(ForeignKey("outlets.id"))
    feed_id: Mapped[int | None] = mapped_column(ForeignKey("feeds.id"), index=True)
    # guid:<guid> | url:<canonical url> | hash:<sha256 of title+summary>: one item per outlet
    item_key: Mapped[str] = mapped_column(Text)
    guid: Mapped[str | None] = mapped_column(Text)
    url: Mapped[str | None] = mapped_column(Text, index=True)
    title: Mapped[str] = mapped_column(Text, default="")
    summary: Mapped[str] = mapped_column(Text, default="")
    content: Mapped[str] = mapped_column(Text, default="")
    author: Mapped[str | None] = mapped_column(Text)
    language: Mapped[str | None] = mapped_column(String(35))
    published_at: Mapped[datetime] = mapped_column(DateTime)
    published_raw: Mapped[str | None] = mapped_column(Text)
    # NULL: the feed's date; missing/unparsed/absurd: published_at is the fetch time instead
    date_flag: Mapped[str | None] = mapped_column(String(16))
    fetched_at: Mapped[datetime] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(DateTime)
    content_hash: Mapped[str] = mapped_column(String(64))


class ArticleVersionRow(Base):
    """An earlier text of an article that the outlet later changed (a silent edit)."""

    __tablename__ = "article_versions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id"), index=True)
    title: Mapped[str] = mapped_column(Text)
    summary: Mapped[str] = mapped_column(Text)
    content: Mapped[str] = mapped_column(Text)
    url: Mapped[str | None] = mapped_column(Text)
    content_hash: Mapped[str] = mapped_column(String(64))
    seen_from: Mapped[datetime] = mapped_column(DateTime)  # when this text was first stored
    replaced_at: Mapped[datetime] = mapped_column(DateTime)  # when the newer text replaced it


class RunRow(Base):
    """One clustering (or later, comparison) run: parameters and code version, for citing."""

    __tablename__ = "runs"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))  # cluster
    started_at: Mapped[datetime] = mapped_column(DateTime)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime)
    status: Mapped[str] = mapped_column(String(16), default="running")  # running|done|failed
    code_version: Mapped[str] = mapped_column(String(32))
    params: Mapped[str] = mapped_column(Text)  # JSON, sorted keys
    articles_in: Mapped[int] = mapped_column(Integer, default=0)
    events_created: Mapped[int] = mapped_column(Integer, default=0)
    events_changed: Mapped[int] = mapped_column(Integer, default=0)
    note: Mapped[str | None] = mapped_column(Text)


class EventRow(Base):
    """A real-world happening reported by one or more outlets."""

    __tablename__ = "events"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    label: Mapped[str] = mapped_column(Text, default="")  # headline — top terms
    headline: Mapped[str] = mapped_column(Text, default="")  # most central article's title
    top_terms: Mapped[str] = mapped_column(Text, default="")  # comma-separated
    first_published: Mapped[datetime] = mapped_column(DateTime, index=True)
    last_published: Mapped[datetime] = mapped_column(DateTime, index=True)
    article_count: Mapped[int] = mapped_column(Integer, default=0)
    outlet_count: Mapped[int] = mapped_column(Integer, default=0)
    created_run_id: Mapped[int] = mapped_column(ForeignKey("runs.id"))
    updated_run_id: Mapped[int] = mapped_column(ForeignKey("runs.id"))


class EventArticleRow(Base):
    __tablename__ = "event_articles"
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id"), primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id"), index=True)
    similarity: Mapped[float] = mapped_column(Float)  # cosine to the event centroid
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id"))


class ClusterArticleRow(Base):
    """The clusterer's per-article state (internal: read it through the events tables).

    ``terms``: hashed term counts of the boilerplate-stripped title and text (int32 feature
    indices, then uint16 counts); ``neighbours``: the k most similar articles within the
    window (int64 article ids, -1 = empty, then float32 cosines). Loading only the rows near
    new articles keeps an incremental run's cost independent of the store's age.
    """

    __tablename__ = "cluster_articles"
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id"), primary_key=True)
    day: Mapped[float] = mapped_column(Float, index=True)  # published_at in days since 1970
    terms: Mapped[bytes] = mapped_column(LargeBinary)
    neighbours: Mapped[bytes] = mapped_column(LargeBinary)


class StateRow(Base):
    """Incremental model state (document frequencies, boilerplate counts), as blobs."""

    __tablename__ = "model_state"
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    updated_run_id: Mapped[int | None] = mapped_column(Integer)


#: Researcher-facing views. Names and columns are a stable interface: add, never rename.
VIEWS: dict[str, str] = {
    "v_articles": """
        SELECT a.id AS article_id, a.outlet_id AS outlet, o.name AS outlet_name,
               o.affiliation AS affiliation, o.country AS country, a.feed_id AS feed_id,
               a.guid AS guid, a.title AS title, a.url AS url, a.summary AS summary,
               a.content AS content, a.author AS author,
               COALESCE(a.language, o.language) AS language,
               a.published_at AS published_at, a.date_flag AS date_flag,
               a.fetched_at AS fetched_at, a.updated_at AS updated_at,
               (SELECT COUNT(*) FROM article_versions v WHERE v.article_id = a.id) AS versions,
               ea.event_id AS event_id
        FROM articles a JOIN outlets o ON o.id = a.outlet_id
        LEFT JOIN event_articles ea ON ea.article_id = a.id""",
    "v_feed_health": """
        SELECT f.id AS feed_id, f.outlet_id AS outlet, o.name AS outlet_name, f.name AS feed,
               f.url AS url, f.status AS status, f.enabled AS enabled,
               f.last_success_at AS last_success_at, f.last_error_at AS last_error_at,
               f.last_error AS last_error, f.failure_count AS failure_count,
               f.next_fetch_at AS next_fetch_at,
               (SELECT COUNT(*) FROM articles a WHERE a.feed_id = f.id) AS articles
        FROM feeds f JOIN outlets o ON o.id = f.outlet_id""",
}
