"""Reading comparisons back in SQL any connection runs: verdict listings and one event side by side.

Usage::

    with Session(engine) as s:
        rows, total = list_omissions(s, OmissionFilter(outlets=("eastwire",), verdicts=("omitted",)))
        side_by_side = event_comparison(s, 25)
    current, side_by_side = stored_comparison(Path("storage/narratives.db"), sha, settings, 25)

``stored_comparison`` is ``narratives compare EVENT``'s fast path: when the stored
comparison is current (``compare_current.is_current``) it reads the event through a
read-only sqlite3 connection (``dbread``) in one snapshot, importing neither SQLAlchemy nor
numpy; anything else (an older schema, a busy store, a stale comparison) is left to the
ordinary path, which runs these same functions through its Session. Repository functions:
they return plain dicts and never write. Outlet profiles are in ``compare_queries``, which
re-exports these.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .action_model import model_score, rescued_score
from .compare import STATE_RANK
from .compare_current import is_current
from .dbread import fetch, first, in_list, open_current, records, timestamp
from .event_view import event_articles, event_detail

if TYPE_CHECKING:
    from .dbread import Reader

OMISSION_COLUMNS = ["event_id", "event_last_published", "event", "outlet", "affiliation", "kind", "fact_id",
                    "claim_id", "what", "verdict", "outlet_state", "confidence", "linked", "supporting_outlets",
                    "supporting_article_ids", "quote_outlet", "quote", "evidence", "run_id"]
OMISSION_TABLE_COLUMNS = ["event_id", "event", "outlet", "what", "verdict", "confidence", "supporting_outlets",
                          "quote_outlet", "quote"]
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


_VERDICTS_FROM = ("FROM omissions om JOIN outlets o ON o.id = om.outlet_id JOIN events e ON e.id = om.event_id "
                  "LEFT JOIN facts f ON f.id = om.fact_id LEFT JOIN claims c ON c.id = om.claim_id")


def list_omissions(db: Reader, f: OmissionFilter) -> tuple[list[dict], int]:
    """Verdicts matching ``f``, most recent events first; also the count before ``limit``."""
    where, params = [], {}
    for column, values in (("om.outlet_id", f.outlets), ("om.fact_id", f.facts), ("om.verdict", f.verdicts),
                           ("om.kind", f.kinds), ("om.event_id", f.events)):
        if values:
            listed, named = in_list(column.removeprefix("om."), values)
            where.append(f"{column} IN {listed}")
            params.update(named)
    if f.since is not None:
        where.append("e.last_published >= :since")
        params["since"] = f.since
    if f.until is not None:
        where.append("e.first_published <= :until")
        params["until"] = f.until
    body = _VERDICTS_FROM + (" WHERE " + " AND ".join(where) if where else "")
    rows = records(db, "SELECT om.id, om.event_id, om.outlet_id, om.kind, om.fact_id, om.claim_id, om.verdict, "
                       "om.outlet_state, om.confidence, om.supporting_outlets, om.supporting_article_ids, "
                       "om.evidence, om.quote, om.quote_outlet, om.linked, om.run_id, e.headline, "
                       "e.last_published, o.affiliation, f.label AS fact_label, c.label AS claim_label "
                       f"{body} ORDER BY e.last_published DESC, om.event_id DESC, om.outlet_id, om.kind DESC, "
                       "om.fact_id, c.number, om.id" + (" LIMIT :limit" if f.limit else ""),
                   **params, **({"limit": f.limit} if f.limit else {}))
    total = fetch(db, f"SELECT count(*) {body}", **params)[0][0] if f.limit else len(rows)
    return [_omission_dict(o) for o in rows], total


def _omission_dict(o: Any) -> dict:
    what = {"fact": o.fact_label or o.fact_id, "claim": f"claim: {o.claim_label}", "event": "(the event)"}.get(o.kind, "")
    return {"event_id": o.event_id, "event_last_published": timestamp(o.last_published), "event": o.headline,
            "outlet": o.outlet_id, "affiliation": o.affiliation, "kind": o.kind, "fact_id": o.fact_id,
            "claim_id": o.claim_id, "what": what, "verdict": o.verdict, "outlet_state": o.outlet_state,
            "confidence": o.confidence, "linked": bool(o.linked), "supporting_outlets": _loads(o.supporting_outlets),
            "supporting_article_ids": _loads(o.supporting_article_ids), "quote_outlet": o.quote_outlet,
            "quote": o.quote, "evidence": _loads(o.evidence), "run_id": o.run_id}


# --------------------------------------------------------------------------- one event


def stored_comparison(path: Path, sha: str | None, settings: dict[str, Any], event_id: int) -> tuple[bool, dict | None]:
    """(True, ``event_comparison``: None if there is no such event) when the store at
    ``path`` reads without writing and ``event_id``'s stored comparison is current for the
    facts file's ``sha`` and ``settings``; (False, None) when the ordinary path must decide."""
    con = open_current(path)
    if con is None:
        return False, None
    try:
        con.execute("BEGIN")  # one snapshot: a comparison run committing meanwhile is not half seen
        if not is_current(con, sha, settings, event_id):
            return False, None
        return True, event_comparison(con, event_id)
    except sqlite3.Error:  # busy, or unreadable now: the ordinary path waits, or says why
        return False, None
    finally:
        con.close()


