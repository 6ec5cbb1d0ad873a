"""A trained second opinion on the catalogue's facts: how likely a sentence reports one.

Usage::

    model = ActionModel.load()                       # the shipped model (action_model.npz)
    model.facts                                      # its heads: fact ids, then "fact/actor" ids
    model.scores(["Russian jets pounded Ariha."])    # {head: one probability per sentence}
    kept, rescues = model.review(model.scores(sentences), mentions, veto=0.1, rescue=0.8)  # FactMatcher's

The catalogue's rules miss paraphrases without a catalogue word, take some distractors for
reports, and miss some named doers; on blind labelled sets nearly every wrong verdict came
from that (benchmarks/README.md, "Where the blind errors are"). The model holds logistic
regressions over TF-IDF word (1-2) and character (3-5, within words) n-grams, trained by
``benchmarks/train_action_model.py`` on the labelled evaluation sets 0-78, two kinds:

* per fact, **action** ("civilian_casualties"): does the sentence report the fact? Gold
  evidence sentences are positives, the sentences of articles that do not carry it negatives;
* per fact with an actor, **attribution** ("russian_airstrikes/actor"): does it report the
  fact and name its actor as the doer? Positives are the evidence of ``attributed``
  articles; negatives the sentences of agent-deleted articles and of those without it.

``FactMatcher.event_mentions`` uses them as facts.yaml's ``second_opinion`` says:

* facts without an actor: **veto** drops a rule mention whose sentence scores below
  ``veto``; **rescue** gives an article the rules found nothing of the fact in a mention
  (``attributed``, which for these facts means carried) from its best sentence when that
  scores above ``rescue``; its ``action_term`` reads ``(model 0.93)``;
* facts with an actor: **attribute** makes an agent-deleted article ``attributed`` when one
  of its sentences scores above ``attribute`` for attribution (its ``actor_term`` reads
  ``(model 0.97)``); **hold** marks an article the rules found nothing of the fact in
  ``unresolved`` when a sentence scores above ``hold`` for the action: the model read the
  act, nobody can say whose it is, so no verdict is made against the outlet or from it.

The file holds arrays only (``numpy.load(allow_pickle=False)``): no code is unpickled.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache, cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # numpy is imported where used: compare EVENT reads rescued_score only
    import numpy as np

MODEL_PATH = Path(__file__).resolve().parent / "action_model.npz"
#: A fact's attribution head is named ``fact id + ATTRIBUTION``.
ATTRIBUTION = "/actor"
#: How the n-grams are read: the same at training and at use (train_action_model.py).
WORD = {"ngram_range": (1, 2), "sublinear_tf": True}
CHAR = {"analyzer": "char_wb", "ngram_range": (3, 5), "sublinear_tf": True}


def _vectorizer(params: dict, vocabulary: np.ndarray, idf: np.ndarray) -> Any:
    from sklearn.feature_extraction.text import TfidfVectorizer

    vec = TfidfVectorizer(vocabulary={str(t): i for i, t in enumerate(vocabulary)}, **params)
    vec.idf_ = idf.astype("float64")
    return vec


class _Part:
    """One vectorizer's features, weighed as ``TfidfVectorizer.transform`` weighs them
    (sublinear tf times idf, each row scaled to unit length) without its per-call checks,
    which cost more than the arithmetic on an event's few sentences."""

    def __init__(self, vec: Any, coef: np.ndarray):
        import numpy as np

        self.analyze = vec.build_analyzer()
        # Character n-grams within words are the n-grams of each word of the lower-cased text
        # in turn: looked up once per distinct word (news repeats its words), not per sentence.
        self.by_word = vec.analyzer == "char_wb"
        self.seen: dict[str, list[int]] = {}
        self.vocabulary: dict[str, int] = vec.vocabulary
        self.idf = np.asarray(vec.idf_, dtype="float64")
        self.coef_t = np.ascontiguousarray(coef.T, dtype="float64")  # (features, facts)

    def logits(self, sentences: Sequence[str]) -> np.ndarray:
        import numpy as np
        import scipy.sparse as sp

        indptr, indices, counts = [0], [], []
        for sentence in sentences:
            row: dict[int, int] = {}
            for j in self._grams(sentence):
                row[j] = row.get(j, 0) + 1
            indices += row.keys()
            counts += row.values()
            indptr.append(len(indices))
        cols = np.asarray(indices, dtype=np.int64)
        data = (1.0 + np.log(np.asarray(counts, dtype="float64"))) * self.idf[cols]
        x = sp.csr_matrix((data, cols, np.asarray(indptr)), shape=(len(sentences), len(self.idf)))
        norms = np.sqrt(np.asarray(x.multiply(x).sum(axis=1)).ravel())
        norms[norms == 0] = 1.0
        return np.asarray(x @ self.coef_t) / norms[:, None]

    def _grams(self, sentence: str) -> list[int]:
        """The vocabulary indexes of the sentence's n-grams, repeats included."""
        vocabulary = self.vocabulary
        if not self.by_word:
            return [j for gram in self.analyze(sentence) if (j := vocabulary.get(gram)) is not None]
        out: list[int] = []
        for word in sentence.lower().split():
            known = self.seen.get(word)
            if known is None:
                known = [j for gram in self.analyze(word) if (j := vocabulary.get(gram)) is not None]
                if len(self.seen) > 500_000:  # a bound for long runs over many languages
                    self.seen.clear()
                self.seen[word] = known
            out += known
        return out


