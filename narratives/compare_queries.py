"""Reading comparisons back: outlet profiles and their inputs; verdict listings and one event side by side.

Usage::

    with Session(engine) as s:
        rows, total = list_omissions(s, OmissionFilter(outlets=("eastwire",), verdicts=("omitted",)))
        side_by_side = event_comparison(s, 25)
        profiles, affiliations = stored_profiles(s, ProfileFilter(since=...))

Repository functions: they take a session, return plain dicts or dataclasses, and never
write. No scikit-learn here, so listing commands start fast. The verdict listing and the
side-by-side view are SQL any connection runs, in ``compare_view`` (``narratives compare
EVENT`` reads them without SQLAlchemy), and re-exported here.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from .compare import STATE_RANK, OutletCoverage, Profile, outlet_profiles
from .compare_view import (  # noqa: F401  (re-exported)
    FINDINGS,
    OMISSION_COLUMNS,
    OMISSION_TABLE_COLUMNS,
    OmissionFilter,
    event_comparison,
    list_omissions,
)
from .models import (
    ArticleFactsRow,
    ArticleRow,
    EventComparisonRow,
    EventLinkRow,
    EventRow,
    FactMentionRow,
    FactRow,
    OutletRow,
    RunRow,
)

PROFILE_COLUMNS = ["outlet", "affiliation", "fact_id", "fact", "events", "omitted", "rate", "ci_low", "ci_high",
                   "agentless", "thin"]
GROUP_COLUMNS = ["fact_id", "fact", "state_outlets", "state_events", "state_omitted", "state_rate",
                 "independent_outlets", "independent_events", "independent_omitted", "independent_rate",
                 "odds_ratio", "p_value"]


# --------------------------------------------------------------------------- profiles


@dataclass(frozen=True)
class ProfileFilter:
    since: datetime | None = None  # events still reported at or after this time
    until: datetime | None = None  # events first reported at or before this time
    facts: tuple[str, ...] = ()
    outlets: tuple[str, ...] = ()
    count_thin: bool = False


def compare_params(s: Session) -> dict:
    """Parameters of the newest finished comparison run ({} before the first)."""
    run = s.scalars(select(RunRow).where(RunRow.kind == "compare", RunRow.status == "done")
                    .order_by(RunRow.id.desc()).limit(1)).first()
    return json.loads(run.params) if run else {}


def stored_coverages(s: Session, since: datetime | None = None, until: datetime | None = None,
                     chunk: int = 500) -> Iterator[dict[str, OutletCoverage]]:
    """Each compared event's coverage (outlet -> states, thin) as stored, for profiles."""
    q = select(EventComparisonRow.event_id).join(EventRow, EventRow.id == EventComparisonRow.event_id)
    if since is not None:
        q = q.where(EventRow.last_published >= since)
    if until is not None:
        q = q.where(EventRow.first_published <= until)
    ids = list(s.scalars(q.order_by(EventComparisonRow.event_id)))
    af = ArticleFactsRow
    for i in range(0, len(ids), chunk):
        part = ids[i : i + chunk]
        # An event's articles: its own, and those linked to it (EventLinkRow); by outlet.
        links = select(EventLinkRow.event_id.label("event_id"), EventLinkRow.article_id.label("article_id")) \
            .where(EventLinkRow.event_id.in_(part))
        members = select(af.event_id.label("event_id"), af.article_id.label("article_id")) \
            .where(af.event_id.in_(part)).union_all(links).subquery()
        articles: dict[int, dict[str, list[tuple[int, bool]]]] = {}
        for event_id, article_id, outlet, thin in s.execute(
                select(members.c.event_id, members.c.article_id, ArticleRow.outlet_id, af.thin)
                .join(af, af.article_id == members.c.article_id)
                .join(ArticleRow, ArticleRow.id == members.c.article_id)):
            articles.setdefault(event_id, {}).setdefault(outlet, []).append((article_id, bool(thin)))
        states: dict[tuple[int, str], dict[str, str]] = {}
        for event_id, outlet, fact_id, state in s.execute(
                select(members.c.event_id, ArticleRow.outlet_id, FactMentionRow.fact_id, FactMentionRow.state)
                .distinct().join(FactMentionRow, FactMentionRow.article_id == members.c.article_id)
                .join(ArticleRow, ArticleRow.id == members.c.article_id)):
            own = states.setdefault((event_id, outlet), {})
            if STATE_RANK[state] > STATE_RANK[own.get(fact_id, "absent")]:
                own[fact_id] = state
        for event_id in part:
            yield {outlet: OutletCoverage(outlet, articles=tuple(sorted(a for a, _t in items)),
                                          states=states.get((event_id, outlet), {}),
                                          thin=all(t for _a, t in items))
                   for outlet, items in sorted(articles.get(event_id, {}).items())}


def stored_profiles(s: Session, f: ProfileFilter) -> tuple[list[Profile], dict[str, str], dict[str, str]]:
    """Outlet × fact profiles over the compared events; also affiliations and fact labels."""
    params = compare_params(s)
    labels = dict(s.execute(select(FactRow.id, FactRow.label)).all())
    facts = [x for x in sorted(labels) if not f.facts or x in f.facts]
    profiles = outlet_profiles(stored_coverages(s, f.since, f.until), facts,
                               min_support=params.get("min_support", 2),
                               min_support_attributed=params.get("min_support_attributed", 1),
                               count_thin=f.count_thin)
    affiliations = dict(s.execute(select(OutletRow.id, OutletRow.affiliation)).all())
    return profiles, affiliations, labels


def profile_rows(profiles: list[Profile], affiliations: dict[str, str], labels: dict[str, str],
                 outlets: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    """Profiles as rows (PROFILE_COLUMNS), rates rounded for reading."""
    return [{"outlet": p.outlet, "affiliation": affiliations.get(p.outlet, "unknown"), "fact_id": p.fact_id,
             "fact": labels.get(p.fact_id, p.fact_id), "events": p.events, "omitted": p.omitted,
             "rate": _round(p.rate), "ci_low": _round(p.ci_low), "ci_high": _round(p.ci_high),
             "agentless": p.agentless, "thin": p.thin}
            for p in profiles if not outlets or p.outlet in outlets]


def _round(value: float | None, digits: int = 3) -> float | None:
    return None if value is None else round(value, digits)
