"""Clustering runs against the store: load the state near new articles, cluster, write events.

Usage::

    report = run_clustering(engine, ClusterSettings(), now=utcnow())   # narratives cluster
    report.articles, report.events_created

The method lives in ``cluster.py`` (pure); this module is its I/O edge. Unclustered
articles are taken in time order in slices of ``slice_size``; each slice loads only the
stored per-article state (``cluster_articles``) within reach of its articles, clusters,
and commits in one short transaction, so a collect running alongside is never held up for
long and an interrupted run keeps every finished slice. Global state (document
frequencies, boilerplate counts, parameters, next event id) lives in ``model_state`` as
numpy ``.npz`` blobs (never pickle: a store must be safe to open).

An event's ``label`` is its headline (the title of the article nearest the event's
centroid) and its top terms; ``event_articles.similarity`` is each article's cosine to
that centroid. Both are recomputed whenever an event gains or loses articles.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import re
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction import FeatureHasher
from sqlalchemy import bindparam, delete, func, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from . import __version__
from .cluster import EventClusterer, term_counts
from .cluster_state import (
    load_df,
    npz,
    stack_terms,
    stored_boilerplate,
    unpack_terms,
    weight_counts,
)
from .errors import StoreError
from .models import ArticleRow, ClusterArticleRow, EventArticleRow, EventRow, RunRow, StateRow
from .store import batches
from .text import BoilerplateFilter, article_text, sentence_hashes, stop_words

EPOCH = datetime(1970, 1, 1)
_STATE_KEYS = ("cluster.params", "cluster.df", "cluster.boilerplate")
_PARALLEL_MIN = 2000  # fewer new articles than this are processed in-process
_TASK = 500  # articles per worker task
_TITLE_WORD = re.compile(r"\w\w+")


@dataclass(frozen=True)
class ClusterSettings:
    """Parameters of a clustering run; ``params()`` is what is recorded and compared."""

    threshold: float = 0.60
    window_days: float = 3.0
    rebuild: bool = False
    workers: int | None = None  # text-processing processes; None: one per CPU, 0: in process
    slice_size: int = 20_000

    def params(self) -> dict:
        return EventClusterer(threshold=self.threshold, window_days=self.window_days).get_params()


@dataclass
class ClusterReport:
    run_id: int
    articles: int = 0
    events_created: int = 0
    events_changed: int = 0
    events_removed: int = 0
    slices: int = 0
    events_total: int = 0


@dataclass
class _Global:
    """State shared by all articles: parameters, document frequencies, boilerplate, next id."""

    params: dict
    df: np.ndarray
    n_docs: int
    n_events: int
    boilerplate: BoilerplateFilter = field(default_factory=BoilerplateFilter)


def code_version() -> str:
    """Package version plus a digest of the clustering code, so a run names the exact method."""
    digest = hashlib.sha256()
    for name in ("cluster.py", "cluster_state.py", "text.py", "events.py"):
        digest.update((Path(__file__).parent / name).read_bytes())
    return f"{__version__}+{digest.hexdigest()[:10]}"


def to_days(published: datetime) -> float:
    return (published - EPOCH).total_seconds() / 86400.0


def event_id(label: int) -> int:
    """Store id of a clusterer label (labels count from 0, ids from 1)."""
    return int(label) + 1


# --------------------------------------------------------------------------- the run


def run_clustering(
    engine: Engine,
    settings: ClusterSettings,
    *,
    now: datetime,
    progress: Callable[[int, int], None] | None = None,
) -> ClusterReport:
    """Cluster every article that has no event yet; returns what changed.

    Raises StoreError when the store was clustered with other parameters (unless
    ``settings.rebuild``). The caller holds the cluster lock.
    """
    params = settings.params()
    with Session(engine) as s, s.begin():
        stored = _load_params(s)
        if stored is not None and stored != params and not settings.rebuild:
            changed = sorted(k for k in params if stored.get(k) != params[k])
            raise StoreError(
                "cluster: this store was clustered with other parameters ("
                + ", ".join(f"{k}={stored.get(k)}" for k in changed)
                + "). Fix: use the same options, or re-cluster everything with --rebuild")
        run = RunRow(kind="cluster", started_at=now, code_version=code_version(),
                     params=json.dumps({**params, "slice_size": settings.slice_size}, sort_keys=True))
        s.add(run)
        s.flush()
        report = ClusterReport(run_id=run.id)
        if settings.rebuild:
            _forget_clustering(s)
    try:
        with Session(engine) as s:
            pending = s.execute(
                select(ArticleRow.id, ArticleRow.published_at)
                .outerjoin(ClusterArticleRow, ClusterArticleRow.article_id == ArticleRow.id)
                .where(ClusterArticleRow.article_id.is_(None))
                .order_by(ArticleRow.published_at, ArticleRow.id)
            ).all()
            slices = [[row[0] for row in pending[i : i + settings.slice_size]]
                      for i in range(0, len(pending), settings.slice_size)]
            state = _load_global(s, params)
        with _pool(settings.workers, len(pending)) as pool:
            # While slice k is clustered here, the workers count the terms of slice k+1 and
            # split the sentences of slice k+2; boilerplate counts are updated in slice order.
            started = [_start(engine, ids, pool) for ids in slices[:2]]
            prepared = _prepare(started.pop(0), state, pool) if slices else None
            for k in range(len(slices)):
                counts = sp.vstack([f.result() for f in prepared.counts], format="csr")
                current, prepared = prepared, (_prepare(started.pop(0), state, pool) if started else None)
                if k + 2 < len(slices):
                    started.append(_start(engine, slices[k + 2], pool))
                _cluster_slice(engine, current, counts, state, report)
                report.slices += 1
                if progress:
                    progress(sum(len(x) for x in slices[: k + 1]), len(pending))
    except BaseException as exc:
        with Session(engine) as s, s.begin():
            s.execute(update(RunRow).where(RunRow.id == report.run_id).values(
                status="failed", finished_at=datetime.now(UTC).replace(tzinfo=None), note=f"{type(exc).__name__}: {exc}"[:500]))
        raise
    with Session(engine) as s, s.begin():
        report.events_total = s.scalar(select(func.count()).select_from(EventRow)) or 0
        s.execute(update(RunRow).where(RunRow.id == report.run_id).values(
            status="done", finished_at=datetime.now(UTC).replace(tzinfo=None), articles_in=report.articles,
            events_created=report.events_created, events_changed=report.events_changed))
    return report


def _forget_clustering(s: Session) -> None:
    s.execute(delete(EventArticleRow))
    s.execute(delete(EventRow))
    s.execute(delete(ClusterArticleRow))
    s.execute(delete(StateRow).where(StateRow.name.in_(_STATE_KEYS)))


class _InProcess(Executor):
    """Runs tasks at once, in this process (small runs: starting workers costs more)."""

    def submit(self, fn, /, *args, **kwargs):  # type: ignore[override]
        future: Future = Future()
        future.set_result(fn(*args, **kwargs))
        return future


def _pool(workers: int | None, n: int) -> Executor:
    workers = (os.cpu_count() or 1) if workers is None else workers
    if workers <= 1 or n < _PARALLEL_MIN:
        return _InProcess()
    return ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"))


def _hash_task(texts: Sequence[str]) -> list[list[int]]:
    return [sentence_hashes(t) for t in texts]


@dataclass
class _Prepared:
    """A slice whose boilerplate is counted and whose term counts are being computed."""

    ids: list[int]
    days: list[float]
    counts: list[Future]
    boilerplate: dict[str, np.ndarray]  # the boilerplate state to save with this slice


@dataclass
class _Started:
    """A slice whose texts are loaded and whose sentences are being hashed in the workers."""

    ids: list[int]
    days: list[float]
    outlets: list[str]
    titles: list[str]
    texts: list[str]
    hashes: list[Future]


def _start(engine: Engine, ids: list[int], pool: Executor) -> _Started:
    with Session(engine) as s:
        articles = {r.id: r for r in _articles(s, ids)}
    rows = [articles[i] for i in ids]
    texts = [article_text(r.summary, r.content) for r in rows]
    return _Started(ids, [to_days(r.published_at) for r in rows], [r.outlet_id for r in rows],
                    [r.title or "" for r in rows], texts,
                    [pool.submit(_hash_task, part) for part in batches(texts, _TASK)])


def _prepare(started: _Started, state: _Global, pool: Executor) -> _Prepared:
    """Count the slice's sentences into the boilerplate state and start its term counts."""
    ids, days, outlets, titles, texts = started.ids, started.days, started.outlets, started.titles, started.texts
    hashes = [h for f in started.hashes for h in f.result()]
    state.boilerplate.update_hashes(zip(outlets, days, hashes, strict=True))
    state.boilerplate.prune(max(days) - state.params["boilerplate_memory_days"])  # as partial_fit does
    sets = {o: state.boilerplate.boilerplate_of(o) for o in set(outlets)}
    n_features = state.params["n_features"]
    counts = [pool.submit(term_counts, titles[i : i + _TASK], texts[i : i + _TASK],
                          [sets[o] for o in outlets[i : i + _TASK]], n_features)
              for i in range(0, len(ids), _TASK)]
    return _Prepared(ids, days, counts, state.boilerplate.to_arrays())


