"""Is one event's stored comparison current? Answered without parsing facts.yaml or importing SQLAlchemy.

Usage::

    sha = file_sha256(Path("facts.yaml"))
    if is_current(con_or_session, sha, {"min_support": 2, "claims": True}, event_id):
        ...show the stored comparison...
    remember(engine, sha, settings_key, params)   # after a run: what this file's catalogue gave
    why_full(session, params, code_version(), rebuild=False)   # why every event must be compared again
    event_todo(session, event_id)                 # "compare", "drop" or None (current)

``narratives compare EVENT`` is a read in the common case, yet deciding whether the event
must be compared again needs the run parameters, and those include the digest of the
parsed catalogue (~0.2 s to parse and validate). So each run records, in ``meta``, the
sha256 of the facts file's bytes with the parameters it produced; when the file's bytes
and the command's settings are the same, the recorded parameters are the ones parsing
would give, and the staleness checks run on them. Any difference (an edited file, other
settings, changed code) takes the ordinary path, which parses the file and compares.

The checks are SQL on a ``dbread`` connection: the fast path's read-only sqlite3
connection or the ordinary path's Session (``omissions.run_compare`` asks ``why_full``,
and ``compare_stale.todo`` asks ``event_todo`` for the events it is given), so the two
paths cannot disagree. The staleness rules for one event are those of ``compare_stale``
(its module docstring); that module keeps the set-based form for a pass over every event,
and tests/test_compare_current.py checks the two agree on random stores.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import __version__
from .dbread import first

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from .dbread import Reader

KEY = "compare.facts_file"
#: The files whose bytes make up ``code_version``: a change to any compares every event again
#: (this one too: its ``why_full`` decides which events are compared).
_CODE = ("compare.py", "compare_current.py", "omissions.py", "cluster_state.py", "compare_stale.py", "facts.py",
         "facts_config.py", "terms.py", "roles.py", "claims.py", "text.py", "thin.py", "action_model.py",
         "action_model.npz")


def code_version() -> str:
    """Package version plus a digest of the comparison code, so a run names the exact method."""
    digest = hashlib.sha256()
    here = Path(__file__).parent
    for name in _CODE:
        path = here / name
        digest.update(path.read_bytes() if path.exists() else b"")
    return f"{__version__}+{digest.hexdigest()[:10]}"


def file_sha256(path: Path) -> str | None:
    """The file's sha256, or None when it cannot be read (the ordinary path reports why)."""
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


def is_current(db: Reader, sha: str | None, settings: dict[str, Any], event_id: int) -> bool:
    """Whether ``event_id``'s comparison is up to date for this file and these settings."""
    if sha is None:
        return False
    row = first(db, "SELECT value FROM meta WHERE key = :key", key=KEY)
    if row is None:
        return False
    saved = json.loads(row[0])
    if saved.get("sha256") != sha or saved.get("settings") != settings:
        return False
    if why_full(db, saved["params"], code_version(), rebuild=False) is not None:
        return False
    return event_todo(db, event_id) is None


def remember(engine: Engine, sha: str | None, settings: dict[str, Any], params: dict[str, Any]) -> None:
    """Record what this facts file and these settings give as run parameters."""
    from sqlalchemy.orm import Session

    from .models import Meta

    if sha is None:
        return
    value = json.dumps({"sha256": sha, "settings": settings, "params": params}, sort_keys=True)
    with Session(engine) as s, s.begin():
        s.merge(Meta(key=KEY, value=value))


def why_full(db: Reader, params: dict, code: str, rebuild: bool) -> str | None:
    """Why every event must be compared again (None: only the stale ones)."""
    if rebuild:
        return "--rebuild"
    latest = first(db, "SELECT id, status, params FROM runs WHERE kind = 'compare' ORDER BY id DESC LIMIT 1")
    if latest is not None and latest[1] != "done" and json.loads(latest[2]).get("scope") == "all":
        return f"comparison run {latest[0]}, which compared every event, did not finish"
    last = first(db, "SELECT params, code_version FROM runs WHERE kind = 'compare' AND status = 'done' "
                     "ORDER BY id DESC LIMIT 1")
    if last is None:
        return None
    before, last_code = json.loads(last[0]), last[1]
    if before.get("facts_digest") != params["facts_digest"]:
        return "the fact catalogue changed"
    changed = sorted(k for k in params if k != "facts_digest" and before.get(k) != params[k])
    if changed:
        return "parameters changed: " + ", ".join(f"{k}={params[k]}" for k in changed)
    if last_code != code:
        return f"the comparison code changed ({last_code} -> {code})"
    return None


def event_todo(db: Reader, event_id: int) -> str | None:
    """What a comparison run asked for this one event does: "compare" (it is stale), "drop"
    (its event is gone, its comparison is not) or None (its stored comparison is current)."""
    if first(db, "SELECT 1 FROM events WHERE id = :e", e=event_id) is None:
        gone = first(db, "SELECT 1 FROM event_comparisons WHERE event_id = :e", e=event_id)
        return "drop" if gone is not None else None
    return "compare" if event_is_stale(db, event_id) else None


def event_is_stale(db: Reader, event_id: int, min_outlets: int = 1) -> bool:
    """Whether an event's stored comparison is missing or out of date (the rules of
    ``compare_stale``; never compared counts when at least ``min_outlets`` covered it)."""
    # Never compared, clustered since, or compared while its window was still open.
    row = first(db, "SELECT (c.event_id IS NULL AND e.outlet_count >= :min_outlets) "
                    "OR e.updated_run_id > c.cluster_run OR c.window_end > c.compared_at "
                    "FROM events e LEFT JOIN event_comparisons c ON c.event_id = e.id WHERE e.id = :e",
                e=event_id, min_outlets=min_outlets)
    if row is None:
        return False
    if row[0]:
        return True
    # An article in its window that clustering placed after it was compared.
    if first(db, "SELECT 1 FROM event_comparisons c WHERE c.event_id = :e AND EXISTS ("
                 "SELECT 1 FROM event_articles ea JOIN articles a ON a.id = ea.article_id "
                 "WHERE a.published_at BETWEEN c.window_start AND c.window_end AND ea.run_id > c.cluster_run)",
             e=event_id) is not None:
        return True
    # An article (its own or linked to it) whose text changed after it was matched.
    changed = ("SELECT 1 FROM {members} m JOIN article_facts af ON af.article_id = m.article_id "
               "JOIN articles a ON a.id = af.article_id "
               "LEFT JOIN article_texts t ON t.article_id = af.article_id "
               "WHERE m.event_id = :e AND (a.updated_at > af.text_seen_at OR t.fetched_at > af.text_seen_at) "
               "LIMIT 1")
    return any(first(db, changed.format(members=members), e=event_id) is not None
               for members in ("event_articles", "event_links"))
