"""Rendering a report: ``ReportData`` through Jinja2 templates into HTML or Markdown.

Usage::

    html = render_html(data)        # self-contained: inline CSS, charts as data URIs, no JavaScript
    text = render_markdown(data)

Everything that came from a feed is untrusted. The HTML environment autoescapes every
value, and no template marks feed text safe; links are emitted only through the
``safe_url`` filter, which lets http(s) URLs through and nothing else (no
``javascript:``, ``data:``, relative or malformed URLs: the text is shown, unlinked). A
Content-Security-Policy forbids scripts and any network request as a second wall. The
Markdown environment escapes every value by default (``md_escape``: no raw HTML, no
link syntax from feed text); links go through ``md_url``.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Mapping
from datetime import date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from .compare import STATE_AFFILIATIONS
from .report_data import (
    CONFIDENCE_WEIGHT,
    COUNTED,
    KIND_WEIGHT,
    EventDetail,
    ReportData,
)

VERDICT_WORDS = {
    "omitted": "left it out",
    "agentless": "reported it without naming who did it",
    "thin": "only a teaser (low confidence, not counted)",
    "not_covered": "published nothing on this event",
    "unknown": "feeds failing then: unknown",
}
QUOTES = 6  # evidence sentences shown per finding of an event (one per outlet first)
CLAIMS_SHOWN = 10  # discovered claims listed per event, those carried by most outlets first
HEADLINES_SHOWN = 4  # an outlet's headlines in an event's table
STATE_WORDS = {"attributed": "named the actor", "agentless": "no actor named",
               "unresolved": "the act read by the trained model, its doer unknown: not judged", "absent": "not reported"}
_SPACE = re.compile(r"\s+")
_MD_SPECIAL = re.compile(r"([\\`*_\[\]|~#])")


def safe_url(value: Any) -> str | None:
    """``value`` if it is an absolute http(s) URL with a host and no whitespace or control
    characters, else ``None`` (the caller then shows no link)."""
    if not isinstance(value, str):
        return None
    url = value.strip(" ")
    if not url or any(ord(c) < 0x21 or 0x7F <= ord(c) <= 0x9F for c in url):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    return url


def md_escape(value: Any) -> str:
    """Feed text as inert Markdown: one line, HTML brackets as entities, syntax backslashed."""
    text = _SPACE.sub(" ", str(value)).strip()
    text = text.replace("<", "&lt;").replace(">", "&gt;")
    return _MD_SPECIAL.sub(r"\\\1", text)


def md_url(value: Any) -> Markup | None:
    """A safe_url made safe inside Markdown's ``(...)``: brackets and spaces percent-encoded."""
    url = safe_url(value)
    return None if url is None else Markup(quote(url, safe=":/?#@!$&'*+,;=%-._~"))


def verbatim(value: Any) -> Markup:
    """Markdown that the template built itself (a macro's output, escaped inside): not escaped again."""
    return Markup(value)


def _md_finalize(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, Markup):
        return str(value)
    return md_escape(value)


def count(n: int, word: str, plural: str | None = None) -> str:
    """``3 outlets``, ``1 outlet``."""
    return f"{n} {word if n == 1 else (plural or word + 's')}"


def when(value: Any, fmt: str = "%d %b %Y %H:%M") -> str:
    if value is None:
        return "—"
    if isinstance(value, datetime | date):
        return value.strftime(fmt)
    return str(value)


def pct(value: float | None) -> str:
    return "—" if value is None else f"{100 * value:.0f}%"