def _cluster_slice(engine: Engine, slice_: _Prepared, counts: sp.csr_matrix, state: _Global,
                   report: ClusterReport) -> None:
    ids, days, params = slice_.ids, slice_.days, state.params
    n_features = params["n_features"]
    clusterer = EventClusterer(**params)
    margin = max(clusterer.window_days, clusterer.horizon_days) + clusterer.window_days + 1e-6
    with Session(engine) as s:
        near = _load_near(s, days, margin, params["k"], n_features)
    clusterer.restore(ids=near.ids, times=near.days, counts=near.counts, labels=near.labels,
                      neighbours=near.neighbours, neighbour_weights=near.weights, df=state.df,
                      n_docs=state.n_docs, n_events=state.n_events, boilerplate=state.boilerplate)
    old_neighbours = clusterer.neighbours_.copy()
    clusterer.partial_fit_counts(ids, counts, days)
    state.df, state.n_docs, state.n_events = clusterer.df_, clusterer.n_docs_, clusterer.n_events_

    n_old = len(near.ids)
    old_rows = np.arange(n_old)
    relabelled = old_rows[clusterer.labels_[:n_old] != near.labels]
    moved_neighbours = old_rows[(clusterer.neighbours_[:n_old] != old_neighbours).any(axis=1)]
    new_rows = np.arange(n_old, len(clusterer.ids_))
    with Session(engine) as s, s.begin():
        touched = {event_id(x) for x in clusterer.labels_[new_rows]}
        touched |= {event_id(x) for x in near.labels[relabelled]}
        touched |= {event_id(x) for x in clusterer.labels_[relabelled]}
        existing = {i for part in batches(sorted(touched), 500)
                    for i in s.scalars(select(EventRow.id).where(EventRow.id.in_(part)))}
        terms = _pack_rows(clusterer.counts_, new_rows)
        s.execute(ClusterArticleRow.__table__.insert(), [
            {"article_id": clusterer.ids_[r], "day": float(clusterer.times_[r]), "terms": blob,
             "neighbours": _pack_neighbours(clusterer, r)} for r, blob in zip(new_rows, terms, strict=True)])
        _bulk_update(s, ClusterArticleRow, "article_id", "b_article", [
            {"b_article": clusterer.ids_[r], "neighbours": _pack_neighbours(clusterer, r)} for r in moved_neighbours])
        _ensure_events(s, touched - existing, report.run_id)
        s.execute(EventArticleRow.__table__.insert(), [
            {"article_id": clusterer.ids_[r], "event_id": event_id(clusterer.labels_[r]),
             "similarity": 0.0, "run_id": report.run_id} for r in new_rows])
        _bulk_update(s, EventArticleRow, "article_id", "b_article", [
            {"b_article": clusterer.ids_[r], "event_id": event_id(clusterer.labels_[r]), "run_id": report.run_id}
            for r in relabelled])
        removed = _refresh_events(s, sorted(touched), clusterer.idf_, params, report.run_id)
        _save_global(s, state, slice_.boilerplate, report.run_id)
    report.articles += len(ids)
    report.events_created += len(touched - existing)
    report.events_changed += len(touched & existing) - len(removed & existing)
    report.events_removed += len(removed & existing)


