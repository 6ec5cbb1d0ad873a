"""The full-text stage's command: fetch article pages and keep their main text.

Registered on the ``narratives`` group by ``cli.py``; same conventions as ``collect``
(thin command, ``--db``/``--feeds``, exit codes 0/1/2/3, ``--format`` on the summary).
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from .cli import (
    EXIT_CONFIG,
    EXIT_LOCKED,
    cli,
    db_option,
    fail,
    feeds_option,
    format_option,
    load_config_or_exit,
    open_or_exit,
)
from .errors import LockBusy
from .fetch import FetchSettings
from .lock import collect_lock, lock_path_for
from .report import cell, emit
from .store import db_url

RESULT_COLUMNS = ["article_id", "outlet", "url", "outcome", "http_status", "chars", "reason",
                  "versioned", "next_attempt_at", "seconds", "message"]
TABLE_COLUMNS = ["outlet", "article_id", "outcome", "http_status", "chars", "reason",
                 "next_attempt_at"]
PAGE_MAX_BYTES = 5 * 1024 * 1024


def fulltext_options(config: Any, feeds_path: Path, outlets: tuple[str, ...], **kw: Any) -> Any:
    """FulltextOptions for the command line; exits 2 on an outlet that cannot be used."""
    from .fulltext import FulltextOptions  # trafilatura loads in ~0.5 s; only when needed

    known = {o.id: o for o in config.outlets}
    unknown = sorted(set(outlets) - set(known))
    if unknown:
        fail(f"fulltext: unknown outlet(s) {', '.join(unknown)}. Fix: use ids from {feeds_path}",
             EXIT_CONFIG)
    off = sorted(o for o in outlets if not known[o].full_text)
    if off:
        fail(f"fulltext: outlet(s) {', '.join(off)} do not have full_text: true. Fix: add "
             f"'full_text: true' to them in {feeds_path}", EXIT_CONFIG)
    return FulltextOptions(outlets=outlets, **kw)


def full_text_after_pass(engine: Any, url: str, outlets: tuple[str, ...], collect: Any,
                         console: Console, quiet: bool, fmt: str,
                         codes: list[int]) -> Callable[[Any, asyncio.Event], Awaitable[None]]:
    """The hook ``collect --full-text`` runs after each pass; appends each run's exit code.

    Uses the collect's --outlet (those with full_text: true), --concurrency, --per-host,
    --timeout and --workers. Its report goes to stdout as a table, or to stderr when
    stdout carries the collect's json/csv/md.
    """
    from .fulltext import FulltextOptions, fulltext_pass

    options = FulltextOptions(
        outlets=outlets, workers=collect.workers,
        fetch=FetchSettings(concurrency=collect.fetch.concurrency, per_host=collect.fetch.per_host,
                            deadline=collect.fetch.deadline, max_bytes=PAGE_MAX_BYTES))
    out = console if fmt == "table" else Console(stderr=True)

    async def after_pass(current: Any, stop: asyncio.Event) -> None:
        try:
            with collect_lock(lock_path_for(url, ".fulltext.lock"), 0, what="fulltext"):
                report = await fulltext_pass(engine, current, options, stop=stop)
        except LockBusy:
            click.echo("fulltext: another fulltext run holds this store; the full-text stage is "
                       "skipped after this pass", err=True)
            return
        print_fulltext_report(report, out, quiet or fmt != "table", "table")
        codes.append(report.exit_code)

    return after_pass


def _rows(results: list) -> list[dict]:
    order = {"failed": 0, "deferred": 1, "fallback": 2, "extracted": 3}
    return [dict(article_id=r.article_id, outlet=r.outlet, url=r.url, outcome=r.outcome,
                 http_status=r.http_status, chars=r.chars, reason=r.reason, versioned=r.versioned,
                 next_attempt_at=r.next_attempt_at, seconds=round(r.seconds, 3), message=r.message)
            for r in sorted(results, key=lambda r: (order.get(r.outcome, 9), r.outlet, r.article_id))]


def print_fulltext_report(report: Any, console: Console, quiet: bool, fmt: str) -> None:
    """The per-page table (``--quiet``: failures only) and a summary line."""
    if not report.outlets:
        click.echo("fulltext: no outlet selected has full_text: true, so no pages are fetched. "
                   "Fix: add 'full_text: true' to the outlets whose feeds carry only teasers",
                   err=True)
        return
    results = report.results if not quiet else report.failed
    if fmt != "table":
        emit(_rows(results), RESULT_COLUMNS, fmt, console)
        return
    if results:
        emit(_rows(results), TABLE_COLUMNS, "table", console,
             title=f"fulltext {cell(report.started_at)} UTC")
    for r in report.failed:
        console.print(f"[red]failed[/] {escape(r.message or r.reason or r.outcome)}", highlight=False)
    took = ((report.finished_at or report.started_at) - report.started_at).total_seconds()
    versioned = sum(r.versioned for r in report.results)
    line = (f"{len(report.results)} of {report.due} due pages in {took:.1f} s: "
            f"{report.count('extracted')} extracted, {report.count('fallback')} kept the feed "
            f"text, {report.count('failed')} failed, {report.count('deferred')} deferred")
    line += f"; {versioned} earlier page texts kept in article_versions." if versioned else "."
    if report.interrupted:
        line += " Interrupted: the rest stay due for the next run."
    if report.due == 0:
        line = "No pages are due (use --force to retry failed pages now, --recheck to read pages again)."
    console.print(escape(line), highlight=False)


@cli.command()
@db_option
@feeds_option
@click.option("--outlet", "outlets", multiple=True, metavar="ID",
              help="Only this outlet (repeatable; it must have full_text: true).")
@click.option("--limit", default=500, show_default=True, type=click.IntRange(1),
              help="Pages per run: never-tried first, then newest first.")
@click.option("--force", is_flag=True, help="Retry failed pages now, even those given up on.")
@click.option("--recheck", is_flag=True,
              help="Read pages already read again (earlier texts go to article_versions).")
@click.option("--concurrency", default=8, show_default=True, type=click.IntRange(1, 256),
              help="Pages fetched at once.")
@click.option("--per-host", default=2, show_default=True, type=click.IntRange(1, 64),
              help="Connections at once to one host (an outlet's max_per_host wins).")
@click.option("--timeout", "deadline", default=30.0, show_default=True,
              type=click.FloatRange(0.1, 3600), help="Seconds one page may take, all told.")
@click.option("--max-bytes", default=PAGE_MAX_BYTES, show_default=True, type=click.IntRange(1024),
              help="Largest page, after decompression.")
@click.option("--workers", default=None, type=click.IntRange(0, 64),
              help="Extractor processes at most [default: CPU count]; one per 100 pages due, "
                   "a thread below that; 0: always a thread.")
@click.option("--wait", "lock_wait", default=0.0, show_default=True, type=click.FloatRange(0),
              help="Seconds to wait if another fulltext run holds the lock.")
@click.option("--quiet", "-q", is_flag=True, help="Print failed pages and the totals only.")
@format_option
def fulltext(db: str | None, feeds_path: Path, outlets: tuple[str, ...], limit: int, force: bool,
             recheck: bool, concurrency: int, per_host: int, deadline: float, max_bytes: int,
             workers: int | None, lock_wait: float, quiet: bool, fmt: str) -> None:
    """Fetch the pages of articles of full_text outlets and keep their main text.

    The extracted text is kept beside the feed's (table article_texts; v_articles gains
    text_source, full_text and thin). robots.txt is obeyed; failed pages are retried
    after 1 h, 6 h and 24 h, then given up. Runs beside a collect without blocking it.
    Exits 0 when every page was read, 1 when some failed (the rest are stored), 2 on bad
    configuration, 3 when another fulltext run holds the store.

    \b
    Example:
        narratives fulltext                       # e.g. from cron, after collect
        narratives fulltext --outlet tass --limit 50
        narratives collect --full-text            # both stages in one go
    """
    from .fulltext import run_fulltext

    console = Console()
    url = db_url(db)
    config = load_config_or_exit(feeds_path)
    options = fulltext_options(
        config, feeds_path, outlets, limit=limit, force=force, recheck=recheck,
        lock_wait=lock_wait,
        fetch=FetchSettings(concurrency=concurrency, per_host=per_host, deadline=deadline,
                            max_bytes=max_bytes),
        **({"workers": workers} if workers is not None else {}))
    engine = open_or_exit(url)
    progress = Progress(TextColumn("fulltext"), BarColumn(), MofNCompleteColumn(),
                        TimeElapsedColumn(), console=console, transient=True,
                        disable=not console.is_terminal or fmt != "table")
    task_id = progress.add_task("pages", total=0)

    def on_start(n: int) -> None:
        progress.reset(task_id, total=n)
        progress.start()

    try:
        report = run_fulltext(engine, url, config, options, on_start=on_start,
                              on_result=lambda _r: progress.advance(task_id))
    except LockBusy as exc:
        fail(str(exc), EXIT_LOCKED)
    finally:
        progress.stop()
    print_fulltext_report(report, console, quiet, fmt)
    sys.exit(report.exit_code)
