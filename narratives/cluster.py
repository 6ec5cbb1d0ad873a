"""Event clustering: group articles from different outlets that cover the same real-world event.

Usage::

    clusterer = EventClusterer()
    clusterer.partial_fit(ids, outlets, titles, texts, times)   # once per collected batch
    clusterer.event_of(["ng-0001", "lpr-0001"])                 # -> array([0, 0])

The method is the one measured in ``benchmarks/experiments/README.md`` (B-cubed F1 .925 on
ECB+, .950 on the sample corpus). Per batch, in time order and in chunks of ``chunk``
articles:

1. Strip each outlet's boilerplate sentences (sentences seen once are forgotten after
   ``boilerplate_memory_days``); hash the article's tokens into term counts
   and add them to the document frequencies (IDF = ln((1+N)/(1+df)) + 1, never refitted).
2. Weight: (1 + ln tf) x idf, keep the ``top_raw`` largest terms, l2-normalise.
3. Smooth: each article keeps its ``k`` most similar articles within ``window_days`` whose
   cosine exceeds ``floor``; its vector becomes l2(top ``top_smooth`` terms of
   x + alpha x the similarity-weighted mean of its neighbours). Neighbours lend vocabulary
   to short articles about the same event.
4. Link: average linkage on the cosine of smoothed vectors (pairs more than ``window_days``
   apart count 0), merging while the mean similarity is >= 1 - ``threshold``. Articles
   from the last ``horizon_days`` are re-clustered with the chunk; older articles within
   the window join as frozen events, which never merge with each other.
5. Event ids carry over: a cluster holding a frozen event keeps its id, otherwise it takes
   the id most of its members had before, if still free, else a new one.

Articles more than ``window_days`` apart are never similar, but an event can still run
longer than the window through the articles in between. Everything is deterministic: the
same batches give the same ids.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable, Sequence, Set
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from numbers import Real

import numpy as np
import scipy.sparse as sp
from scipy.cluster.hierarchy import linkage
from scipy.sparse.csgraph import connected_components
from scipy.spatial.distance import squareform
from sklearn.base import BaseEstimator
from sklearn.exceptions import NotFittedError
from sklearn.feature_extraction import FeatureHasher

from narratives.cluster_state import idf_of, weight_counts
from narratives.cluster_state import top_terms as _top_terms
from narratives.text import BoilerplateFilter, strip_sentences, tokens

Time = float | datetime
_FORBIDDEN = -1e9  # similarity of two frozen events: low enough that no average recovers from it
_GROUP_ROWS = 512  # articles per similarity product when linking small components


class EventClusterer(BaseEstimator):
    """Incremental event clusterer over article texts (scikit-learn conventions).

    Usage::

        c = EventClusterer(threshold=0.60).partial_fit(ids, outlets, titles, texts, times)
        dict(zip(c.ids_, c.labels_))

    ``times`` are days as floats or datetimes (naive ones are taken as UTC); do not mix the
    two across batches. Learned state: ``ids_``, ``times_`` (days), ``counts_`` (hashed term
    counts, one row per article), ``df_``, ``n_docs_``, ``neighbours_`` and
    ``neighbour_weights_`` (k per article, -1 / 0 when empty), ``labels_`` (event id per
    article, aligned with ``ids_``), ``n_events_`` and ``boilerplate_``.
    """

    def __init__(
        self,
        threshold: float = 0.60,
        window_days: float = 3.0,
        horizon_days: float = 3.0,
        k: int = 3,
        alpha: float = 1.0,
        floor: float = 0.2,
        chunk: int = 2000,
        n_features: int = 2**20,
        top_raw: int = 40,
        top_smooth: int = 60,
        boilerplate_memory_days: float = 30.0,
    ):
        self.threshold = threshold
        self.window_days = window_days
        self.horizon_days = horizon_days
        self.k = k
        self.alpha = alpha
        self.floor = floor
        self.chunk = chunk
        self.n_features = n_features
        self.top_raw = top_raw
        self.top_smooth = top_smooth
        self.boilerplate_memory_days = boilerplate_memory_days

    # ------------------------------------------------------------------ public

    def partial_fit(
        self,
        ids: Sequence[Hashable],
        outlets: Sequence[str | None],
        titles: Sequence[str],
        texts: Sequence[str],
        times: Sequence[Time],
    ) -> EventClusterer:
        """Add a batch of articles and (re)cluster it with the recent past; returns self."""
        lengths = {len(ids), len(outlets), len(titles), len(texts), len(times)}
        if len(lengths) != 1:
            raise ValueError("cluster: ids, outlets, titles, texts and times must have the same length")
        days = self._validate_batch(ids, len(titles), times)  # before any state changes
        if not hasattr(self, "ids_"):
            self._initialise()
        self.boilerplate_.update(zip(outlets, days, texts, strict=True))
        if days:
            self.boilerplate_.prune(max(days) - self.boilerplate_memory_days)
        sets = {o: self.boilerplate_.boilerplate_of(o) for o in set(outlets) if o is not None}
        counts = term_counts(titles, texts, [sets.get(o, frozenset()) for o in outlets], self.n_features)
        return self.partial_fit_counts(ids, counts, days)

    def partial_fit_counts(self, ids: Sequence[Hashable], counts: sp.csr_matrix, times: Sequence[Time]) -> EventClusterer:
        """Like ``partial_fit`` from ``term_counts`` of boilerplate-stripped texts (computed elsewhere).

        The store's clustering run uses this: it updates ``boilerplate_`` itself and builds
        the counts in worker processes.
        """
        if counts.shape[1] != self.n_features:
            raise ValueError(f"cluster: counts have {counts.shape[1]} columns, expected n_features={self.n_features}")
        days = self._validate_batch(ids, counts.shape[0], times)
        if not hasattr(self, "ids_"):
            self._initialise()
        order = sorted(range(len(ids)), key=lambda i: (days[i], ids[i]))
        if not order:
            return self
        counts = sp.csr_matrix(counts, dtype=np.float32)[order]
        new = self._append([ids[i] for i in order], [days[i] for i in order], counts)
        # One IDF per batch: every vector built while clustering this batch uses the same weights.
        self.idf_ = idf_of(self.df_, self.n_docs_)
        for start in range(0, len(new), self.chunk):
            self._cluster_chunk(new[start : start + self.chunk])
        return self

    def restore(
        self,
        *,
        ids: Sequence[Hashable],
        times: Sequence[float],
        counts: sp.csr_matrix,
        labels: Sequence[int],
        neighbours: Sequence[Sequence[Hashable | None]],
        neighbour_weights: np.ndarray,
        df: np.ndarray,
        n_docs: int,
        n_events: int,
        boilerplate: BoilerplateFilter,
    ) -> EventClusterer:
        """Load saved state: all articles near the ones about to be added, plus the global counts.

        ``times`` are days; ``neighbours`` hold article ids (``None`` = empty slot). A
        neighbour that is not among ``ids`` reads as empty: only articles far from the new
        batch may have one, and their neighbours are never read or changed.
        """
        self._initialise()
        self._row_of = {doc_id: i for i, doc_id in enumerate(ids)}
        self.ids_ = list(ids)
        self.times_ = np.asarray(times, dtype=np.float64)
        self.counts_ = sp.csr_matrix(counts, dtype=np.float32)
        self.labels_ = np.asarray(labels, dtype=np.int64).copy()
        self.neighbours_ = np.array(
            [[self._row_of.get(n, -1) if n is not None else -1 for n in row] for row in neighbours],
            dtype=np.int64,
        ).reshape(-1, self.k)
        self.neighbour_weights_ = np.where(self.neighbours_ >= 0, neighbour_weights, 0.0).astype(np.float32)
        self.df_ = np.asarray(df, dtype=np.int64).copy()
        self.n_docs_, self.n_events_, self.boilerplate_ = int(n_docs), int(n_events), boilerplate
        return self

    def neighbour_ids(self, rows: np.ndarray) -> list[list[Hashable | None]]:
        """The neighbours of the given rows as article ids (``None`` = empty), for saving."""
        return [[self.ids_[n] if n >= 0 else None for n in row] for row in self.neighbours_[rows]]

    def event_of(self, ids: Sequence[Hashable]) -> np.ndarray:
        """Event id of each given article id."""
        if not hasattr(self, "ids_"):
            raise NotFittedError("cluster: no articles yet; call partial_fit first")
        try:
            rows = [self._row_of[i] for i in ids]
        except KeyError as e:
            raise KeyError(f"cluster: article {e.args[0]!r} was never passed to partial_fit") from None
        return self.labels_[rows]

    # ------------------------------------------------------------------ state

    def _validate_batch(self, ids, n: int, times) -> list[float]:
        if not 0.0 < self.threshold <= 1.0:
            raise ValueError(f"cluster: threshold must be in (0, 1], got {self.threshold}")
        for name in ("window_days", "horizon_days", "alpha", "floor", "boilerplate_memory_days"):
            if getattr(self, name) < 0:
                raise ValueError(f"cluster: {name} must be >= 0, got {getattr(self, name)}")
        for name in ("k", "chunk", "n_features", "top_raw", "top_smooth"):
            if int(getattr(self, name)) < 1:
                raise ValueError(f"cluster: {name} must be a positive integer, got {getattr(self, name)}")
        if len({len(ids), n, len(times)}) != 1:
            raise ValueError("cluster: ids, counts and times must have the same length")
        if len(set(ids)) != len(ids):
            raise ValueError("cluster: duplicate article ids in one batch")
        seen = [i for i in ids if i in getattr(self, "_row_of", {})]
        if seen:
            raise ValueError(f"cluster: article {seen[0]!r} was already clustered; pass each article once")
        return [_to_days(t) for t in times]

    def _initialise(self) -> None:
        self.ids_: list[Hashable] = []
        self.times_ = np.zeros(0)
        self.counts_ = sp.csr_matrix((0, self.n_features), dtype=np.float32)
        self.df_ = np.zeros(self.n_features, dtype=np.int64)
        self.n_docs_ = 0
        self.labels_ = np.zeros(0, dtype=np.int64)
        self.n_events_ = 0
        self.neighbours_ = np.zeros((0, self.k), dtype=np.int64)
        self.neighbour_weights_ = np.zeros((0, self.k), dtype=np.float32)
        self.boilerplate_ = BoilerplateFilter()
        self._row_of: dict[Hashable, int] = {}

    def _append(self, ids: list[Hashable], days: list[float], counts: sp.csr_matrix) -> np.ndarray:
        """Store a time-ordered batch (unclustered, label -1); returns its row numbers."""
        first, n = len(self.ids_), len(ids)
        self._row_of.update((doc_id, first + i) for i, doc_id in enumerate(ids))
        self.ids_ += ids
        self.times_ = np.concatenate([self.times_, days])
        self.counts_ = sp.vstack([self.counts_, counts], format="csr")
        self.df_ += np.bincount(counts.indices, minlength=self.n_features)
        self.n_docs_ += n
        self.labels_ = np.concatenate([self.labels_, np.full(n, -1, dtype=np.int64)])
        self.neighbours_ = np.vstack([self.neighbours_, np.full((n, self.k), -1, dtype=np.int64)])
        self.neighbour_weights_ = np.vstack([self.neighbour_weights_, np.zeros((n, self.k), np.float32)])
        return np.arange(first, first + n)

    # ------------------------------------------------------------------ one chunk

    def _cluster_chunk(self, chunk: np.ndarray) -> None:
        t = self.times_
        start, end = t[chunk].min(), t[chunk].max()
        clustered = self.labels_ >= 0
        # Bounded on both sides so that back-filling old articles leaves recent events alone.
        near = (t >= start - self.horizon_days) & (t <= end + self.horizon_days)
        revisable = np.concatenate([self._by_time(np.flatnonzero(clustered & near)), chunk])
        frozen = self._by_time(np.flatnonzero(
            clustered
            & (t >= start - self.window_days)
            & (t <= end + self.window_days)
            & ~near
        ))
        window = np.concatenate([frozen, revisable])  # the chunk comes last
        raw = self._weighted(window)
        self._update_neighbours(window, raw, n_chunk=len(chunk))
        smooth = _compact(self._smoothed(window, raw))
        nodes = _Nodes(self, frozen, revisable, smooth[: len(frozen)], smooth[len(frozen) :])
        self._assign_ids(revisable, nodes.events, nodes.link())

    def _by_time(self, rows: np.ndarray) -> np.ndarray:
        """``rows`` in (time, id) order, not arrival order.

        Ties (equal similarities, e.g. one wire story carried by several outlets) are broken
        by position in the window; this way they break the same whatever order the articles
        arrived in, and the store, which reloads them in (time, id) order, agrees.
        """
        order = sorted(range(len(rows)), key=lambda i: (self.times_[rows[i]], self.ids_[rows[i]]))
        return rows[np.array(order, dtype=np.int64)] if len(rows) else rows

    def _weighted(self, rows: np.ndarray) -> sp.csr_matrix:
        return weight_counts(self.counts_[rows], self.idf_, self.top_raw)

    def _update_neighbours(self, window: np.ndarray, raw: sp.csr_matrix, n_chunk: int) -> None:
        """Give chunk articles their k nearest in-window neighbours; older articles may adopt them."""
        chunk = window[-n_chunk:]
        k = min(self.k, len(window) - 1)
        if k <= 0:
            return
        raw = _compact(raw)
        raw_t = raw.T.tocsr()
        n_old = len(window) - n_chunk

        def nearest(lo: int, hi: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
            sim = (raw[n_old + lo : n_old + hi] @ raw_t).toarray()
            gap = np.abs(self.times_[chunk[lo:hi], None] - self.times_[None, window])
            sim[gap > self.window_days] = -1.0
            sim[np.arange(hi - lo), n_old + lo + np.arange(hi - lo)] = -1.0  # not oneself
            top = np.argpartition(-sim, k - 1, axis=1)[:, :k]
            weight = np.take_along_axis(sim, top, axis=1)
            by_weight = np.lexsort((top, -weight), axis=1)  # ties: earlier column first
            return sim, np.take_along_axis(top, by_weight, 1), np.take_along_axis(weight, by_weight, 1)

        # Two halves of the chunk in two threads: the product and numpy's work release the GIL.
        half = (n_chunk + 1) // 2
        with ThreadPoolExecutor(2) as pool:
            parts = list(pool.map(nearest, (0, half), (half, n_chunk)))
        sim, top, weight = (np.concatenate([p[i] for p in parts]) for i in range(3))
        ok = weight > self.floor
        self.neighbours_[chunk, :k] = np.where(ok, window[top], -1)
        self.neighbour_weights_[chunk, :k] = np.where(ok, weight, 0.0)
        self._adopt_chunk(window[:-n_chunk], chunk, sim[:, :-n_chunk].T)

    def _adopt_chunk(self, older: np.ndarray, chunk: np.ndarray, sim: np.ndarray) -> None:
        """Let older articles replace weaker neighbours by chunk articles (``sim``: older x chunk)."""
        full = self.neighbours_[older, -1] >= 0
        kth = np.where(full, self.neighbour_weights_[older, -1], self.floor)
        for j in np.flatnonzero((sim > kth[:, None]).any(axis=1)):
            row = older[j]
            candidates = np.concatenate([self.neighbours_[row], chunk])
            weights = np.concatenate([self.neighbour_weights_[row], sim[j]]).astype(np.float64)
            weights[candidates < 0] = -1.0
            best = np.argsort(-weights, kind="stable")[: self.k]
            keep = weights[best] > self.floor
            self.neighbours_[row] = np.where(keep, candidates[best], -1)
            self.neighbour_weights_[row] = np.where(keep, weights[best], 0.0)

    def _smoothed(self, window: np.ndarray, raw: sp.csr_matrix) -> sp.csr_matrix:
        """x + alpha x weighted mean of neighbours, top ``top_smooth`` terms, l2."""
        nb, w = self.neighbours_[window], self.neighbour_weights_[window]
        outside = np.setdiff1d(np.unique(nb[nb >= 0]), window)  # neighbours older than the window
        rows = np.concatenate([window, outside])
        vectors = sp.vstack([raw, self._weighted(outside)], format="csr") if len(outside) else raw
        column = np.full(len(self.ids_), -1, dtype=np.int64)
        column[rows] = np.arange(len(rows))
        r, c = np.nonzero(nb >= 0)
        mix = sp.csr_matrix((w[r, c], (r, column[nb[r, c]])), shape=(len(window), len(rows)))
        total = np.asarray(mix.sum(axis=1)).ravel()
        mix = sp.diags(np.where(total > 0, 1.0 / np.maximum(total, 1e-12), 0.0)) @ mix
        return _top_terms(raw + self.alpha * (mix @ vectors), self.top_smooth).astype(np.float32)

    def _assign_ids(self, revisable: np.ndarray, events: np.ndarray, roots: np.ndarray) -> None:
        """Event ids for the revisable articles, given each one's cluster root (< len(events): frozen)."""
        previous = self.labels_[revisable]
        clusters: dict[int, list[int]] = {}
        for i, root in enumerate(roots):
            clusters.setdefault(int(root), []).append(i)
        out = np.empty(len(revisable), dtype=np.int64)
        claims = []
        for root, members in clusters.items():
            if root < len(events):
                out[members] = events[root]
                continue
            held = previous[members]
            held = held[held >= 0]
            if len(held):
                ids, votes = np.unique(held, return_counts=True)
                best = np.lexsort((ids, -votes))[0]
                claims.append((-votes[best], int(ids[best]), min(members), root))
            else:
                claims.append((0, -1, min(members), root))
        taken = {int(e) for e in events}
        # Strongest majorities claim their old id first; the rest get fresh ids in a fixed order.
        for _votes, old_id, _first, root in sorted(claims):
            if old_id >= 0 and old_id not in taken:
                out[clusters[root]] = old_id
                taken.add(old_id)
            else:
                out[clusters[root]] = self.n_events_
                self.n_events_ += 1
        self.labels_[revisable] = out


