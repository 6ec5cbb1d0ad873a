"""Commands of the events stage: import archives, cluster, list and show events, evaluate.

Registered on the ``narratives`` group by ``cli.py``; same conventions (thin commands,
``--db`` everywhere, ``--format table|md|json|csv`` on listings).
"""

from __future__ import annotations

import json
import sys
import tempfile
from collections.abc import Callable
from dataclasses import asdict
from datetime import datetime
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

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
from .errors import ConfigError, LockBusy, StoreError
from .event_queries import ARTICLE_COLUMNS, EVENT_COLUMNS, EventFilter, event_detail, list_events
from .importer import read_rows, store_rows
from .lock import collect_lock, lock_path_for
from .models import ArticleRow, EventArticleRow
from .report import cell, emit, plain
from .store import db_url
from .storefile import utcnow


@cli.command("import")
@db_option
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def import_(db: str | None, file: Path) -> None:
    """Import articles from JSON Lines or CSV (one article per row).

    Fields: id, outlet, title, text (or summary), url, published (ISO 8601, may be
    empty); optional outlet_name, affiliation, language, author, event. Importing the
    same file twice adds nothing. Bad rows are reported with their line number and
    skipped; the rest is stored; exit code 1 if any row was bad.

    \b
    Example:
        narratives import archive.jsonl
        narratives import --db storage/study.db export.csv
    """
    now = utcnow()
    try:
        rows, problems = read_rows(file, now)
    except ConfigError as exc:
        fail(str(exc), EXIT_CONFIG)
    engine = open_or_exit(db_url(db))
    with Session(engine) as s, s.begin():
        counts = store_rows(s, rows, now)
    for problem in problems:
        click.echo(problem, err=True)
    outlets = len({r.outlet for r in rows})
    changed = (f", {counts.changed} changed (earlier text kept in article_versions)"
               if counts.changed else "")
    click.echo(f"{file}: {len(rows) + len(problems)} rows from {outlets} outlets: {counts.new} "
               f"new, {counts.seen - counts.new - counts.changed} already stored{changed}; "
               f"{len(problems)} bad rows skipped.")
    sys.exit(EXIT_FAILED if problems else 0)


def _settings(threshold: float, window_days: float, workers: int | None, rebuild: bool = False) -> Any:
    # Imported here: scikit-learn takes a second to load, and listing commands do not need it.
    from .events import ClusterSettings

    return ClusterSettings(threshold=threshold, window_days=window_days, workers=workers, rebuild=rebuild)


def cluster_options(f: Callable) -> Callable:
    f = click.option("--workers", default=None, type=click.IntRange(0, 64),
                     help="Processes for text processing [default: one per CPU; 0: none].")(f)
    f = click.option("--window-days", default=3.0, show_default=True, type=click.FloatRange(0.1, 30),
                     help="Articles further apart than this are never similar.")(f)
    return click.option("--threshold", default=0.60, show_default=True,
                        type=click.FloatRange(0, 1, min_open=True),
                        help="Merge distance: lower splits events finer, higher merges more.")(f)


@cli.command()
@db_option
@cluster_options
@click.option("--rebuild", is_flag=True,
              help="Forget all events and cluster every article again (needed to change parameters).")
@click.option("--wait", "lock_wait", default=0.0, show_default=True, type=click.FloatRange(0),
              metavar="SECONDS", help="Wait this long for a clustering run already in progress.")
