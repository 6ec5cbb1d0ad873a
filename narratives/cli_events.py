"""Commands of the events stage: import archives, cluster, list and show events, evaluate.

Registered on the ``narratives`` group by ``cli.py``; same conventions (thin commands,
``--db`` everywhere, ``--format table|md|json|csv`` on listings).
"""

from __future__ import annotations

import sys
from pathlib import Path

import click
from sqlalchemy.orm import Session

from .cli import EXIT_CONFIG, EXIT_FAILED, cli, db_option, fail, open_or_exit
from .errors import ConfigError
from .fetch import utcnow
from .importer import read_rows, store_rows
from .store import db_url


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
