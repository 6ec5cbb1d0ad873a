"""Is one event's stored comparison current? Answered without parsing facts.yaml.

Usage::

    sha = file_sha256(Path("facts.yaml"))
    if is_current(engine, sha, {"min_support": 2, "claims": True}, event_id):
        ...show the stored comparison...
    remember(engine, sha, settings_key, params)   # after a run: what this file's catalogue gave

``narratives compare EVENT`` is a read in the common case, yet deciding whether the event
must be compared again needs the run parameters, and those include the digest of the
parsed catalogue (~0.2 s to parse and validate). So each run records, in ``meta``, the
sha256 of the facts file's bytes with the parameters it produced; when the file's bytes
and the command's settings are the same, the recorded parameters are the ones parsing
would give, and the staleness checks run on them. Any difference (an edited file, other
settings, changed code) takes the ordinary path, which parses the file and compares.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from .compare_stale import todo, why_full
from .models import Meta

KEY = "compare.facts_file"


def file_sha256(path: Path) -> str | None:
    """The file's sha256, or None when it cannot be read (the ordinary path reports why)."""
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


def is_current(engine: Engine, sha: str | None, settings: dict[str, Any], event_id: int) -> bool:
    """Whether ``event_id``'s comparison is up to date for this file and these settings."""
    if sha is None:
        return False
    from .omissions import code_version

    with Session(engine) as s:
        row = s.get(Meta, KEY)
        if row is None:
            return False
        saved = json.loads(row.value)
        if saved.get("sha256") != sha or saved.get("settings") != settings:
            return False
        if why_full(s, saved["params"], code_version(), rebuild=False) is not None:
            return False
        stale, drop = todo(s, False, [event_id])
        return not stale and not drop


def remember(engine: Engine, sha: str | None, settings: dict[str, Any], params: dict[str, Any]) -> None:
    """Record what this facts file and these settings give as run parameters."""
    if sha is None:
        return
    value = json.dumps({"sha256": sha, "settings": settings, "params": params}, sort_keys=True)
    with Session(engine) as s, s.begin():
        s.merge(Meta(key=KEY, value=value))
