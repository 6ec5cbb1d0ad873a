"""Bring existing archives into the store: JSON Lines or CSV, one article per row.

Usage::

    rows, problems = read_rows(Path("archive.jsonl"))       # pure: no database
    with Session(engine) as s, s.begin():
        counts = store_rows(s, rows, now)

Row fields: ``id``, ``outlet``, ``title``, ``text`` (or ``summary``), ``url``,
``published`` (ISO 8601, may be empty); optional ``outlet_name``, ``affiliation``,
``language``, ``author``, and ``event`` (a gold label, read by ``eval-clusters`` and
ignored here). ``id`` becomes the article's guid, unique per outlet, so importing the
same file twice adds nothing. A bad row is reported with its line number and skipped.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.orm import Session

from .config import AFFILIATIONS, SLUG
from .errors import ConfigError
from .parse import ArticleDraft, canonical_url, clean_text, content_hash, plausible_date
from .store import Counts, FeedJob, ensure_outlet, store_articles

REQUIRED = ("id", "outlet", "title")
OPTIONAL = ("text", "summary", "url", "published", "outlet_name", "affiliation", "language",
            "author", "event")
KNOWN = REQUIRED + OPTIONAL


@dataclass(frozen=True)
class ImportRow:
    line: int
    outlet: str
    outlet_name: str | None
    affiliation: str | None
    event: str | None
    draft: ArticleDraft


def parse_published(value: str, now: datetime) -> tuple[datetime, str | None, str | None]:
    """ISO 8601 -> naive UTC. Empty -> (now, None, 'missing'). Raises ValueError if unreadable."""
    value = (value or "").strip()
    if not value:
        return now, None, "missing"
    when = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    if when.tzinfo is not None:
        when = when.astimezone(UTC).replace(tzinfo=None)
    if not plausible_date(when, now):
        raise ValueError(f"date {value!r} is before 1991 or in the future")
    return when, value, None


def _row(line: int, data: dict, now: datetime) -> ImportRow:
    """Validate one row; raises ValueError with a message that says what to fix."""
    unknown = sorted(k for k in data if k not in KNOWN)
    if unknown:
        raise ValueError(f"unknown field(s) {', '.join(unknown)}; known: {', '.join(KNOWN)}")
    values = {k: ("" if v is None else v) for k, v in data.items()}
    for key in values:
        if not isinstance(values[key], str | int | float):
            raise ValueError(f"field {key!r} must be a string")
        values[key] = str(values[key])
    missing = [k for k in REQUIRED if not values.get(k, "").strip()]
    if missing:
        raise ValueError(f"missing {', '.join(missing)}")
    if not (values.get("text", "").strip() or values.get("summary", "").strip()):
        raise ValueError("missing text (or summary)")
    outlet = values["outlet"].strip()
    if not SLUG.match(outlet):
        raise ValueError(f"outlet {outlet!r} is not a slug (lowercase letters, digits, - and _)")
    affiliation = values.get("affiliation", "").strip() or None
    if affiliation is not None and affiliation not in AFFILIATIONS:
        raise ValueError(f"affiliation {affiliation!r} is not one of {', '.join(AFFILIATIONS)}")
    try:
        published_at, raw, flag = parse_published(values.get("published", ""), now)
    except ValueError as exc:
        raise ValueError(f"published: {exc} (use ISO 8601, e.g. 2026-11-25T08:30:00Z)") from None
    guid = clean_text(values["id"], single_line=True)[:1000]
    title = clean_text(values["title"], single_line=True)[:2000]
    summary = clean_text(values.get("summary", ""))
    text = clean_text(values.get("text", ""))
    url = values.get("url", "").strip()
    link = canonical_url(url) if url else None
    if url and link is None:
        raise ValueError(f"url {url!r} is not an absolute http(s) URL")
    draft = ArticleDraft(
        item_key="guid:" + guid, guid=guid, url=link, title=title, summary=summary, content=text,
        author=clean_text(values.get("author", ""), single_line=True) or None,
        language=values.get("language", "").strip() or None, published_at=published_at,
        published_raw=raw, date_flag=flag, content_hash=content_hash(title, summary, text))
    return ImportRow(line=line, outlet=outlet, outlet_name=values.get("outlet_name", "").strip() or None,
                     affiliation=affiliation, event=values.get("event", "").strip() or None, draft=draft)


def _records(path: Path, text: str) -> Iterator[tuple[int, dict | None, str | None]]:
    """(line, record or None, error) for each data row of a .jsonl/.json or .csv file."""
    if path.suffix.lower() == ".csv":
        reader = csv.DictReader(io.StringIO(text, newline=""))
        header = reader.fieldnames or []
        unknown = [h for h in header if h not in KNOWN]
        if unknown:
            raise ConfigError([f"{path}:1: (header): unknown column(s) {', '.join(unknown)}. "
                               f"Fix: rename or remove them; known columns: {', '.join(KNOWN)}"])
        for record in reader:
            if None in record:  # more cells than header columns
                yield reader.line_num, None, "more cells than header columns"
            else:
                yield reader.line_num, record, None
        return
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            yield number, None, f"not valid JSON ({exc.msg} at column {exc.colno})"
            continue
        if not isinstance(record, dict):
            yield number, None, "expected a JSON object per line"
        else:
            yield number, record, None


def read_rows(path: Path, now: datetime) -> tuple[list[ImportRow], list[str]]:
    """All valid rows and one 'file:line: problem' string per bad row."""
    try:
        text = path.read_text("utf-8-sig")
    except FileNotFoundError:
        raise ConfigError([f"{path}:1: (file): not found. Fix: check the path"]) from None
    except UnicodeDecodeError as exc:
        raise ConfigError([f"{path}:1: (file): not UTF-8 ({exc.reason}). Fix: convert it, e.g. "
                           f"iconv -f latin1 -t utf-8"]) from None
    if path.suffix.lower() not in (".csv", ".jsonl", ".json", ".ndjson"):
        raise ConfigError([f"{path}:1: (file): unknown file type {path.suffix!r}. Fix: use .jsonl "
                           "(one JSON object per line) or .csv with a header row"])
    rows, problems = [], []
    seen: dict[tuple[str, str], int] = {}
    for line, record, error in _records(path, text):
        if error is None:
            try:
                row = _row(line, record or {}, now)
            except ValueError as exc:
                error = str(exc)
            else:
                key = (row.outlet, row.draft.item_key)
                if key in seen:
                    error = f"duplicate id {row.draft.guid!r} for outlet {row.outlet} (first on line {seen[key]})"
                else:
                    seen[key] = line
                    rows.append(row)
        if error is not None:
            problems.append(f"{path}:{line}: {error}; row skipped")
    return rows, problems


def store_rows(session: Session, rows: list[ImportRow], now: datetime) -> Counts:
    """Store imported rows, outlet by outlet. Idempotent: existing guids are not added again."""
    by_outlet: dict[str, list[ImportRow]] = {}
    for row in rows:
        by_outlet.setdefault(row.outlet, []).append(row)
    seen = new = changed = 0
    for outlet_id, group in by_outlet.items():
        first = group[0]
        outlet = ensure_outlet(session, outlet_id, now, name=first.outlet_name,
                               affiliation=first.affiliation, language=first.draft.language)
        job = FeedJob(feed_id=None, outlet_id=outlet_id, url="", name="import", etag=None,
                      last_modified=None, body_hash=None, failure_count=0, language=outlet.language)
        counts = store_articles(session, job, [r.draft for r in group], now)
        seen, new, changed = seen + counts.seen, new + counts.new, changed + counts.changed
    return Counts(seen=seen, new=new, changed=changed)
