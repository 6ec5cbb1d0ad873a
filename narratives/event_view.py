"""One event and its articles by outlet, read in SQL through a Session or a read-only sqlite3 connection.

Usage::

    with Session(engine) as s:
        event, articles = event_detail(s, 25)         # `narratives event 25`
    event, articles = event_detail(con, 25)           # `narratives compare 25`'s fast path (dbread)

Repository functions: they return plain dicts and never write. ``event_queries`` lists
events and re-exports ``event_detail``; ``compare_view`` builds on it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .dbread import first, records, timestamp

if TYPE_CHECKING:
    from .dbread import Reader


def event_dict(e: Any, outlets: list[str]) -> dict:
    """An event row (``EventRow``, or a ``dbread.records`` row) as the listings show it."""
    return {"id": e.id, "first_published": e.first_published, "last_published": e.last_published,
            "articles": e.article_count, "outlets": e.outlet_count, "outlet_ids": ", ".join(outlets),
            "headline": e.headline, "top_terms": e.top_terms, "label": e.label}


def event_detail(db: Reader, event_id: int) -> tuple[dict, list[dict]] | None:
    """One event and its articles, ordered by outlet then time; ``None`` if there is no such event."""
    found = records(db, "SELECT id, label, headline, top_terms, first_published, last_published, article_count, "
                        "outlet_count, updated_run_id FROM events WHERE id = :e", e=event_id)
    if not found:
        return None
    event = found[0]
    event.first_published, event.last_published = timestamp(event.first_published), timestamp(event.last_published)
    articles = event_articles(db, "event_articles", event_id)
    info = event_dict(event, sorted({a["outlet"] for a in articles}))
    run = first(db, "SELECT code_version FROM runs WHERE id = :r", r=event.updated_run_id)
    info["updated_run_id"] = event.updated_run_id
    info["code_version"] = run[0] if run else None
    return info, articles


def event_articles(db: Reader, members: str, event_id: int) -> list[dict]:
    """The articles ``members`` (``event_articles``, or ``event_links``: those linked to it by
    similarity) holds for the event, with their similarity, by outlet then time."""
    assert members in ("event_articles", "event_links")  # a table name, never user input
    rows = records(db, "SELECT a.id, a.outlet_id, o.name, o.affiliation, a.published_at, a.title, a.url, "
                       f"m.similarity FROM articles a JOIN {members} m ON m.article_id = a.id "
                       "JOIN outlets o ON o.id = a.outlet_id WHERE m.event_id = :e "
                       "ORDER BY a.outlet_id, a.published_at, a.id", e=event_id)
    return [{"outlet": r.outlet_id, "outlet_name": r.name, "affiliation": r.affiliation,
             "published_at": timestamp(r.published_at), "title": r.title, "similarity": r.similarity,
             "article_id": r.id, "url": r.url} for r in rows]