class _Nodes:
    """Average linkage over [frozen events] + [revisable articles] for one chunk.

    Exact but computed per connected component of {similarity >= 1 - threshold}: average
    linkage can only merge two clusters if at least one pair across them reaches it.
    """

    def __init__(self, owner: EventClusterer, frozen, revisable, frozen_x, revisable_x):
        self.threshold = owner.threshold
        self.min_sim = 1.0 - owner.threshold
        self.window_days = owner.window_days
        self.x = revisable_x
        self.days = owner.times_[revisable]
        self.events, member_of = np.unique(owner.labels_[frozen], return_inverse=True)
        self.event_sizes = np.bincount(member_of, minlength=len(self.events)).astype(np.float64)
        frozen_days = owner.times_[frozen]
        self.to_events = _mean_similarity_to_events(
            revisable_x, self.days, frozen_x, frozen_days, member_of, self.event_sizes, self.window_days
        )

    def link(self, block: int = 2000) -> np.ndarray:
        """Root node of each revisable article's cluster; roots < len(events) are frozen events."""
        m, n = len(self.events), self.x.shape[0]
        rows, cols = self._article_edges(block)
        to_events = self.to_events.tocoo()
        strong = to_events.data >= self.min_sim
        graph = sp.csr_matrix(
            (np.ones(len(rows) + strong.sum(), dtype=np.int8),
             (np.concatenate([rows + m, to_events.row[strong] + m]),
              np.concatenate([cols + m, to_events.col[strong]]))),
            shape=(m + n, m + n),
        )  # fmt: skip
        _n, component = connected_components(graph, directed=False)
        root = np.arange(m + n)
        order = np.argsort(component, kind="stable")
        larger = []
        for nodes in np.split(order, np.flatnonzero(np.diff(component[order])) + 1):
            if len(nodes) == 2:  # joined by one edge that reaches the threshold: they merge
                root[nodes] = nodes[0]
            elif len(nodes) > 2:
                larger.append(nodes)
        # Similarities of several small components come from one product (a pair's dot product
        # does not depend on the other rows): thousands of tiny sparse products cost far more.
        for group in _groups(larger, [int((nodes >= m).sum()) for nodes in larger], _GROUP_ROWS):
            articles = np.concatenate([nodes[nodes >= m] - m for nodes in group])
            x = self.x[articles]
            sims = (x @ x.T).toarray()
            start = 0
            for nodes in group:
                end = start + int((nodes >= m).sum())
                local = self._link_component(nodes[nodes < m], nodes[nodes >= m] - m, sims[start:end, start:end])
                root[nodes] = nodes[local]
                start = end
        return root[m:]

    def _article_edges(self, block: int) -> tuple[np.ndarray, np.ndarray]:
        """Article pairs (i < j) within the window whose similarity reaches the threshold.

        Row blocks against the columns from the block on: the upper triangle is enough for
        an undirected graph and halves the products. Blocks run in two threads (scipy's
        sparse product releases the GIL), the one part of a chunk that splits evenly.
        """
        starts = range(0, len(self.days), block)
        if len(starts) > 1:
            with ThreadPoolExecutor(2) as pool:
                parts = list(pool.map(lambda b: self._edges_from(b, block), starts))
        else:
            parts = [self._edges_from(b, block) for b in starts]
        return np.concatenate([r for r, _ in parts]), np.concatenate([c for _, c in parts])

    def _edges_from(self, b: int, block: int) -> tuple[np.ndarray, np.ndarray]:
        sim = self.x[b : b + block] @ self.x[b:].T
        hit = np.flatnonzero(sim.data >= self.min_sim)  # few: filter before anything else
        r = np.searchsorted(sim.indptr, hit, side="right") - 1 + b
        c = sim.indices[hit] + b
        ok = (r < c) & (np.abs(self.days[r] - self.days[c]) <= self.window_days)
        return r[ok], c[ok]

    def _link_component(self, events: np.ndarray, articles: np.ndarray, sim: np.ndarray) -> np.ndarray:
        """Local index (events first, then articles) of each node's cluster root.

        ``sim``: the articles' cosine similarities (float32, from ``x @ x.T``).
        """
        sim = sim.astype(np.float64)
        days = self.days[articles]
        sim[np.abs(days[:, None] - days[None, :]) > self.window_days] = 0.0
        if not len(events):
            return self._scipy_average_linkage(sim)
        e = len(events)
        full = np.empty((e + len(articles),) * 2)
        full[:e, :e] = _FORBIDDEN
        to_events = self.to_events[articles][:, events].toarray()
        full[:e, e:], full[e:, :e], full[e:, e:] = to_events.T, to_events, sim
        sizes = np.concatenate([self.event_sizes[events], np.ones(len(articles))])
        return _average_linkage(full, sizes, self.min_sim)

    def _scipy_average_linkage(self, sim: np.ndarray) -> np.ndarray:
        """Same result as ``_average_linkage`` without frozen events, in C."""
        distance = np.clip(1.0 - sim, 0.0, 2.0)
        np.fill_diagonal(distance, 0.0)
        tree = linkage(squareform(distance, checks=False), "average")
        # fcluster(tree, threshold, "distance") without its per-call validation (a third of the
        # time here): average linkage never inverts, so the cut keeps every merge up to it.
        n = len(sim)
        members: dict[int, list[int]] = {}
        for i, (a, b, height, _size) in enumerate(tree):
            if height > self.threshold:
                break
            members[n + i] = members.pop(int(a), [int(a)]) + members.pop(int(b), [int(b)])
        root = np.arange(n)
        for group in members.values():
            root[group] = min(group)
        return root


