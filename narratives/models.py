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

from .storefile import SCHEMA_VERSION  # noqa: F401  (re-exported)
from .thin import CJK_CHARS_PER_WORD, THIN_CHARS, THIN_WORDS


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


class ArticleTextRow(Base):
    """An article's own page, fetched and extracted by ``narratives fulltext``.

    One row per article that went through the full-text stage; the feed's text in
    ``articles`` is never replaced. ``status`` is the state of the page text:
    ``extracted`` (``text`` is the article's best text), ``fallback`` (the page was read
    but gave less than the feed had, e.g. a paywall stub: the feed text stays best and
    ``reason`` says why), ``failed`` (no page text yet: ``error_class`` says why; retried at
    ``next_attempt_at``). A failed later fetch of an extracted page keeps ``extracted``
    and its text, and records the error.
    """

    __tablename__ = "article_texts"
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id"), primary_key=True)
    status: Mapped[str] = mapped_column(String(16))  # extracted | fallback | failed
    text: Mapped[str | None] = mapped_column(Text)  # plain text the extractor found on the page
    chars: Mapped[int] = mapped_column(Integer, default=0)
    content_hash: Mapped[str | None] = mapped_column(String(64))  # sha256 of text
    extractor: Mapped[str | None] = mapped_column(String(64))  # e.g. "trafilatura 2.3.1"
    encoding: Mapped[str | None] = mapped_column(String(64))  # codec and its source: "cp1251 (header)"
    reason: Mapped[str | None] = mapped_column(String(32))  # fallback: shorter_than_feed | no_text | ...
    url: Mapped[str] = mapped_column(Text)  # the page asked for (the article's url)
    final_url: Mapped[str | None] = mapped_column(Text)  # after redirects
    http_status: Mapped[int | None] = mapped_column(Integer)
    bytes: Mapped[int] = mapped_column(BigInteger, default=0)
    attempts: Mapped[int] = mapped_column(Integer, default=0)  # page fetches in all
    failures: Mapped[int] = mapped_column(Integer, default=0)  # consecutive failed ones
    attempted_at: Mapped[datetime] = mapped_column(DateTime)  # the last attempt
    fetched_at: Mapped[datetime | None] = mapped_column(DateTime)  # when `text` was read
    next_attempt_at: Mapped[datetime | None] = mapped_column(DateTime, index=True)
    error_class: Mapped[str | None] = mapped_column(String(32))  # of the last attempt, if it failed
    error_message: Mapped[str | None] = mapped_column(Text)


class ArticleVersionSourceRow(Base):
    """Marks an ``article_versions`` row whose ``content`` is an earlier *page* text.

    Versions without a row here are earlier feed texts. (A side table, because
    ``article_versions`` is not altered in place.)
    """

    __tablename__ = "article_version_sources"
    version_id: Mapped[int] = mapped_column(ForeignKey("article_versions.id"), primary_key=True)
    source: Mapped[str] = mapped_column(String(16))  # page


class RunRow(Base):
    """One clustering or comparison run: parameters and code version, for citing."""

    __tablename__ = "runs"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))  # cluster | compare
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


class FactRow(Base):
    """A fact of the catalogue (facts.yaml) as the latest comparison run read it."""

    __tablename__ = "facts"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    label: Mapped[str] = mapped_column(Text)
    description: Mapped[str] = mapped_column(Text, default="")
    actor: Mapped[str] = mapped_column(Text, default="[]")  # JSON list of terms
    action: Mapped[str] = mapped_column(Text, default="[]")  # JSON list of terms
    context: Mapped[str] = mapped_column(Text, default="[]")  # JSON list of term lists
    topics: Mapped[str] = mapped_column(Text, default="[]")  # JSON list
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id"))


class ArticleFactsRow(Base):
    """An article that went through fact matching, and what its text was then.

    ``text_seen_at``: the newest of the article's ``updated_at`` and its page text's
    ``fetched_at`` when it was matched; a later change to either makes its event stale.
    """

    __tablename__ = "article_facts"
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id"), primary_key=True)
    event_id: Mapped[int] = mapped_column(Integer, index=True)  # its event when matched
    sentences: Mapped[int] = mapped_column(Integer, default=0)  # title + boilerplate-free text
    thin: Mapped[bool] = mapped_column(Boolean, default=False)
    digest: Mapped[str] = mapped_column(String(64))  # sha256 of the sentences matched
    text_seen_at: Mapped[datetime | None] = mapped_column(DateTime)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id"))


