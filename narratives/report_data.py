"""What a report shows, gathered from the store: plain dataclasses, no rendering.

Usage::

    with Session(engine) as s:
        data = gather(s, ReportQuery(since=now - timedelta(days=7), until=None, top=25), now=now)
    data.ranked[0].score, data.details[0].view["outlets"], data.heatmap.cells

Only the report's window is read, and what can be counted is counted in SQL (articles
per outlet and day, fetches per feed, verdicts per event), so a week of a store of a
million articles reads in seconds. Every compared event of the window is ranked; only
the ``top`` ones are read in full (``event_comparison``).

Divergence score of an event (``divergence``): every verdict that says an outlet's
coverage differs adds ``KIND_WEIGHT[kind] × CONFIDENCE_WEIGHT[confidence]`` per outlet
that carried what the outlet lacks (its ``supporting_outlets``). Counted: ``omitted`` and
``agentless`` facts, ``omitted`` discovered claims, ``not_covered`` events; ``thin`` and
``unknown`` are never counted (the comparator does not count them as omissions either).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, func, or_, select, union_all
from sqlalchemy.orm import Session

from . import __version__
from .compare import STATE_AFFILIATIONS, GroupComparison, Profile, compare_groups
from .compare_queries import ProfileFilter, event_comparison, stored_profiles
from .models import (
    ArticleRow,
    EventArticleRow,
    EventComparisonRow,
    EventLinkRow,
    EventRow,
    FactMentionRow,
    FactRow,
    FeedRow,
    FetchRow,
    OmissionRow,
    OutletRow,
    RunRow,
)

#: Weight of one counted verdict per supporting outlet, by what it is about.
KIND_WEIGHT = {"fact": 1.0, "claim": 0.5, "event": 0.25}
#: Low confidence (linked coverage, a feed failing in the window, every discovered claim) halves it.
CONFIDENCE_WEIGHT = {"high": 1.0, "low": 0.5}
#: The verdicts that count towards divergence, by kind.
COUNTED = {"fact": ("omitted", "agentless"), "claim": ("omitted",), "event": ("not_covered",)}
#: Affiliations in the order outlets are listed (state first: the comparison this tool is for).
AFFILIATION_ORDER = ("state-controlled", "state-affiliated", "public-service", "independent", "private", "unknown")
OK_OUTCOMES = ("ok", "not_modified", "unchanged")
FAILED_OUTCOMES = ("error", "gone")
FINDINGS_SHOWN = 8


@dataclass(frozen=True)
class ReportQuery:
    """What to report on. ``since``/``until``: events still reported at or after ``since`` and
    first reported at or before ``until`` (as ``narratives omissions``); articles published
    in [since, until]. ``outlets``/``facts``: limit verdicts, charts and tables to these."""

    since: datetime | None = None
    until: datetime | None = None
    outlets: tuple[str, ...] = ()
    facts: tuple[str, ...] = ()
    top: int = 25


@dataclass(frozen=True)
class FeedStatus:
    outlet: str
    feed: str
    url: str
    status: str  # active | failing | gone | disabled
    last_success_at: datetime | None
    last_error_at: datetime | None
    last_error: str | None
    failure_count: int
    articles: int  # published in the period
    fetches_ok: int  # attempts in the period
    fetches_failed: int

    @property
    def healthy(self) -> bool:
        return self.status == "active"


@dataclass(frozen=True)
class OutletSummary:
    id: str
    name: str
    affiliation: str
    country: str | None
    articles: int  # published in the period
    days_without: int  # days of the period with no article
    feeds: tuple[FeedStatus, ...]

    @property
    def state(self) -> bool:
        return self.affiliation in STATE_AFFILIATIONS

    @property
    def health(self) -> str:
        """ok | failing (a feed's last attempt failed) | gone | imported (no feeds) | silent (no articles)."""
        if not self.feeds:
            return "imported"
        if any(f.status == "gone" for f in self.feeds):
            return "gone"
        if any(f.status == "failing" for f in self.feeds):
            return "failing"
        return "ok" if self.articles else "silent"


@dataclass
class RankedEvent:
    event_id: int
    headline: str
    first_published: datetime
    last_published: datetime
    articles: int
    outlets: int
    run_id: int  # the comparison run that compared it
    score: float = 0.0
    fact_findings: int = 0  # omitted/agentless fact verdicts (high and low confidence)
    fact_findings_high: int = 0
    claim_leads: int = 0  # omitted discovered claims (always low confidence)
    not_covered: int = 0
    diverging: dict[str, int] = field(default_factory=dict)  # outlet -> fact findings + claim leads
    silent: list[str] = field(default_factory=list)  # outlets with a not_covered verdict


@dataclass(frozen=True)
class Evidence:
    outlet: str
    article_id: int
    sentence: str
    url: str | None


@dataclass(frozen=True)
class Finding:
    """One fact-level omitted/agentless verdict, for the report's list of main findings."""

    event_id: int
    headline: str
    outlet: str
    affiliation: str
    fact_id: str
    fact: str
    verdict: str
    confidence: str
    linked: bool
    own_sentence: str | None  # for agentless: the outlet's own sentence, without the actor
    supporting_outlets: tuple[str, ...]
    evidence: tuple[Evidence, ...]


@dataclass
class EventDetail:
    ranked: RankedEvent
    view: dict  # event_comparison(), limited to the report's facts
    urls: dict[int, str | None]  # article id -> its original's URL (evidence included)
    outlet_names: dict[str, str]


@dataclass(frozen=True)
class Heatmap:
    outlets: tuple[str, ...]
    facts: tuple[str, ...]
    labels: dict[str, str]
    cells: dict[tuple[str, str], Profile]
    groups: tuple[GroupComparison, ...]


@dataclass(frozen=True)
class Timeline:
    days: tuple[date, ...]
    outlets: tuple[str, ...]
    counts: dict[tuple[str, date], int]


@dataclass(frozen=True)
class RunInfo:
    id: int
    kind: str
    status: str
    started_at: datetime
    finished_at: datetime | None
    code_version: str
    params: dict


@dataclass
class ReportData:
    query: ReportQuery
    generated_at: datetime
    period_start: datetime | None  # None: the store is empty
    period_end: datetime
    outlets: list[OutletSummary]
    affiliations: dict[str, str]
    outlet_names: dict[str, str]
    ranked: list[RankedEvent]  # every compared event of the window, most divergent first
    details: list[EventDetail]  # the top ones, in full
    state_findings: list[Finding]  # on state-controlled and state-affiliated outlets
    state_findings_total: int
    other_findings: list[Finding]  # on every other outlet
    other_findings_total: int
    heatmap: Heatmap
    timeline: Timeline
    runs: list[RunInfo]
    facts: list[dict]  # the catalogue as stored: id, label, description
    uncompared: int  # events of the window covered by 2+ outlets without a comparison
    articles: int  # articles published in the period (in the report's outlets)
    version: str = __version__

    @property
    def empty(self) -> bool:
        return not self.articles and not self.ranked


# --------------------------------------------------------------------------- ranking


def verdict_weight(kind: str, verdict: str, confidence: str) -> float:
    """Weight of one verdict per supporting outlet (0 for verdicts that never count)."""
    if verdict not in COUNTED.get(kind, ()):
        return 0.0
    return KIND_WEIGHT[kind] * CONFIDENCE_WEIGHT.get(confidence, CONFIDENCE_WEIGHT["low"])


def divergence(event: RankedEvent, rows: Sequence[tuple[str, str, str, str, int, int]]) -> RankedEvent:
    """Score ``event`` from its verdict counts: (outlet, kind, verdict, confidence, verdicts,
    supporting outlets summed over them). Pure; fills the score and its breakdown."""
    for outlet, kind, verdict, confidence, n, support in rows:
        weight = verdict_weight(kind, verdict, confidence)
        if not weight:
            continue
        event.score += weight * support
        if kind == "fact":
            event.fact_findings += n
            event.fact_findings_high += n if confidence == "high" else 0
            event.diverging[outlet] = event.diverging.get(outlet, 0) + n
        elif kind == "claim":
            event.claim_leads += n
            event.diverging[outlet] = event.diverging.get(outlet, 0) + n
        else:
            event.not_covered += n
            event.silent.append(outlet)
    event.score = round(event.score, 3)
    event.silent.sort()
    return event


def rank(events: list[RankedEvent]) -> list[RankedEvent]:
    """Most divergent first; ties: more high-confidence findings, more outlets, most recent."""
    return sorted(events, key=lambda e: (-e.score, -e.fact_findings_high, -e.outlets,
                                         -e.last_published.timestamp(), e.event_id))


def _window(q: Any, f: ReportQuery) -> Any:
    if f.since is not None:
        q = q.where(EventRow.last_published >= f.since)
    if f.until is not None:
        q = q.where(EventRow.first_published <= f.until)
    return q


def ranked_events(s: Session, f: ReportQuery) -> list[RankedEvent]:
    """Every compared event of the window, scored (verdicts aggregated in SQL), ranked."""
    q = _window(select(EventRow.id, EventRow.headline, EventRow.first_published, EventRow.last_published,
                       EventRow.article_count, EventRow.outlet_count, EventComparisonRow.run_id)
                .join(EventComparisonRow, EventComparisonRow.event_id == EventRow.id), f)
    events = {r[0]: RankedEvent(*r) for r in s.execute(q)}
    if not events:
        return []
    om = OmissionRow
    counted = [and_(om.kind == kind, om.verdict.in_(verdicts)) for kind, verdicts in COUNTED.items()]
    q = _window(select(om.event_id, om.outlet_id, om.kind, om.verdict, om.confidence, func.count(),
                       func.sum(func.json_array_length(om.supporting_outlets)))
                .join(EventRow, EventRow.id == om.event_id)
                .join(EventComparisonRow, EventComparisonRow.event_id == om.event_id)
                .where(or_(*counted)), f)
    if f.outlets:
        q = q.where(om.outlet_id.in_(f.outlets))
    if f.facts:
        q = q.where(om.kind == "fact", om.fact_id.in_(f.facts))
    q = q.group_by(om.event_id, om.outlet_id, om.kind, om.verdict, om.confidence)
    per_event: dict[int, list[tuple[str, str, str, str, int, int]]] = {}
    for event_id, *row in s.execute(q):
        per_event.setdefault(event_id, []).append(tuple(row))  # type: ignore[arg-type]
    return rank([divergence(e, per_event.get(e.event_id, [])) for e in events.values()])


def uncompared_events(s: Session, f: ReportQuery) -> int:
    q = _window(select(func.count()).select_from(EventRow)
                .outerjoin(EventComparisonRow, EventComparisonRow.event_id == EventRow.id)
                .where(EventRow.outlet_count >= 2, EventComparisonRow.event_id.is_(None)), f)
    return s.scalar(q) or 0


# --------------------------------------------------------------------------- findings


def main_findings(s: Session, f: ReportQuery, *, state: bool,
                  limit: int = FINDINGS_SHOWN) -> tuple[list[Finding], int]:
    """The strongest fact findings of the window on state (``state``) or other outlets: most
    outlets carrying what the outlet lacked first, then high confidence, then most recent.
    Also how many there are in all."""
    om = OmissionRow
    q = _window(select(om, EventRow.headline, OutletRow.affiliation, FactRow.label)
                .join(EventRow, EventRow.id == om.event_id)
                .join(EventComparisonRow, EventComparisonRow.event_id == om.event_id)
                .join(OutletRow, OutletRow.id == om.outlet_id)
                .outerjoin(FactRow, FactRow.id == om.fact_id)
                .where(om.kind == "fact", om.verdict.in_(COUNTED["fact"]))
                .where(OutletRow.affiliation.in_(STATE_AFFILIATIONS) if state
                       else OutletRow.affiliation.not_in(STATE_AFFILIATIONS)), f)
    if f.outlets:
        q = q.where(om.outlet_id.in_(f.outlets))
    if f.facts:
        q = q.where(om.fact_id.in_(f.facts))
    total = s.scalar(select(func.count()).select_from(q.subquery())) or 0
    q = q.order_by(func.json_array_length(om.supporting_outlets).desc(), case((om.confidence == "high", 0), else_=1),
                   EventRow.last_published.desc(), om.event_id, om.outlet_id, om.fact_id).limit(limit)
    rows = s.execute(q).all()
    evidence = [(r[0], json.loads(r[0].evidence or "[]")) for r in rows]
    ids = {e["article_id"] for _o, ev in evidence for e in ev}
    urls = article_urls(s, ids)
    own = _own_sentences(s, [r[0] for r in rows])
    found = []
    for (o, headline, affiliation, label), (_o, ev) in zip(rows, evidence, strict=True):
        found.append(Finding(
            event_id=o.event_id, headline=headline, outlet=o.outlet_id, affiliation=affiliation,
            fact_id=o.fact_id or "", fact=label or o.fact_id or "", verdict=o.verdict, confidence=o.confidence,
            linked=bool(o.linked), own_sentence=own.get((o.event_id, o.outlet_id, o.fact_id or "")),
            supporting_outlets=tuple(json.loads(o.supporting_outlets or "[]")),
            evidence=tuple(Evidence(e["outlet"], e["article_id"], e["sentence"], urls.get(e["article_id"]))
                           for e in ev)))
    return found, total


def _own_sentences(s: Session, rows: Sequence[OmissionRow]) -> dict[tuple[int, str, str], str]:
    """For agentless findings: the outlet's own sentence carrying the fact without its actor."""
    found: dict[tuple[int, str, str], str] = {}
    for o in rows:
        if o.verdict != "agentless" or not o.fact_id:
            continue
        members = union_all(select(EventArticleRow.article_id).where(EventArticleRow.event_id == o.event_id),
                            select(EventLinkRow.article_id).where(EventLinkRow.event_id == o.event_id))
        sentence = s.scalar(
            select(FactMentionRow.sentence).join(ArticleRow, ArticleRow.id == FactMentionRow.article_id)
            .where(ArticleRow.outlet_id == o.outlet_id, FactMentionRow.fact_id == o.fact_id,
                   FactMentionRow.state == "agentless", FactMentionRow.article_id.in_(members))
            .order_by(ArticleRow.published_at, FactMentionRow.article_id, FactMentionRow.sentence_index).limit(1))
        if sentence:
            found[(o.event_id, o.outlet_id, o.fact_id)] = sentence
    return found


def article_urls(s: Session, ids: set[int] | Sequence[int]) -> dict[int, str | None]:
    ids = sorted(set(ids))
    urls: dict[int, str | None] = {}
    for i in range(0, len(ids), 500):
        urls.update(s.execute(select(ArticleRow.id, ArticleRow.url).where(ArticleRow.id.in_(ids[i:i + 500]))).all())
    return urls


# --------------------------------------------------------------------------- one event


def event_details(s: Session, ranked: Sequence[RankedEvent], f: ReportQuery,
                  names: dict[str, str]) -> list[EventDetail]:
    """The side-by-side view of each event, limited to the report's facts. Every outlet stays
    in it (the comparison is what the others published); findings are limited to the
    report's outlets when rendered (``ReportQuery.outlets``)."""
    details = []
    for r in ranked:
        view = event_comparison(s, r.event_id)
        if view is None:
            continue
        urls: dict[int, str | None] = {}
        for o in view["outlets"]:
            urls.update({a["article_id"]: a["url"] for a in o["articles"]})
        cited = {e["article_id"] for o in view["outlets"] for x in o["facts"].values() for e in x["evidence"]}
        cited |= {x["article_id"] for c in view["claims"] for x in c["sentences"]}
        missing = cited - set(urls)
        if missing:
            urls.update(article_urls(s, missing))
        if f.facts:
            view["facts"] = [x for x in view["facts"] if x["fact_id"] in f.facts]
            for o in view["outlets"]:
                o["facts"] = {k: v for k, v in o["facts"].items() if k in f.facts}
                o["missing_claims"] = []
            view["claims"] = []
        details.append(EventDetail(r, view, urls, names))
    return details


# --------------------------------------------------------------------------- outlets, charts


def _articles_window(q: Any, start: datetime | None, end: datetime) -> Any:
    if start is not None:
        q = q.where(ArticleRow.published_at >= start)
    return q.where(ArticleRow.published_at <= end)


def daily_articles(s: Session, start: datetime | None, end: datetime,
                   outlets: Sequence[str] = ()) -> dict[tuple[str, date], int]:
    """Articles per outlet and day (UTC) published in [start, end], counted in SQL."""
    day = func.date(ArticleRow.published_at)
    q = _articles_window(select(ArticleRow.outlet_id, day, func.count()), start, end)
    if outlets:
        q = q.where(ArticleRow.outlet_id.in_(outlets))
    counts = {}
    for outlet, d, n in s.execute(q.group_by(ArticleRow.outlet_id, day)):
        counts[(outlet, d if isinstance(d, date) else date.fromisoformat(str(d)))] = n
    return counts


def outlet_summaries(s: Session, start: datetime | None, end: datetime, days: Sequence[date],
                     counts: dict[tuple[str, date], int], outlets: Sequence[str] = ()) -> list[OutletSummary]:
    """Outlets of feeds.yaml, and any other with articles in the period, with their feeds' health."""
    per_feed = dict(s.execute(_articles_window(select(ArticleRow.feed_id, func.count()), start, end)
                              .group_by(ArticleRow.feed_id)).all())
    fq = select(FetchRow.feed_id, func.sum(case((FetchRow.outcome.in_(OK_OUTCOMES), 1), else_=0)),
                func.sum(case((FetchRow.outcome.in_(FAILED_OUTCOMES), 1), else_=0)))
    if start is not None:
        fq = fq.where(FetchRow.started_at >= start)
    fetches = {feed: (ok or 0, failed or 0)
               for feed, ok, failed in s.execute(fq.where(FetchRow.started_at <= end).group_by(FetchRow.feed_id))}
    feeds: dict[str, list[FeedStatus]] = {}
    for f in s.scalars(select(FeedRow).where(FeedRow.in_config.is_(True)).order_by(FeedRow.outlet_id, FeedRow.id)):
        ok, failed = fetches.get(f.id, (0, 0))
        feeds.setdefault(f.outlet_id, []).append(FeedStatus(
            outlet=f.outlet_id, feed=f.name, url=f.url, status=f.status if f.enabled else "disabled",
            last_success_at=f.last_success_at, last_error_at=f.last_error_at, last_error=f.last_error,
            failure_count=f.failure_count, articles=per_feed.get(f.id, 0), fetches_ok=ok, fetches_failed=failed))
    totals: dict[str, int] = {}
    active: dict[str, int] = {}
    for (outlet, _d), n in counts.items():
        totals[outlet] = totals.get(outlet, 0) + n
        active[outlet] = active.get(outlet, 0) + 1
    found = []
    for o in s.scalars(select(OutletRow)):
        if outlets and o.id not in outlets:
            continue
        if not o.in_config and o.id not in totals:
            continue
        found.append(OutletSummary(id=o.id, name=o.name, affiliation=o.affiliation, country=o.country,
                                   articles=totals.get(o.id, 0), days_without=len(days) - active.get(o.id, 0),
                                   feeds=tuple(feeds.get(o.id, []))))
    return sorted(found, key=lambda o: (_affiliation_rank(o.affiliation), o.id))


def _affiliation_rank(affiliation: str) -> int:
    return AFFILIATION_ORDER.index(affiliation) if affiliation in AFFILIATION_ORDER else len(AFFILIATION_ORDER)


def heatmap(s: Session, f: ReportQuery, affiliations: dict[str, str]) -> Heatmap:
    """Outlet × fact omission rates over the window's compared events (``narratives outlets``)."""
    profiles, _affiliations, labels = stored_profiles(s, ProfileFilter(f.since, f.until, f.facts, f.outlets))
    shown = [p for p in profiles if p.events and (not f.outlets or p.outlet in f.outlets)]
    outlets = sorted({p.outlet for p in shown}, key=lambda o: (_affiliation_rank(affiliations.get(o, "unknown")), o))
    facts = sorted({p.fact_id for p in shown}, key=lambda x: labels.get(x, x).lower())
    groups = tuple(g for g in compare_groups(shown, affiliations) if g.state_events and g.independent_events)
    return Heatmap(tuple(outlets), tuple(facts), labels, {(p.outlet, p.fact_id): p for p in shown}, groups)


def period_days(start: datetime | None, end: datetime) -> list[date]:
    if start is None:
        return []
    first, last = start.date(), end.date()
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def runs_used(s: Session, f: ReportQuery, ranked: Sequence[RankedEvent]) -> list[RunInfo]:
    """The comparison runs behind the ranked events, and the clustering runs behind those events."""
    compare_ids = {r.run_id for r in ranked}
    cluster_ids = set(s.scalars(_window(select(EventRow.updated_run_id).distinct()
                                        .join(EventComparisonRow, EventComparisonRow.event_id == EventRow.id), f)))
    ids = sorted(compare_ids | cluster_ids)
    if not ids:  # nothing compared: still say which runs exist
        ids = sorted(s.scalars(select(func.max(RunRow.id)).group_by(RunRow.kind)))
    rows = s.scalars(select(RunRow).where(RunRow.id.in_(ids)).order_by(RunRow.id)).all() if ids else []
    return [RunInfo(r.id, r.kind, r.status, r.started_at, r.finished_at, r.code_version, json.loads(r.params or "{}"))
            for r in rows]


# --------------------------------------------------------------------------- all of it


def gather(s: Session, f: ReportQuery, *, now: datetime) -> ReportData:
    """Everything a report shows, for the window and filters of ``f``."""
    end = f.until or now
    start = f.since
    if start is None:
        start = s.scalar(select(func.min(ArticleRow.published_at)))
    days = period_days(start, end)
    counts = daily_articles(s, start, end, f.outlets) if start is not None else {}
    outlets = outlet_summaries(s, start, end, days, counts, f.outlets)
    affiliations = dict(s.execute(select(OutletRow.id, OutletRow.affiliation)).all())
    names = dict(s.execute(select(OutletRow.id, OutletRow.name)).all())
    ranked = ranked_events(s, f)
    diverging = [e for e in ranked if e.score > 0]  # a score of 0: no counted verdict, nothing to show
    shown = diverging[: f.top] if f.top else diverging
    state_findings, state_total = main_findings(s, f, state=True)
    other_findings, other_total = main_findings(s, f, state=False)
    facts = [{"id": r.id, "label": r.label, "description": r.description}
             for r in s.scalars(select(FactRow).order_by(FactRow.id))]
    timeline_outlets = tuple(o.id for o in outlets)
    return ReportData(
        query=f, generated_at=now, period_start=start, period_end=end, outlets=outlets,
        affiliations=affiliations, outlet_names=names, ranked=ranked,
        details=event_details(s, shown, f, names), state_findings=state_findings,
        state_findings_total=state_total, other_findings=other_findings, other_findings_total=other_total,
        heatmap=heatmap(s, f, affiliations) if ranked else Heatmap((), (), {}, {}, ()),
        timeline=Timeline(tuple(days), timeline_outlets, counts), runs=runs_used(s, f, ranked), facts=facts,
        uncompared=uncompared_events(s, f), articles=sum(counts.values()))


def known_ids(s: Session) -> tuple[list[str], list[str]]:
    """Outlet ids and fact ids in the store, for validating --outlet and --fact."""
    return (list(s.scalars(select(OutletRow.id).order_by(OutletRow.id))),
            list(s.scalars(select(FactRow.id).order_by(FactRow.id))))
