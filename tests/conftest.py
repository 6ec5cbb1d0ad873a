"""Shared fixtures: a real loopback HTTP server, a real SQLite file, feed builders.

Usage in a test::

    def test_x(server, store):
        url = server.add("/a.xml", static(rss_doc(items(3))))
        report = collect_once(store, config_for({"a": [url]}))
"""

from __future__ import annotations

import asyncio
import atexit
import hashlib
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from xml.sax.saxutils import escape

import pytest
from sqlalchemy import text

from narratives.collect import CollectOptions, CollectReport, collect_pass
from narratives.config import Config, FeedSpec, Outlet
from narratives.demo import serve_sample
from narratives.events import ClusterSettings, run_clustering
from narratives.facts import load_facts
from narratives.facts_config import default_facts_path
from narratives.fetch import FetchSettings, utcnow
from narratives.loopback import LoopbackServer
from narratives.omissions import CompareSettings, run_compare
from narratives.store import open_store

REPO = Path(__file__).resolve().parent.parent
#: ECB+ (CC BY 3.0), in the shared data folder next to the repository, as in CI.
ECBPLUS = REPO.parent / "shared" / "data" / "ecbplus" / "documents.jsonl"


def require_ecbplus() -> Path:
    """The ECB+ documents file; a missing corpus fails the test (a skip would pass unseen)."""
    if not ECBPLUS.exists():
        pytest.fail(f"ECB+ corpus missing: expected {ECBPLUS} (the shared data folder next to the repository)")
    return ECBPLUS


@pytest.fixture
def server():
    with LoopbackServer() as s:
        yield s


class Store:
    """A real SQLite store in a temp dir."""

    def __init__(self, path: Path):
        self.path = path
        self.url = f"sqlite:///{path}"
        self.engine = open_store(self.url, datetime.utcnow())

    def rows(self, sql: str, **params) -> list:
        with self.engine.connect() as c:
            return c.execute(text(sql), params).all()

    def scalar(self, sql: str, **params):
        with self.engine.connect() as c:
            return c.execute(text(sql), params).scalar()


@pytest.fixture
def store(tmp_path):
    s = Store(tmp_path / "store.db")
    yield s
    s.engine.dispose()


def outlet(oid: str, urls: Iterable[str], affiliation: str = "independent", **kw) -> Outlet:
    return Outlet(id=oid, name=oid.upper(), country="XX", language="en", affiliation=affiliation,
                  owner="test", homepage="https://example.org",
                  feeds=tuple(FeedSpec(url=u, name=f"f{i}") for i, u in enumerate(urls)), **kw)


def config_for(feeds: dict[str, list[str]]) -> Config:
    """{"outlet-id": [feed urls]} -> Config."""
    return Config(outlets=tuple(outlet(k, v) for k, v in feeds.items()))


FAST = FetchSettings(concurrency=8, per_host=4, connect_timeout=2.0, deadline=2.0)


def collect_once(store: Store, config: Config, *, force: bool = False, workers: int = 0,
                 fetch: FetchSettings = FAST, clock=None) -> CollectReport:
    """One real pass (loopback HTTP, real parse, real SQLite). workers=0 parses in a thread."""
    options = CollectOptions(force=force, workers=workers, fetch=fetch)
    kwargs = {"clock": clock} if clock else {}
    return asyncio.run(collect_pass(store.engine, config, options, **kwargs))


def item(i: int, *, title: str | None = None, guid: str | None = "auto", link: str | None = "auto",
         description: str | None = None, pub: str | None = "Tue, 24 Nov 2026 10:00:00 GMT",
         raw: str = "") -> str:
    """One RSS <item> as text; pass None to leave a field out, raw to append raw XML."""
    parts = [f"<title>{escape(title if title is not None else f'Item {i}')}</title>"]
    if guid is not None:
        parts.append(f"<guid isPermaLink=\"false\">{escape(f'g-{i}' if guid == 'auto' else guid)}</guid>")
    if link is not None:
        parts.append(f"<link>{escape(f'https://news.example/a/{i}' if link == 'auto' else link)}</link>")
    parts.append(f"<description>{escape(description if description is not None else f'<p>Body of item {i}.</p>')}</description>")
    if pub is not None:
        parts.append(f"<pubDate>{pub}</pubDate>")
    return "<item>" + "".join(parts) + raw + "</item>"


