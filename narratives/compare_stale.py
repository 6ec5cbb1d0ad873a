"""Which events a comparison run must (re)compare: the staleness rules of ``omissions.py``.

Usage::

    with Session(engine) as s:
        stale_events(s)               # event ids whose stored comparison is missing or out of date
        todo(s, full=False, only=[25])   # (events to compare, events whose comparison to drop)

An event is stale when it was never compared (and at least two outlets covered it);
clustering changed its articles since; its window was still open when it was last
compared; an article published inside its window was clustered since; or one of its
articles' text changed. ``compare_current.why_full`` says when every event must be
compared again.

These are the set-based queries of a pass over every event. The events a run is given
(``narratives compare EVENT``) are checked one by one with ``compare_current.event_todo``,
the same SQL the command's read-only fast path runs; tests/test_compare_current.py checks
the two forms agree.
"""

from __future__ import annotations

import json
from bisect import bisect_left, bisect_right
from collections.abc import Sequence

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from .compare_current import event_todo
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


def todo(s: Session, full: bool, only: Sequence[int] | None) -> tuple[set[int], set[int]]:
    """(events to compare, events whose comparison is to be dropped)."""
    if only is not None and not full:
        asked = {e: event_todo(s, e) for e in set(only)}
        return {e for e, t in asked.items() if t == "compare"}, {e for e, t in asked.items() if t == "drop"}
    gone = set(s.scalars(select(EventComparisonRow.event_id).outerjoin(
        EventRow, EventRow.id == EventComparisonRow.event_id).where(EventRow.id.is_(None))))
    if only is not None:
        existing = set(s.scalars(select(EventRow.id).where(EventRow.id.in_(set(only)))))
        return _comparable(s) | existing, gone
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


def stale_events(s: Session, min_outlets: int = MIN_OUTLETS) -> set[int]:
    """Events whose stored comparison is missing or out of date (see the module docstring)."""
    ec, e = EventComparisonRow, EventRow
    q = (select(e.id).outerjoin(ec, ec.event_id == e.id)
         .where(or_(and_(ec.event_id.is_(None), e.outlet_count >= min_outlets),
                    e.updated_run_id > ec.cluster_run, ec.window_end > ec.compared_at)))
    return set(s.scalars(q)) | _new_in_window(s) | _text_changed(s)


def _new_in_window(s: Session) -> set[int]:
    """Compared events with an article in their window that clustering placed after they were compared."""
    ec = EventComparisonRow
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


def _text_changed(s: Session) -> set[int]:
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
    return set(s.scalars(q)) | set(s.scalars(links))
