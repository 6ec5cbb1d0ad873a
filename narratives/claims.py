"""Discovered claims: sentences that several outlets carry about one event, found without a catalogue.

Usage::

    aligner = ClaimAligner().fit([(article_id, outlet, sentences), ...])   # one event
    aligner.claims_                      # [Claim(id=0, outlets=("a", "b", "c"), label=..., ...), ...]
    omission_candidates(aligner.claims_, ["a", "b", "c", "d"])["d"]   # claims d lacks

The caller splits each article into sentences and strips its outlet's boilerplate
(``narratives.text.split_sentences``, ``BoilerplateFilter``). Within the event:

1. Sentences with fewer than ``min_words`` content words, bylines, datelines and URLs are
   left out; a leading wire dateline ("DAMASCUS (AP) -") is not compared. Repeats of one
   sentence within one outlet (the same wire copy twice, a lede restated) count once.
2. Each sentence is a TF-IDF vector fitted on the event's sentences (IDF within the
   event: words every outlet uses, like the place's name, tell claims apart least):
   content-word unigrams and bigrams, and character 4-grams of the content words, which
   catch inflections and spelling variants ("shelled"/"shelling"). Their cosines are
   mixed, ``char_weight`` x char + (1 - ``char_weight``) x word; the default, 1.0, uses
   the character 4-grams alone (they measured best, and cost one vectoriser).
3. Sentences are grouped by average linkage, merging while the mean similarity of two
   groups is >= ``threshold``. A claim is a group carried by >= ``min_outlets`` distinct
   outlets; an outlet's several sentences in one claim count once.

The defaults are the ones measured on ECB+ in ``benchmarks/README.md``
("``bench_claims_ecb.py``"). Everything is deterministic and independent of the order of
the documents: the same sentences give the same claims with the same ids.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from scipy.cluster.hierarchy import fcluster, linkage
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from sklearn.base import BaseEstimator
from sklearn.feature_extraction.text import TfidfVectorizer

from narratives.text import sentence_key, stop_words

STOP_WORDS = stop_words()  # claims import scikit-learn anyway
LINKAGES = ("average", "complete", "single", "mutual")


@dataclass(frozen=True, order=True)
class ClaimSentence:
    """One outlet's sentence, as given to the aligner (``sentence_index`` indexes its article's list)."""

    article_id: int
    outlet: str
    sentence_index: int
    sentence: str


@dataclass(frozen=True)
class Claim:
    """Aligned sentences from >= ``min_outlets`` outlets that state the same thing.

    ``sentences`` are sorted by (outlet, article, index); ``outlets`` are the distinct
    outlets, sorted; ``label`` is the most central sentence (highest mean similarity to
    the others).
    """

    id: int
    sentences: tuple[ClaimSentence, ...]
    outlets: tuple[str, ...]
    label: str

    def sentences_of(self, outlet: str) -> tuple[ClaimSentence, ...]:
        """The claim's sentences from one outlet (evidence to quote)."""
        return tuple(s for s in self.sentences if s.outlet == outlet)


# --------------------------------------------------------------------------- sentence filter

# Scripts written without spaces between words: each pair of adjacent characters is a token.
_UNSPACED = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u0e00-\u0e7f"  # kana, CJK, Thai
_TOKEN = re.compile(rf"[{_UNSPACED}]+|[^\W_]+(?:['\u2019][^\W\d_]+)?")
_UNSPACED_RUN = re.compile(rf"[{_UNSPACED}]+")
# "DAMASCUS, Syria (AP) - ", "МОСКВА, 5 мая - ": a first word in capitals, a dash within 60 characters.
_DATELINE = re.compile(r"^(\S[^\n]{0,60}?)\s+[-\u2013\u2014]+\s+(?=\S)")
_BYLINE = re.compile(
    r"(?i)^(?:by|reporting by|writing by|editing by|additional reporting by|written by)\s+(.*)$"
)
_BYLINE_WORDS = frozenset(
    "and in at of for the with staff reporter reporters correspondent correspondents writer writers "
    "editor editors bureau chief senior".split()
)
_STAMP = re.compile(
    r"^(?:(?:first |last )?(?:published|updated|posted)\b|copyright\b|\u00a9|(?:photo|image|video|related|"
    r"read more|see also)\s*[:|(]|read more\b|share this\b|follow us\b|click here\b|subscribe\b)",
    re.I,
)
_URL = re.compile(r"^\s*(?:https?\s*:|www\s*\.)", re.I)
_CALENDAR = frozenset(
    "monday tuesday wednesday thursday friday saturday sunday january february march april may june "
    "july august september october november december jan feb mar apr jun jul aug sep sept oct nov dec "
    "am pm gmt utc edt est bst cet msk".split()
)


