"""Incremental event clusterer (prototype of the recommended method).  Only numpy/scipy/sklearn.

Per article (once, at ingest): hashed term counts of  body + w_title*title + w_ent*entity tokens
  + w_bigram*capitalised bigrams  (FeatureHasher 2**20, alternate_sign=False), stored as float32 CSR;
  document-frequency counts updated per batch (IDF = ln((1+N)/(1+df)) + 1, never refit).

add(batch): new articles are processed in time order, in chunks of <= `chunk` articles.  Per chunk:
  1. revisable set R = the chunk + stored articles with time >= chunk_min - horizon
     (their earlier assignment is released); frozen set F = other stored articles with time within
     [chunk_min - window, chunk_max + window]; F is grouped by event into frozen super-nodes.
  2. vectors (1+ln tf)*idf with the current DF counts, truncated to the m_raw largest terms, l2,
     for F, R and their neighbours.
  3. kNN smoothing: each article keeps its k most similar articles within +-window with cos > floor;
     lists of older articles are updated when a new article beats their k-th neighbour;
     smoothed x_i = l2(top_m_smooth(raw_i + alpha * sum_j w_ij raw_j / sum_j w_ij)).
  4. average-linkage HAC over [frozen events] + [R articles]; node similarity = mean pairwise cosine of
     smoothed vectors (pairs > window apart count 0); two frozen events never merge; merge best-first
     while mean similarity >= 1 - threshold.
  5. ids: a cluster containing a frozen event keeps that id; otherwise it takes the previous id held by
     most of its members (ties -> smallest id) if still free, else a new id.  Deterministic.
"""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp

import evlib as E


def topm_rows(X, m):
    """Keep the m largest entries of each CSR row (ties: lower column first), then l2-normalise."""
    X = sp.csr_matrix(X)
    if m is None:
        return X
    X.sort_indices()
    lens = np.diff(X.indptr)
    if lens.max(initial=0) <= m:
        return _l2rows(X)
    rows = np.repeat(np.arange(X.shape[0]), lens)
    d = X.data.astype(np.float64)
    mx = np.maximum.reduceat(d, X.indptr[:-1][lens > 0]) if len(d) else d
    rowmax = np.zeros(X.shape[0]); rowmax[lens > 0] = mx
    key = rows + 0.999 * (1.0 - d / np.where(rowmax[rows] > 0, rowmax[rows], 1.0))
    order = np.argsort(key, kind="stable")
    rank = np.arange(len(order)) - X.indptr[rows[order]]
    keep = np.sort(order[rank < m])
    Y = sp.csr_matrix((X.data[keep], (rows[keep], X.indices[keep])), shape=X.shape)
    return _l2rows(Y)


def _l2rows(X):
    X = sp.csr_matrix(X)
    n = np.sqrt(np.asarray(X.multiply(X).sum(axis=1)).ravel())
    n[n == 0] = 1.0
    return sp.csr_matrix(sp.diags(1.0 / n) @ X)


