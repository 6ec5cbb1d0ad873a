"""Text helpers for event clustering: sentences, outlet boilerplate, feature tokens (all pure).

Usage::

    split_sentences("Mr. Smith went to the U.S. on Monday. He left.")
    # ['Mr. Smith went to the U.S. on Monday.', 'He left.']

    boilerplate = BoilerplateFilter().update([("ledger", 12.0, text), ...])
    body = boilerplate.strip("ledger", text)
    tokens(title, body)   # strings for sklearn's FeatureHasher(input_type="string")

The token recipe and the boilerplate rule are the ones measured in
``benchmarks/experiments/README.md`` (recommended method, steps 1-3).
"""

from __future__ import annotations

import functools
import hashlib
import re
from collections.abc import Iterable, Mapping, Sequence, Set

import numpy as np

# --------------------------------------------------------------------------- sentences

# Words that end in a period but rarely end a sentence: they are followed by a name or a number.
# Company suffixes (Inc., Ltd.) are left out on purpose: they often do end a sentence.
ABBREVIATIONS = frozenset(
    "mr mrs ms dr prof st jr sr gen lt col maj capt cmdr adm sgt cpl gov sen rep rev hon pres "
    "vs no nos fig approx dept jan feb mar apr jun jul aug sep sept oct nov dec".split()
)
_TERMINAL = re.compile(r"[.!?\u061f\u2026]+[\"'\u201d\u2019\u00bb\u203a)\]]*\s+")
_OPENING = "\"'\u201c\u2018([\u00ab"
_DOTTED = re.compile(r"(?:[^\W\d_]\.)+$")  # "U.S.", "J." -- initials and dotted acronyms
# '"Who fired?" Ivanov asked.': a quoted question or exclamation, then its speaker.
_SPEAKER = re.compile(
    r"(?:[A-Z][\w'\u2019-]*\.?\s+){1,3}(?:said|says|asked|asks|told|added|wrote|replied|shouted|cried|"
    r"demanded|wondered|insisted|exclaimed)\b"
)
_QUOTED_END = re.compile(r"[!?\u061f][\"'\u201d\u2019\u00bb\u203a]")


def split_sentences(text: str) -> list[str]:
    """Split prose into sentences; line breaks always end a sentence.

    A sentence ends at ``.``, ``!``, ``?`` (with any closing quotes or brackets) followed by
    white space and a word that does not start in lower case. A period after a title or
    month ("Mr.", "Sept."), an initial ("J.") or a dotted acronym ("U.S.") does not end a
    sentence, so "He moved to the U.S. Then" stays one sentence: a missed split costs less
    than cutting a name in two. A quoted question or exclamation followed by its speaker
    ('"Who fired?" Ivanov asked.') is one sentence.
    """
    sentences = []
    for line in text.splitlines():
        start = 0
        for match in _TERMINAL.finditer(line):
            if _ends_sentence(line, match):
                sentences.append(line[start : match.end()])
                start = match.end()
        sentences.append(line[start:])
    return [s.strip() for s in sentences if s.strip()]


def _ends_sentence(line: str, match: re.Match[str]) -> bool:
    following = line[match.end() :].lstrip(_OPENING)
    if not following or following[0].islower():
        return False
    if not match.group().startswith("."):
        return not (_QUOTED_END.search(match.group()) and _SPEAKER.match(following))
    previous = line[: match.start() + 1].split()[-1].lstrip(_OPENING)
    return previous[:-1].lower() not in ABBREVIATIONS and not _DOTTED.match(previous)


def article_text(summary: str | None, content: str | None) -> str:
    """All the text an outlet published for an article: the summary (a teaser or lede),
    then the content, skipping the summary when the content already contains it."""
    summary, content = (summary or "").strip(), (content or "").strip()
    if not content or summary in content:
        return content or summary
    return f"{summary}\n{content}" if summary else content


# --------------------------------------------------------------------------- boilerplate


def sentence_key(sentence: str) -> str:
    """How sentences are compared across articles: lower case, white space folded."""
    return " ".join(sentence.lower().split())


def sentence_hash(sentence: str) -> int:
    """A stable signed 64-bit hash of a sentence's key (the same in every process and run)."""
    digest = hashlib.blake2b(sentence_key(sentence).encode("utf-8", "surrogatepass"), digest_size=8)
    return int.from_bytes(digest.digest(), "little", signed=True)


def sentence_hashes(text: str, min_chars: int = 10) -> list[int]:
    """Distinct hashes of the sentences of ``text`` longer than ``min_chars`` characters."""
    return sorted({sentence_hash(s) for s in split_sentences(text) if len(sentence_key(s)) > min_chars})


