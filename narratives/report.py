"""Rendering rows for people and programs: rich tables, Markdown, JSON, CSV.

Usage::

    emit(rows, columns=["outlet", "status"], fmt="json", console=console)

JSON is a list of objects with the listed keys, datetimes as ISO 8601 UTC strings
ending in "Z"; CSV has a header row with the same keys. Both are stable interfaces.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

import click
from rich.console import Console
from rich.markup import escape
from rich.table import Table

FORMATS = ("table", "md", "json", "csv")


def plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds") + "Z"
    return value


def cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    return str(value)


def to_json(rows: Iterable[dict], columns: Sequence[str]) -> str:
    return json.dumps([{c: plain(r.get(c)) for c in columns} for r in rows],
                      ensure_ascii=False, indent=2)


def to_csv(rows: Iterable[dict], columns: Sequence[str]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(columns)
    for r in rows:
        writer.writerow([plain(r.get(c)) if r.get(c) is not None else "" for c in columns])
    return buf.getvalue()


def to_markdown(rows: Iterable[dict], columns: Sequence[str]) -> str:
    def esc(v: Any) -> str:
        return cell(v).replace("|", "\\|").replace("\n", " ")

    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(esc(r.get(c)) for c in columns) + " |" for r in rows]
    return "\n".join(lines) + "\n"


def to_table(rows: Iterable[dict], columns: Sequence[str], title: str | None = None) -> Table:
    table = Table(title=title, show_lines=False)
    for c in columns:
        table.add_column(c.replace("_", " "), overflow="fold")
    for r in rows:
        # Feed text may contain [brackets] that rich would read as markup.
        table.add_row(*(escape(cell(r.get(c))) for c in columns))
    return table


def emit(rows: Sequence[dict], columns: Sequence[str], fmt: str, console: Console,
         title: str | None = None) -> None:
    if fmt == "table":
        console.print(to_table(rows, columns, title))
    elif fmt == "md":
        click.echo(to_markdown(rows, columns), nl=False)
    elif fmt == "json":
        click.echo(to_json(rows, columns))
    elif fmt == "csv":
        click.echo(to_csv(rows, columns), nl=False)
    else:
        raise ValueError(f"unknown format {fmt!r}")