def event_comparison(db: Reader, event_id: int) -> dict | None:
    """One event side by side: per outlet its headlines, each fact's state and evidence, the
    claims it lacks, and its verdicts. ``None`` if there is no such event."""
    found = event_detail(db, event_id)
    if found is None:
        return None
    info, articles = found
    for a in articles:
        a["linked"] = None
    articles = articles + [{**a, "linked": a["similarity"]} for a in event_articles(db, "event_links", event_id)]
    record = first(db, "SELECT c.run_id, c.compared_at, c.window_start, c.window_end, c.outlets, r.code_version "
                       "FROM event_comparisons c LEFT JOIN runs r ON r.id = c.run_id WHERE c.event_id = :e",
                   e=event_id)
    comparison = None if record is None else {
        "run_id": record[0], "compared_at": timestamp(record[1]), "window_start": timestamp(record[2]),
        "window_end": timestamp(record[3]), "outlets": record[4], "code_version": record[5]}
    verdicts, _total = list_omissions(db, OmissionFilter(events=(event_id,), verdicts=(), limit=0))
    article_ids = [a["article_id"] for a in articles]
    thin: dict[int, Any] = {}
    mentions: list[Any] = []
    if article_ids:
        listed, ids = in_list("article", article_ids)
        thin = dict(fetch(db, f"SELECT article_id, thin FROM article_facts WHERE article_id IN {listed}", **ids))
        mentions = records(db, "SELECT id, article_id, fact_id, state, sentence_index, sentence, action_term, "
                               "actor_term, actor_where, cues, run_id FROM fact_mentions "
                               f"WHERE article_id IN {listed} ORDER BY article_id, sentence_index", **ids)
    outlet_of = {a["article_id"]: a["outlet"] for a in articles}
    claims = records(db, "SELECT id, number, label, outlets FROM claims WHERE event_id = :e ORDER BY number",
                     e=event_id)
    sentences: dict[int, list[dict]] = {}
    if claims:
        listed, ids = in_list("claim", [c.id for c in claims])
        for claim_id, outlet, article_id, sentence in fetch(
                db, "SELECT claim_id, outlet_id, article_id, sentence FROM claim_sentences "
                    f"WHERE claim_id IN {listed} ORDER BY outlet_id, article_id, sentence_index", **ids):
            sentences.setdefault(claim_id, []).append({"outlet": outlet, "article_id": article_id, "sentence": sentence})
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
    names = dict(fetch(db, "SELECT id, name FROM outlets"))
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
    labels: dict[str, str] = {}
    if used:
        listed, ids = in_list("fact", used)
        labels = dict(fetch(db, f"SELECT id, label FROM facts WHERE id IN {listed}", **ids))
    return {"event": info, "comparison": comparison,
            "facts": [{"fact_id": f, "label": labels.get(f, f)} for f in used],
            "outlets": [outlets[k] for k in sorted(outlets, key=lambda k: (not outlets[k]["covered"], k))],
            "claims": claim_list, "verdicts": verdicts}
