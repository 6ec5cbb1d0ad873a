"""`narratives search`: full-text search over titles and texts (SQLite FTS5).

Registered on the ``narratives`` group by ``cli.py``; same conventions (thin command,
``--db``, ``--format table|md|json|csv``). The library side is ``search.py``.
"""

from __future__ import annotations

from datetime import datetime

import click
from rich.console import Console
from rich.markup import escape

from .cli import EXIT_CONFIG, EXIT_FAILED, cli, db_option, fail, format_option, open_or_exit, when
from .errors import QueryError, StoreError
from .report import emit
from .search import (
    RANK_CAP,
    RESULT_COLUMNS,
    TABLE_COLUMNS,
    SearchQuery,
    SearchQueryError,
    clean,
    open_index,
    search,
)
from .sqlquery import store_file
from .storefile import backend_name, db_url


@cli.command("search")
@db_option
@click.argument("query")
@click.option("--outlet", "outlets", multiple=True, metavar="ID",
              help="Only articles of this outlet (repeatable: any of them).")
@click.option("--since", callback=when, metavar="WHEN",
              help="Published at or after WHEN (2026-11-01, 2026-11-01T08:00Z or 7d).")
@click.option("--until", callback=when, metavar="WHEN", help="Published at or before WHEN.")
@click.option("--event", "event_id", type=int, metavar="ID", help="Only articles of this event.")
@click.option("--limit", default=20, show_default=True, type=click.IntRange(0),
              help="At most this many results, best first; 0: all.")
@click.option("--rank-all", is_flag=True,
              help=f"Rank every match, even beyond the {RANK_CAP:,} most recently stored (slower).")
@format_option
def search_command(db: str | None, query: str, outlets: tuple[str, ...], since: datetime | None,
                   until: datetime | None, event_id: int | None, limit: int, rank_all: bool,
                   fmt: str) -> None:
    """Search titles and texts of the stored articles, best matches first.

    QUERY: words (all must occur), "exact phrases", prefix* (at least three letters),
    AND / OR / NOT in capitals, (parentheses), NEAR(word word, 10), and title: or text:
    to look in one place. Matching ignores case and accents. Words with punctuation
    (state-run) are searched as phrases; put -- before a query that starts with a minus.
    Ranked by bm25, the title counting five times the text; the snippet marks matched
    words with **. When more than 25,000 articles match after the filters, the 25,000
    most recently stored are ranked (a note says so): narrow the query, or --rank-all.
    SQLite stores only. Exit codes: 0 done (also when nothing matched), 1 store error,
    2 a query that cannot be read (the message says how to write it).

    \b
    Example:
        narratives search '"harbour strike"' --since 7d
        narratives search 'sanction* AND (oil OR gas) NOT title:opinion' --outlet tass
        narratives search 'title:ceasefire' --format json --limit 100
    """
    q = SearchQuery(text=query, outlets=outlets, since=since, until=until, event_id=event_id,
                    limit=limit, rank_all=rank_all)
    url = db_url(db)
    if backend_name(url) != "sqlite":
        fail(f"search: full-text search needs a SQLite store (FTS5); --db is {backend_name(url) or url!r}. "
             "Fix: search a SQLite copy of the store, or use your database's own full-text search",
             EXIT_FAILED)
    try:
        path = store_file(url, "search")
        con = open_index(path)
        if con is None:  # an older store: the usual open upgrades it and builds the index
            open_or_exit(url, write=False).dispose()
            con = open_index(path)
        if con is None:
            raise StoreError(f"search: {path} has no current full-text index even after opening it. "
                             "Fix: use a Python whose sqlite3 has FTS5 (most do)")
        with con:
            found = search(con, q)
    except SearchQueryError as exc:
        fail(str(exc), EXIT_CONFIG)
    except (StoreError, QueryError) as exc:
        fail(str(exc), EXIT_FAILED)
    rows = found.rows
    if fmt == "table" and not rows:
        click.echo("No articles match. Relax the query or the filters; words must all occur "
                   "unless joined with OR, and prefix* finds other word forms.")
        return
    emit(rows, TABLE_COLUMNS if fmt == "table" else RESULT_COLUMNS, fmt, Console(),
         title=f"search: {escape(clean(query))}" if fmt == "table" else None)
    if found.more:
        click.echo(f"Showing the best {limit}; more articles match: raise --limit (0: all) or "
                   "narrow the query.", err=True)
    if found.capped:
        click.echo(f"Over {RANK_CAP:,} articles match: ranked the {RANK_CAP:,} most recently stored. "
                   "Narrow the query (more words, --since, --outlet) or use --rank-all.", err=True)