@dataclass(frozen=True)
class ActionModel:
    """Per head (fact or ``fact/actor``), a linear model over two TF-IDF vectorizers'
    features (see module doc)."""

    facts: tuple[str, ...]  # the heads: "civilian_casualties", ..., "russian_airstrikes/actor", ...
    coef: np.ndarray  # (heads, features): word features first, then character features
    intercept: np.ndarray  # (facts,)
    word: Any  # sklearn TfidfVectorizer, rebuilt from the file's vocabulary and idf
    char: Any
    info: dict

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray]) -> ActionModel:
        return cls(facts=tuple(str(f) for f in arrays["facts"]),
                   coef=arrays["coef"].astype("float32"), intercept=arrays["intercept"].astype("float32"),
                   word=_vectorizer(WORD, arrays["word_vocabulary"], arrays["word_idf"]),
                   char=_vectorizer(CHAR, arrays["char_vocabulary"], arrays["char_idf"]),
                   info=json.loads(str(arrays["info"])))

    @classmethod
    def load(cls, path: Path | str = MODEL_PATH) -> ActionModel:
        import numpy as np

        with np.load(path, allow_pickle=False) as arrays:
            return cls.from_arrays(dict(arrays))

    @cached_property
    def _parts(self) -> tuple[_Part, _Part]:
        n = len(self.word.vocabulary)
        return _Part(self.word, self.coef[:, :n]), _Part(self.char, self.coef[:, n:])

    def scores(self, sentences: Sequence[str]) -> dict[str, np.ndarray]:
        """Each head's probability for each sentence."""
        import numpy as np

        if not sentences:
            return {f: np.zeros(0) for f in self.facts}
        word, char = self._parts
        logits = word.logits(sentences) + char.logits(sentences) + self.intercept
        probs = 1.0 / (1.0 + np.exp(-logits))
        return {f: probs[:, k] for k, f in enumerate(self.facts)}

    def article_scores(self, articles: Sequence[Sequence[str]]) -> list[dict[str, np.ndarray]]:
        """``scores`` per article, the event's sentences read in one go."""
        flat = [s for sentences in articles for s in sentences]
        probs = self.scores(flat)
        out, start = [], 0
        for sentences in articles:
            out.append({f: p[start:start + len(sentences)] for f, p in probs.items()})
            start += len(sentences)
        return out

    @staticmethod
    def review(probs: dict[str, np.ndarray], mentions: Sequence[Any], veto: float,
               rescue: float) -> tuple[list[Any], list[tuple[str, int, float]]]:
        """One article's rule mentions (``facts.Mention``) kept by the veto, and its rescues:
        (fact id, sentence index, probability) for each fact the rules did not find there.
        ``probs``: the article's ``scores``."""
        kept = [m for m in mentions if m.fact_id not in probs or probs[m.fact_id][m.sentence_index] >= veto]
        have = {m.fact_id for m in mentions}
        rescues = []
        for fact, p in probs.items():
            if fact not in have and len(p):
                best = int(p.argmax())
                if p[best] > rescue:
                    rescues.append((fact, best, float(p[best])))
        return kept, rescues


def rescue_term(p: float) -> str:
    """The action term a rescued mention records: "(model 0.93)"."""
    return f"(model {p:.2f})"


def rescued_score(action_term: str | None) -> float | None:
    """The model's probability when a mention was rescued by it, else None."""
    if action_term and action_term.startswith("(model ") and action_term.endswith(")"):
        try:
            return float(action_term[7:-1])
        except ValueError:
            return None
    return None


def model_score(mention: Any) -> float | None:
    """The model's probability where a mention (``facts.Mention`` or a stored row) is its
    finding: the doer's when it found the doer (``actor_term``), else the act's; None when
    the rules found both."""
    found = rescued_score(getattr(mention, "actor_term", None))
    return found if found is not None else rescued_score(getattr(mention, "action_term", None))


@cache
def shipped_model() -> ActionModel:
    """The package's model, read once per process."""
    return ActionModel.load()
