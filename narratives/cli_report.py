"""``narratives report``: an HTML or Markdown report of how the outlets covered a period.

Registered on the ``narratives`` group by ``cli.py``; a thin command over
``report_data.gather`` and ``report_render``.
"""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import click
from sqlalchemy.orm import Session

from .cli import EXIT_CONFIG, EXIT_FAILED, cli, db_option, fail, open_or_exit, when
from .errors import StoreError
from .store import db_url, sqlite_path
from .storefile import utcnow

REPORT_FORMATS = ("html", "md")
SUFFIXES = {".html": "html", ".htm": "html", ".md": "md", ".markdown": "md"}


def since_option(_ctx: Any, param: Any, value: str | None) -> datetime | None:
    """--since: like every WHEN option, plus ``all`` (from the first article on)."""
    if value is not None and value.strip().lower() == "all":
        return None
    return when(_ctx, param, value)


def report_format(output: str, fmt: str | None) -> str:
    """The format: --format, else from the output's suffix; ``-`` (stdout) means Markdown."""
    if fmt:
        return fmt
    if output == "-":
        return "md"
    suffix = Path(output).suffix.lower()
    if suffix not in SUFFIXES:
        fail(f"report: cannot tell the format of {output!r} from its suffix. Fix: name it .html or .md, "
             "or pass --format html|md", EXIT_CONFIG)
    return SUFFIXES[suffix]


@cli.command()
@db_option
@click.option("--since", callback=since_option, default="7d", show_default=True, metavar="WHEN",
              help="Events still reported at or after WHEN, articles published since (2026-11-01, 7d, or all).")
@click.option("--until", callback=when, metavar="WHEN", help="Events first reported at or before WHEN [default: now].")
@click.option("--outlet", "outlets", multiple=True, metavar="ID",
              help="Only this outlet's verdicts, feeds and charts (repeatable).")
@click.option("--fact", "facts", multiple=True, metavar="ID",
              help="Only verdicts on this fact of the catalogue (repeatable; leaves out discovered claims).")
@click.option("--top", default=25, show_default=True, type=click.IntRange(0),
              help="Events shown in full, most divergent first (all are ranked); 0: all.")
@click.option("-o", "--output", required=True, metavar="FILE",
              help="Where to write: report.html or report.md; - prints Markdown to stdout.")
@click.option("--format", "fmt", type=click.Choice(REPORT_FORMATS), default=None,
              help="html or md [default: from the suffix of --output].")
def report(db: str | None, since: datetime | None, until: datetime | None, outlets: tuple[str, ...],
           facts: tuple[str, ...], top: int, output: str, fmt: str | None) -> None:
    """Write a report of the period: findings with evidence, events ranked by divergence.

    The HTML file is self-contained (inline CSS, charts embedded, no JavaScript, no
    network requests when opened): the period and the outlets with their feeds' health;
    the main findings (facts an outlet left out, or reported without the actor, with the
    sentences other outlets published); every compared event ranked by divergence and
    the top ones side by side, linking to the originals; an outlet × fact heatmap of
    omission rates; a coverage timeline; and the methods with the parameters and run ids
    used. The Markdown report holds the same, with the charts as tables. Run
    `narratives compare` first. Exit codes: 0 written, 1 store error, 2 bad option.

    \b
    Example:
        narratives report --since 7d -o report.html
        narratives report --since 30d --outlet eastwire --fact russian_airstrikes -o eastwire.md
        narratives report --since all --top 10 -o - | less
    """
    from .report_data import ReportQuery, known_ids
    from .report_render import count, make_report, write_atomically

    fmt = report_format(output, fmt)
    url = db_url(db)
    path = sqlite_path(url)
    if path is not None and not path.exists():
        fail(f"report: no store at {path}. Fix: run `narratives collect` (or `narratives demo`) first, "
             "or pass --db", EXIT_FAILED)
    if since is not None and until is not None and since > until:
        fail("report: --since is after --until. Fix: swap them", EXIT_CONFIG)
    engine = open_or_exit(url, write=False)
    now = utcnow()
    try:
        with Session(engine) as s:
            known_outlets, known_facts = known_ids(s)
            unknown = sorted(set(outlets) - set(known_outlets))
            if unknown:
                fail(f"report: unknown outlet(s) {', '.join(unknown)}. Fix: use one of "
                     f"{', '.join(known_outlets) or '(none yet: run narratives collect)'}", EXIT_CONFIG)
            unknown = sorted(set(facts) - set(known_facts))
            if unknown:
                fail(f"report: unknown fact(s) {', '.join(unknown)}. Fix: use one of "
                     f"{', '.join(known_facts) or '(none yet: run narratives compare)'}", EXIT_CONFIG)
            text, data = make_report(s, ReportQuery(since, until, outlets, facts, top), fmt, now=now)
    except StoreError as exc:
        fail(str(exc), EXIT_FAILED)
    if output == "-":
        click.echo(text, nl=False)
        return
    target = Path(output)
    try:
        write_atomically(target, text)
    except OSError as exc:
        fail(f"report: cannot write {target}: {exc.strerror or exc}. Fix: check -o and that its folder is writable",
             EXIT_CONFIG)
    shown = len(data.details)
    click.echo(f"Report written to {target} ({fmt}): {count(data.articles, 'article')} from "
               f"{count(len(data.outlets), 'outlet')}; {count(len(data.ranked), 'event')} ranked by divergence, "
               f"{shown} shown in full; {count(data.state_findings_total + data.other_findings_total, 'fact finding')}.")
    if data.uncompared:
        click.echo(f"{data.uncompared} events of the period are not compared yet: run `narratives compare` "
                   "and report again.", err=True)
    sys.stdout.flush()