def items(n: int, start: int = 0) -> list[str]:
    return [item(i) for i in range(start, start + n)]


def rss_doc(entries: Iterable[str], title: str = "Test feed", encoding: str = "utf-8",
            prolog: str = "") -> bytes:
    body = (f'<?xml version="1.0" encoding="{encoding}"?>{prolog}<rss version="2.0"><channel>'
            f"<title>{escape(title)}</title><link>https://news.example/</link>"
            + "".join(entries) + "</channel></rss>")
    return body.encode(encoding if encoding.lower() != "utf-8" else "utf-8", "xmlcharrefreplace")


def run_cli(*args: str, env: dict | None = None, timeout: float = 120, cwd: Path | None = None,
            **kw) -> subprocess.CompletedProcess:
    """Run the real `narratives` entry point in a subprocess."""
    full_env = {**os.environ, **(env or {})}
    full_env.pop("NARRATIVES_DB", None) if env is None or "NARRATIVES_DB" not in env else None
    return subprocess.run([sys.executable, "-m", "narratives", *args], capture_output=True,
                          text=True, timeout=timeout, env=full_env, cwd=cwd, **kw)


def feeds_yaml(outlets: dict[str, list[str]], *, affiliation: str = "independent",
               interval: str | None = None) -> str:
    """{"outlet-id": [feed urls]} -> feeds.yaml text (one feed named f<i> per url)."""
    lines = ["defaults:", "  interval: 15m", "outlets:"]
    for oid, urls in outlets.items():
        lines += [f"  - id: {oid}", f"    name: Outlet {oid.upper()}", "    country: XX",
                  "    language: en", f"    affiliation: {affiliation}", "    owner: Test owner",
                  "    homepage: https://example.org"]
        if interval:
            lines.append(f"    interval: {interval}")
        lines.append("    feeds:")
        for i, url in enumerate(urls):
            lines += [f"      - url: {url}", f"        name: f{i}"]
    return "\n".join(lines) + "\n"


# --- the demo pipeline's store, built once per session ------------------------------------

_GOLDEN: dict[str, Path] = {}


def pipeline_store() -> Path:
    """The demo pipeline's store (loopback collect -> cluster -> compare), built once."""
    if "path" not in _GOLDEN:
        folder = Path(tempfile.mkdtemp(prefix="narratives-research-"))
        atexit.register(shutil.rmtree, folder, True)
        built = folder / "built.db"
        engine = open_store(f"sqlite:///{built}", utcnow())
        try:
            with LoopbackServer() as server:
                config = serve_sample(server, utcnow())
                report = asyncio.run(collect_pass(engine, config, CollectOptions(workers=0, fetch=FAST)))
            assert not report.failed
            run_clustering(engine, ClusterSettings(workers=0), now=utcnow())
            run_compare(engine, load_facts(default_facts_path()), CompareSettings(), now=utcnow())
        finally:
            engine.dispose()
        golden = folder / "golden.db"
        with sqlite3.connect(built) as src, sqlite3.connect(golden) as dst:
            src.backup(dst)  # one self-contained file, WAL folded in
        _GOLDEN["path"] = golden
    return _GOLDEN["path"]


def pipeline_copy(folder: Path, name: str = "store.db") -> Path:
    """A copy of ``pipeline_store()`` in ``folder``, for a test to change or compare."""
    path = folder / name
    shutil.copyfile(pipeline_store(), path)
    return path


def fingerprint(path: Path) -> tuple:
    """The store file's bytes and mtime, and its WAL's bytes: unchanged means nothing written.

    (Reading a WAL-mode store may create an empty -wal file beside it, as any reader does.)
    """
    wal = path.with_name(path.name + "-wal")
    return (hashlib.sha256(path.read_bytes()).hexdigest(), path.stat().st_mtime_ns,
            hashlib.sha256(wal.read_bytes() if wal.exists() else b"").hexdigest())
