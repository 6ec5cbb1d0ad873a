"""Shared helpers for the event-clustering experiments (scratch code, not product).

Data loading (ECB+, sample corpus), boilerplate stripping, hashed TF-IDF features
with incrementally maintained document frequencies, clustering helpers, metrics.
"""
from __future__ import annotations

import json
import math
import re
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction import FeatureHasher
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

ECB = Path("/work/shared/data/ecbplus/documents.jsonl")
SAMPLE = Path(__file__).resolve().parents[2] / "narratives/sample/articles.yaml"


# ----------------------------------------------------------------------------- data
def load_ecb():
    docs = []
    for line in ECB.open():
        d = json.loads(line)
        sents = list(d["sentences"])
        if d["doc_id"].endswith("ecbplus"):
            sents = sents[1:]
        title = sents[0] if sents else ""
        text = "\n".join(sents[1:])
        docs.append(dict(id=d["doc_id"], title=title, text=text, label=d["subtopic"],
                         topic=d["topic"], day=0.0, outlet=None))
    return docs


def load_sample(strip=True):
    import yaml
    data = yaml.safe_load(SAMPLE.open())
    docs = []
    for a in data["articles"]:
        hh, mm = (a.get("time") or "00:00").split(":")
        day = a["day"] + (int(hh) * 60 + int(mm)) / 1440.0
        body = "\n".join(x for x in [a.get("summary") or "", a.get("content") or ""] if x)
        docs.append(dict(id=a["guid"], title=a.get("title") or "", text=body,
                         label=a["event"], topic=None, day=day, outlet=a["outlet"]))
    if strip:
        strip_boilerplate(docs)
    return docs


# ----------------------------------------------------------------------------- boilerplate
_SENT_SPLIT = re.compile(r"(?<=[.!?])\s+(?=[\"'“‘(\[]?[A-Z0-9])|\n+")


def split_sentences(text):
    return [s.strip() for s in _SENT_SPLIT.split(text) if s and s.strip()]


def _norm_sent(s):
    return " ".join(s.lower().split())


class BoilerplateStripper:
    """Per-outlet sentence statistics, updated incrementally per batch.  A sentence is boilerplate
    for an outlet if it occurs in >= min_docs of its articles spread over more than min_span days
    (the span rule keeps an outlet's repeated paragraphs about one running story)."""

    def __init__(self, min_docs=4, min_span=3.0):
        self.min_docs, self.min_span = min_docs, min_span
        self.stats = defaultdict(dict)  # outlet -> sentence key -> [n_docs, first_day, last_day]

    def update(self, docs):
        for d in docs:
            if d.get("outlet") is None:
                continue
            st = self.stats[d["outlet"]]
            day = d.get("day", 0.0)
            for s in set(_norm_sent(x) for x in split_sentences(d["text"])):
                if len(s) > 10:
                    v = st.get(s)
                    if v is None:
                        st[s] = [1, day, day]
                    else:
                        v[0] += 1
                        v[1] = min(v[1], day)
                        v[2] = max(v[2], day)

    def process(self, docs):
        """One pass per batch: update the statistics with the batch, then strip it (sets d['text'])."""
        keyed = []
        for d in docs:
            sents = split_sentences(d["text"])
            keys = [_norm_sent(x) for x in sents]
            keyed.append((sents, keys))
            if d.get("outlet") is None:
                continue
            st = self.stats[d["outlet"]]
            day = d.get("day", 0.0)
            for k in set(keys):
                if len(k) > 10:
                    v = st.get(k)
                    if v is None:
                        st[k] = [1, day, day]
                    else:
                        v[0] += 1
                        v[1] = min(v[1], day)
                        v[2] = max(v[2], day)
        for d, (sents, keys) in zip(docs, keyed):
            if d.get("outlet") is None:
                continue
            st = self.stats[d["outlet"]]
            out = []
            for x, k in zip(sents, keys):
                v = st.get(k)
                if v is None or v[0] < self.min_docs or v[2] - v[1] <= self.min_span:
                    out.append(x)
            d["text"] = "\n".join(out)
        return docs

    def is_boilerplate(self, outlet, sentence):
        v = self.stats[outlet].get(_norm_sent(sentence))
        return v is not None and v[0] >= self.min_docs and v[2] - v[1] > self.min_span

    def strip(self, d):
        if d.get("outlet") is None:
            return d["text"]
        return "\n".join(s for s in split_sentences(d["text"]) if not self.is_boilerplate(d["outlet"], s))


def strip_boilerplate(docs, **kw):
    bp = BoilerplateStripper(**kw)
    bp.update(docs)
    for d in docs:
        d["text"] = bp.strip(d)
    return docs


