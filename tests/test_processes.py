"""`narratives collect` as separate processes: overlapping runs, SIGKILL mid-write,
SIGTERM/SIGINT in a loop and during a pass. The store must stay whole every time.

Each collect runs in its own session (process group) so the test can clean up whatever
it started, parse workers included, and nothing else.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import psutil
import pytest
from conftest import feeds_yaml, items, rss_doc, run_cli

from narratives.loopback import static

pytestmark = pytest.mark.slow


class Collect:
    """A `narratives collect` subprocess with its output in files and its own process group."""

    def __init__(self, tmp_path: Path, db: Path, cfg: Path, *args: str, name: str = "collect"):
        self.out, self.err = tmp_path / f"{name}.out", tmp_path / f"{name}.err"
        env = {k: v for k, v in os.environ.items() if k != "NARRATIVES_DB"}
        with self.out.open("w") as out, self.err.open("w") as err:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "narratives", "collect", "--db", str(db), "--feeds", str(cfg),
                 *args], stdout=out, stderr=err, cwd=tmp_path, env=env, start_new_session=True)
        self.pid = self.proc.pid

    @property
    def stdout(self) -> str:
        return self.out.read_text()

    @property
    def stderr(self) -> str:
        return self.err.read_text()

    def alive(self) -> bool:
        return self.proc.poll() is None

    def wait(self, timeout: float) -> int:
        return self.proc.wait(timeout)

    def group(self) -> list[psutil.Process]:
        """Live processes of this collect's process group (the parse workers, after a kill)."""
        found = []
        for p in psutil.process_iter():
            try:
                if os.getpgid(p.pid) == self.pid and p.status() != psutil.STATUS_ZOMBIE:
                    found.append(p)
            except (ProcessLookupError, psutil.Error):
                pass
        return found

    def cleanup(self) -> None:
        if self.alive():
            self.proc.kill()
            self.proc.wait(10)
        for p in self.group():  # only processes of the group this test started
            try:
                p.kill()
            except psutil.Error:
                pass


@pytest.fixture
def started():
    procs: list[Collect] = []
    yield procs
    for p in procs:
        p.cleanup()


def wait_until(predicate: Callable[[], bool], timeout: float, what: str, step: float = 0.01) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(step)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def ro_scalar(db: Path, sql: str):
    """Read with a separate read-only connection, as a researcher's notebook would."""
    if not db.exists():
        return None
    try:
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1)
        try:
            return con.execute(sql).fetchone()[0]
        finally:
            con.close()
    except sqlite3.OperationalError:  # schema not created yet
        return None


def rows(db: Path, sql: str, *params) -> list[tuple]:
    con = sqlite3.connect(db)
    try:
        return con.execute(sql, params).fetchall()
    finally:
        con.close()


# --- a corpus big enough to kill a collect in the middle of writing -----------------

OUTLETS, FEEDS_PER_OUTLET, PER_FEED, STRIDE = 10, 4, 100, 75


def serve_corpus(server) -> tuple[dict[str, list[str]], dict[str, set[str]], int]:
    """10 outlets x 4 feeds x 100 items; neighbouring feeds of an outlet share 25 items.

    Returns (outlet -> feed urls, feed url -> guids, number of unique items).
    """
    outlets: dict[str, list[str]] = {}
    guids: dict[str, set[str]] = {}
    for o in range(OUTLETS):
        urls = []
        for f in range(FEEDS_PER_OUTLET):
            start = f * STRIDE
            url = server.add(f"/o{o}/f{f}.xml", static(rss_doc(items(PER_FEED, start=start))))
            guids[url] = {f"g-{i}" for i in range(start, start + PER_FEED)}
            urls.append(url)
        outlets[f"out{o}"] = urls
    unique = OUTLETS * ((FEEDS_PER_OUTLET - 1) * STRIDE + PER_FEED)
    return outlets, guids, unique


def check_store(db: Path, outlets: dict[str, list[str]], guids: dict[str, set[str]]) -> dict[str, int]:
    """The invariants that must hold after any interruption. Returns ok fetches per feed url."""
    assert rows(db, "PRAGMA integrity_check") == [("ok",)]
    assert rows(db, "PRAGMA foreign_key_check") == []
    assert rows(db, "SELECT outlet_id, item_key FROM articles GROUP BY 1, 2 HAVING COUNT(*) > 1") == []
    feed_outlet = {u: o for o, urls in outlets.items() for u in urls}
    stored: dict[str, set[str]] = {}
    for outlet_id, guid in rows(db, "SELECT outlet_id, guid FROM articles"):
        stored.setdefault(outlet_id, set()).add(guid)
    ok_fetches = {}
    for url, fid, etag, body_hash, status in rows(
            db, "SELECT url, id, etag, body_hash, status FROM feeds"):
        attributed = rows(db, "SELECT COUNT(*) FROM articles WHERE feed_id = ?", fid)[0][0]
        (n_ok, new_total), = rows(
            db, "SELECT COUNT(*), COALESCE(SUM(items_new), 0) FROM fetches "
                "WHERE feed_id = ? AND outcome = 'ok'", fid)
        # The articles a feed brought in and the fetch rows that say so commit together.
        assert attributed == new_total, (url, attributed, new_total)
        if etag is not None or body_hash is not None or n_ok:
            # Validators only move with the articles they vouch for: all items are there.
            missing = guids[url] - stored.get(feed_outlet[url], set())
            assert not missing, f"{url}: validators set but {len(missing)} items missing"
            assert etag is not None and n_ok >= 1 and status == "active", url
        else:
            assert attributed == 0, url
        ok_fetches[url] = n_ok
    return ok_fetches