class FactMentionRow(Base):
    """A sentence of an article that carries a fact of the catalogue (attributed or agentless;
    unresolved: only the trained second opinion read the act, whose it is unknown)."""

    __tablename__ = "fact_mentions"
    __table_args__ = (Index("ix_fact_mentions_article_fact", "article_id", "fact_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id"))
    fact_id: Mapped[str] = mapped_column(String(64), index=True)
    state: Mapped[str] = mapped_column(String(16))  # attributed | agentless | unresolved (model hold)
    sentence_index: Mapped[int] = mapped_column(Integer)  # 0: the title, then the text's sentences
    sentence: Mapped[str] = mapped_column(Text)
    action_term: Mapped[str] = mapped_column(Text)
    actor_term: Mapped[str | None] = mapped_column(Text)
    actor_where: Mapped[str | None] = mapped_column(String(16))  # sentence | previous | next
    cues: Mapped[str] = mapped_column(Text, default="")  # denial/hedging cues, comma-separated
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id"))


class ClaimRow(Base):
    """A discovered claim: sentences of one event that several outlets carry."""

    __tablename__ = "claims"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_id: Mapped[int] = mapped_column(Integer, index=True)
    number: Mapped[int] = mapped_column(Integer)  # within the event: 0 is carried by the most outlets
    label: Mapped[str] = mapped_column(Text)  # its most central sentence
    outlets: Mapped[str] = mapped_column(Text)  # JSON list of the outlets carrying it
    outlet_count: Mapped[int] = mapped_column(Integer)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id"))