@format_option
def cluster(db: str | None, threshold: float, window_days: float, workers: int | None, rebuild: bool,
            lock_wait: float, fmt: str) -> None:
    """Assign every article that has no event yet to an event.

    New articles join an existing event or start one; articles from the last three days
    may move between events as more coverage arrives. Running it again without new
    articles changes nothing. Each run is recorded in the `runs` table with its
    parameters and code version. Exit codes: 0 done, 1 store error, 2 parameters differ
    from the store's (use --rebuild), 3 another clustering run holds the store.

    \b
    Example:
        narratives collect && narratives cluster     # e.g. from cron
        narratives cluster --rebuild --threshold 0.55
    """
    from .events import run_clustering

    url = db_url(db)
    engine = open_or_exit(url)
    console = Console(stderr=True)
    progress = Progress(TextColumn("cluster"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                        console=console, transient=True, disable=not console.is_terminal)
    task_id = progress.add_task("articles", total=None)
    try:
        with collect_lock(lock_path_for(url, ".cluster.lock"), wait=lock_wait, what="cluster"), progress:
            report = run_clustering(
                engine, _settings(threshold, window_days, workers, rebuild), now=utcnow(),
                progress=lambda done, total: progress.update(task_id, completed=done, total=total))
    except LockBusy as exc:
        fail(str(exc), EXIT_LOCKED)
    except StoreError as exc:
        fail(str(exc), EXIT_CONFIG if "--rebuild" in str(exc) else EXIT_FAILED)
    if fmt == "table":
        click.echo(f"Clustered {report.articles} new articles: {report.events_created} events created, "
                   f"{report.events_changed} changed, {report.events_removed} merged away; "
                   f"{report.events_total} events in the store (run {report.run_id}).")
    else:
        emit([asdict(report)], list(asdict(report)), fmt, Console())


@cli.command()
@db_option
@click.option("--since", callback=when, metavar="WHEN", help="Still reported at or after WHEN (2026-11-01 or 7d).")
@click.option("--until", callback=when, metavar="WHEN", help="First reported at or before WHEN.")
@click.option("--min-outlets", default=2, show_default=True, type=click.IntRange(1),
              help="Only events covered by at least this many outlets.")
@click.option("--outlet", "outlets", multiple=True, metavar="ID",
              help="Only events covered by this outlet (repeatable: any of them).")
@click.option("--search", metavar="TEXT", help="Text in the event's label or any of its headlines.")
@click.option("--limit", default=100, show_default=True, type=click.IntRange(0), help="At most this many; 0: all.")
@format_option
def events(db: str | None, since: datetime | None, until: datetime | None, min_outlets: int,
           outlets: tuple[str, ...], search: str | None, limit: int, fmt: str) -> None:
    """List events, most recently reported first.

    \b
    Example:
        narratives events --since 7d
        narratives events --outlet tass --search idlib --format json
    """
    engine = open_or_exit(db_url(db), write=False)
    with Session(engine) as s:
        rows, total = list_events(s, EventFilter(since, until, min_outlets, outlets, search, limit))
    if fmt == "table" and not rows:
        click.echo("No events match. Run `narratives cluster` first, or relax the filters "
                   "(--min-outlets 1 lists single-outlet events too).")
        return
    emit(rows, EVENT_COLUMNS, fmt, Console(), title="events")
    if total > len(rows):
        click.echo(f"Showing {len(rows)} of {total} events; use --limit 0 for all.", err=True)


@cli.command()
@db_option
@click.argument("event_id", type=int)
@format_option
def event(db: str | None, event_id: int, fmt: str) -> None:
    """Show one event with its articles grouped by outlet.

    \b
    Example:
        narratives event 12
        narratives event 12 --format json
    """
    engine = open_or_exit(db_url(db), write=False)
    with Session(engine) as s:
        found = event_detail(s, event_id)
    if found is None:
        fail(f"event: no event {event_id}. Fix: pick an id from `narratives events`", EXIT_CONFIG)
    info, articles = found
    if fmt == "json":
        groups = [{"outlet": outlet, "outlet_name": items[0]["outlet_name"], "affiliation": items[0]["affiliation"],
                   "articles": [{k: plain(a[k]) for k in ARTICLE_COLUMNS if k not in ("outlet", "affiliation")}
                                for a in items]}
                  for outlet, items in _by_outlet(articles)]
        click.echo(json.dumps({"event": {k: plain(v) for k, v in info.items()}, "outlets": groups},
                              ensure_ascii=False, indent=2))
    elif fmt == "csv":
        emit([{**a, "event_id": event_id} for a in articles], ["event_id", *ARTICLE_COLUMNS], fmt, Console())
    else:
        console = Console()
        head = (f"Event {info['id']}: {info['headline']}\n"
                f"{info['articles']} articles from {info['outlets']} outlets, "
                f"{cell(info['first_published'])} to {cell(info['last_published'])} UTC\n"
                f"Top terms: {info['top_terms']}")
        if fmt == "md":
            click.echo(f"# Event {info['id']}: {info['headline']}\n\n{head.split(chr(10), 1)[1]}\n")
        else:
            console.print(escape(head))
        for outlet, items in _by_outlet(articles):
            title = f"{outlet} ({items[0]['affiliation']}): {len(items)} article{'s' * (len(items) != 1)}"
            if fmt == "md":
                click.echo(f"\n## {title}\n")
            emit(items, ["published_at", "title", "similarity", "article_id", "url"], fmt, console,
                 title=title if fmt == "table" else None)


def _by_outlet(articles: list[dict]) -> list[tuple[str, list[dict]]]:
    groups: dict[str, list[dict]] = {}
    for a in articles:
        groups.setdefault(a["outlet"], []).append(a)
    return list(groups.items())


@cli.command("eval-clusters")
@click.argument("gold", type=click.Path(dir_okay=False, path_type=Path))
@cluster_options
@click.option("--db", "keep_db", default=None, metavar="URL",
              help="Keep the evaluation store here [default: a temporary file, deleted afterwards].")
@format_option
def eval_clusters(gold: Path, threshold: float, window_days: float, workers: int | None,
                  keep_db: str | None, fmt: str) -> None:
    """Score clustering against gold event labels: pairwise and B-cubed precision/recall/F1.

    GOLD is an import file (JSON Lines or CSV) whose rows carry an `event` label. The rows
    are imported into a fresh store and clustered exactly as `narratives cluster` would;
    rows without a label are clustered but not scored. Exit 1 if some rows were bad.

    \b
    Example:
        narratives eval-clusters gold.jsonl
        narratives eval-clusters gold.jsonl --threshold 0.55 --format json
    """
    try:
        rows, problems = read_rows(gold, utcnow())
    except ConfigError as exc:
        fail(str(exc), EXIT_CONFIG)
    for problem in problems:
        click.echo(problem, err=True)
    if not any(r.event for r in rows):
        fail(f"{gold}: no row has an `event` label, so there is nothing to score. Fix: add an "
             "`event` field (the gold event id) to each row", EXIT_CONFIG)
    with tempfile.TemporaryDirectory(prefix="narratives-eval-") as tmp:
        url = db_url(keep_db) if keep_db else f"sqlite:///{Path(tmp) / 'eval.db'}"
        result = evaluate_gold(open_or_exit(url), rows, _settings(threshold, window_days, workers, rebuild=True))
    if fmt == "json":
        click.echo(json.dumps(result, indent=2))
    else:
        click.echo(f"{gold}: {result['articles']} articles, {result['gold_events']} gold events, "
                   f"{result['predicted_events']} predicted (threshold {threshold}, window {window_days} days)")
        table = [{"metric": m, **result[m]} for m in ("pairwise", "bcubed")]
        emit(table, ["metric", "precision", "recall", "f1"], fmt, Console())
    sys.exit(EXIT_FAILED if problems else 0)


def evaluate_gold(engine: Engine, rows: list, settings: Any) -> dict:
    """Import ``rows``, cluster them, and score the events against their ``event`` labels."""
    from .evaluate import score_clusters
    from .events import run_clustering

    now = utcnow()
    with Session(engine) as s, s.begin():
        store_rows(s, rows, now)
    run_clustering(engine, settings, now=now)
    gold = {}
    for r in rows:
        if r.event:
            gold.setdefault((r.outlet, r.draft.guid), r.event)
    with Session(engine) as s:
        found = {(o, g): e for o, g, e in s.execute(
            select(ArticleRow.outlet_id, ArticleRow.guid, EventArticleRow.event_id)
            .join(EventArticleRow, EventArticleRow.article_id == ArticleRow.id))}
    keys = sorted(gold)
    scores = score_clusters([found[k] for k in keys], [gold[k] for k in keys])
    return {"articles": len(keys), "gold_events": len(set(gold.values())),
            "predicted_events": len({found[k] for k in keys}),
            "params": settings.params(),
            **{name: {"precision": round(prf.precision, 4), "recall": round(prf.recall, 4), "f1": round(prf.f1, 4)}
               for name, prf in scores.items()}}