def content_words(sentence: str) -> list[str]:
    """Lower-case content tokens: words minus stop words; character pairs in unspaced scripts."""
    words = []
    for token in _TOKEN.findall(sentence.lower()):
        if _UNSPACED_RUN.fullmatch(token):
            words += [token[i : i + 2] for i in range(max(1, len(token) - 1))]
        elif token not in STOP_WORDS and (len(token) > 1 or token.isdigit()):
            words.append(token)
    return words


def comparable_text(sentence: str) -> str:
    """The part of a sentence that is compared: without a leading wire dateline."""
    text = sentence.strip()
    match = _DATELINE.match(text)
    if match:
        first = match.group(1).split()[0].strip(",.:;")
        if len(first) > 2 and first.isupper():
            return text[match.end() :]
    return text


def _is_byline(text: str) -> bool:
    """'By Jane Doe and John Roe, Staff Reporters' -- but not 'By Tuesday rescuers had ...'."""
    match = _BYLINE.match(text)
    if not match:
        return False
    words = re.findall(r"[^\W\d_][\w.'\u2019-]*", match.group(1))
    return len(words) <= 12 and all(w[0].isupper() or w.lower() in _BYLINE_WORDS for w in words)


def is_comparable(sentence: str, min_words: int = 5) -> bool:
    """Whether a sentence can carry a claim: enough content words, not a byline, stamp or URL."""
    text = comparable_text(sentence)
    if _URL.match(text) or _STAMP.match(text) or _is_byline(text):
        return False
    words = content_words(text)
    facts = [w for w in words if not (w.isdigit() or w in _CALENDAR)]
    return len(words) >= min_words and len(facts) * 2 > len(words)


# --------------------------------------------------------------------------- aligner

Doc = tuple[int, str, Sequence[str]]


