"""Reading events back: listings with filters, and one event with its articles by outlet.

Usage::

    with Session(engine) as s:
        rows, total = list_events(s, EventFilter(min_outlets=2, search="idlib"))
        event, articles = event_detail(s, rows[0]["id"])

Repository functions: they take a session, return plain dicts, and never write.
``event_detail`` lives in ``event_view`` (SQL any connection runs) and is re-exported here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import exists, func, or_, select
from sqlalchemy.orm import Session

from .event_view import event_detail, event_dict  # noqa: F401  (event_detail re-exported)
from .models import ArticleRow, EventArticleRow, EventRow

EVENT_COLUMNS = ["id", "first_published", "last_published", "articles", "outlets", "outlet_ids",
                 "headline", "top_terms"]
ARTICLE_COLUMNS = ["outlet", "affiliation", "published_at", "title", "similarity", "article_id", "url"]


@dataclass(frozen=True)
class EventFilter:
    since: datetime | None = None  # events still reported at or after this time
    until: datetime | None = None  # events first reported at or before this time
    min_outlets: int = 2
    outlets: tuple[str, ...] = ()  # events with an article from any of these outlets
    search: str | None = None  # case-insensitive, in the label or any article title
    limit: int = 100  # 0: all


def _like(text: str) -> str:
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def list_events(s: Session, f: EventFilter) -> tuple[list[dict], int]:
    """Events matching ``f``, most recently reported first; also the count before ``limit``."""
    query = select(EventRow).where(EventRow.outlet_count >= f.min_outlets)
    if f.since is not None:
        query = query.where(EventRow.last_published >= f.since)
    if f.until is not None:
        query = query.where(EventRow.first_published <= f.until)
    member = (select(EventArticleRow.article_id)
              .join(ArticleRow, ArticleRow.id == EventArticleRow.article_id)
              .where(EventArticleRow.event_id == EventRow.id))
    if f.outlets:
        query = query.where(exists(member.where(ArticleRow.outlet_id.in_(f.outlets))))
    if f.search:
        pattern = _like(f.search)
        query = query.where(or_(
            func.lower(EventRow.label).like(pattern, escape="\\"),
            exists(member.where(func.lower(ArticleRow.title).like(pattern, escape="\\"))),
        ))
    total = s.scalar(select(func.count()).select_from(query.subquery())) or 0
    query = query.order_by(EventRow.last_published.desc(), EventRow.id.desc())
    if f.limit:
        query = query.limit(f.limit)
    events = s.scalars(query).all()
    outlets = _outlets_of(s, [e.id for e in events])
    return [event_dict(e, outlets.get(e.id, [])) for e in events], total


def _outlets_of(s: Session, ids: list[int]) -> dict[int, list[str]]:
    found: dict[int, list[str]] = {}
    for i in range(0, len(ids), 500):
        rows = s.execute(
            select(EventArticleRow.event_id, ArticleRow.outlet_id).distinct()
            .join(ArticleRow, ArticleRow.id == EventArticleRow.article_id)
            .where(EventArticleRow.event_id.in_(ids[i : i + 500]))
            .order_by(EventArticleRow.event_id, ArticleRow.outlet_id))
        for event_id, outlet in rows:
            found.setdefault(event_id, []).append(outlet)
    return found
