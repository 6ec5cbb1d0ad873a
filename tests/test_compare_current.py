"""Is a stored comparison current: the one-event checks, in SQL on either connection kind.

``compare_current.event_todo`` (what ``narratives compare EVENT`` and ``compare_stale.todo``
ask for one event) is checked against ``compare_stale.stale_events``, the set-based form a
pass over every event runs, on random store states written through the ORM, and through
both a Session and the fast path's read-only sqlite3 connection.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import tempfile
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import delete
from sqlalchemy.orm import Session

from narratives.compare_current import KEY, event_is_stale, event_todo, is_current, why_full
from narratives.compare_stale import MIN_OUTLETS, stale_events
from narratives.dbread import open_current
from narratives.models import (
    ArticleFactsRow,
    ArticleRow,
    ArticleTextRow,
    EventArticleRow,
    EventComparisonRow,
    EventLinkRow,
    EventRow,
    Meta,
    OutletRow,
    RunRow,
)
from narratives.store import open_store
from narratives.storefile import SCHEMA_VERSION

T0 = datetime(2026, 11, 1, 6, 0)
HOURS = st.integers(0, 8)  # few distinct times: ties and window edges come up often
CLUSTER_RUNS = (1, 2, 3)
COMPARE_RUN = 4


@pytest.fixture(scope="module")
def store():
    folder = Path(tempfile.mkdtemp(prefix="narratives-current-"))
    engine = open_store(f"sqlite:///{folder / 'store.db'}", T0)
    con = open_current(folder / "store.db")
    assert con is not None
    yield engine, con
    con.close()
    engine.dispose()
    shutil.rmtree(folder, ignore_errors=True)


def at(hours: int | None) -> datetime | None:
    return None if hours is None else T0 + timedelta(hours=hours)


@st.composite
def store_states(draw):
    """Events, their articles and links, page texts, matches and comparisons, at random;
    mostly compared and current, so that one rule at a time makes an event stale."""
    n_events = draw(st.integers(1, 4))
    n_articles = draw(st.integers(0, 7))
    events = [dict(id=e, outlet_count=draw(st.integers(0, 3)), updated_run_id=draw(st.sampled_from(CLUSTER_RUNS)))
              for e in range(1, n_events + 1)]
    articles = [dict(id=a, published=draw(HOURS), updated=draw(HOURS),
                     event=draw(st.none() | st.integers(1, n_events)), member_run=draw(st.sampled_from(CLUSTER_RUNS)),
                     page=draw(st.none() | HOURS), seen=draw(st.sampled_from([None, -1]) | HOURS | st.just(8)))
                for a in range(1, n_articles + 1)]
    links = draw(st.sets(st.tuples(st.integers(1, n_events + 1), st.integers(1, max(n_articles, 1))), max_size=4)) \
        if n_articles else set()
    # Comparisons, also of an event that is gone (n_events + 1): "drop".
    comparisons = [dict(event_id=e, cluster_run=draw(st.sampled_from([3, 3, 3, 2, 1, 0])),
                        compared=draw(st.just(8) | HOURS), start=draw(HOURS), end=draw(HOURS))
                   for e in range(1, n_events + 2) if draw(st.sampled_from([True, True, True, False]))]
    return events, articles, links, comparisons


def write(engine, state) -> None:
    events, articles, links, comparisons = state
    with Session(engine) as s, s.begin():
        for model in (EventComparisonRow, EventLinkRow, ArticleFactsRow, EventArticleRow, ArticleTextRow, ArticleRow,
                      EventRow, OutletRow, RunRow):
            s.execute(delete(model))
        for run in CLUSTER_RUNS:
            s.add(RunRow(id=run, kind="cluster", started_at=T0, status="done", code_version="t", params="{}"))
        # The last full pass saw clustering run 0: the set-based form then looks at every article.
        s.add(RunRow(id=COMPARE_RUN, kind="compare", started_at=T0, status="done", code_version="t",
                     params=json.dumps({"cluster_run": 0, "scope": "all"})))
        s.add(OutletRow(id="o", name="O", created_at=T0, updated_at=T0))
        s.flush()
        for e in events:
            s.add(EventRow(id=e["id"], first_published=T0, last_published=T0, outlet_count=e["outlet_count"],
                           created_run_id=1, updated_run_id=e["updated_run_id"]))
        for a in articles:
            s.add(ArticleRow(id=a["id"], outlet_id="o", item_key=f"k{a['id']}", published_at=at(a["published"]),
                             fetched_at=T0, updated_at=at(a["updated"]), content_hash="h"))
        s.flush()
        for a in articles:
            if a["event"] is not None:
                s.add(EventArticleRow(article_id=a["id"], event_id=a["event"], similarity=0.5, run_id=a["member_run"]))
            if a["page"] is not None:
                s.add(ArticleTextRow(article_id=a["id"], status="extracted", url="u", attempted_at=T0,
                                     fetched_at=at(a["page"])))
            if a["seen"] is not None:  # -1: matched, but no text time was recorded
                s.add(ArticleFactsRow(article_id=a["id"], event_id=a["event"] or 0, digest="d",
                                      text_seen_at=at(a["seen"]) if a["seen"] >= 0 else None, run_id=COMPARE_RUN))
        for event_id, article_id in links:
            s.add(EventLinkRow(event_id=event_id, article_id=article_id, outlet_id="o", similarity=0.3, run_id=1))
        for c in comparisons:
            s.add(EventComparisonRow(event_id=c["event_id"], run_id=COMPARE_RUN, cluster_run=c["cluster_run"],
                                     compared_at=at(c["compared"]), window_start=at(c["start"]),
                                     window_end=at(c["end"])))


@settings(max_examples=300, deadline=None)
@given(store_states())
def test_one_event_check_agrees_with_the_set_based_pass(store, state):
    engine, con = store
    write(engine, state)
    events, _articles, _links, comparisons = state
    compared = {c["event_id"] for c in comparisons}
    with Session(engine) as s:
        for min_outlets in (1, MIN_OUTLETS):
            stale = stale_events(s, min_outlets=min_outlets)
            for e in events:
                assert event_is_stale(con, e["id"], min_outlets) == (e["id"] in stale), (e, min_outlets)
                assert event_is_stale(s, e["id"], min_outlets) == (e["id"] in stale), (e, min_outlets)
        stale = stale_events(s, min_outlets=1)
        for event_id in range(1, len(events) + 3):
            exists = event_id <= len(events)
            want = ("compare" if event_id in stale else None) if exists else ("drop" if event_id in compared else None)
            assert event_todo(con, event_id) == want == event_todo(s, event_id), event_id


def record(engine, value: dict) -> None:
    with Session(engine) as s, s.begin():
        s.merge(Meta(key=KEY, value=json.dumps(value, sort_keys=True)))


def test_is_current_and_why_full_read_the_same_on_both_connections(store):
    engine, con = store
    write(engine, ([dict(id=1, outlet_count=2, updated_run_id=1)], [], set(),
                   [dict(event_id=1, cluster_run=1, compared=5, start=0, end=4)]))
    settings_key = {"min_support": 2, "min_support_attributed": 1, "claims": True}
    params = {"cluster_run": 0, "scope": "all"}
    with Session(engine) as s:
        for db in (con, s):
            assert not is_current(db, "sha", settings_key, 1)  # nothing recorded
    record(engine, {"sha256": "sha", "settings": settings_key, "params": {**params, "facts_digest": "x"}})
    with Session(engine) as s:
        for db in (con, s):
            # the recorded parameters differ from the last run's (it has no facts digest)
            assert why_full(db, {**params, "facts_digest": "x"}, "t", False) == "the fact catalogue changed"
            assert not is_current(db, "sha", settings_key, 1)
            assert why_full(db, {"facts_digest": None, **params}, "t", False) is None
            assert why_full(db, {"facts_digest": None, **params}, "u", False) == \
                "the comparison code changed (t -> u)"
            assert why_full(db, {"facts_digest": None, **params, "min_support": 3}, "t", False) == \
                "parameters changed: min_support=3"
    with Session(engine) as s, s.begin():
        s.add(RunRow(id=5, kind="compare", started_at=T0, status="running", code_version="t",
                     params=json.dumps({"scope": "all"})))
    with Session(engine) as s:
        for db in (con, s):
            assert why_full(db, {"facts_digest": None, **params}, "t", False) == \
                "comparison run 5, which compared every event, did not finish"


def test_open_current_refuses_what_the_ordinary_open_must_handle(tmp_path):
    assert open_current(tmp_path / "missing.db") is None  # mode=ro: nothing is created
    assert not (tmp_path / "missing.db").exists()
    (tmp_path / "text.db").write_text("not a store")
    assert open_current(tmp_path / "text.db") is None
    sqlite3.connect(tmp_path / "empty.db").close()
    assert open_current(tmp_path / "empty.db") is None  # no meta table
    engine = open_store(f"sqlite:///{tmp_path / 'old.db'}", T0)
    engine.dispose()
    con = sqlite3.connect(tmp_path / "old.db")
    con.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", (str(SCHEMA_VERSION - 1),))
    con.commit()
    con.close()
    assert open_current(tmp_path / "old.db") is None  # an older schema: the ordinary open upgrades it