# ----------------------------------------------------------------------------- tokens
STOP = frozenset(ENGLISH_STOP_WORDS) | {"said", "says", "say", "told", "according", "new", "year",
                                         "years", "just", "like", "did", "does", "reuters", "ap",
                                         "http", "www", "com"}
CAL = frozenset("monday tuesday wednesday thursday friday saturday sunday january february march "
                "april may june july august september october november december mr mrs ms dr "
                "st jan feb mar apr jun jul aug sep sept oct nov dec".split())
_TOK = re.compile(r"\w\w+")
# characters that, when they are the last non-space char before a token, mark a sentence start
_INITIAL = set(".!?:\n\"'`“‘-—–|")


_CAPTOK = re.compile(r"(?<![\w\-'’])([A-Z]\w+)")


def analyse(text, entity_tokens=True, want_bigrams=True):
    """Return (words, entities, cap_bigrams) lists of lowercase tokens.

    words: \\w\\w+ tokens of the lowercased text minus stop words.  entities: capitalised tokens whose
    lowercase form occurs capitalised in a non-sentence-initial position somewhere in the text (the
    previous non-blank character is not one of .!?:"'`-| or a line break); all capitalised occurrences
    are returned; weekdays/months/titles/stop words excluded.  cap_bigrams: adjacent pairs (same line,
    only blanks between) of such tokens joined with '_'."""
    words = [w for w in _TOK.findall(text.lower()) if w not in STOP]
    if not entity_tokens:
        return words, [], []
    ent_vocab = set()
    caps = []
    for m in _CAPTOK.finditer(text):
        s = m.start()
        lw = m.group(1).lower()
        j = s - 1
        while j >= 0 and text[j] in " \t":
            j -= 1
        if j >= 0 and text[j] not in _INITIAL:
            ent_vocab.add(lw)
        caps.append((s, m.end(), lw))
    ent_vocab -= CAL
    ent_vocab -= STOP
    if not ent_vocab:
        return words, [], []
    ents = [c[2] for c in caps if c[2] in ent_vocab]
    bigr = []
    if want_bigrams:
        for (s1, e1, a), (s2, e2, b) in zip(caps, caps[1:]):
            if a in ent_vocab and b in ent_vocab and text[e1:s2].strip(" \t") == "":
                bigr.append(a + "_" + b)
    return words, ents, bigr


# ----------------------------------------------------------------------------- features
class HashedTfidf:
    """Hashed term counts per field + incrementally maintained document frequencies.

    counts(docs) -> sparse raw weighted tf (no idf), computed once per article and storable.
    update_df(C) adds a batch to the DF counts.  weight(C) applies sublinear tf, idf, l2."""

    def __init__(self, n_features=2 ** 20, w_title=1.0, w_ent=0.0, w_bigram=0.0,
                 sublinear=True, max_df=1.0, idf=True, title_ents_from_body=True):
        self.n_features = n_features
        self.w_title, self.w_ent, self.w_bigram = w_title, w_ent, w_bigram
        self.sublinear, self.max_df, self.use_idf = sublinear, max_df, idf
        self.h = FeatureHasher(n_features=n_features, input_type="string", alternate_sign=False)
        self.df = np.zeros(n_features, dtype=np.int64)
        self.n_docs = 0

    def counts(self, docs):
        need_ent = self.w_ent > 0 or self.w_bigram > 0
        bodies, titles, ents, bigs = [], [], [], []
        for d in docs:
            w, e, b = analyse(d["text"], need_ent, self.w_bigram > 0)
            tw, te, tb = analyse(d["title"], need_ent, self.w_bigram > 0)
            bodies.append(w)
            titles.append(tw)
            if need_ent:
                ev = set(e)
                # title-case headlines: only count title tokens that are entities in the body
                ents.append(e + [x for x in te if x in ev])
                bigs.append(b + [x for x in tb if x.split("_")[0] in ev and x.split("_")[1] in ev])
        C = self.h.transform(bodies).astype(np.float64)
        if self.w_title:
            C = C + self.w_title * self.h.transform(titles)
        if self.w_ent:
            C = C + self.w_ent * self.h.transform(ents)
        if self.w_bigram:
            C = C + self.w_bigram * self.h.transform(bigs)
        C = sp.csr_matrix(C)
        C.sum_duplicates()
        C.eliminate_zeros()
        return C

    def update_df(self, C):
        self.df += np.bincount(C.indices, minlength=self.n_features)
        self.n_docs += C.shape[0]

    def idf(self):
        idf = np.log((1.0 + self.n_docs) / (1.0 + self.df)) + 1.0
        if self.max_df < 1.0:
            idf[self.df > self.max_df * self.n_docs] = 0.0
        return idf

    def weight(self, C, idf=None):
        X = C.copy()
        if self.sublinear:
            X.data = 1.0 + np.log(np.maximum(X.data, 1e-9))
            X.data[X.data < 0] = 0.0
        if self.use_idf:
            if idf is None:
                idf = self.idf()
            X = X @ sp.diags(idf)
        X = sp.csr_matrix(X)
        n = np.sqrt(np.asarray(X.multiply(X).sum(axis=1)).ravel())
        n[n == 0] = 1.0
        return sp.csr_matrix(sp.diags(1.0 / n) @ X)