# --- (a) two overlapping collects ----------------------------------------------------

def test_second_collect_exits_3_or_waits_for_the_lock(tmp_path, server, started):
    urls = [server.add(f"/slow{i}.xml", static(rss_doc(items(5, start=10 * i)), delay=3.0))
            for i in range(3)]
    cfg = tmp_path / "feeds.yaml"
    cfg.write_text(feeds_yaml({"alpha": urls[:2], "beta": urls[2:]}))
    db = tmp_path / "store.db"
    lock = tmp_path / "store.db.lock"

    first = Collect(tmp_path, db, cfg, "--workers", "0", "--timeout", "10", name="first")
    started.append(first)
    wait_until(lambda: lock.exists() and "pid" in lock.read_text(), 20, "the first collect's lock")
    assert f"pid {first.pid}" in lock.read_text()

    # Started together: one gives up at once, the other waits for the lock.
    waiter = Collect(tmp_path, db, cfg, "--workers", "0", "--wait", "30", name="waiter")
    started.append(waiter)
    t0 = time.monotonic()
    second = run_cli("collect", "--db", str(db), "--feeds", str(cfg), "--workers", "0",
                     cwd=tmp_path, timeout=30)
    took = time.monotonic() - t0
    assert second.returncode == 3, second.stdout + second.stderr
    assert "another collect is running" in second.stderr and f"pid {first.pid}" in second.stderr
    assert first.alive(), "the first collect finished before the second gave up: no overlap tested"
    assert took < 10

    assert first.wait(30) == 0, first.stdout + first.stderr
    assert waiter.wait(30) == 0, waiter.stdout + waiter.stderr
    assert "No feeds are due" in waiter.stdout  # it ran after the first pass had committed
    assert f"pid {waiter.pid}" in lock.read_text()
    assert server.hits == {f"/slow{i}.xml": 1 for i in range(3)}
    assert rows(db, "SELECT COUNT(*), COUNT(DISTINCT outlet_id || item_key) FROM articles") == [(15, 15)]
    assert rows(db, "SELECT COUNT(*) FROM fetches") == [(3,)]


# --- (b) SIGKILL in the middle of writing -------------------------------------------

def test_sigkill_mid_write_twice_then_rerun_stores_everything_once(tmp_path, server, started):
    outlets, guids, unique = serve_corpus(server)
    cfg = tmp_path / "feeds.yaml"
    cfg.write_text(feeds_yaml(outlets))
    db = tmp_path / "store.db"

    def stored() -> int:
        return ro_scalar(db, "SELECT COUNT(*) FROM articles") or 0

    done_before = 0
    # Killed at its first commit, then a second run (resuming) killed halfway through the rest.
    for round_, share in enumerate((0.0, 0.5)):
        victim = Collect(tmp_path, db, cfg, "--workers", "2", "--timeout", "20", "-q",
                         name=f"victim{round_}")
        started.append(victim)
        already = stored()
        threshold = already + max(1, int((unique - already) * share))
        wait_until(lambda t=threshold, v=victim: stored() >= t or not v.alive(), 60,
                   f"{threshold} stored articles")
        assert victim.alive(), "the collect finished before it could be killed: " + victim.stdout
        os.kill(victim.pid, signal.SIGKILL)
        assert victim.wait(10) == -signal.SIGKILL

        # What the killed run left behind is already consistent, and the next run resumes.
        before = check_store(db, outlets, guids)
        done = sum(1 for n in before.values() if n)
        assert done_before < done < len(guids), (round_, done_before, done)
        assert all(n <= 1 for n in before.values())
        done_before = done
        wait_until(lambda v=victim: not v.group(), 10,
                   "the parse workers to exit after their collect was killed", step=0.1)

    rerun = Collect(tmp_path, db, cfg, "--workers", "2", "--timeout", "20", "-q", name="rerun")
    started.append(rerun)
    assert rerun.wait(120) == 0, rerun.stdout + rerun.stderr
    assert f"{len(guids) - done_before} of {len(guids) - done_before} due feeds" in rerun.stdout
    after = check_store(db, outlets, guids)
    assert after == {url: 1 for url in guids}, "every feed fetched once, across kills and rerun"
    assert rows(db, "SELECT COUNT(*) FROM articles") == [(unique,)]
    assert rows(db, "SELECT COUNT(*) FROM fetches") == [(len(guids),)]