def environment(fmt: str) -> Environment:
    if fmt == "html":
        env = Environment(loader=PackageLoader("narratives", "templates"), autoescape=True,
                          undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    else:
        env = Environment(loader=PackageLoader("narratives", "templates"), autoescape=False,
                          undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                          finalize=_md_finalize)
    env.filters.update(safe_url=safe_url, md_url=md_url, when=when, pct=pct, verbatim=verbatim, count=count)
    return env


# --------------------------------------------------------------------------- view models


def event_view(d: EventDetail, affiliations: Mapping[str, str], focus: tuple[str, ...] = ()) -> dict:
    """One event for the templates: outlet columns, a fact × outlet grid, findings with evidence
    (only on the ``focus`` outlets, if any)."""
    view = d.view
    names = d.outlet_names
    outlets = []
    for o in view["outlets"]:
        outlets.append({
            "id": o["outlet"], "name": o["outlet_name"], "affiliation": o["affiliation"],
            "state": o["affiliation"] in STATE_AFFILIATIONS, "covered": o["covered"], "verdict": o["verdict"],
            "linked": o["linked"] and o["covered"], "thin": o["thin"],
            "articles": o["articles"][:HEADLINES_SHOWN],
            "more_articles": max(0, len(o["articles"]) - HEADLINES_SHOWN)})
    grid = []
    for fact in view["facts"]:
        cells = []
        for o in view["outlets"]:
            f = o["facts"].get(fact["fact_id"])
            if not o["covered"]:
                cells.append({"state": None, "verdict": None, "confidence": None})
            elif f is None:
                cells.append({"state": "absent", "verdict": None, "confidence": None})
            else:
                cells.append({"state": f["state"], "verdict": f.get("verdict"), "confidence": f.get("confidence")})
        if any(c["state"] in ("attributed", "agentless") or c["verdict"] for c in cells):
            grid.append({"fact_id": fact["fact_id"], "label": fact["label"], "cells": cells})
    labels = {f["fact_id"]: f["label"] for f in view["facts"]}

    def cite(items: list[dict]) -> list[dict]:
        return [{"outlet": e["outlet"], "outlet_name": names.get(e["outlet"], e["outlet"]),
                 "affiliation": affiliations.get(e["outlet"], "unknown"), "article_id": e["article_id"],
                 "sentence": e["sentence"], "url": d.urls.get(e["article_id"])} for e in items]

    facts: dict[str, dict] = {}  # fact id -> who left it out / reported it without the actor, and the evidence
    claims: dict[int, dict] = {}  # claim id -> the outlets lacking it
    for o in view["outlets"]:
        if focus and o["outlet"] not in focus:
            continue
        who = {"outlet": o["outlet"], "outlet_name": o["outlet_name"], "affiliation": o["affiliation"],
               "state": o["affiliation"] in STATE_AFFILIATIONS, "linked": o["linked"]}
        for fact_id, f in o["facts"].items():
            verdict = f.get("verdict")
            if verdict not in ("omitted", "agentless", "thin"):
                continue
            entry = facts.setdefault(fact_id, {"fact_id": fact_id, "fact": labels.get(fact_id, fact_id),
                                               "omitted": [], "agentless": [], "thin": [],
                                               "evidence": {"omitted": [], "agentless": []}})
            own = f["sentence"] if f["state"] == "agentless" else None
            entry[verdict].append({**who, "confidence": f.get("confidence"), "own": own,
                                   "own_url": d.urls.get(f["article_id"]) if f.get("article_id") else None})
            if verdict in entry["evidence"]:
                entry["evidence"][verdict] += f["evidence"]
        for c in o["missing_claims"]:
            claim = claims.setdefault(c["claim_id"], {"number": c["number"], "label": c["label"],
                                                      "outlets": c["outlets"], "lacking": [],
                                                      "sentences": cite(c["sentences"][:QUOTES // 2])})
            claim["lacking"].append(who)
    findings = []
    for entry in facts.values():
        entry["evidence"] = {k: _spread(cite(v)) for k, v in entry["evidence"].items()}
        entry["state"] = any(w["state"] for k in ("omitted", "agentless") for w in entry[k])
        findings.append(entry)
    # State outlets' findings first, then missing attribution, then the most outlets diverging.
    findings.sort(key=lambda e: (not e["state"], not e["agentless"], -len(e["omitted"]) - len(e["agentless"]),
                                 e["fact"]))
    leads = sorted(claims.values(), key=lambda c: c["number"])
    comparison = view["comparison"] or {}
    return {"event": view["event"], "ranked": d.ranked, "comparison": comparison, "outlets": outlets,
            "grid": grid, "findings": findings, "leads": leads[:CLAIMS_SHOWN], "more_leads": len(leads) - CLAIMS_SHOWN}


def _spread(quotes: list[dict], limit: int = QUOTES) -> dict:
    """At most ``limit`` quotes, one article once, taking each outlet's first before anyone's second."""
    seen: set[int] = set()
    by_outlet: dict[str, list[dict]] = {}
    for q in quotes:
        if q["article_id"] not in seen:
            seen.add(q["article_id"])
            by_outlet.setdefault(q["outlet"], []).append(q)
    chosen: list[dict] = []
    rounds = max((len(v) for v in by_outlet.values()), default=0)
    for i in range(rounds):
        chosen += [v[i] for _k, v in sorted(by_outlet.items()) if i < len(v)]
    return {"quotes": chosen[:limit], "more": max(0, len(chosen) - limit), "outlets": len(by_outlet)}


def _context(data: ReportData) -> dict:
    by_affiliation: dict[str, int] = {}
    for o in data.outlets:
        by_affiliation[o.affiliation] = by_affiliation.get(o.affiliation, 0) + 1
    problems = [(o, f) for o in data.outlets for f in o.feeds if not f.healthy]
    compare_runs = [r for r in data.runs if r.kind == "compare"]
    return {
        "d": data, "q": data.query, "events": [event_view(x, data.affiliations, data.query.outlets) for x in data.details],
        "affiliations": data.affiliations, "names": data.outlet_names, "state_affiliations": STATE_AFFILIATIONS,
        "by_affiliation": sorted(by_affiliation.items()), "problems": problems,
        "silent": [o for o in data.outlets if not o.articles],
        "kind_weight": KIND_WEIGHT, "confidence_weight": CONFIDENCE_WEIGHT, "counted": COUNTED,
        "verdict_words": VERDICT_WORDS, "state_words": STATE_WORDS,
        "fact_findings": sum(e.fact_findings for e in data.ranked),
        "diverging_events": sum(1 for e in data.ranked if e.fact_findings or e.claim_leads),
        "shown": len(data.details),
        "agreeing": sum(1 for e in data.ranked if e.score == 0),
        "min_support": compare_runs[-1].params.get("min_support", 2) if compare_runs else 2,
    }


def render_html(data: ReportData, charts: Mapping[str, str | None] | None = None) -> str:
    """The report as one self-contained HTML page. ``charts``: name -> data URI (charts.py)."""
    return environment("html").get_template("report.html.j2").render(
        **_context(data), charts=dict(charts or {}))


def render_markdown(data: ReportData) -> str:
    """The report as Markdown (the charts' numbers as tables)."""
    return environment("md").get_template("report.md.j2").render(**_context(data))


def make_report(s: Any, query: Any, fmt: str, *, now: datetime) -> tuple[str, ReportData]:
    """Gather and render a report (``fmt``: html | md); also return what it shows."""
    from .report_data import gather

    data = gather(s, query, now=now)
    if fmt == "md":
        return render_markdown(data), data
    from .charts import heatmap_png, timeline_png

    charts = {"heatmap": heatmap_png(data.heatmap, data.affiliations),
              "timeline": timeline_png(data.timeline, data.affiliations)}
    return render_html(data, charts), data


def write_atomically(path: Path, text: str) -> None:
    """Write ``text`` to a temporary file beside ``path``, then rename: never a half report."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes it private; a report is an ordinary file
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