class IncrementalClusterer:
    def __init__(self, threshold=0.55, window=3.0, horizon=None, k=3, alpha=1.0, floor=0.2,
                 chunk=2000, n_features=2 ** 20, w_title=2.0, w_ent=1.0, w_bigram=1.0, smooth=True,
                 dtype=np.float32, m_raw=40, m_smooth=60):
        self.t, self.window, self.k, self.alpha, self.floor = threshold, window, k, alpha, floor
        self.horizon = window if horizon is None else horizon
        self.chunk, self.smooth, self.dtype = chunk, smooth, dtype
        self.m_raw, self.m_smooth = m_raw, m_smooth
        self.f = E.HashedTfidf(n_features=n_features, w_title=w_title, w_ent=w_ent, w_bigram=w_bigram)
        self.blocks = []
        self.times = np.zeros(0)
        self.ids = []
        self.event = np.zeros(0, dtype=np.int64)
        self.nb_idx = np.zeros((0, k), dtype=np.int64)
        self.nb_w = np.zeros((0, k), dtype=np.float32)
        self.n_events = 0
        self.stats = dict(max_nodes=0)

    def _counts(self):
        if len(self.blocks) > 1:
            self.blocks = [sp.vstack(self.blocks, format="csr")]
        return self.blocks[0]

    # ------------------------------------------------------------------ public
    def add(self, docs):
        order = sorted(range(len(docs)), key=lambda i: (docs[i]["day"], docs[i]["id"]))
        docs = [docs[i] for i in order]
        C = self.f.counts(docs).astype(np.float32)
        self.add_counts(C, [d["day"] for d in docs], [d["id"] for d in docs])
        return self

    def add_counts(self, C, days, ids):
        """C: raw hashed counts (rows sorted by (day, id))."""
        self.f.update_df(C)
        base = len(self.ids)
        n = C.shape[0]
        self.blocks.append(sp.csr_matrix(C))
        self.times = np.concatenate([self.times, np.asarray(days, float)])
        self.ids += list(ids)
        self.event = np.concatenate([self.event, -np.ones(n, dtype=np.int64)])
        self.nb_idx = np.vstack([self.nb_idx, -np.ones((n, self.k), dtype=np.int64)])
        self.nb_w = np.vstack([self.nb_w, np.zeros((n, self.k), dtype=np.float32)])
        new = np.arange(base, base + n)
        # IDF is fixed for the whole call: weight every article that this call can touch once
        t = self.times
        lo, hi = t[new].min() - 2 * self.window, t[new].max() + self.window
        rows = np.flatnonzero((t >= lo) & (t <= hi))
        self._idf = self.f.idf().astype(np.float32)
        Call = self._counts()
        self._cache = sp.vstack([self._weight(Call[rows[i:i + 5000]], self._idf)
                                 for i in range(0, len(rows), 5000)], format="csr")
        self._pos = np.full(len(self.ids), -1, dtype=np.int64)
        self._pos[rows] = np.arange(len(rows))
        for s in range(0, n, self.chunk):
            self._chunk(new[s:s + self.chunk])
        self._cache = None
        return self

    def _raw(self, rows):
        p = self._pos[rows]
        if (p >= 0).all():
            return self._cache[p]
        return self._weight(self._counts()[rows], self._idf)

    def labels(self, ids):
        pos = {d: i for i, d in enumerate(self.ids)}
        return np.array([self.event[pos[i]] for i in ids])

    # ------------------------------------------------------------------ core
    def _chunk(self, idx):
        Call, idf = None, None
        t = self.times
        cmin, cmax = t[idx].min(), t[idx].max()
        assigned = self.event >= 0
        rev_old = np.flatnonzero(assigned & (t >= cmin - self.horizon))
        frozen = np.flatnonzero(assigned & (t >= cmin - self.window) & (t <= cmax + self.window)
                                & (t < cmin - self.horizon))
        R = np.concatenate([rev_old, idx])
        win = np.concatenate([frozen, R])                       # all in-window articles
        Xwin = self._raw(win)
        nf = len(frozen)
        if self.smooth:
            self._update_neighbours(idx, win, Xwin)
            Xs = self._smoothed(win, Call, idf, Xwin)
        else:
            Xs = Xwin
        self._joint(frozen, R, Xs[:nf], Xs[nf:])

    def _update_neighbours(self, idx, win, Xwin):
        t = self.times
        pos_c = np.searchsorted(win, idx) if False else None
        # chunk rows are the last len(idx) rows of win
        nc = len(idx)
        Xc = Xwin[len(win) - nc:]
        S = (Xc @ Xwin.T).toarray()
        tc, tw_ = t[idx].astype(np.float32), t[win].astype(np.float32)
        S[np.abs(tc[:, None] - tw_[None, :]) > self.window] = -1.0
        S[np.arange(nc), len(win) - nc + np.arange(nc)] = -1.0
        kk = min(self.k, S.shape[1] - 1)
        if kk <= 0:
            return
        top = np.argpartition(-S, kk - 1, axis=1)[:, :kk] if S.shape[1] > kk else np.argsort(-S, axis=1)[:, :kk]
        tw = np.take_along_axis(S, top, axis=1)
        o = np.lexsort((win[top], -tw), axis=1) if False else np.argsort(-tw, axis=1, kind="stable")
        top = np.take_along_axis(top, o, axis=1)
        tw = np.take_along_axis(tw, o, axis=1)
        ok = tw > self.floor
        self.nb_idx[idx, :kk] = np.where(ok, win[top], -1)
        self.nb_w[idx, :kk] = np.where(ok, tw, 0.0)
        # older articles may adopt chunk articles as neighbours
        nold = len(win) - nc
        if nold:
            So = S[:, :nold].T
            kth = np.where(self.nb_idx[win[:nold], -1] >= 0, self.nb_w[win[:nold], -1], self.floor)
            for j in np.flatnonzero((So > kth[:, None]).any(axis=1)):
                gj = win[j]
                cand_i = np.concatenate([self.nb_idx[gj], idx])
                cand_w = np.concatenate([self.nb_w[gj], So[j]]).astype(np.float64)
                cand_w[cand_i < 0] = -1
                oo = np.argsort(-cand_w, kind="stable")[: self.k]
                keep = cand_w[oo] > self.floor
                self.nb_idx[gj] = np.where(keep, cand_i[oo], -1)
                self.nb_w[gj] = np.where(keep, cand_w[oo], 0.0)

    def _smoothed(self, win, Call, idf, Xwin):
        nb = self.nb_idx[win]
        w = self.nb_w[win]
        need = np.unique(nb[nb >= 0])
        extra = np.setdiff1d(need, win)
        if len(extra):
            allrows = np.concatenate([win, extra])
            Xall = sp.vstack([Xwin, self._raw(extra)], format="csr")
        else:
            allrows, Xall = win, Xwin
        pos = np.full(len(self.ids), -1, dtype=np.int64)
        pos[allrows] = np.arange(len(allrows))
        r, c = np.nonzero(nb >= 0)
        K = sp.csr_matrix((w[r, c], (r, pos[nb[r, c]])), shape=(len(win), len(allrows)))
        s = np.asarray(K.sum(1)).ravel()
        K = sp.diags(np.where(s > 0, 1.0 / np.maximum(s, 1e-12), 0.0)) @ K
        return topm_rows(Xwin + self.alpha * (K @ Xall), self.m_smooth).astype(self.dtype)

    def _weight(self, C, idf):
        return topm_rows(self.f.weight(C, idf), self.m_raw).astype(self.dtype)

    def _joint(self, frozen, R, Xf, Xr, block=2000):
        """Average-linkage HAC over [frozen in-window events] + [revisable articles], exact, computed
        per connected component of the graph {similarity >= 1 - t} (average linkage can only merge
        two clusters if at least one cross pair reaches the threshold).  Similarities are computed in
        row blocks; only edges >= threshold are kept globally, dense blocks only per component."""
        from scipy.cluster.hierarchy import fcluster, linkage
        from scipy.sparse.csgraph import connected_components
        from scipy.spatial.distance import squareform
        t = self.times
        n = len(R)
        thr = 1.0 - self.t
        tR = t[R]
        if len(frozen):
            evs, inv = np.unique(self.event[frozen], return_inverse=True)
            m = len(evs)
            Me = sp.csr_matrix((np.ones(len(frozen), dtype=np.float32), (np.arange(len(frozen)), inv)),
                               shape=(len(frozen), m))
            ne = np.bincount(inv, minlength=m).astype(np.float64)
            tF = t[frozen]
        else:
            evs = np.zeros(0, dtype=np.int64); m = 0; ne = np.zeros(0)
        XrT = sp.csr_matrix(Xr.T)
        er, ec, de_blocks = [], [], []
        for b0 in range(0, n, block):
            rows = slice(b0, min(n, b0 + block))
            P = (Xr[rows] @ XrT).tocoo()
            ok = (P.data >= thr) & (np.abs(tR[b0 + P.row] - tR[P.col]) <= self.window) & (b0 + P.row != P.col)
            er.append(b0 + P.row[ok]); ec.append(P.col[ok])
            if m:
                Q = (Xr[rows] @ Xf.T).tocoo()
                okq = np.abs(tR[b0 + Q.row] - tF[Q.col]) <= self.window
                Q = sp.csr_matrix((Q.data[okq], (Q.row[okq], Q.col[okq])), shape=Q.shape)
                de_blocks.append(sp.csr_matrix(Q @ Me) @ sp.diags(1.0 / ne))
        er = np.concatenate(er) if er else np.zeros(0, int)
        ec = np.concatenate(ec) if ec else np.zeros(0, int)
        S_de = sp.vstack(de_blocks, format="csr") if m else sp.csr_matrix((n, 0))
        # graph over nodes [events 0..m-1, docs m..m+n-1]
        de = S_de.tocoo()
        okd = de.data >= thr
        gr = np.concatenate([er + m, de.row[okd] + m])
        gc = np.concatenate([ec + m, de.col[okd]])
        G = sp.csr_matrix((np.ones(len(gr), dtype=np.int8), (gr, gc)), shape=(m + n, m + n))
        ncomp, comp = connected_components(G, directed=False)
        parent = np.arange(m + n)
        order = np.argsort(comp, kind="stable")
        bounds = np.flatnonzero(np.diff(comp[order])) + 1
        for nodes in np.split(order, bounds):
            if len(nodes) < 2:
                continue
            self.stats["max_nodes"] = max(self.stats["max_nodes"], len(nodes))
            ev_nodes = nodes[nodes < m]
            doc_nodes = nodes[nodes >= m] - m
            Xd = Xr[doc_nodes]
            sdd = (Xd @ Xd.T).toarray().astype(np.float64)
            sdd[np.abs(tR[doc_nodes][:, None] - tR[doc_nodes][None, :]) > self.window] = 0.0
            glob = np.concatenate([ev_nodes, doc_nodes + m])
            if len(ev_nodes) == 0:
                # plain average linkage: scipy (C) implementation, identical result
                D = 1.0 - sdd
                np.clip(D, 0.0, 2.0, out=D)
                np.fill_diagonal(D, 0.0)
                lab = fcluster(linkage(squareform(D, checks=False), "average"), t=self.t, criterion="distance")
                first = {}
                root = np.array([first.setdefault(l, i) for i, l in enumerate(lab)])
            else:
                k_e = len(ev_nodes)
                sub = np.empty((len(nodes), len(nodes)))
                sub[:k_e, :k_e] = -1e9
                sde = S_de[doc_nodes][:, ev_nodes].toarray()
                sub[:k_e, k_e:] = sde.T
                sub[k_e:, :k_e] = sde
                sub[k_e:, k_e:] = sdd
                size = np.concatenate([ne[ev_nodes], np.ones(len(doc_nodes))])
                root = self._hac(sub, size, thr)
            parent[glob] = glob[root]
        self._assign_ids(R, evs, m, parent[m:])

    @staticmethod
    def _hac(M, size, thr):
        """In-place average-linkage HAC on a dense similarity matrix (NEG marks forbidden pairs).
        Returns the representative (lowest index) of each node's final cluster."""
        NEG = -1e9
        N = len(size)
        size = size.astype(np.float64).copy()
        np.fill_diagonal(M, NEG)
        active = np.ones(N, dtype=bool)
        parent = np.arange(N)
        best = M.argmax(axis=1)
        bval = M[np.arange(N), best]
        while True:
            bv = np.where(active, bval, NEG)
            a = int(bv.argmax())
            if bv[a] < thr:
                break
            b = int(best[a])
            if b < a:
                a, b = b, a
            na, nb_ = size[a], size[b]
            new = (na * M[a] + nb_ * M[b]) / (na + nb_)
            new[a] = NEG
            new[b] = NEG
            new[~active] = NEG
            M[a] = new
            M[:, a] = new
            M[b] = NEG
            M[:, b] = NEG
            active[b] = False
            size[a] = na + nb_
            parent[parent == b] = a
            redo = np.union1d(np.flatnonzero(active & ((best == a) | (best == b))), [a])
            best[redo] = M[redo].argmax(axis=1)
            bval[redo] = M[redo, best[redo]]
            up = active & (new > bval)
            best[up] = a
            bval[up] = new[up]
        return parent

    def _assign_ids(self, R, evs, m, root):
        n = len(R)
        out = np.empty(n, dtype=np.int64)
        prev = self.event[R]
        taken = set(int(e) for e in evs)
        clusters = {}
        for i, r in enumerate(root):
            clusters.setdefault(int(r), []).append(i)
        claims = []
        for r, mem in clusters.items():
            if r < m:
                out[mem] = evs[r]
                continue
            p = prev[mem]
            p = p[p >= 0]
            if len(p):
                vals, cnt = np.unique(p, return_counts=True)
                j = np.lexsort((vals, -cnt))[0]
                claims.append((-cnt[j], int(vals[j]), min(mem), r))
            else:
                claims.append((0, -1, min(mem), r))
        for negc, pid, _, r in sorted(claims):
            mem = clusters[r]
            if pid >= 0 and pid not in taken:
                out[mem] = pid
                taken.add(pid)
            else:
                out[mem] = self.n_events
                self.n_events += 1
        self.event[R] = out