class ClaimAligner(BaseEstimator):
    """Align one event's sentences across outlets into claims (scikit-learn conventions).

    Usage::

        aligner = ClaimAligner(threshold=0.4).fit(docs)   # docs: (article_id, outlet, sentences)
        for claim in aligner.claims_: print(claim.outlets, claim.label)

    Learned attributes: ``claims_`` (list of ``Claim``, ids 0..n-1: more outlets first,
    then the earliest sentence), ``n_sentences_`` (sentences given), ``n_compared_``
    (distinct comparable sentences after the filter) and ``outlets_`` (sorted outlets
    given, including those left with no comparable sentence).
    ``linkage``: "average" (default), "complete" or "single" over all sentences, or
    "mutual" (connected components of cross-outlet links where each sentence is the
    other's best match in its outlet).
    """

    def __init__(
        self,
        threshold: float = 0.40,
        min_outlets: int = 2,
        min_words: int = 5,
        char_weight: float = 1.0,
        linkage: str = "average",
    ):
        self.threshold = threshold
        self.min_outlets = min_outlets
        self.min_words = min_words
        self.char_weight = char_weight
        self.linkage = linkage

    def _validate(self) -> None:
        if not 0.0 < self.threshold <= 1.0:
            raise ValueError(f"claims: threshold={self.threshold!r} must be in (0, 1]. Fix: e.g. 0.4")
        if self.min_outlets < 1:
            raise ValueError(f"claims: min_outlets={self.min_outlets!r} must be >= 1. Fix: e.g. 2")
        if self.min_words < 1:
            raise ValueError(f"claims: min_words={self.min_words!r} must be >= 1. Fix: e.g. 5")
        if not 0.0 <= self.char_weight <= 1.0:
            raise ValueError(f"claims: char_weight={self.char_weight!r} must be in [0, 1]. Fix: e.g. 1.0")
        if self.linkage not in LINKAGES:
            raise ValueError(
                f"claims: linkage={self.linkage!r} is unknown. Fix: one of {', '.join(LINKAGES)}"
            )

    def fit(self, docs: Iterable[Doc]) -> ClaimAligner:
        """Find the claims of one event's documents: (article_id, outlet, sentences) triples."""
        self._validate()
        docs = sorted(((int(a), str(o), list(s)) for a, o, s in docs), key=lambda d: (d[1], d[0]))
        seen_ids = [a for a, _o, _s in docs]
        if len(set(seen_ids)) != len(seen_ids):
            raise ValueError("claims: an article id is given twice. Fix: pass each article once")
        self.outlets_ = sorted({o for _a, o, _s in docs})
        self.n_sentences_ = sum(len(s) for _a, _o, s in docs)
        # One node per distinct (outlet, sentence): repeats within an outlet add no weight.
        nodes: dict[tuple[str, str], list[ClaimSentence]] = {}
        for article_id, outlet, sentences in docs:
            for index, sentence in enumerate(sentences):
                if isinstance(sentence, str) and is_comparable(sentence, self.min_words):
                    key = (outlet, sentence_key(comparable_text(sentence)))
                    nodes.setdefault(key, []).append(ClaimSentence(article_id, outlet, index, sentence))
        members = list(nodes.values())  # in order of first occurrence in the sorted docs
        self.n_compared_ = len(members)
        node_outlets = np.array([m[0].outlet for m in members], dtype=object)
        if not members or len(set(node_outlets.tolist())) < self.min_outlets:
            self.claims_: list[Claim] = []
            return self
        if len(members) == 1:  # only possible with min_outlets=1
            sim, groups = np.ones((1, 1)), np.zeros(1, dtype=np.int64)
        else:
            sim = self._similarity([comparable_text(m[0].sentence) for m in members])
            groups = self._group(sim, node_outlets)
        self.claims_ = self._claims(groups, members, sim)
        return self

    def _similarity(self, texts: list[str]) -> np.ndarray:
        """Dense cosine similarity of the sentences (n x n, diagonal 1), computed in place."""
        words = [content_words(t) for t in texts]
        if self.char_weight == 1.0:
            sim = _cosine(_char_features, words)
        else:
            sim = _cosine(_word_features, words)
            sim *= 1.0 - self.char_weight
            if self.char_weight > 0:
                sim += self.char_weight * _cosine(_char_features, words)
        np.fill_diagonal(sim, 1.0)
        return np.clip(sim, 0.0, 1.0, out=sim)

    def _group(self, sim: np.ndarray, outlets: np.ndarray) -> np.ndarray:
        """A group label per node."""
        if self.linkage == "mutual":
            return _mutual_best_components(sim, outlets, self.threshold)
        tree = linkage(_condensed_distance(sim), method=self.linkage)
        # fcluster merges at distance <= t; a tiny margin keeps exact threshold ties in.
        return fcluster(tree, t=1.0 - self.threshold + 1e-9, criterion="distance")

    def _claims(self, groups: np.ndarray, members: list[list[ClaimSentence]], sim: np.ndarray) -> list[Claim]:
        found = []
        for group in np.unique(groups):
            idx = np.flatnonzero(groups == group)
            outlets = tuple(sorted({members[i][0].outlet for i in idx}))
            if len(outlets) < self.min_outlets:
                continue
            central = idx[np.argmax(sim[np.ix_(idx, idx)].sum(axis=1))] if len(idx) > 1 else idx[0]
            sentences = tuple(
                sorted(
                    (s for i in idx for s in members[i]),
                    key=lambda s: (s.outlet, s.article_id, s.sentence_index),
                )
            )
            first = min((s.article_id, s.sentence_index) for s in sentences)
            found.append((-len(outlets), first, sentences, outlets, members[central][0].sentence))
        found.sort(key=lambda f: (f[0], f[1]))
        return [
            Claim(i, sentences, outlets, label) for i, (_n, _f, sentences, outlets, label) in enumerate(found)
        ]