class ClaimSentenceRow(Base):
    __tablename__ = "claim_sentences"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    claim_id: Mapped[int] = mapped_column(ForeignKey("claims.id"), index=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id"))
    outlet_id: Mapped[str] = mapped_column(String(64))
    sentence_index: Mapped[int] = mapped_column(Integer)
    sentence: Mapped[str] = mapped_column(Text)


class OmissionRow(Base):
    """A verdict on one outlet for one event: a fact or claim it left out, or the event itself.

    ``event_id`` has no foreign key: clustering may merge an event away, and the next
    comparison run removes its verdicts.
    """

    __tablename__ = "omissions"
    __table_args__ = (Index("ix_omissions_outlet_fact", "outlet_id", "fact_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_id: Mapped[int] = mapped_column(Integer, index=True)
    outlet_id: Mapped[str] = mapped_column(ForeignKey("outlets.id"))
    kind: Mapped[str] = mapped_column(String(8))  # fact | claim | event
    fact_id: Mapped[str | None] = mapped_column(String(64))
    claim_id: Mapped[int | None] = mapped_column(ForeignKey("claims.id"))
    verdict: Mapped[str] = mapped_column(String(16), index=True)  # omitted|agentless|not_covered|unknown|thin
    outlet_state: Mapped[str | None] = mapped_column(String(16))  # absent | agentless
    confidence: Mapped[str] = mapped_column(String(8))  # high | low
    supporting_outlets: Mapped[str] = mapped_column(Text, default="[]")  # JSON list
    supporting_article_ids: Mapped[str] = mapped_column(Text, default="[]")  # JSON list
    evidence: Mapped[str] = mapped_column(Text, default="[]")  # JSON: [{article_id, outlet, sentence, state}]
    quote: Mapped[str | None] = mapped_column(Text)  # the first evidence sentence
    quote_outlet: Mapped[str | None] = mapped_column(String(64))
    quote_article_id: Mapped[int | None] = mapped_column(Integer)
    linked: Mapped[bool] = mapped_column(Boolean, default=False)  # coverage linked by similarity
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id"))


class EventLinkRow(Base):
    """An article of an outlet that did not cover an event, linked to it by similarity.

    The clusterer left the article in an event of its own (no other outlet), inside the
    event's window, yet close to it (cosine to the event's centroid, the clusterer's own
    measure): typically the same happening framed differently. The comparison counts it
    as the outlet's coverage of the event, with low confidence.
    """

    __tablename__ = "event_links"
    event_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id"), primary_key=True, index=True)
    outlet_id: Mapped[str] = mapped_column(String(64))
    similarity: Mapped[float] = mapped_column(Float)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id"))


class EventComparisonRow(Base):
    """When an event was last compared, over which window, and what it saw of clustering."""

    __tablename__ = "event_comparisons"
    event_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id"))
    cluster_run: Mapped[int] = mapped_column(Integer)  # newest finished clustering run then
    compared_at: Mapped[datetime] = mapped_column(DateTime)
    window_start: Mapped[datetime] = mapped_column(DateTime)
    window_end: Mapped[datetime] = mapped_column(DateTime, index=True)
    articles: Mapped[int] = mapped_column(Integer, default=0)
    outlets: Mapped[int] = mapped_column(Integer, default=0)  # in the comparison set


# ``thin`` (see thin.py) in SQL. Whitespace in the best text: spaces and line breaks
# (stored texts are clean_text'ed, so tabs and runs of spaces are already folded); a
# literal newline in the SQL string keeps it portable.
_GAPS = "(length(b.full_text) - length(replace(replace(b.full_text, '\n', ''), ' ', '')))"

#: Researcher-facing views. Names and columns are a stable interface: add, never rename.
VIEWS: dict[str, str] = {
    "v_articles": f"""
        SELECT b.*,
               CASE WHEN ({_GAPS} + 1) * {CJK_CHARS_PER_WORD} < length(b.full_text)
                    THEN (CASE WHEN length(b.full_text) < {THIN_CHARS} THEN 1 ELSE 0 END)
                    ELSE (CASE WHEN {_GAPS} + 1 < {THIN_WORDS} THEN 1 ELSE 0 END) END AS thin
        FROM (
        SELECT a.id AS article_id, a.outlet_id AS outlet, o.name AS outlet_name,
               o.affiliation AS affiliation, o.country AS country, a.feed_id AS feed_id,
               a.guid AS guid, a.title AS title, a.url AS url, a.summary AS summary,
               a.content AS content, a.author AS author,
               COALESCE(a.language, o.language) AS language,
               a.published_at AS published_at, a.date_flag AS date_flag,
               a.fetched_at AS fetched_at, a.updated_at AS updated_at,
               (SELECT COUNT(*) FROM article_versions v WHERE v.article_id = a.id) AS versions,
               ea.event_id AS event_id,
               CASE WHEN t.status = 'extracted' THEN 'extracted'
                    WHEN t.status = 'failed' THEN 'failed'
                    WHEN a.content != '' THEN 'feed-content'
                    ELSE 'feed-summary' END AS text_source,
               CASE WHEN t.status = 'extracted' THEN t.text
                    WHEN a.content != '' THEN a.content
                    ELSE a.summary END AS full_text
        FROM articles a JOIN outlets o ON o.id = a.outlet_id
        LEFT JOIN event_articles ea ON ea.article_id = a.id
        LEFT JOIN article_texts t ON t.article_id = a.id) b""",
    "v_feed_health": """
        SELECT f.id AS feed_id, f.outlet_id AS outlet, o.name AS outlet_name, f.name AS feed,
               f.url AS url, f.status AS status, f.enabled AS enabled,
               f.last_success_at AS last_success_at, f.last_error_at AS last_error_at,
               f.last_error AS last_error, f.failure_count AS failure_count,
               f.next_fetch_at AS next_fetch_at,
               (SELECT COUNT(*) FROM articles a WHERE a.feed_id = f.id) AS articles
        FROM feeds f JOIN outlets o ON o.id = f.outlet_id""",
    "v_omissions": """
        SELECT om.id AS omission_id, om.event_id AS event_id, e.headline AS event_headline,
               e.first_published AS event_first_published, e.last_published AS event_last_published,
               om.outlet_id AS outlet, o.name AS outlet_name, o.affiliation AS affiliation,
               om.kind AS kind, om.fact_id AS fact_id, f.label AS fact_label, om.claim_id AS claim_id,
               c.label AS claim_label, om.verdict AS verdict, om.outlet_state AS outlet_state,
               om.confidence AS confidence, om.supporting_outlets AS supporting_outlets,
               om.supporting_article_ids AS supporting_article_ids, om.quote AS quote,
               om.quote_outlet AS quote_outlet, om.quote_article_id AS quote_article_id,
               om.evidence AS evidence, om.linked AS linked, om.run_id AS run_id
        FROM omissions om JOIN outlets o ON o.id = om.outlet_id
        LEFT JOIN events e ON e.id = om.event_id
        LEFT JOIN facts f ON f.id = om.fact_id
        LEFT JOIN claims c ON c.id = om.claim_id""",
    "v_fact_mentions": """
        SELECT m.id AS mention_id, m.article_id AS article_id, a.outlet_id AS outlet,
               o.name AS outlet_name, o.affiliation AS affiliation, ea.event_id AS event_id,
               a.published_at AS published_at, a.title AS title, m.fact_id AS fact_id,
               f.label AS fact_label, m.state AS state, m.sentence_index AS sentence_index,
               m.sentence AS sentence, m.action_term AS action_term, m.actor_term AS actor_term,
               m.actor_where AS actor_where, m.cues AS cues, af.thin AS thin, m.run_id AS run_id
        FROM fact_mentions m JOIN articles a ON a.id = m.article_id
        JOIN outlets o ON o.id = a.outlet_id
        LEFT JOIN event_articles ea ON ea.article_id = m.article_id
        LEFT JOIN facts f ON f.id = m.fact_id
        LEFT JOIN article_facts af ON af.article_id = m.article_id""",
    # One row per (event, outlet) that covered it. ``articles``: the outlet's articles the
    # clusterer put in the event. An outlet with none there but with reports the comparison
    # linked to the event by similarity (``event_links``, low confidence) gets a row with
    # coverage 'linked' and ``linked_articles`` instead. The first article is the outlet's
    # earliest (of those counted); ``lag_hours`` is its delay behind ``events.first_published``
    # (the first clustered report of any outlet), negative only when linked coverage came first.
    # Each arm groups on its own so a WHERE on event_id or outlet reaches the indexes; the
    # first article is joined (not MIN()ed) so first_published stays a DATETIME column.
    "v_event_coverage": """
        SELECT c.event_id AS event_id, e.headline AS event_headline, c.outlet AS outlet,
               o.name AS outlet_name, o.affiliation AS affiliation, o.country AS country,
               c.articles AS articles, c.linked_articles AS linked_articles, c.coverage AS coverage,
               fa.published_at AS first_published, e.first_published AS event_first_published,
               ROUND((julianday(fa.published_at) - julianday(e.first_published)) * 24, 2) AS lag_hours,
               fa.id AS first_article_id, fa.title AS first_title, fa.url AS first_url,
               e.last_published AS event_last_published, e.article_count AS event_articles,
               e.outlet_count AS event_outlets
        FROM (SELECT ea.event_id AS event_id, a.outlet_id AS outlet, COUNT(*) AS articles,
                     0 AS linked_articles, 'clustered' AS coverage,
                     (SELECT a2.id FROM event_articles ea2 CROSS JOIN articles a2
                      WHERE a2.id = ea2.article_id AND ea2.event_id = ea.event_id
                        AND a2.outlet_id = a.outlet_id
                      ORDER BY a2.published_at, a2.id LIMIT 1) AS first_article_id
              FROM event_articles ea JOIN articles a ON a.id = ea.article_id
              GROUP BY ea.event_id, a.outlet_id
              UNION ALL
              SELECT l.event_id, l.outlet_id, 0, COUNT(*), 'linked',
                     (SELECT a2.id FROM event_links l2 CROSS JOIN articles a2
                      WHERE a2.id = l2.article_id AND l2.event_id = l.event_id
                        AND l2.outlet_id = l.outlet_id
                      ORDER BY a2.published_at, a2.id LIMIT 1)
              FROM event_links l
              WHERE NOT EXISTS (SELECT 1 FROM event_articles ea3 CROSS JOIN articles a3
                                WHERE a3.id = ea3.article_id AND ea3.event_id = l.event_id
                                  AND a3.outlet_id = l.outlet_id)
              GROUP BY l.event_id, l.outlet_id) c
        JOIN events e ON e.id = c.event_id
        JOIN outlets o ON o.id = c.outlet
        LEFT JOIN articles fa ON fa.id = c.first_article_id""",
}