def strip_sentences(text: str, boilerplate: Set[int]) -> str:
    """``text`` without the sentences whose hash is in ``boilerplate``, one sentence per line."""
    return "\n".join(s for s in split_sentences(text) if sentence_hash(s) not in boilerplate)


class BoilerplateFilter:
    """Remove an outlet's recurring sentences (sign-offs, reproduction notices, promos).

    Usage::

        bp = BoilerplateFilter()
        bp.update([(outlet, day, text), ...])   # once per batch, before stripping it
        bp.strip(outlet, text)
        arrays = bp.to_arrays()                # numpy arrays: save, then BoilerplateFilter.from_arrays(arrays)

    A sentence is boilerplate for an outlet once it occurs in at least ``min_docs`` of that
    outlet's articles spread over more than ``min_span_days`` days. The span rule keeps the
    paragraphs an outlet repeats while one story runs. Sentences of ``min_chars`` characters
    or fewer are not tracked. Sentences are counted by a 64-bit hash of their key, in sorted
    numpy arrays (outlet, hash, n_docs, first_day, last_day), so a store with millions of
    sentences loads, updates and saves in a fraction of a second. ``prune`` forgets
    sentences seen once long ago, so a long-lived store does not keep every sentence it saw.
    """

    _COLUMNS = ("outlet", "hash", "n_docs", "first_day", "last_day")

    def __init__(self, min_docs: int = 4, min_span_days: float = 3.0, min_chars: int = 10):
        self.min_docs = min_docs
        self.min_span_days = min_span_days
        self.min_chars = min_chars

    def _ensure(self) -> None:
        if not hasattr(self, "outlets_"):
            self.outlets_: list[str] = []
            self.table_ = {"outlet": np.zeros(0, np.int32), "hash": np.zeros(0, np.int64),
                           "n_docs": np.zeros(0, np.int64), "first_day": np.zeros(0), "last_day": np.zeros(0)}

    def update(self, docs: Iterable[tuple[str | None, float, str]]) -> BoilerplateFilter:
        """Count the sentences of (outlet, day, text) triples; articles without an outlet are skipped."""
        return self.update_hashes(
            (outlet, day, sentence_hashes(text, self.min_chars)) for outlet, day, text in docs if outlet is not None
        )

    def update_hashes(self, docs: Iterable[tuple[str | None, float, Sequence[int]]]) -> BoilerplateFilter:
        """Like ``update``, from precomputed ``sentence_hashes`` (so workers can split the texts)."""
        self._ensure()
        index = {name: i for i, name in enumerate(self.outlets_)}
        outlets, hashes, days = [], [], []
        for outlet, day, found in docs:
            if outlet is None or not found:
                continue
            if outlet not in index:
                index[outlet] = len(self.outlets_)
                self.outlets_.append(outlet)
            outlets.append(np.full(len(found), index[outlet], np.int32))
            hashes.append(np.asarray(found, np.int64))
            days.append(np.full(len(found), day, np.float64))
        if not outlets:
            return self
        t = self.table_
        d = np.concatenate(days)
        o = np.concatenate([t["outlet"], *outlets])
        h = np.concatenate([t["hash"], *hashes])
        n = np.concatenate([t["n_docs"], np.ones(len(d), np.int64)])
        first, last = np.concatenate([t["first_day"], d]), np.concatenate([t["last_day"], d])
        order = np.lexsort((h, o))
        o, h, n, first, last = o[order], h[order], n[order], first[order], last[order]
        starts = np.flatnonzero(np.concatenate([[True], (o[1:] != o[:-1]) | (h[1:] != h[:-1])]))
        self.table_ = {"outlet": o[starts], "hash": h[starts], "n_docs": np.add.reduceat(n, starts),
                       "first_day": np.minimum.reduceat(first, starts),
                       "last_day": np.maximum.reduceat(last, starts)}
        return self

    def boilerplate_of(self, outlet: str | None) -> frozenset[int]:
        """Hashes of the outlet's boilerplate sentences (for ``strip_sentences``)."""
        self._ensure()
        if outlet not in self.outlets_:
            return frozenset()
        t = self.table_
        o = self.outlets_.index(outlet)
        lo, hi = np.searchsorted(t["outlet"], [o, o + 1])
        n, first, last = t["n_docs"][lo:hi], t["first_day"][lo:hi], t["last_day"][lo:hi]
        return frozenset(t["hash"][lo:hi][(n >= self.min_docs) & (last - first > self.min_span_days)].tolist())

    def is_boilerplate(self, outlet: str | None, sentence: str) -> bool:
        return sentence_hash(sentence) in self.boilerplate_of(outlet)

    def strip(self, outlet: str | None, text: str) -> str:
        """The text without boilerplate sentences, one sentence per line (unchanged if no outlet)."""
        if outlet is None:
            return text
        return strip_sentences(text, self.boilerplate_of(outlet))

    def prune(self, before_day: float) -> int:
        """Forget sentences seen only once, before ``before_day``; returns how many were dropped.

        A sentence that does not recur within that time is not an outlet's boilerplate.
        """
        self._ensure()
        keep = (self.table_["n_docs"] > 1) | (self.table_["last_day"] >= before_day)
        self.table_ = {k: v[keep] for k, v in self.table_.items()}
        return int((~keep).sum())

    def to_arrays(self) -> dict[str, np.ndarray]:
        """The counts as numpy arrays (rows sorted by outlet index, then hash)."""
        self._ensure()
        return {"outlets": np.array(self.outlets_, dtype=str), **self.table_}

    @classmethod
    def from_arrays(cls, arrays: Mapping[str, np.ndarray], **params: float) -> BoilerplateFilter:
        """Rebuild a filter from ``to_arrays`` output (and the parameters it was built with)."""
        bp = cls(**params)
        bp.outlets_ = [str(o) for o in arrays["outlets"]]
        bp.table_ = {k: np.asarray(arrays[k]) for k in cls._COLUMNS}
        return bp