# --- (c) a loop stopped by SIGTERM or SIGINT -----------------------------------------

@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_every_loop_stops_cleanly_on_signal(tmp_path, server, started, sig):
    urls = [server.add(f"/l{i}.xml", static(rss_doc(items(20, start=100 * i)))) for i in range(4)]
    cfg = tmp_path / "feeds.yaml"
    cfg.write_text(feeds_yaml({"alpha": urls[:2], "beta": urls[2:]}, interval="1s"))
    db = tmp_path / "store.db"
    # Ctrl-C (SIGINT to the whole group) with a parse worker; SIGTERM to the collect alone.
    workers = "1" if sig == signal.SIGINT else "0"
    loop = Collect(tmp_path, db, cfg, "--every", "1s", "--workers", workers, "--timeout", "5",
                   "-q", name="loop")
    started.append(loop)
    wait_until(lambda: (ro_scalar(db, "SELECT MIN(n) FROM (SELECT COUNT(*) AS n FROM fetches "
                                      "GROUP BY feed_id)") or 0) >= 2
               and ro_scalar(db, "SELECT COUNT(DISTINCT feed_id) FROM fetches") == 4
               or not loop.alive(), 60, "two passes over every feed")
    assert loop.alive(), loop.stdout + loop.stderr
    t0 = time.monotonic()
    if sig == signal.SIGINT:
        os.killpg(loop.pid, sig)  # Ctrl-C reaches the whole foreground group, workers too
    else:
        os.kill(loop.pid, sig)
    code = loop.wait(15)
    assert time.monotonic() - t0 < 5, "the loop took too long to stop"
    assert code in (0, 1), f"exit {code}: " + loop.stdout + loop.stderr
    assert "Traceback" not in loop.stderr, loop.stderr
    assert rows(db, "PRAGMA integrity_check") == [("ok",)]
    assert rows(db, "SELECT COUNT(*) FROM articles") == [(80,)]
    outcomes = rows(db, "SELECT outcome, COUNT(*) FROM fetches GROUP BY 1")
    assert dict(outcomes).get("ok") == 4, outcomes  # later passes answer 304
    assert set(dict(outcomes)) <= {"ok", "not_modified"}, outcomes
    wait_until(lambda: not loop.group(), 10, "the loop's helper processes to exit", step=0.1)
    # The lock is free again: a normal run works at once.
    r = run_cli("collect", "--db", str(db), "--feeds", str(cfg), "--workers", "0", cwd=tmp_path)
    assert r.returncode == 0, r.stdout + r.stderr


# --- (d) SIGTERM during a pass that is writing ---------------------------------------

def test_sigterm_mid_pass_commits_whole_feeds_only(tmp_path, server, started):
    outlets, guids, unique = serve_corpus(server)
    cfg = tmp_path / "feeds.yaml"
    cfg.write_text(feeds_yaml(outlets))
    db = tmp_path / "store.db"
    proc = Collect(tmp_path, db, cfg, "--workers", "2", "--timeout", "20", name="term")
    started.append(proc)
    wait_until(lambda: (ro_scalar(db, "SELECT COUNT(*) FROM articles") or 0) > 0
               or not proc.alive(), 60, "the first stored articles")
    assert proc.alive(), "the collect finished before the signal: " + proc.stdout
    t0 = time.monotonic()
    os.kill(proc.pid, signal.SIGTERM)
    code = proc.wait(20)
    assert time.monotonic() - t0 < 10
    assert code in (0, 1), f"exit {code}: " + proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr, proc.stderr

    done = check_store(db, outlets, guids)
    n_done = sum(1 for n in done.values() if n)
    assert rows(db, "SELECT COUNT(*) FROM fetches") == [(n_done,)]
    summary = [line for line in proc.stdout.splitlines() if "due feeds fetched" in line]
    assert len(summary) == 1, proc.stdout
    assert summary[0].startswith(f"{n_done} of {len(guids)} due feeds fetched"), (summary, n_done)
    if n_done < len(guids):
        assert "Interrupted" in " ".join(proc.stdout.split())  # rich wraps at 80 columns
    wait_until(lambda: not proc.group(), 10, "the collect's helper processes to exit", step=0.1)

    # The feeds the signal cut off stay due for the next run (test_sigkill... shows a rerun
    # completing the store); those it stored are scheduled a full interval later.
    schedule = rows(db, "SELECT url, next_fetch_at, last_fetch_at FROM feeds")
    for url, next_at, last_at in schedule:
        if done[url]:
            assert next_at is not None and next_at > last_at, url
        else:
            assert next_at is None and last_at is None, url