def _articles(s: Session, ids: Sequence[int]) -> Iterable:
    for part in batches(ids, 10_000):  # SQLite allows 32,766 bound parameters
        yield from s.execute(
            select(ArticleRow.id, ArticleRow.outlet_id, ArticleRow.title, ArticleRow.summary,
                   ArticleRow.content, ArticleRow.published_at).where(ArticleRow.id.in_(part)))


# --------------------------------------------------------------------------- per-article state


def _pack_rows(counts: sp.csr_matrix, rows: np.ndarray) -> list[bytes]:
    """Each row's term counts as one blob: int32 feature indices, then uint16 counts."""
    indices = counts.indices.astype("<i4")
    data = np.minimum(counts.data, 65535).astype("<u2")
    ptr = counts.indptr
    return [indices[ptr[r] : ptr[r + 1]].tobytes() + data[ptr[r] : ptr[r + 1]].tobytes() for r in rows]


def _pack_neighbours(clusterer: EventClusterer, row: int) -> bytes:
    ids = np.array([-1 if n is None else n for n in clusterer.neighbour_ids(np.array([row]))[0]], "<i8")
    return ids.tobytes() + clusterer.neighbour_weights_[row].astype("<f4").tobytes()


@dataclass
class _Near:
    ids: list[int]
    days: np.ndarray
    counts: sp.csr_matrix
    labels: np.ndarray
    neighbours: list[list[int | None]]
    weights: np.ndarray