# --------------------------------------------------------------------------- tokens

@functools.cache
def stop_words() -> frozenset[str]:
    """scikit-learn's English stop words and news filler ("said", "reuters"). Read when first
    needed: importing scikit-learn costs ~0.6 s that the comparison's read path need not pay."""
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    return frozenset(ENGLISH_STOP_WORDS) | {
        "said", "says", "say", "told", "according", "new", "year", "years", "just", "like",
        "did", "does", "reuters", "ap", "http", "www", "com",
    }  # fmt: skip


# Capitalised for reasons other than being a name.
NOT_ENTITIES = frozenset(
    "monday tuesday wednesday thursday friday saturday sunday january february march april may "
    "june july august september october november december mr mrs ms dr st jan feb mar apr jun "
    "jul aug sep sept oct nov dec".split()
)
_WORD = re.compile(r"\w\w+")
_CAPITALISED = re.compile(r"(?<![\w\-'\u2019])([A-Z]\w+)")
# A capitalised word right after one of these (white space aside) may just start a sentence.
_SENTENCE_START = set(".!?:\n\"'`\u201c\u2018-\u2014\u2013|")


def _analyse(text: str) -> tuple[list[str], list[str], list[tuple[str, str]]]:
    """(words, entity tokens, entity bigrams) of one field, all lower case.

    Entity tokens are capitalised words whose lower-case form appears capitalised somewhere
    mid-sentence in the same text; every capitalised occurrence of them counts. Bigrams are
    adjacent entity tokens separated only by blanks.
    """
    stop = stop_words()
    words = [w for w in _WORD.findall(text.lower()) if w not in stop]
    capitalised = []  # (start, end, lower-case word)
    mid_sentence = set()
    for match in _CAPITALISED.finditer(text):
        word = match.group(1).lower()
        i = match.start() - 1
        while i >= 0 and text[i] in " \t":
            i -= 1
        if i >= 0 and text[i] not in _SENTENCE_START:
            mid_sentence.add(word)
        capitalised.append((match.start(), match.end(), word))
    entities = mid_sentence - NOT_ENTITIES - stop
    ents = [w for _s, _e, w in capitalised if w in entities]
    bigrams = [
        (a, b)
        for (_s1, end, a), (start, _e2, b) in zip(capitalised, capitalised[1:], strict=False)
        if a in entities and b in entities and not text[end:start].strip(" \t")
    ]
    return words, ents, bigrams


def tokens(title: str, text: str, title_weight: int = 2) -> list[str]:
    """Feature strings of one article: hashing them gives its term counts.

    Body words (minus stop words), the title's words ``title_weight`` times, entity tokens
    and capitalised bigrams ("vladimir_putin") once each. Headlines are often title case, so
    title entities and bigrams count only when their words are entities in the body.
    """
    words, ents, bigrams = _analyse(text)
    title_words, title_ents, title_bigrams = _analyse(title)
    body_entities = set(ents)
    ents += [w for w in title_ents if w in body_entities]
    bigrams += [(a, b) for a, b in title_bigrams if a in body_entities and b in body_entities]
    return words + title_words * title_weight + ents + [f"{a}_{b}" for a, b in bigrams]
