"""Commands of the comparison stage: compare events, list omission verdicts, outlet profiles.

Registered on the ``narratives`` group by ``cli.py``; same conventions (thin commands,
``--db`` everywhere, ``--format table|md|json|csv`` on everything that lists).

``compare EVENT`` on a SQLite store whose stored comparison is current reads it through
``compare_view.stored_comparison`` and imports no SQLAlchemy, numpy or scikit-learn (about
half a second of start-up): so SQLAlchemy, the lock and the profile queries are imported in
the commands that use them, not here.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import datetime
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.markup import escape

from .action_model import rescue_term
from .cli import (
    EXIT_CONFIG,
    EXIT_FAILED,
    EXIT_LOCKED,
    cli,
    db_option,
    fail,
    format_option,
    open_or_exit,
    when,
)
from .compare import KINDS, VERDICTS, compare_groups
from .compare_current import file_sha256, is_current, remember
from .compare_view import (
    OMISSION_COLUMNS,
    OMISSION_TABLE_COLUMNS,
    OmissionFilter,
    event_comparison,
    list_omissions,
    stored_comparison,
)
from .errors import ConfigError, LockBusy, StoreError
from .report import cell, emit, plain
from .storefile import db_url, sqlite_database, utcnow

STATE_WORDS = {"attributed": "attributed", "agentless": "agentless", "unresolved": "unresolved", "absent": "—"}
EVENT_VERDICTS = {"not_covered": "published nothing on this event while its feeds worked (not covered)",
                  "unknown": "published nothing on it, but its feeds were failing or not yet collected "
                             "then (unknown: not an omission)"}


def facts_option(f: Any) -> Any:
    return click.option("--facts", "facts_path", default=None,
                        type=click.Path(dir_okay=False, path_type=Path),
                        help="The fact catalogue [default: facts.yaml in the working directory, "
                             "else the one installed with narratives].")(f)


def _flat(rows: list[dict], fmt: str) -> list[dict]:
    """Lists as comma-separated text (lists of objects as JSON text), except in JSON."""
    if fmt == "json":
        return rows

    def text(v: Any) -> Any:
        if isinstance(v, list):
            return json.dumps(v, ensure_ascii=False) if any(isinstance(x, dict) for x in v) else ", ".join(map(str, v))
        return v

    return [{k: text(v) for k, v in r.items()} for r in rows]


@cli.command()
@db_option
@click.argument("event_id", type=int, required=False)
@facts_option
@click.option("--min-support", default=2, show_default=True, type=click.IntRange(1),
              help="Other outlets that must carry a fact or claim before its absence counts.")
@click.option("--min-attributed", default=1, show_default=True, type=click.IntRange(1),
              help="Other outlets that must name the actor before a report without it is an agentless finding.")
@click.option("--no-claims", is_flag=True, help="Compare on the fact catalogue only (no discovered claims).")
@click.option("--rebuild", is_flag=True, help="Compare every event again.")
@click.option("--wait", "lock_wait", default=0.0, show_default=True, type=click.FloatRange(0),
              metavar="SECONDS", help="Wait this long for a comparison run already in progress.")
@format_option
def compare(db: str | None, event_id: int | None, facts_path: Path, min_support: int, min_attributed: int,
            no_claims: bool, rebuild: bool, lock_wait: float, fmt: str) -> None:
    """Compare how outlets covered each event: facts and claims each one leaves out.

    Without EVENT: compare every event whose coverage changed since the last run (run it
    after `narratives cluster`) and print a summary; verdicts go to the `omissions`
    table. A changed facts.yaml, --min-support, --min-attributed or --no-claims compares
    every event again. An agentless finding needs --min-attributed other outlets naming the
    actor: with 2 instead of 1, fewer findings, more often right (see the README's figures).
    With EVENT: bring that event up to date, then show it side by side: each outlet's
    headlines, each fact's state with its evidence sentence, the verdicts, and the
    discovered claims the outlet lacks with the other outlets' sentences. Exit codes: 0
    done, 1 store error, 2 bad facts.yaml or no such event, 3 another comparison holds
    the store (with EVENT, the stored comparison is shown instead).

    \b
    Example:
        narratives collect && narratives cluster && narratives compare
        narratives compare 25
        narratives compare 25 --format json
    """
    from .facts_config import default_facts_path

    facts_path = facts_path or default_facts_path()
    url = db_url(db)
    sha = file_sha256(facts_path)
    key = {"min_support": min_support, "min_support_attributed": min_attributed, "claims": not no_claims}
    engine = None
    database = sqlite_database(url)
    # Only a store that exists: a bad facts.yaml must stop before anything is created.
    if event_id is not None and not rebuild and (database is None or Path(database).is_file()):
        if database is not None:  # the common case: read it, parse nothing, import no SQLAlchemy
            current, view = stored_comparison(Path(database), sha, key, event_id)
            if current:
                _show_event(view, event_id, fmt)
                return
        engine = open_or_exit(url)  # another backend, an older schema, a busy or stale store
        if _stored_is_current(engine, sha, key, event_id):
            _show_event(_stored_view(engine, event_id), event_id, fmt)
            return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from .lock import collect_lock, lock_path_for
    from .omissions import CompareSettings, run_compare

    try:
        from .facts import load_facts

        catalogue = load_facts(facts_path)
    except ConfigError as exc:
        fail("Configuration error (nothing was written):\n" + str(exc), EXIT_CONFIG)
    engine = engine or open_or_exit(url)
    settings = CompareSettings(min_support=min_support, min_support_attributed=min_attributed,
                               claims=not no_claims, rebuild=rebuild)
    console = Console(stderr=True)
    progress = Progress(TextColumn("compare"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                        console=console, transient=True, disable=not console.is_terminal or event_id is not None)
    task_id = progress.add_task("events", total=None)
    report = None
    try:
        with collect_lock(lock_path_for(url, ".compare.lock"), wait=lock_wait, what="compare"), progress:
            report = run_compare(engine, catalogue, settings, now=utcnow(),
                                 events=None if event_id is None else [event_id],
                                 progress=lambda done, total: progress.update(task_id, completed=done, total=total))
            if file_sha256(facts_path) == sha:  # the bytes parsed are the bytes hashed
                remember(engine, sha, key, settings.params(catalogue))
    except LockBusy as exc:
        if event_id is None:
            fail(str(exc), EXIT_LOCKED)
        click.echo(f"{exc}; showing the comparison stored so far.", err=True)
    except StoreError as exc:
        fail(str(exc), EXIT_FAILED)
    if report is not None and report.full and report.reason:
        click.echo(f"Compared every event again: {report.reason}.", err=True)
    if event_id is not None:
        _show_event(_stored_view(engine, event_id), event_id, fmt)
        return
    assert report is not None
    if fmt != "table":
        # JSON: the verdict counts as an object; CSV and Markdown cells: that object as JSON text
        counts = dict(sorted(report.verdicts.items()))
        emit([{**asdict(report), "verdicts": counts if fmt == "json" else json.dumps(counts)}],
             ["run_id", "full", "reason", "events", "articles", "removed", "verdicts", "events_total"], fmt, Console())
    elif report.run_id is None:
        click.echo(f"Nothing to compare: every event's comparison is up to date ({report.events_total} events "
                   "compared). Run `narratives cluster` after collecting, then compare again.")
    else:
        counts = ", ".join(f"{report.verdicts.get(v, 0)} {v.replace('_', ' ')}" for v in VERDICTS)
        click.echo(f"Compared {report.events} events ({report.articles} articles) in run {report.run_id}: "
                   f"{counts}; {report.removed} dropped (merged away or down to one outlet); "
                   f"{report.events_total} events compared in the store. "
                   "See `narratives omissions` and `narratives outlets`.")


def _stored_is_current(engine: Any, sha: str | None, key: dict, event_id: int) -> bool:
    from sqlalchemy.orm import Session

    with Session(engine) as s:
        return is_current(s, sha, key, event_id)


def _stored_view(engine: Any, event_id: int) -> dict | None:
    from sqlalchemy.orm import Session

    with Session(engine) as s:
        return event_comparison(s, event_id)


def _show_event(view: dict | None, event_id: int, fmt: str) -> None:
    if view is None:
        fail(f"compare: no event {event_id}. Fix: pick an id from `narratives events`", EXIT_CONFIG)
    assert view is not None
    if fmt == "json":
        click.echo(json.dumps(_plain(view), ensure_ascii=False, indent=2))
    elif fmt == "csv":
        emit(_cells(view), CELL_COLUMNS, "csv", Console())
    elif fmt == "md":
        click.echo(_markdown(view), nl=False)
    else:
        _print_event(view, Console())


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return plain(value)


CELL_COLUMNS = ["event_id", "outlet", "affiliation", "kind", "item", "state", "verdict", "confidence",
                "article_id", "sentence", "evidence_outlet", "evidence_article_id", "evidence_sentence"]


def _cells(view: dict) -> list[dict]:
    """The side-by-side view as flat rows: headlines, fact states, missing claims, event verdicts."""
    rows = []
    event_id = view["event"]["id"]
    for o in view["outlets"]:
        base = {"event_id": event_id, "outlet": o["outlet"], "affiliation": o["affiliation"]}
        if o["verdict"]:
            rows.append({**base, "kind": "event", "verdict": o["verdict"]})
        for a in o["articles"]:
            rows.append({**base, "kind": "article", "item": a["title"], "article_id": a["article_id"],
                         "state": ("thin " if a["thin"] else "") + ("linked" if a["linked"] is not None else "")})
        for fact in view["facts"]:
            f = o["facts"].get(fact["fact_id"])
            if not o["covered"] or f is None:
                continue
            first = (f["evidence"] or [{}])[0]
            rows.append({**base, "kind": "fact", "item": fact["fact_id"], "state": f["state"],
                         "verdict": f["verdict"], "confidence": f["confidence"], "article_id": f["article_id"],
                         "sentence": f["sentence"], "evidence_outlet": first.get("outlet"),
                         "evidence_article_id": first.get("article_id"), "evidence_sentence": first.get("sentence")})
        for c in o["missing_claims"]:
            first = next((x for x in c["sentences"]), {})
            rows.append({**base, "kind": "claim", "item": c["label"], "state": "absent", "verdict": c["verdict"],
                         "evidence_outlet": first.get("outlet"), "evidence_article_id": first.get("article_id"),
                         "evidence_sentence": first.get("sentence")})
    return rows


def _head(view: dict) -> list[str]:
    e, c = view["event"], view["comparison"]
    lines = [f"{e['articles']} articles from {e['outlets']} outlets, {cell(e['first_published'])} to "
             f"{cell(e['last_published'])} UTC. Top terms: {e['top_terms']}"]
    if c is None:
        lines.append("Not compared yet (run `narratives compare`).")
    else:
        lines.append(f"Compared in run {c['run_id']} ({c['code_version']}) at {cell(c['compared_at'])} UTC over the "
                     f"window {cell(c['window_start'])} to {cell(c['window_end'])}; {c['outlets']} outlets compared.")
    return lines


def _by_model(evidence: dict) -> str:
    """" (model 0.83)" after an evidence sentence only the trained second opinion found."""
    return f" {rescue_term(evidence['model'])}" if evidence.get("model") is not None else ""


def _state_cell(f: dict | None) -> str:
    if f is None:
        return STATE_WORDS["absent"]
    if f.get("verdict"):
        return f["verdict"].upper()
    if f.get("model") is None:
        return STATE_WORDS[f["state"]]
    # the second opinion's (action_model.py): a hold is unresolved, a doer it found is
    # attributed, a rescue (of a fact without an actor) carried
    word = "unresolved" if f["state"] == "unresolved" else "attributed" if f.get("actor_by_model") else "carried"
    return f"{word} {rescue_term(f['model'])}"


def _matrix(view: dict) -> tuple[list[dict], list[str]]:
    covering = [o for o in view["outlets"] if o["covered"]]
    rows = [{"fact": f["label"], **{o["outlet"]: _state_cell(o["facts"].get(f["fact_id"])) for o in covering}}
            for f in view["facts"]]
    return rows, ["fact", *(o["outlet"] for o in covering)]


def _print_event(view: dict, console: Console) -> None:
    e = view["event"]
    console.print(f"[bold]Event {e['id']}: {escape(e['headline'])}[/]", highlight=False)
    for line in _head(view):
        console.print(escape(line), highlight=False)
    rows, columns = _matrix(view)
    if rows:
        emit(rows, columns, "table", console, title="facts: who carries what")
    labels = {f["fact_id"]: f["label"] for f in view["facts"]}
    for o in view["outlets"]:
        console.print(f"\n[bold]{escape(o['outlet'])}[/] ({escape(o['affiliation'])})"
                      + (" — teasers only: low confidence" if o["thin"] else "")
                      + (" — linked: its articles are in events of their own, similar to this one "
                         "(low confidence)" if o["linked"] else ""), highlight=False)
        if o["verdict"]:
            console.print("  " + escape(EVENT_VERDICTS.get(o["verdict"], o["verdict"])), highlight=False)
        for a in o["articles"]:
            linked = f" (linked, similarity {a['linked']:.2f})" if a["linked"] is not None else ""
            console.print(f"  {cell(a['published_at'])}  {escape(a['title'])}  [dim]#{a['article_id']}{linked}[/]",
                          highlight=False)
        for fact_id, f in sorted(o["facts"].items()):
            line = f"  • {labels.get(fact_id, fact_id)}: {_state_cell(f)}"
            if f["sentence"]:
                line += f' — "{f["sentence"]}"' + (f" (cues: {f['cues']})" if f["cues"] else "")
            console.print(escape(line), highlight=False)
            for ev in f["evidence"]:
                console.print(escape(f'      {ev["outlet"]} #{ev["article_id"]}: "{ev["sentence"]}"{_by_model(ev)}'),
                              highlight=False)
        for c in o["missing_claims"]:
            console.print(escape(f"  ✗ lacks claim {c['number']} ({', '.join(c['outlets'])}; {c['verdict']}): "
                                 f'"{c["label"]}"'), highlight=False)
            for x in c["sentences"]:
                console.print(escape(f'      {x["outlet"]} #{x["article_id"]}: "{x["sentence"]}"'), highlight=False)


def _markdown(view: dict) -> str:
    from .report import to_markdown

    e = view["event"]
    parts = [f"# Event {e['id']}: {e['headline']}\n", *[line + "  " for line in _head(view)], ""]
    rows, columns = _matrix(view)
    if rows:
        parts += [to_markdown(rows, columns)]
    labels = {f["fact_id"]: f["label"] for f in view["facts"]}
    for o in view["outlets"]:
        parts.append(f"## {o['outlet']} ({o['affiliation']})" + (" — teasers only" if o["thin"] else "")
                     + (" — linked by similarity" if o["linked"] else "") + "\n")
        if o["verdict"]:
            parts.append(f"*{EVENT_VERDICTS.get(o['verdict'], o['verdict'])}*\n")
        parts += [f"- {cell(a['published_at'])} {a['title']} (#{a['article_id']}"
                  + (f", linked, similarity {a['linked']:.2f})" if a["linked"] is not None else ")")
                  for a in o["articles"]]
        for fact_id, f in sorted(o["facts"].items()):
            parts.append(f"- **{labels.get(fact_id, fact_id)}**: {_state_cell(f)}"
                         + (f' — "{f["sentence"]}"' if f["sentence"] else ""))
            parts += [f'  - {ev["outlet"]} #{ev["article_id"]}: "{ev["sentence"]}"{_by_model(ev)}'
                      for ev in f["evidence"]]
        for c in o["missing_claims"]:
            parts.append(f'- lacks claim {c["number"]} ({", ".join(c["outlets"])}): "{c["label"]}"')
            parts += [f'  - {x["outlet"]} #{x["article_id"]}: "{x["sentence"]}"' for x in c["sentences"]]
        parts.append("")
    return "\n".join(parts) + "\n"


@cli.command()
@db_option
@click.option("--outlet", "outlets", multiple=True, metavar="ID", help="Only this outlet (repeatable).")
@click.option("--fact", "facts", multiple=True, metavar="ID", help="Only this fact (repeatable).")
@click.option("--verdict", "verdicts", multiple=True, type=click.Choice([*VERDICTS, "all"]),
              help="Only this verdict (repeatable) [default: omitted and agentless; all: every verdict].")
@click.option("--kind", "kinds", multiple=True, type=click.Choice(KINDS),
              help="Only verdicts on a fact, a discovered claim, or the event (repeatable).")
@click.option("--event", "events", multiple=True, type=int, metavar="ID", help="Only this event (repeatable).")
@click.option("--since", callback=when, metavar="WHEN", help="Events still reported at or after WHEN (2026-11-01 or 7d).")
@click.option("--until", callback=when, metavar="WHEN", help="Events first reported at or before WHEN.")
@click.option("--limit", default=100, show_default=True, type=click.IntRange(0), help="At most this many; 0: all.")
@format_option
def omissions(db: str | None, outlets: tuple[str, ...], facts: tuple[str, ...], verdicts: tuple[str, ...],
              kinds: tuple[str, ...], events: tuple[int, ...], since: datetime | None, until: datetime | None,
              limit: int, fmt: str) -> None:
    """List omission verdicts with the evidence other outlets published.

    Verdicts: omitted (others carried a fact or claim, the outlet did not), agentless
    (it carried the action without the actor others named), thin (one of those, but its
    text was a teaser: low confidence, not counted), not_covered (it published nothing
    on the event while its feeds worked), unknown (its feeds were failing or not yet
    collected: never an omission). JSON rows carry every evidence sentence.

    \b
    Example:
        narratives omissions --outlet eastwire
        narratives omissions --fact russian_airstrikes --verdict all --format json
    """
    from sqlalchemy.orm import Session

    engine = open_or_exit(db_url(db), write=False)
    chosen = () if "all" in verdicts else (verdicts or ("omitted", "agentless"))
    with Session(engine) as s:
        rows, total = list_omissions(s, OmissionFilter(outlets, facts, chosen, kinds, events, since, until, limit))
    if fmt == "table" and not rows:
        click.echo("No verdicts match. Run `narratives compare` first, or widen the filters "
                   "(--verdict all lists every verdict).")
        return
    emit(_flat(rows, fmt), OMISSION_TABLE_COLUMNS if fmt in ("table", "md") else OMISSION_COLUMNS, fmt, Console(),
         title="omissions")
    if total > len(rows):
        click.echo(f"Showing {len(rows)} of {total} verdicts; use --limit 0 for all.", err=True)


@cli.command()
@db_option
@click.option("--since", callback=when, metavar="WHEN", help="Events still reported at or after WHEN (2026-11-01 or 7d).")
@click.option("--until", callback=when, metavar="WHEN", help="Events first reported at or before WHEN.")
@click.option("--fact", "facts", multiple=True, metavar="ID", help="Only this fact (repeatable).")
@click.option("--outlet", "outlets", multiple=True, metavar="ID", help="Only this outlet (repeatable).")
@click.option("--groups", is_flag=True,
              help="Per fact: state-controlled vs independent outlets, with Fisher's exact test.")
@click.option("--count-thin", is_flag=True, help="Count events where the outlet had only teasers.")
@format_option
def outlets(db: str | None, since: datetime | None, until: datetime | None, facts: tuple[str, ...],
            outlets: tuple[str, ...], groups: bool, count_thin: bool, fmt: str) -> None:
    """Outlet profiles: how often each outlet leaves out a fact that others carry.

    Per outlet and fact, across compared events: `events` the outlet covered where at
    least --min-support other outlets (as compared) carried the fact, `omitted` of those
    where it did not, the rate with its Wilson 95% interval, `agentless` (carried without
    the actor another outlet named) and `thin` (events left out: teasers only). With
    --groups: per fact, state-controlled outlets against independent ones (independent,
    public-service, private) pooled, with the odds ratio and two-sided p-value of
    Fisher's exact test; --outlet then limits the outlets pooled.

    \b
    Example:
        narratives outlets --since 30d
        narratives outlets --fact russian_airstrikes --groups --format json
    """
    from sqlalchemy.orm import Session

    from .compare_queries import GROUP_COLUMNS, PROFILE_COLUMNS, ProfileFilter, profile_rows, stored_profiles

    engine = open_or_exit(db_url(db), write=False)
    with Session(engine) as s:
        profiles, affiliations, labels = stored_profiles(s, ProfileFilter(since, until, facts, outlets, count_thin))
    if groups:
        pooled = [p for p in profiles if not outlets or p.outlet in outlets]
        rows = [{**asdict(g), "fact": labels.get(g.fact_id, g.fact_id)} for g in compare_groups(pooled, affiliations)]
        rows = [{k: round(v, 4) if isinstance(v, float) else v for k, v in r.items()} for r in rows]
        columns, title = GROUP_COLUMNS, "state-controlled vs independent"
    else:
        rows, columns, title = profile_rows(profiles, affiliations, labels, outlets), PROFILE_COLUMNS, "outlet profiles"
    if fmt == "table" and not rows:
        click.echo("No profiles yet: run `narratives compare` first, or widen the filters.")
        return
    emit(rows, columns, fmt, Console(), title=title)
    if fmt == "table" and not groups:
        click.echo("State-controlled against independent outlets: narratives outlets --groups", err=True)

