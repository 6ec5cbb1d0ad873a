"""The narratives command line: thin commands over the library.

Exit codes: 0 success; 1 some feeds failed (the rest are stored); 2 bad configuration or
usage; 3 another collect holds the store's lock.

The commands live in ``cli_*`` modules, imported only when one of their commands runs
(``LazyGroup``): a command's start-up pays for its own imports, not for every stage's
(``narratives search`` need not import the feed fetcher).
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from . import __version__
from .report import FORMATS
from .storefile import utcnow

if TYPE_CHECKING:
    from sqlalchemy import Engine

EXIT_FAILED, EXIT_CONFIG, EXIT_LOCKED = 1, 2, 3

#: command -> the module that defines it (registered on ``cli`` when imported)
COMMANDS = {
    "init": "cli_collect", "collect": "cli_collect", "feeds": "cli_collect", "demo": "cli_collect",
    "fulltext": "cli_fulltext",
    "import": "cli_events", "cluster": "cli_events", "events": "cli_events", "event": "cli_events",
    "eval-clusters": "cli_events",
    "compare": "cli_compare", "omissions": "cli_compare", "outlets": "cli_compare",
    "report": "cli_report",
    "search": "cli_search",
    "sql": "cli_research", "export": "cli_research",
}


class LazyGroup(click.Group):
    """A group whose commands are imported from their modules when first asked for."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*COMMANDS, *self.commands})

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in self.commands and name in COMMANDS:
            importlib.import_module(f"{__package__}.{COMMANDS[name]}")
        return self.commands.get(name)


def all_commands() -> dict[str, click.Command]:
    """Every command, imported (for the generated CLI reference and tests)."""
    ctx = click.Context(cli)
    return {name: cli.get_command(ctx, name) for name in cli.list_commands(ctx)}


def fail(message: str, code: int) -> None:
    click.echo(message, err=True)
    sys.exit(code)


def db_option(f: Callable) -> Callable:
    return click.option("--db", "db", envvar="NARRATIVES_DB", default=None, metavar="URL",
                        help="Store: SQLAlchemy URL or SQLite path [env NARRATIVES_DB; "
                             "default sqlite:///storage/narratives.db].")(f)


def feeds_option(f: Callable) -> Callable:
    return click.option("--feeds", "feeds_path", default="feeds.yaml", show_default=True,
                        type=click.Path(dir_okay=False, path_type=Path),
                        help="Outlets and feeds to collect.")(f)


def format_option(f: Callable) -> Callable:
    return click.option("--format", "fmt", type=click.Choice(FORMATS), default="table",
                        show_default=True, help="Output format.")(f)


def load_config_or_exit(path: Path) -> Any:
    from .config import load_feeds
    from .errors import ConfigError

    try:
        return load_feeds(path)
    except ConfigError as exc:
        fail("Configuration error (nothing was written):\n" + str(exc), EXIT_CONFIG)


def open_or_exit(url: str, *, write: bool = True) -> Engine:
    from .errors import StoreError
    from .store import open_store

    try:
        engine = open_store(url, utcnow(), write=write)
    except StoreError as exc:
        fail(str(exc), EXIT_FAILED)
        raise AssertionError("unreachable") from None
    # Closed with the command, not whenever the collector gets to it: the last connection's
    # close checkpoints a WAL store, which must not happen in the middle of a caller's work
    # (tests run commands in one process; a store's bytes change only while a command runs).
    ctx = click.get_current_context(silent=True)
    if ctx is not None:
        ctx.call_on_close(engine.dispose)
    return engine


def duration(_ctx: Any, _param: Any, value: str | None) -> float | None:
    from .config import parse_duration

    if value is None:
        return None
    try:
        return parse_duration(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


def when(_ctx: Any, _param: Any, value: str | None) -> datetime | None:
    """A time option: ISO 8601 date or time (UTC unless it says otherwise), or a duration ago."""
    from .config import parse_duration

    if value is None:
        return None
    try:
        return utcnow() - timedelta(seconds=parse_duration(value))
    except ValueError:
        pass
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is neither an ISO 8601 date/time (2026-11-20, "
                                 "2026-11-20T08:00Z) nor a duration ago (7d, 12h)") from None
    return parsed.astimezone(UTC).replace(tzinfo=None) if parsed.tzinfo else parsed


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="narratives")
def cli() -> None:
    """Collect news feeds of state-run and independent outlets and compare their coverage.

    \b
    Example:
        narratives demo          # the whole pipeline on sample feeds, offline
        narratives collect       # fetch the feeds in ./feeds.yaml that are due
    """


def main() -> None:  # console-script entry point
    cli()
