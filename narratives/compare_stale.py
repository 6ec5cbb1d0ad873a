"""Which events a comparison run must (re)compare: the staleness rules of ``omissions.py``.

Usage::

    with Session(engine) as s:
        stale_events(s)          # event ids whose stored comparison is missing or out of date
        last_compare_run(s)      # the newest finished comparison run

An event is stale when it was never compared (and at least two outlets covered it);
clustering changed its articles since; its window was still open when it was last
compared; an article published inside its window was clustered since; or one of its
articles' text changed. ``why_full`` says when every event must be compared again.
"""

from __future__ import annotations

import json
from bisect import bisect_left, bisect_right
from collections.abc import Sequence

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from .models import (
    ArticleFactsRow,
    ArticleRow,
    ArticleTextRow,
    EventArticleRow,
    EventComparisonRow,
    EventLinkRow,
    EventRow,
    RunRow,
)
from .store import batches

MIN_OUTLETS = 2  # events covered by fewer outlets have nothing to compare


def last_compare_run(s: Session) -> RunRow | None:
    """The newest finished comparison run (whatever its scope)."""
    return s.scalars(select(RunRow).where(RunRow.kind == "compare", RunRow.status == "done")
                     .order_by(RunRow.id.desc()).limit(1)).first()


def why_full(s: Session, params: dict, code: str, rebuild: bool) -> str | None:
    """Why every event must be compared again (None: only the stale ones)."""
    if rebuild:
        return "--rebuild"
    latest = s.scalars(select(RunRow).where(RunRow.kind == "compare").order_by(RunRow.id.desc()).limit(1)).first()
    if latest is not None and latest.status != "done" and json.loads(latest.params).get("scope") == "all":
        return f"comparison run {latest.id}, which compared every event, did not finish"
    last = last_compare_run(s)
    if last is None:
        return None
    before = json.loads(last.params)
    if before.get("facts_digest") != params["facts_digest"]:
        return "the fact catalogue changed"
    changed = sorted(k for k in params if k != "facts_digest" and before.get(k) != params[k])
    if changed:
        return "parameters changed: " + ", ".join(f"{k}={params[k]}" for k in changed)
    if last.code_version != code:
        return f"the comparison code changed ({last.code_version} -> {code})"
    return None


def todo(s: Session, full: bool, only: Sequence[int] | None) -> tuple[set[int], set[int]]:
    """(events to compare, events whose comparison is to be dropped)."""
    gone = set(s.scalars(select(EventComparisonRow.event_id).outerjoin(
        EventRow, EventRow.id == EventComparisonRow.event_id).where(EventRow.id.is_(None))))
    if only is not None:
        wanted = set(only)
        existing = set(s.scalars(select(EventRow.id).where(EventRow.id.in_(wanted))))
        if full:
            return _comparable(s) | existing, gone
        return stale_events(s, among=existing, min_outlets=1), gone & wanted
    if full:
        return _comparable(s), gone
    stale = stale_events(s)
    counts = {}
    for part in batches(sorted(stale), 500):
        counts.update(s.execute(select(EventRow.id, EventRow.outlet_count).where(EventRow.id.in_(part))).all())
    keep = {e for e in stale if counts.get(e, 0) >= MIN_OUTLETS}
    return keep, gone | (stale - keep)


def _comparable(s: Session) -> set[int]:
    return set(s.scalars(select(EventRow.id).where(EventRow.outlet_count >= MIN_OUTLETS)))


def stale_events(s: Session, among: set[int] | None = None, min_outlets: int = MIN_OUTLETS) -> set[int]:
    """Events whose stored comparison is missing or out of date (see the module docstring)."""
    ec, e = EventComparisonRow, EventRow
    q = (select(e.id).outerjoin(ec, ec.event_id == e.id)
         .where(or_(and_(ec.event_id.is_(None), e.outlet_count >= min_outlets),
                    e.updated_run_id > ec.cluster_run, ec.window_end > ec.compared_at)))
    if among is not None:
        q = q.where(e.id.in_(list(among)))
    stale = set(s.scalars(q))
    stale |= _new_in_window(s, among)
    stale |= _text_changed(s, among)
    return stale


def _new_in_window(s: Session, among: set[int] | None) -> set[int]:
    """Compared events with an article in their window that clustering placed after they were compared."""
    ec = EventComparisonRow
    if among is not None:  # a few events: look in each one's window
        found = set()
        for event_id, start, end, cluster_run in s.execute(
                select(ec.event_id, ec.window_start, ec.window_end, ec.cluster_run).where(ec.event_id.in_(list(among)))):
            if s.scalar(select(EventArticleRow.article_id)
                        .join(ArticleRow, ArticleRow.id == EventArticleRow.article_id)
                        .where(ArticleRow.published_at.between(start, end), EventArticleRow.run_id > cluster_run)
                        .limit(1)) is not None:
                found.add(event_id)
        return found
    # Every event stale since the last full pass was compared in it: newer articles are enough.
    last = s.scalars(select(RunRow.params).where(RunRow.kind == "compare", RunRow.status == "done",
                                                 RunRow.params.not_like('%"scope": "event"%'))
                     .order_by(RunRow.id.desc()).limit(1)).first()
    if last is None:
        return set()
    since = json.loads(last).get("cluster_run", 0)
    new = s.execute(select(ArticleRow.published_at, EventArticleRow.run_id)
                    .join(EventArticleRow, EventArticleRow.article_id == ArticleRow.id)
                    .where(EventArticleRow.run_id > since).order_by(ArticleRow.published_at)).all()
    if not new:
        return set()
    times = [t for t, _r in new]
    runs = [r for _t, r in new]
    found = set()
    for event_id, start, end, cluster_run in s.execute(
            select(ec.event_id, ec.window_start, ec.window_end, ec.cluster_run)
            .where(ec.window_end >= times[0], ec.window_start <= times[-1])):
        lo, hi = bisect_left(times, start), bisect_right(times, end)
        if lo < hi and max(runs[lo:hi]) > cluster_run:
            found.add(event_id)
    return found


def _text_changed(s: Session, among: set[int] | None) -> set[int]:
    """Events with an article whose text changed after it was matched."""
    af = ArticleFactsRow
    q = (select(EventArticleRow.event_id).distinct()
         .join(af, af.article_id == EventArticleRow.article_id)
         .join(ArticleRow, ArticleRow.id == af.article_id)
         .outerjoin(ArticleTextRow, ArticleTextRow.article_id == af.article_id)
         .where(or_(ArticleRow.updated_at > af.text_seen_at, ArticleTextRow.fetched_at > af.text_seen_at)))
    links = (select(EventLinkRow.event_id).distinct()
             .join(af, af.article_id == EventLinkRow.article_id)
             .join(ArticleRow, ArticleRow.id == af.article_id)
             .outerjoin(ArticleTextRow, ArticleTextRow.article_id == af.article_id)
             .where(or_(ArticleRow.updated_at > af.text_seen_at, ArticleTextRow.fetched_at > af.text_seen_at)))
    if among is not None:
        q = q.where(EventArticleRow.event_id.in_(list(among)))
        links = links.where(EventLinkRow.event_id.in_(list(among)))
    return set(s.scalars(q)) | set(s.scalars(links))