def hashed_features(docs, **kw):
    f = HashedTfidf(**kw)
    C = f.counts(docs)
    f.update_df(C)
    return f.weight(C)


def fitted_tfidf(docs, **kw):
    from sklearn.feature_extraction.text import TfidfVectorizer
    kw.setdefault("sublinear_tf", True)
    kw.setdefault("stop_words", "english")
    v = TfidfVectorizer(**kw)
    return v.fit_transform([d["title"] + "\n" + d["text"] for d in docs])


# ----------------------------------------------------------------------------- clustering
def window_distance(X, days, window=3.0, far=1.0):
    S = (X @ X.T).toarray() if sp.issparse(X) else X @ X.T
    D = 1.0 - S
    np.clip(D, 0.0, 2.0, out=D)
    np.fill_diagonal(D, 0.0)
    days = np.asarray(days, dtype=float)
    if window is not None and np.ptp(days) > window:
        D[np.abs(days[:, None] - days[None, :]) > window] = far
    return D


def hac_tree(D, method="average"):
    from scipy.cluster.hierarchy import linkage
    from scipy.spatial.distance import squareform
    return linkage(squareform(D, checks=False), method=method)


def cut(Z, t):
    from scipy.cluster.hierarchy import fcluster
    return fcluster(Z, t=t, criterion="distance")


def canon(labels):
    """Relabel a partition canonically (by first occurrence)."""
    m = {}
    return np.array([m.setdefault(l, len(m)) for l in labels])


def centroid_refine(X, labels, threshold, days=None, window=3.0, iters=5):
    """k-means-like passes: reassign each doc to the most similar centroid if its
    similarity >= 1-threshold, else keep it (or make it a singleton)."""
    labels = canon(labels)
    for _ in range(iters):
        k = labels.max() + 1
        M = sp.csr_matrix((np.ones(len(labels)), (labels, np.arange(len(labels)))), shape=(k, len(labels)))
        Cen = M @ X
        Cen = sp.csr_matrix(Cen)
        nrm = np.sqrt(np.asarray(Cen.multiply(Cen).sum(axis=1)).ravel())
        nrm[nrm == 0] = 1
        Cen = sp.diags(1 / nrm) @ Cen
        S = (X @ Cen.T).toarray()
        if days is not None and window is not None:
            days = np.asarray(days)
            cmin = np.full(k, np.inf); cmax = np.full(k, -np.inf)
            np.minimum.at(cmin, labels, days); np.maximum.at(cmax, labels, days)
            ok = (days[:, None] >= cmin[None, :] - window) & (days[:, None] <= cmax[None, :] + window)
            S[~ok] = -1
        best = S.argmax(axis=1)
        bs = S[np.arange(len(labels)), best]
        new = np.where(bs >= 1 - threshold, best, labels)
        new = canon(new)
        if np.array_equal(new, labels):
            break
        labels = new
    return labels


# ----------------------------------------------------------------------------- metrics
def scores(gold, pred):
    """B-cubed and pairwise precision/recall/F1 (sparse contingency table)."""
    gold = canon(gold); pred = canon(pred)
    n = len(gold)
    M = sp.coo_matrix((np.ones(n), (pred, gold))).tocsr()
    M.sum_duplicates()
    csize = np.asarray(M.sum(1)).ravel(); gsize = np.asarray(M.sum(0)).ravel()
    Mc = M.tocoo()
    v = Mc.data
    P = (v ** 2 / csize[Mc.row]).sum() / n
    R = (v ** 2 / gsize[Mc.col]).sum() / n
    F = 2 * P * R / (P + R)
    tp = (v * (v - 1) / 2).sum()
    pp = (csize * (csize - 1) / 2).sum()
    gp = (gsize * (gsize - 1) / 2).sum()
    pP = tp / pp if pp else 1.0
    pR = tp / gp if gp else 1.0
    pF = 2 * pP * pR / (pP + pR) if pP + pR else 0.0
    return dict(P=P, R=R, F=F, pP=pP, pR=pR, pF=pF, k=int(M.shape[0]))


def ari(a, b):
    from sklearn.metrics import adjusted_rand_score
    return adjusted_rand_score(a, b)


def fmt(s):
    return f"B3 P {s['P']:.3f} R {s['R']:.3f} F {s['F']:.3f} | pw F {s['pF']:.3f} | k {s['k']}"