def _groups(items: list, sizes: list[int], rows: int) -> Iterable[list]:
    """``items`` in consecutive groups of at most ``rows`` total size (a larger item alone)."""
    group: list = []
    total = 0
    for item, size in zip(items, sizes, strict=True):
        if group and total + size > rows:
            yield group
            group, total = [], 0
        group.append(item)
        total += size
    if group:
        yield group


def _mean_similarity_to_events(x, days, frozen_x, frozen_days, member_of, sizes, window_days):
    """Sparse (articles x events): mean cosine to each frozen event's in-window articles."""
    n_events = len(sizes)
    if not n_events:
        return sp.csr_matrix((x.shape[0], 0))
    membership = sp.csr_matrix(
        (np.ones(len(member_of), dtype=np.float32), (np.arange(len(member_of)), member_of)),
        shape=(len(member_of), n_events),
    )
    sim = (x @ frozen_x.T).tocoo()
    ok = np.abs(days[sim.row] - frozen_days[sim.col]) <= window_days
    sim = sp.csr_matrix((sim.data[ok], (sim.row[ok], sim.col[ok])), shape=sim.shape)
    return sp.csr_matrix(sim @ membership) @ sp.diags(1.0 / sizes)


def _average_linkage(sim: np.ndarray, sizes: np.ndarray, min_sim: float) -> np.ndarray:
    """Best-first average linkage on a dense similarity matrix (modified in place).

    Merges the most similar pair while its similarity is >= ``min_sim``; the merged row is the
    size-weighted mean. Returns each node's cluster root (its lowest member index).
    """
    n = len(sizes)
    sizes = sizes.astype(np.float64)
    np.fill_diagonal(sim, _FORBIDDEN)
    active = np.ones(n, dtype=bool)
    root = np.arange(n)
    best = sim.argmax(axis=1)
    best_sim = sim[np.arange(n), best]
    while True:
        a = int(np.where(active, best_sim, _FORBIDDEN).argmax())
        if not active[a] or best_sim[a] < min_sim:
            return root
        a, b = sorted((a, int(best[a])))
        merged = (sizes[a] * sim[a] + sizes[b] * sim[b]) / (sizes[a] + sizes[b])
        merged[[a, b]] = _FORBIDDEN
        merged[~active] = _FORBIDDEN
        sim[a], sim[:, a] = merged, merged
        sim[b], sim[:, b] = _FORBIDDEN, _FORBIDDEN
        active[b] = False
        sizes[a] += sizes[b]
        root[root == b] = a
        stale = np.union1d(np.flatnonzero(active & ((best == a) | (best == b))), [a])
        best[stale] = sim[stale].argmax(axis=1)
        best_sim[stale] = sim[stale, best[stale]]
        closer = active & (merged > best_sim)
        best[closer], best_sim[closer] = a, merged[closer]