def _merged_intervals(days: Sequence[float], margin: float) -> list[tuple[float, float]]:
    intervals: list[list[float]] = []
    for day in sorted(days):
        if intervals and day - margin <= intervals[-1][1]:
            intervals[-1][1] = day + margin
        else:
            intervals.append([day - margin, day + margin])
    return [(a, b) for a, b in intervals]


def _load_near(s: Session, days: Sequence[float], margin: float, k: int, n_features: int) -> _Near:
    """Stored articles within ``margin`` days of any new one, in (day, id) order."""
    rows = []
    for lo, hi in _merged_intervals(days, margin):
        rows += s.execute(
            select(ClusterArticleRow.article_id, ClusterArticleRow.day, ClusterArticleRow.terms,
                   ClusterArticleRow.neighbours, EventArticleRow.event_id)
            .join(EventArticleRow, EventArticleRow.article_id == ClusterArticleRow.article_id)
            .where(ClusterArticleRow.day.between(lo, hi))
        ).all()
    rows.sort(key=lambda r: (r.day, r.article_id))
    indices, data, indptr = [], [], [0]
    neighbours, weights = [], np.zeros((len(rows), k), dtype=np.float32)
    for i, r in enumerate(rows):
        idx, cnt = unpack_terms(r.terms)
        indices.append(idx)
        data.append(cnt)
        indptr.append(indptr[-1] + len(idx))
        ids = np.frombuffer(r.neighbours, "<i8", k)
        weights[i] = np.frombuffer(r.neighbours, "<f4", k, offset=8 * k)
        neighbours.append([int(n) if n >= 0 else None for n in ids])
    counts = sp.csr_matrix(
        (np.concatenate(data).astype(np.float32) if data else np.zeros(0, np.float32),
         np.concatenate(indices) if indices else np.zeros(0, np.int32), np.array(indptr)),
        shape=(len(rows), n_features))
    return _Near(ids=[r.article_id for r in rows], days=np.array([r.day for r in rows], dtype=np.float64),
                 counts=counts, labels=np.array([r.event_id - 1 for r in rows], dtype=np.int64),
                 neighbours=neighbours, weights=weights)


# --------------------------------------------------------------------------- global state


def _load_params(s: Session) -> dict | None:
    row = s.get(StateRow, "cluster.params")
    return None if row is None else json.loads(row.data)["params"]


def _load_global(s: Session, params: dict) -> _Global:
    saved = s.get(StateRow, "cluster.params")
    if saved is None:
        return _Global(params=params, df=np.zeros(params["n_features"], np.int64), n_docs=0, n_events=0)
    meta = json.loads(saved.data)
    return _Global(params=meta["params"], df=load_df(s, params["n_features"]), n_docs=meta["n_docs"],
                   n_events=meta["n_events"], boilerplate=stored_boilerplate(s))


def _save_global(s: Session, state: _Global, boilerplate: dict[str, np.ndarray], run_id: int) -> None:
    index = np.flatnonzero(state.df)
    meta = {"params": state.params, "n_docs": int(state.n_docs), "n_events": int(state.n_events)}
    for name, data in (
        ("cluster.params", json.dumps(meta, sort_keys=True).encode()),
        ("cluster.df", npz(index=index.astype(np.int32), count=state.df[index])),
        ("cluster.boilerplate", npz(**boilerplate)),
    ):
        s.merge(StateRow(name=name, data=data, updated_run_id=run_id))


# --------------------------------------------------------------------------- events


def _ensure_events(s: Session, ids: set[int], run_id: int) -> None:
    """Insert placeholder rows for new events (filled in by ``_refresh_events``)."""
    if not ids:
        return
    s.execute(EventRow.__table__.insert(), [
        {"id": i, "label": "", "headline": "", "top_terms": "", "first_published": EPOCH,
         "last_published": EPOCH, "article_count": 0, "outlet_count": 0,
         "created_run_id": run_id, "updated_run_id": run_id} for i in sorted(ids)])