def _word_features(words: list[str]) -> list[str]:
    return words + [f"{a} {b}" for a, b in zip(words, words[1:], strict=False)]


def _char_features(words: list[str]) -> list[str]:
    """Character 4-grams of the content words, padded (" bomb", "ombe", "bed "): inflections overlap."""
    grams = []
    for word in words:
        padded = f" {word} "
        grams += [padded[i : i + 4] for i in range(max(1, len(padded) - 3))]
    return grams


def _cosine(
    analyzer: Callable[[list[str]], list[str]], words: list[list[str]], block: int = 512
) -> np.ndarray:
    """Dense cosine of l2-normalised TF-IDF rows, a block of rows at a time (no sparse n x n product)."""
    x = TfidfVectorizer(analyzer=analyzer, sublinear_tf=True, dtype=np.float32).fit_transform(words)
    xt = x.T.tocsr()
    sim = np.empty((x.shape[0], x.shape[0]), dtype=np.float32)
    for start in range(0, x.shape[0], block):
        sim[start : start + block] = (x[start : start + block] @ xt).toarray()
    return sim


def _condensed_distance(sim: np.ndarray) -> np.ndarray:
    """1 - sim above the diagonal, row by row (what scipy's linkage takes), without an n x n temporary."""
    n = len(sim)
    out = np.empty(n * (n - 1) // 2)
    pos = 0
    for i in range(n - 1):
        out[pos : pos + n - i - 1] = sim[i, i + 1 :]
        pos += n - i - 1
    return np.subtract(1.0, out, out=out)


def _mutual_best_components(sim: np.ndarray, outlets: np.ndarray, threshold: float) -> np.ndarray:
    """Components of links i-j (different outlets) where j is i's best in j's outlet and vice versa."""
    n = len(outlets)
    _names, outlet_of = np.unique(outlets.astype(str), return_inverse=True)
    n_outlets = int(outlet_of.max()) + 1
    best = np.empty((n, n_outlets), dtype=np.int64)  # best[i, o]: i's most similar node of outlet o
    for o in range(n_outlets):
        cols = np.flatnonzero(outlet_of == o)
        best[:, o] = cols[np.argmax(sim[:, cols], axis=1)]
    i = np.repeat(np.arange(n), n_outlets)
    j = best.ravel()
    keep = (outlet_of[i] != outlet_of[j]) & (best[j, outlet_of[i]] == i) & (sim[i, j] >= threshold)
    graph = coo_matrix((np.ones(int(keep.sum())), (i[keep], j[keep])), shape=(n, n))
    return connected_components(graph, directed=False)[1]


# --------------------------------------------------------------------------- omissions


def omission_candidates(
    claims: Iterable[Claim], outlets_covering: Iterable[str], min_support: int = 2
) -> dict[str, list[Claim]]:
    """For each outlet covering the event: the claims >= ``min_support`` other outlets carry and it does not.

    Every outlet in ``outlets_covering`` gets an entry (possibly empty), in sorted order;
    each list keeps the claims' order (by id).
    """
    if min_support < 1:
        raise ValueError(f"claims: min_support={min_support!r} must be >= 1. Fix: e.g. 2")
    claims = sorted(claims, key=lambda c: c.id)
    return {
        outlet: [c for c in claims if outlet not in c.outlets and len(c.outlets) >= min_support]
        for outlet in sorted(set(outlets_covering))
    }


def outlet_claim_matrix(claims: Iterable[Claim], outlets: Iterable[str]) -> Mapping[str, tuple[bool, ...]]:
    """Who carries what: outlet -> one flag per claim (in claim order)."""
    claims = sorted(claims, key=lambda c: c.id)
    return {o: tuple(o in c.outlets for c in claims) for o in sorted(set(outlets))}
