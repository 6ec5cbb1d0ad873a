"""Commands of the collection stage: init, collect, feeds, demo."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy.orm import Session

from .cli import (
    EXIT_CONFIG,
    EXIT_LOCKED,
    cli,
    db_option,
    duration,
    fail,
    feeds_option,
    format_option,
    load_config_or_exit,
    open_or_exit,
)
from .collect import CollectOptions, CollectReport, FeedResult, run_collect
from .config import load_feeds
from .errors import ConfigError, LockBusy
from .fetch import FetchSettings, utcnow
from .report import cell, emit
from .store import db_url, feed_health, sync_config


@cli.command()
@db_option
@feeds_option
def init(db: str | None, feeds_path: Path) -> None:
    """Create the store and register the outlets and feeds of feeds.yaml.

    \b
    Example:
        narratives init --db storage/narratives.db --feeds feeds.yaml
    """
    config = load_config_or_exit(feeds_path)
    url = db_url(db)
    engine = open_or_exit(url)
    with Session(engine) as s, s.begin():
        sync_config(s, config, utcnow())
    n_feeds = sum(len(o.feeds) for o in config.outlets)
    click.echo(f"Store ready at {url}: {len(config.outlets)} outlets, {n_feeds} feeds "
               f"from {feeds_path}.")


def _summary_rows(results: list[FeedResult]) -> list[dict]:
    return [dict(outlet=r.outlet, feed=r.feed or "", url=r.url, outcome=r.outcome,
                 http_status=r.http_status, new=r.counts.new, changed=r.counts.changed,
                 seen=r.counts.seen, seconds=round(r.seconds, 3), next_fetch_at=r.next_fetch_at,
                 error=r.error)
            for r in sorted(results, key=lambda r: (r.outcome not in ("error", "gone"), r.outlet, r.url))]


SUMMARY_COLUMNS = ["outlet", "feed", "url", "outcome", "http_status", "new", "changed", "seen",
                   "seconds", "next_fetch_at", "error"]
TABLE_COLUMNS = ["outlet", "feed", "outcome", "http_status", "new", "changed", "seen", "next_fetch_at"]


def print_report(report: CollectReport, console: Console, quiet: bool, fmt: str) -> None:
    results = report.results if not quiet else report.failed
    if fmt != "table":
        emit(_summary_rows(results), SUMMARY_COLUMNS, fmt, console)
        return
    if results:
        emit(_summary_rows(results), TABLE_COLUMNS, "table", console,
             title=f"collect {cell(report.started_at)} UTC")
    for r in report.failed:
        console.print(f"[red]failed[/] {escape(r.error or r.outcome)}", highlight=False)
    new = sum(r.counts.new for r in report.results)
    changed = sum(r.counts.changed for r in report.results)
    took = ((report.finished_at or report.started_at) - report.started_at).total_seconds()
    line = (f"{len(report.results)} of {report.due} due feeds fetched in {took:.1f} s: "
            f"{new} new articles, {changed} changed, {len(report.failed)} feeds failed.")
    if report.interrupted:
        line += " Interrupted: the rest stay due for the next run."
    if report.due == 0:
        line = "No feeds are due (use --force to fetch all now)."
    console.print(escape(line), highlight=False)


@cli.command()
@db_option
@feeds_option
@click.option("--force", is_flag=True, help="Fetch every feed now, ignoring the schedule.")
@click.option("--every", callback=duration, default=None, metavar="DURATION",
              help="Keep running: a pass every DURATION (e.g. 30m) until SIGINT/SIGTERM.")
@click.option("--outlet", "outlets", multiple=True, metavar="ID",
              help="Only this outlet (repeatable).")
@click.option("--concurrency", default=16, show_default=True, type=click.IntRange(1, 256),
              help="Feeds fetched at once.")
@click.option("--per-host", default=2, show_default=True, type=click.IntRange(1, 64),
              help="Connections at once to one host (an outlet's max_per_host wins).")
@click.option("--timeout", "deadline", default=30.0, show_default=True,
              type=click.FloatRange(0.1, 3600), help="Seconds one feed may take, all told.")
@click.option("--max-bytes", default=10 * 1024 * 1024, show_default=True,
              type=click.IntRange(1024), help="Largest feed body, after decompression.")
@click.option("--workers", default=None, type=click.IntRange(0, 64),
              help="Parser processes [default: CPU count; 0 parses in a thread].")
@click.option("--wait", "lock_wait", default=0.0, show_default=True, type=click.FloatRange(0),
              help="Seconds to wait if another collect holds the lock.")
@click.option("--quiet", "-q", is_flag=True, help="Print failed feeds and the totals only.")
@click.option("--full-text", is_flag=True,
              help="After each pass, run the fulltext stage (see `narratives fulltext`).")
@format_option
def collect(db: str | None, feeds_path: Path, force: bool, every: float | None,
            outlets: tuple[str, ...], concurrency: int, per_host: int, deadline: float,
            max_bytes: int, workers: int | None, lock_wait: float, quiet: bool, full_text: bool,
            fmt: str) -> None:
    """Fetch the feeds that are due and store new and changed articles.

    Exits 0 when every feed succeeded, 1 when some failed (the rest are stored),
    2 on bad configuration, 3 when another collect is running. With --full-text the
    pages of outlets with full_text: true are fetched after each pass, with the same
    --outlet, --concurrency, --per-host, --timeout and --workers (exit 1 also when
    pages failed; skipped with a message while another fulltext run holds the store).

    \b
    Example:
        narratives collect                  # one pass, e.g. from cron
        narratives collect --every 30m      # a loop until Ctrl-C
        narratives collect --force --outlet tass
        narratives collect --full-text      # then fetch article pages
    """
    console = Console(stderr=False)
    url = db_url(db)
    config = load_config_or_exit(feeds_path)
    unknown = set(outlets) - {o.id for o in config.outlets}
    if unknown:
        fail(f"collect: unknown outlet(s) {', '.join(sorted(unknown))}. Fix: use ids from "
             f"{feeds_path}", EXIT_CONFIG)
    engine = open_or_exit(url)
    options = CollectOptions(
        force=force, outlets=outlets, lock_wait=lock_wait,
        fetch=FetchSettings(concurrency=concurrency, per_host=per_host, deadline=deadline,
                            max_bytes=max_bytes),
        **({"workers": workers} if workers is not None else {}))
    progress = Progress(TextColumn("collect"), BarColumn(), MofNCompleteColumn(),
                        TimeElapsedColumn(), console=console, transient=True,
                        disable=not console.is_terminal or fmt != "table")
    task_id = progress.add_task("feeds", total=0)

    def on_start(n: int) -> None:
        progress.reset(task_id, total=n)
        progress.start()

    def on_report(report: CollectReport) -> None:
        progress.stop()
        print_report(report, console, quiet, fmt)

    def on_config_error(exc: ConfigError) -> None:
        click.echo("feeds.yaml is now invalid; keeping the previous configuration:\n"
                   + str(exc), err=True)

    after_pass, pages_failed = None, []
    if full_text:
        from .cli_fulltext import full_text_after_pass

        after_pass = full_text_after_pass(engine, url, outlets, options, console, quiet, fmt,
                                          pages_failed)
    try:
        report = run_collect(engine, url, config, options, reload=lambda: load_feeds(feeds_path),
                             every=every, on_start=on_start,
                             on_result=lambda _r: progress.advance(task_id),
                             on_report=on_report, on_config_error=on_config_error,
                             after_pass=after_pass)
    except LockBusy as exc:
        fail(str(exc), EXIT_LOCKED)
    finally:
        progress.stop()
    sys.exit(max([report.exit_code, *pages_failed[-1:]]))


HEALTH_COLUMNS = ["outlet", "feed", "status", "last_success_at", "last_error_at",
                  "failure_count", "articles", "next_fetch_at", "last_error", "url"]


@cli.command()
@db_option
@format_option
@click.option("--failing", is_flag=True, help="Only feeds whose last attempt failed.")
def feeds(db: str | None, fmt: str, failing: bool) -> None:
    """Feed health: last success, last error, failures, articles, next fetch.

    \b
    Example:
        narratives feeds --failing
        narratives feeds --format json > health.json
    """
    engine = open_or_exit(db_url(db), write=False)
    with Session(engine) as s:
        rows = feed_health(s)
    if failing:
        rows = [r for r in rows if r["status"] in ("failing", "gone")]
    if fmt == "table" and not rows:
        click.echo("No feeds registered yet: run `narratives init` or `narratives collect`."
                   if not failing else "No failing feeds.")
        return
    emit(rows, HEALTH_COLUMNS, fmt, Console(), title="feeds")


@cli.command()
@click.option("--db", "db", default="storage/demo.db", show_default=True, metavar="URL",
              help="Where the demo store goes (replaced on every run).")
@click.option("--keep", is_flag=True, help="Keep an existing demo store instead of replacing it.")
def demo(db: str, keep: bool) -> None:
    """Run the pipeline on the bundled sample feeds, offline, through a loopback server.

    The sample outlets and articles are fictional, written for this project.

    \b
    Example:
        narratives demo
        narratives demo --db /tmp/demo.db
    """
    from .demo import run_demo

    sys.exit(run_demo(db_url(db), keep=keep, console=Console()))


