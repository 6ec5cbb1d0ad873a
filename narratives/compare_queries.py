"""Reading comparisons back: verdict listings, one event side by side, inputs of outlet profiles.

Usage::

    with Session(engine) as s:
        rows, total = list_omissions(s, OmissionFilter(outlets=("eastwire",), verdicts=("omitted",)))
        side_by_side = event_comparison(s, 25)
        profiles, affiliations = stored_profiles(s, ProfileFilter(since=...))

Repository functions: they take a session, return plain dicts or dataclasses, and never
write. No scikit-learn here, so listing commands start fast.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .action_model import model_score, rescued_score
from .compare import STATE_RANK, OutletCoverage, Profile, outlet_profiles
from .event_queries import event_detail
from .models import (
    ArticleFactsRow,
    ArticleRow,
    ClaimRow,
    ClaimSentenceRow,
    EventComparisonRow,
    EventLinkRow,
    EventRow,
    FactMentionRow,
    FactRow,
    OmissionRow,
    OutletRow,
    RunRow,
)

OMISSION_COLUMNS = ["event_id", "event_last_published", "event", "outlet", "affiliation", "kind", "fact_id",
                    "claim_id", "what", "verdict", "outlet_state", "confidence", "linked", "supporting_outlets",
                    "supporting_article_ids", "quote_outlet", "quote", "evidence", "run_id"]
OMISSION_TABLE_COLUMNS = ["event_id", "event", "outlet", "what", "verdict", "confidence", "supporting_outlets",
                          "quote_outlet", "quote"]
PROFILE_COLUMNS = ["outlet", "affiliation", "fact_id", "fact", "events", "omitted", "rate", "ci_low", "ci_high",
                   "agentless", "thin"]
GROUP_COLUMNS = ["fact_id", "fact", "state_outlets", "state_events", "state_omitted", "state_rate",
                 "independent_outlets", "independent_events", "independent_omitted", "independent_rate",
                 "odds_ratio", "p_value"]
FINDINGS = ("omitted", "agentless")


@dataclass(frozen=True)
class OmissionFilter:
    outlets: tuple[str, ...] = ()
    facts: tuple[str, ...] = ()  # fact ids (fact verdicts only)
    verdicts: tuple[str, ...] = FINDINGS  # empty: all five
    kinds: tuple[str, ...] = ()  # fact | claim | event; empty: all
    events: tuple[int, ...] = ()
    since: datetime | None = None  # events still reported at or after this time
    until: datetime | None = None  # events first reported at or before this time
    limit: int = 100  # 0: all


def _loads(text: str | None) -> list:
    return json.loads(text) if text else []


def list_omissions(s: Session, f: OmissionFilter) -> tuple[list[dict], int]:
    """Verdicts matching ``f``, most recent events first; also the count before ``limit``."""
    om = OmissionRow
    q = (select(om, EventRow.headline, EventRow.last_published, OutletRow.affiliation, FactRow.label, ClaimRow.label)
         .join(OutletRow, OutletRow.id == om.outlet_id)
         .join(EventRow, EventRow.id == om.event_id)
         .outerjoin(FactRow, FactRow.id == om.fact_id)
         .outerjoin(ClaimRow, ClaimRow.id == om.claim_id))
    if f.outlets:
        q = q.where(om.outlet_id.in_(f.outlets))
    if f.facts:
        q = q.where(om.fact_id.in_(f.facts))
    if f.verdicts:
        q = q.where(om.verdict.in_(f.verdicts))
    if f.kinds:
        q = q.where(om.kind.in_(f.kinds))
    if f.events:
        q = q.where(om.event_id.in_(f.events))
    if f.since is not None:
        q = q.where(EventRow.last_published >= f.since)
    if f.until is not None:
        q = q.where(EventRow.first_published <= f.until)
    total = s.scalar(select(func.count()).select_from(q.subquery())) or 0
    q = q.order_by(EventRow.last_published.desc(), om.event_id.desc(), om.outlet_id, om.kind.desc(),
                   om.fact_id, ClaimRow.number, om.id)
    if f.limit:
        q = q.limit(f.limit)
    return [_omission_dict(*row) for row in s.execute(q)], total


def _omission_dict(o: OmissionRow, headline: str, last: datetime, affiliation: str, fact: str | None,
                   claim: str | None) -> dict:
    what = {"fact": fact or o.fact_id, "claim": f"claim: {claim}", "event": "(the event)"}.get(o.kind, "")
    return {"event_id": o.event_id, "event_last_published": last, "event": headline, "outlet": o.outlet_id,
            "affiliation": affiliation, "kind": o.kind, "fact_id": o.fact_id, "claim_id": o.claim_id, "what": what,
            "verdict": o.verdict, "outlet_state": o.outlet_state, "confidence": o.confidence,
            "linked": bool(o.linked), "supporting_outlets": _loads(o.supporting_outlets),
            "supporting_article_ids": _loads(o.supporting_article_ids), "quote_outlet": o.quote_outlet,
            "quote": o.quote, "evidence": _loads(o.evidence), "run_id": o.run_id}


# --------------------------------------------------------------------------- one event


def event_comparison(s: Session, event_id: int) -> dict | None:
    """One event side by side: per outlet its headlines, each fact's state and evidence, the
    claims it lacks, and its verdicts. ``None`` if there is no such event."""
    found = event_detail(s, event_id)
    if found is None:
        return None
    info, articles = found
    for a in articles:
        a["linked"] = None
    linked = s.execute(
        select(ArticleRow.id, ArticleRow.outlet_id, OutletRow.name, OutletRow.affiliation, ArticleRow.published_at,
               ArticleRow.title, ArticleRow.url, EventLinkRow.similarity)
        .join(EventLinkRow, EventLinkRow.article_id == ArticleRow.id)
        .join(OutletRow, OutletRow.id == ArticleRow.outlet_id)
        .where(EventLinkRow.event_id == event_id)
        .order_by(ArticleRow.outlet_id, ArticleRow.published_at, ArticleRow.id)).all()
    articles = articles + [{"outlet": r.outlet_id, "outlet_name": r.name, "affiliation": r.affiliation,
                            "published_at": r.published_at, "title": r.title, "similarity": r.similarity,
                            "article_id": r.id, "url": r.url, "linked": r.similarity} for r in linked]
    record = s.get(EventComparisonRow, event_id)
    run = s.get(RunRow, record.run_id) if record else None
    comparison = None if record is None else {
        "run_id": record.run_id, "compared_at": record.compared_at, "window_start": record.window_start,
        "window_end": record.window_end, "outlets": record.outlets,
        "code_version": run.code_version if run else None}
    verdicts, _total = list_omissions(s, OmissionFilter(events=(event_id,), verdicts=(), limit=0))
    article_ids = [a["article_id"] for a in articles]
    thin = dict(s.execute(select(ArticleFactsRow.article_id, ArticleFactsRow.thin)
                          .where(ArticleFactsRow.article_id.in_(article_ids))).all()) if article_ids else {}
    mentions = s.execute(select(FactMentionRow).where(FactMentionRow.article_id.in_(article_ids))
                         .order_by(FactMentionRow.article_id, FactMentionRow.sentence_index)).scalars().all() \
        if article_ids else []
    outlet_of = {a["article_id"]: a["outlet"] for a in articles}
    claims = s.execute(select(ClaimRow).where(ClaimRow.event_id == event_id).order_by(ClaimRow.number)).scalars().all()
    sentences: dict[int, list[dict]] = {}
    if claims:
        for x in s.execute(select(ClaimSentenceRow).where(ClaimSentenceRow.claim_id.in_([c.id for c in claims]))
                           .order_by(ClaimSentenceRow.outlet_id, ClaimSentenceRow.article_id,
                                     ClaimSentenceRow.sentence_index)).scalars():
            sentences.setdefault(x.claim_id, []).append(
                {"outlet": x.outlet_id, "article_id": x.article_id, "sentence": x.sentence})
    claim_list = [{"claim_id": c.id, "number": c.number, "label": c.label, "outlets": _loads(c.outlets),
                   "sentences": sentences.get(c.id, [])} for c in claims]
    by_claim = {c["claim_id"]: c for c in claim_list}

    outlets: dict[str, dict] = {}
    for a in articles:
        o = outlets.setdefault(a["outlet"], {"outlet": a["outlet"], "outlet_name": a["outlet_name"],
                                             "affiliation": a["affiliation"], "covered": True, "linked": True,
                                             "verdict": None, "articles": [], "facts": {}, "missing_claims": []})
        o["linked"] = o["linked"] and a["linked"] is not None
        o["articles"].append({"article_id": a["article_id"], "published_at": a["published_at"], "title": a["title"],
                              "url": a["url"], "thin": bool(thin.get(a["article_id"], False)),
                              "linked": a["linked"]})
    for m in mentions:
        facts = outlets[outlet_of[m.article_id]]["facts"]
        best = facts.get(m.fact_id)
        if best is None or STATE_RANK[m.state] > STATE_RANK[best["state"]]:
            facts[m.fact_id] = {"state": m.state, "sentence": m.sentence, "article_id": m.article_id,
                                "cues": m.cues, "model": model_score(m),
                                "actor_by_model": rescued_score(m.actor_term) is not None, "verdict": None,
                                "confidence": None, "evidence": []}
    names = dict(s.execute(select(OutletRow.id, OutletRow.name)).all())
    for v in verdicts:
        o = outlets.setdefault(v["outlet"], {"outlet": v["outlet"], "outlet_name": names.get(v["outlet"], v["outlet"]),
                                             "affiliation": v["affiliation"], "covered": False, "linked": False,
                                             "verdict": None, "articles": [], "facts": {}, "missing_claims": []})
        if v["kind"] == "event":
            o["verdict"] = v["verdict"]
        elif v["kind"] == "fact":
            entry = o["facts"].setdefault(v["fact_id"], {"state": "absent", "sentence": None, "article_id": None,
                                                          "cues": "", "evidence": []})
            entry.update(verdict=v["verdict"], confidence=v["confidence"], evidence=v["evidence"])
        elif v["kind"] == "claim" and v["claim_id"] in by_claim:
            claim = by_claim[v["claim_id"]]
            o["missing_claims"].append({"claim_id": claim["claim_id"], "number": claim["number"],
                                        "label": claim["label"], "verdict": v["verdict"],
                                        "outlets": claim["outlets"], "sentences": claim["sentences"]})
    for o in outlets.values():
        o["thin"] = bool(o["articles"]) and all(a["thin"] for a in o["articles"])
    used = sorted({f for o in outlets.values() for f in o["facts"]})
    labels = dict(s.execute(select(FactRow.id, FactRow.label).where(FactRow.id.in_(used))).all()) if used else {}
    return {"event": info, "comparison": comparison,
            "facts": [{"fact_id": f, "label": labels.get(f, f)} for f in used],
            "outlets": [outlets[k] for k in sorted(outlets, key=lambda k: (not outlets[k]["covered"], k))],
            "claims": claim_list, "verdicts": verdicts}


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