def _refresh_events(s: Session, ids: Sequence[int], idf: np.ndarray, params: dict, run_id: int) -> set[int]:
    """Recompute label, headline, dates, counts and similarities of the given events.

    Returns the ids of events left without articles (deleted).
    """
    removed: set[int] = set()
    for part in batches(ids, 500):
        members = s.execute(
            select(EventArticleRow.event_id, ArticleRow.id, ArticleRow.outlet_id, ArticleRow.title,
                   ArticleRow.published_at, ClusterArticleRow.terms)
            .join(ArticleRow, ArticleRow.id == EventArticleRow.article_id)
            .join(ClusterArticleRow, ClusterArticleRow.article_id == EventArticleRow.article_id)
            .where(EventArticleRow.event_id.in_(part))
            .order_by(EventArticleRow.event_id, ArticleRow.published_at, ArticleRow.id)
        ).all()
        by_event: dict[int, list] = {}
        for m in members:
            by_event.setdefault(m.event_id, []).append(m)
        empty = set(part) - set(by_event)
        if empty:
            s.execute(delete(EventRow).where(EventRow.id.in_(empty)))
            removed |= empty
        if not members:
            continue
        vectors = weight_counts(stack_terms([m.terms for m in members], params["n_features"]), idf, params["top_raw"])
        groups = list(by_event.values())
        sizes = np.array([len(g) for g in groups])
        owner = np.repeat(np.arange(len(groups)), sizes)  # members are ordered by event
        membership = sp.csr_matrix((1.0 / sizes[owner], (owner, np.arange(len(owner)))),
                                   shape=(len(groups), len(owner)))
        centroids = sp.csr_matrix(membership @ vectors)
        norms = np.sqrt(np.asarray(centroids.multiply(centroids).sum(axis=1)).ravel())
        dots = np.asarray(vectors.multiply(centroids[owner]).sum(axis=1)).ravel()
        sims = np.where(norms[owner] > 0, dots / np.maximum(norms[owner], 1e-12), 0.0)
        words = _title_words(members, params["n_features"])
        event_rows, similarities = [], []
        start = 0
        for g, (eid, group) in enumerate(by_event.items()):
            own = np.round(sims[start : start + len(group)], 6)
            start += len(group)
            central = int(np.argmax(own))  # ties: the earliest article
            terms = _top_terms_of(group, centroids[g], words)
            headline = group[central].title or "(untitled)"
            event_rows.append({
                "b_id": eid, "label": f"{headline} — {', '.join(terms)}" if terms else headline,
                "headline": headline, "top_terms": ", ".join(terms),
                "first_published": group[0].published_at,
                "last_published": max(m.published_at for m in group),
                "article_count": len(group), "outlet_count": len({m.outlet_id for m in group}),
                "updated_run_id": run_id})
            similarities += [{"b_article": m.id, "similarity": float(v)} for m, v in zip(group, own, strict=True)]
        _bulk_update(s, EventRow, "id", "b_id", event_rows)
        _bulk_update(s, EventArticleRow, "article_id", "b_article", similarities)
    return removed


def _bulk_update(s: Session, model: type, key: str, bind: str, rows: list[dict]) -> None:
    if not rows:
        return
    table = model.__table__
    values = {c: bindparam(c) for c in rows[0] if c != bind}
    s.connection().execute(table.update().where(table.c[key] == bindparam(bind)).values(values), rows)


def _title_words(members: Sequence, n_features: int) -> dict[str, int]:
    """Hashed column of every word in the members' titles (hashes cannot be read back)."""
    stop = stop_words()
    words = sorted({w for m in members for w in _TITLE_WORD.findall((m.title or "").lower())
                    if w not in stop and not w.isdigit()})
    if not words:
        return {}
    hasher = FeatureHasher(n_features=n_features, input_type="string", alternate_sign=False)
    return dict(zip(words, hasher.transform([[w] for w in words]).indices.tolist(), strict=True))


def _top_terms_of(group: Sequence, centroid: sp.csr_matrix, columns: dict[str, int], n: int = 5) -> list[str]:
    """The event's heaviest terms that occur in its headlines."""
    words = sorted({w for m in group for w in _TITLE_WORD.findall((m.title or "").lower()) if w in columns})
    weight = dict(zip(centroid.indices.tolist(), centroid.data.tolist(), strict=True))
    scored = sorted((-weight.get(columns[w], 0.0), w) for w in words)
    return [w for score, w in scored[:n] if score < 0]