def term_counts(
    titles: Sequence[str], texts: Sequence[str], boilerplate: Sequence[Set[int]], n_features: int = 2**20
) -> sp.csr_matrix:
    """Hashed term counts (articles x ``n_features``) of titles and texts minus boilerplate.

    ``boilerplate[i]`` holds the sentence hashes to strip from ``texts[i]`` (see
    ``BoilerplateFilter.boilerplate_of``). Pure, so worker processes can run it.
    """
    if not titles:
        return sp.csr_matrix((0, n_features), dtype=np.float32)
    hasher = FeatureHasher(n_features=n_features, input_type="string", alternate_sign=False)
    docs = [tokens(title, strip_sentences(text, bp))
            for title, text, bp in zip(titles, texts, boilerplate, strict=True)]
    counts = sp.csr_matrix(hasher.transform(docs), dtype=np.float32)
    counts.sum_duplicates()
    counts.eliminate_zeros()
    return counts


def _compact(x: sp.csr_matrix) -> sp.csr_matrix:
    """``x`` with only the columns some row uses: same dot products, and transposes (x.T
    for x @ x.T) no longer pay for all ``n_features`` hashed columns."""
    x = sp.csr_matrix(x)
    x.sum_duplicates()
    used, column = np.unique(x.indices, return_inverse=True)
    return sp.csr_matrix((x.data, column.ravel(), x.indptr), shape=(x.shape[0], len(used)))


def _to_days(t: Time) -> float:
    """Days as a float: numbers pass through, datetimes count from the Unix epoch (naive = UTC)."""
    if isinstance(t, datetime):
        return (t if t.tzinfo else t.replace(tzinfo=UTC)).timestamp() / 86400.0
    if isinstance(t, Real) and math.isfinite(t):
        return float(t)
    raise TypeError(f"cluster: article time must be a finite number of days or a datetime, got {t!r}")
